// The UnitOfWork port (issue 11): an operation's writes and the audit row that records them in one
// transaction, so an error leaves neither. On PostgreSQL every store call on the same pool inside
// run() joins the transaction (adapters/postgres/unit-of-work.ts). The embedded SQLite mode has no
// such unit (its stores write synchronously on one connection shared with ingest): there run()
// just runs the work (immediateUnitOfWork below), as before.

export interface UnitOfWork {
  /** Run `work` as one transaction: every store write inside it commits together or none does. */
  run<T>(what: string, work: () => Promise<T>): Promise<T>;
  /**
   * Run `effect` (telling the running gateway, in memory) once the unit in progress commits; at
   * once outside a unit. Dropped when the unit rolls back.
   */
  afterCommit(effect: () => void): void;
}

/** No transaction to offer: the work runs as it is, effects at once (SQLite, memory fakes). */
export const immediateUnitOfWork: UnitOfWork = {
  run: (_what, work) => work(),
  afterCommit: (effect) => effect(),
};
