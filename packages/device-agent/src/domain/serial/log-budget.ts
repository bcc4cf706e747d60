// A bounded log rate for junk on a serial line (issue 8): a noisy or hostile device sending garbage
// must not flood the log or the disk. At most `linesMax` lines per window of `windowMs`; the lines
// held back are counted and reported with the next line that is logged. Pure: time comes in.

export interface LogBudgetVerdict {
  /** Log this line. */
  readonly log: boolean;
  /** Lines held back since the last logged one (reported with this one). */
  readonly suppressedCount: number;
}

export class LogBudget {
  readonly #linesMax: number;
  readonly #windowMs: number;
  #windowStartMs = Number.NEGATIVE_INFINITY;
  #loggedInWindow = 0;
  #suppressed = 0;

  constructor(linesMax: number, windowMs: number) {
    if (!Number.isSafeInteger(linesMax) || linesMax < 1) throw new Error('assert: linesMax >= 1');
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) throw new Error('assert: windowMs >= 1');
    this.#linesMax = linesMax;
    this.#windowMs = windowMs;
  }

  /** One junk line at `nowMs`: whether to log it, and how many were held back before it. */
  take(nowMs: number): LogBudgetVerdict {
    if (nowMs - this.#windowStartMs >= this.#windowMs) {
      this.#windowStartMs = nowMs;
      this.#loggedInWindow = 0;
    }
    if (this.#loggedInWindow >= this.#linesMax) {
      this.#suppressed += 1;
      return { log: false, suppressedCount: 0 };
    }
    this.#loggedInWindow += 1;
    const suppressedCount = this.#suppressed;
    this.#suppressed = 0;
    return { log: true, suppressedCount };
  }
}
