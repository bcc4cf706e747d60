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
// With no ack progress, a kiosk resends its outbox and renews its subscription on the kiosk
// agent's own waits: downlinkStallMsInitial / downlinkStallMsMax in packages/device-agent/src/limits.ts.
/** The whole run (set-up, day, drain, check) gives up after this long. */
export const runMsMax = 60 * 60_000;
/** Waiting for every outbox to drain after the day ends. */
export const drainWaitMsMax = 10 * 60_000;
/** A gateway or broker process must be ready within this long after a (re)start. */
export const processReadyMsMax = 60_000;
/** Connect attempts of one raw-pipe publisher (each on the next broker node) before a swarm fails. */
export const rawConnectAttemptsMax = 10;
/**
 * A kiosk's SUBSCRIBE refused (nats-server 2.9.10 refused some for up to ~2 min after a node
 * kill) is tried again after 0.5 s, doubling up to 8 s: at most this many attempts (~5 min).
 */
export const subscribeAttemptsMax = 45;
export const subscribeRetryMsMin = 500;
export const subscribeRetryMsCap = 8_000;
/** A kiosk going offline waits this long for its in-flight publishes, then drops the line. */
export const gracefulEndMsMax = 5_000;
