// The audit log (issue 11): every write and every read of confidential data, appended to a hash
// chain (domain/audit-chain.ts) through the OpsStore; queryable by the supervision role; verify()
// finds a broken chain (HQ_AUDIT_CHAIN_BROKEN names the first broken row).
import { type AuditChainCheck, type AuditRow, verifyAuditChain } from '../domain/audit-chain.js';
import type { TimeSource } from '../ports/clock.js';
import type { AuditQuery, OpsStore } from '../ports/ops-store.js';

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

  constructor(store: OpsStore, clock: TimeSource) {
    this.#store = store;
    this.#clock = clock;
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
