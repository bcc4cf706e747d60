// The checks every OperationsStore adapter runs on a draft before writing it, and the identity of
// a retried append (same aggregate, kind and payload: the instant, actor and reason of a retry may
// differ). Pure, so the SQLite, memory and PostgreSQL adapters agree.
import { canonicalJson } from '@bianmin/core-ledger';
import type { HqProblem } from '../../errors.js';
import { opsActorCharsMax, opsPayloadBytesMax, opsReasonCharsMax } from '../../limits.js';
import type { OperationDraft, OperationRecord } from '../../ports/operations-store.js';
import { assert } from '../assert.js';

const aggregatePattern = /^[a-z][a-z-]{0,31}:[A-Za-z0-9_.:-]{1,96}$/;
const kindPattern = /^[a-z][a-z-]{0,47}$/;
const keyPattern = /^[\x21-\x7e]{1,160}$/;

/** Every problem of a draft at once (field named); empty when it may be written. */
export function operationDraftProblems(draft: OperationDraft, expectedVersion: number): HqProblem[] {
  assert(typeof draft === 'object' && draft !== null, 'a draft');
  const problems: HqProblem[] = [];
  const bad = (field: string, message: string): void => {
    problems.push({ code: 'HQ_OPS_RECORD_INVALID', field, message: `${field}: ${message}` });
  };
  if (!aggregatePattern.test(String(draft.aggregateId))) bad('aggregateId', "'<type>:<id>'");
  if (!kindPattern.test(String(draft.kind))) bad('kind', 'lower-case words joined by -');
  if (typeof draft.actor !== 'string' || draft.actor.length === 0 || draft.actor.length > opsActorCharsMax)
    bad('actor', `1..${opsActorCharsMax} characters`);
  if (typeof draft.reason !== 'string' || draft.reason.length > opsReasonCharsMax)
    bad('reason', `at most ${opsReasonCharsMax} characters`);
  // U+0000: PostgreSQL text cannot hold it; refused on every adapter alike.
  if (String(draft.actor).includes('\u0000')) bad('actor', 'no U+0000 character');
  if (String(draft.reason).includes('\u0000')) bad('reason', 'no U+0000 character');
  if (!(Number.isSafeInteger(draft.atMs) && draft.atMs > 0)) bad('atMs', 'epoch milliseconds');
  if (!keyPattern.test(String(draft.idempotencyKey))) bad('idempotencyKey', '1..160 printable ASCII');
  if (!(Number.isSafeInteger(expectedVersion) && expectedVersion >= 0))
    bad('expectedVersion', 'a whole number >= 0');
  const payload = draft.payload as unknown;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    bad('payload', 'a JSON object');
  else if (new TextEncoder().encode(JSON.stringify(payload)).length > opsPayloadBytesMax)
    bad('payload', `at most ${opsPayloadBytesMax} bytes`);
  return problems;
}

/** What makes two appends with one idempotency key the same operation. */
export function operationIdentity(draft: Pick<OperationDraft, 'aggregateId' | 'kind' | 'payload'>): string {
  assert(
    typeof draft.aggregateId === 'string' && typeof draft.kind === 'string',
    'a draft with aggregate and kind',
  );
  return canonicalJson({ aggregateId: draft.aggregateId, kind: draft.kind, payload: draft.payload });
}

/** Records grouped by aggregate, each group in the order given (readMany and readGrouped sort). */
export function groupByAggregate(records: readonly OperationRecord[]): Map<string, OperationRecord[]> {
  const groups = new Map<string, OperationRecord[]>();
  for (const record of records) {
    const list = groups.get(record.aggregateId) ?? [];
    list.push(record);
    groups.set(record.aggregateId, list);
  }
  assert(groups.size <= records.length, 'groupByAggregate: at most one group per record');
  return groups;
}
