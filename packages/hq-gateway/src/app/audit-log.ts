// The audit log (issue 11): every write and every read of confidential data, appended to a hash
// chain (domain/audit-chain.ts) through the OpsStore; queryable by the supervision role; verify()
// finds a broken chain (HQ_AUDIT_CHAIN_BROKEN names the first broken row). recordWith() runs a
// write and appends its row in one unit of work: on PostgreSQL one transaction, so an error in
// either leaves neither (ports/unit-of-work.ts).
import { type AuditChainCheck, type AuditRow, verifyAuditChain } from '../domain/audit-chain.js';
import type { TimeSource } from '../ports/clock.js';
import type { AuditQuery, OpsStore } from '../ports/ops-store.js';
import { immediateUnitOfWork, type UnitOfWork } from '../ports/unit-of-work.js';

/**
 * U+0000 becomes U+FFFD in the row's text fields: PostgreSQL text cannot hold it, and the chain
 * must read the same on every store (a hostile login name still leaves its trace).
 */
function withoutNul(text: string): string {
  return text.replaceAll('\u0000', '\ufffd');
}

export class AuditLog {
  readonly #store: OpsStore;
  readonly #clock: TimeSource;
  readonly #unit: UnitOfWork;

  constructor(store: OpsStore, clock: TimeSource, unit: UnitOfWork = immediateUnitOfWork) {
    this.#store = store;
    this.#clock = clock;
    this.#unit = unit;
  }

  /** The unit of work writes and their rows share (effects that must wait for COMMIT use it). */
  get unitOfWork(): UnitOfWork {
    return this.#unit;
  }

  /**
   * Run `write` and append the row recording it in one unit of work: `write` returns its result
   * and the row's detail and outcome. A write that throws leaves no row; a row that cannot be
   * appended undoes the write (PostgreSQL; see ports/unit-of-work.ts for SQLite).
   */
  recordWith<T>(
    actor: { readonly userName: string; readonly role: string },
    action: string,
    target: string,
    write: () => Promise<{ result: T; detail: Record<string, unknown>; outcome?: string }>,
  ): Promise<T> {
    return this.#unit.run(action, async () => {
      const done = await write();
      await this.record(actor, action, target, done.detail, done.outcome ?? 'ok');
      return done.result;
    });
  }

  record(
    actor: { readonly userName: string; readonly role: string },
    action: string,
    target: string,
    detail: Record<string, unknown> = {},
    outcome = 'ok',
  ): Promise<AuditRow> {
    return this.#store.appendAudit({
      atMs: this.#clock.nowMs(),
      actor: withoutNul(actor.userName),
      role: withoutNul(actor.role),
      action: withoutNul(action),
      target: withoutNul(target),
      outcome: withoutNul(outcome),
      detail,
    });
  }

  rows(query: AuditQuery): Promise<AuditRow[]> {
    return this.#store.auditRows(query);
  }

  async verify(): Promise<AuditChainCheck> {
    return verifyAuditChain(await this.#store.auditChain());
  }
}
