// R17: every operation record is kept at least 6 years and exported per year as JSON lines (one
// record a line, in the order written), so a year can be archived and read back without HQ. The
// year is the Asia/Shanghai calendar year of the record's instant.
import { dayNumberFromDate, shanghaiDayStartMs } from '@bianmin/core-ledger';
import { assert } from '../assert.js';

/** R17: how long records are kept, years. */
export const RETENTION_YEARS_MIN = 6;

/** [fromAtMs, toAtMs) of an Asia/Shanghai calendar year. */
export function yearWindowMs(year: number): { readonly fromAtMs: number; readonly toAtMs: number } {
  assert(Number.isInteger(year) && year >= 2000 && year <= 9998, 'a plausible year');
  const fromAtMs = shanghaiDayStartMs(dayNumberFromDate(`${year}-01-01`));
  const toAtMs = shanghaiDayStartMs(dayNumberFromDate(`${year + 1}-01-01`));
  assert(toAtMs > fromAtMs, 'a year has length');
  return { fromAtMs, toAtMs };
}

/** One JSON line of a record: every field, keys in a fixed order. */
export function archiveLine(record: {
  readonly position: number;
  readonly aggregateId: string;
  readonly version: number;
  readonly kind: string;
  readonly payload: unknown;
  readonly actor: string;
  readonly atMs: number;
  readonly reason: string;
  readonly idempotencyKey: string;
}): string {
  const { position, aggregateId, version, kind, payload, actor, atMs, reason, idempotencyKey } = record;
  return JSON.stringify({
    position,
    aggregateId,
    version,
    kind,
    actor,
    atMs,
    at: new Date(atMs).toISOString(),
    reason,
    idempotencyKey,
    payload,
  });
}
