// The health check a new release must pass during its trial (issue 13): the doctor's checks, a
// broker session and the journal chain, each a named check, run in order, the whole within a
// deadline on the agent's clock. The first failure (or the deadline) is the verdict, with the
// check's name, which the kiosk reports to HQ with AGENT_OTA_HEALTH_FAILED when it rolls back.
import type { ClockPort } from '../../ports/clock.js';
import type { HealthCheck } from '../../ports/ota.js';

export interface NamedCheck {
  /** 'doctor', 'broker', 'journal-chain', …: the reason names it. */
  readonly name: string;
  run(): Promise<{ readonly ok: boolean; readonly reason: string }>;
}

export interface TrialHealthCheckOptions {
  readonly checks: readonly NamedCheck[];
  readonly clock: ClockPort;
  /** All checks together must answer within this, ms. */
  readonly deadlineMs: number;
}

export class TrialHealthCheck implements HealthCheck {
  readonly #o: TrialHealthCheckOptions;

  constructor(options: TrialHealthCheckOptions) {
    if (options.checks.length === 0) throw new Error('assert: at least one check');
    if (!(Number.isSafeInteger(options.deadlineMs) && options.deadlineMs > 0))
      throw new Error('assert: deadlineMs');
    this.#o = options;
  }

  run(): Promise<{ readonly ok: boolean; readonly reason: string }> {
    let current = this.#o.checks[0]?.name ?? '';
    return new Promise((resolve) => {
      const timer = this.#o.clock.setTimer(this.#o.deadlineMs, () =>
        resolve({ ok: false, reason: `${current}: no answer within ${this.#o.deadlineMs} ms` }),
      );
      const finish = (verdict: { ok: boolean; reason: string }) => {
        timer.cancel();
        resolve(verdict);
      };
      void (async () => {
        for (const check of this.#o.checks) {
          current = check.name;
          try {
            const result = await check.run();
            if (!result.ok) return finish({ ok: false, reason: `${check.name}: ${result.reason}` });
          } catch (error) {
            return finish({
              ok: false,
              reason: `${check.name}: ${error instanceof Error ? error.message : String(error)}`,
            });
          }
        }
        finish({ ok: true, reason: '' });
      })();
    });
  }
}
