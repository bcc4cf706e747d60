// The real ClockPort for the serial drivers: wall time, setTimeout, Math.random. Tests pass a fake.

import type { ClockPort, TimerHandle } from '../../ports/clock.js';

export const systemClock: ClockPort = {
  nowMs: () => Date.now(),
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    return { cancel: () => clearTimeout(handle) };
  },
  random01: () => Math.random(),
};
