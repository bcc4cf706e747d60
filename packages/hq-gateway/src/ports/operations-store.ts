// The OperationsStore port (issue 11): HQ's operations on the station network as an append-only
// log of typed records (R17: nothing deletable for 6 years; every transition recorded with who,
// when and why). Current state is never stored: domain/network/ folds the records of an
// aggregate ("station:S1", "complaint:C-1", "commission:2026-11", ...) into its view.
//
// Each append names the version it expects the aggregate to be at (optimistic concurrency: two HQ
// processes or two operators on the same station cannot both write version n+1) and an
// idempotency key (a retried command returns the first record, whatever its clock says). Both
// outcomes come back as values; I/O failures throw HqError HQ_STORE_FAILED; a malformed record
// throws HQ_OPS_RECORD_INVALID (domain/network/operation-record.ts checks it in every adapter).
//
// The shape is deliberately small (aggregate id, version, kind, JSON payload, actor, instant,
// reason, key, global position) so another database holds it in one table. Adapters: memory
// (adapters/memory/), SQLite (adapters/sqlite/operations-store.ts), PostgreSQL
// (adapters/postgres/operations-store.ts); the contract suite in
// test/helpers/operations-store-contract.ts runs against any of them.

export interface OperationDraft {
  /** '<type>:<id>', e.g. 'station:S1'. */
  readonly aggregateId: string;
  /** The record kind, e.g. 'surveyed' (domain/network/ defines the kinds and their payloads). */
  readonly kind: string;
  /** JSON object; at most opsPayloadBytesMax when serialised. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** Who: the person (or 'system:<component>') who made the step. */
  readonly actor: string;
  /** When: HQ's clock, Unix epoch ms. */
  readonly atMs: number;
  /** Why: free text given by the actor ('' when the step needs none). */
  readonly reason: string;
  /** The same key again returns the first record (same content) or HQ_OPS_IDEMPOTENCY_CONFLICT. */
  readonly idempotencyKey: string;
}

export interface OperationRecord extends OperationDraft {
  /** 1-based, consecutive per aggregate. */
  readonly version: number;
  /** 1-based, increasing over the whole log (the order records were written). */
  readonly position: number;
}

export type AppendOutcome =
  | { readonly ok: true; readonly record: OperationRecord; readonly duplicate: boolean }
  | { readonly ok: false; readonly code: 'HQ_OPS_VERSION_CONFLICT'; readonly currentVersion: number }
  | { readonly ok: false; readonly code: 'HQ_OPS_IDEMPOTENCY_CONFLICT'; readonly existing: OperationRecord };

export interface OperationsQuery {
  /** Only aggregates whose id starts with this, e.g. 'station:'. */
  readonly aggregatePrefix?: string;
  /** Records with atMs in [fromAtMs, toAtMs). */
  readonly fromAtMs?: number;
  readonly toAtMs?: number;
  /** Records with position > afterPosition (paging). */
  readonly afterPosition?: number;
  /** At most this many (<= opsReadRecordsMax, the default). */
  readonly limit?: number;
}

export interface OperationsStore {
  /**
   * Appends `draft` as version expectedVersion + 1 of its aggregate (expectedVersion 0: a new
   * aggregate). A known idempotency key with the same aggregate, kind and payload returns the
   * stored record (duplicate: true) whatever the expected version.
   */
  append(draft: OperationDraft, expectedVersion: number): Promise<AppendOutcome>;
  /** Every record of one aggregate, by version (empty when there is none). */
  read(aggregateId: string): Promise<readonly OperationRecord[]>;
  /**
   * Every record of each named aggregate in one read (a page of alerts' handling: one query, not
   * one per alert), by version; an aggregate with no record is absent from the map. At most
   * opsReadManyAggregatesMax ids (HQ_STORE_FAILED beyond).
   */
  readMany(aggregateIds: readonly string[]): Promise<ReadonlyMap<string, readonly OperationRecord[]>>;
  /** Records in position order, filtered; a page of at most `limit`. */
  list(query: OperationsQuery): Promise<readonly OperationRecord[]>;
}
