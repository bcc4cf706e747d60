// The one real ClockPort: wall time, Node timers (unref'd, so a timer alone never keeps a process
// up: sockets and serial ports do), Math.random for jitter. Tests pass a fake clock instead.
import type { ClockPort, TimerHandle } from '../../ports/clock.js';

export const systemClock: ClockPort = {
  nowMs: () => Date.now(),
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
  random01: () => Math.random(),
};
