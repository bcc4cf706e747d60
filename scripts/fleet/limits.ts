// Every named maximum of the fleet simulation (scripts/fleet), with the reason for each.

/** Steps in one station's day plan: bounds the pre-signed envelopes a swarm process holds. */
export const planStepsMax = 400;
/** Stations one run may simulate (100,000 kiosks is the target network, docs/scale.md). */
export const stationsMax = 100_000;
/** Simulated kiosks per swarm process: one Node process holds this many MQTT sessions. */
export const stationsPerSwarmMax = 5_000;
/** Swarm processes (the machine has 2 cores: more only add scheduling). */
export const swarmProcessesMax = 8;
/** A kiosk waits this long for HQ's answer to an authorisation request, then reverses (R5). */
export const authWaitMsDefault = 60_000;
/** With no ack progress for this long, a kiosk resends its unacknowledged outbox. */
export const ackStallMsMax = 15_000;
/** The stall wait doubles after each resend up to this cap (reset when an ack arrives). */
export const ackStallMsCap = 120_000;
/** The whole run (set-up, day, drain, check) gives up after this long. */
export const runMsMax = 60 * 60_000;
/** Waiting for every outbox to drain after the day ends. */
export const drainWaitMsMax = 10 * 60_000;
/** A gateway or broker process must be ready within this long after a (re)start. */
export const processReadyMsMax = 60_000;
