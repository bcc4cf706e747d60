// The demo's simulated clock: wall time shifted by an offset, so the scripted business day jumps
// from 07:40 to 08:30 to 14:30 … in seconds while timers (authorisation timeouts, reconnect
// back-off) still run in real time. HQ reads it in-process; each kiosk gets the same offset over
// IPC. Business rules use Asia/Shanghai (UTC+8, no daylight saving).

const shanghaiOffsetMs = 8 * 60 * 60 * 1000;

export class DemoClock {
  #offsetMs = 0;
  readonly #listeners: ((offsetMs: number) => Promise<void> | void)[] = [];

  nowMs(): number {
    return Date.now() + this.#offsetMs;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  /**
   * Sets simulated time to `simMs` (epoch ms); resolves once every listener (each kiosk process)
   * has taken the new offset, so no request can reach a kiosk still on the old time.
   */
  async set(simMs: number): Promise<void> {
    if (!Number.isSafeInteger(simMs)) throw new Error('assert: simulated time is integer ms');
    this.#offsetMs = simMs - Date.now();
    await Promise.all(this.#listeners.map((listener) => listener(this.#offsetMs)));
  }

  onChange(listener: (offsetMs: number) => Promise<void> | void): void {
    this.#listeners.push(listener);
  }
}

/** Epoch ms of `hh:mm` on `date` (YYYY-MM-DD) in Asia/Shanghai. */
export function shanghaiTime(date: string, hh: number, mm: number): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d, hh, mm) - shanghaiOffsetMs;
}

/** "HH:MM" in Asia/Shanghai. */
export function shanghaiClock(atMs: number): string {
  return new Date(atMs + shanghaiOffsetMs).toISOString().slice(11, 16);
}
