// The Clock port: the only source of "now" for HQ logic (tests inject a fixed clock).

export interface Clock {
  /** Unix epoch milliseconds, UTC. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
