// The RealityStore port on PostgreSQL (R8 账实相符, migration 0003), over the PostgresStore's
// pool. As on SQLite: a difference is recorded once per station, day, code and reference (the
// UNIQUE key, so two HQ processes checking the same day record it once), and each newly recorded
// difference is also a discrepancy row (an alert in `hq status`), all in one transaction. Money is
// BIGINT fen (R1); the zh-CN reason carries yuan for people.
import { formatYuan } from '@bianmin/core-ledger';
import type pg from 'pg';
import type { RealityCode, RealityDifference } from '../../domain/reality-check.js';
import type { RealityCheckRecord, RealityDay, RealityStore } from '../../ports/reality.js';
import { inTransaction, pgQuery, type Row } from './connection.js';

const nullableNumber = (value: unknown): number | null => (value === null ? null : Number(value));
const yuanOrNone = (fen: number | null): string => (fen === null ? '-' : formatYuan(fen));

export class PostgresRealityStore implements RealityStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async saveRealityCheck(record: RealityCheckRecord): Promise<RealityDifference[]> {
    return inTransaction(this.#pool, 'save a reality check (R8)', async (client) => {
      await client.query(
        `INSERT INTO reality_checks (station_id, business_date, trigger_event_id, checked_at_ms, hq_posted_count,
           hq_posted_fen, bank_posted_count, bank_posted_fen, expected_cash_fen, declared_cash_fen, difference_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          record.stationId,
          record.businessDate,
          record.triggerEventId,
          record.checkedAtMs,
          record.hqPostedCount,
          record.hqPostedFen,
          record.bankPostedCount,
          record.bankPostedFen,
          record.expectedCashFen,
          record.declaredCashFen,
          record.differences.length,
        ],
      );
      const added: RealityDifference[] = [];
      for (const d of record.differences) {
        const inserted = await client.query(
          `INSERT INTO reality_differences (station_id, business_date, code, reference, expected_fen, actual_fen,
             reason_zh, trigger_event_id, found_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           ON CONFLICT (station_id, business_date, code, reference) DO NOTHING RETURNING id`,
          [
            record.stationId,
            record.businessDate,
            d.code,
            d.reference,
            d.expectedFen,
            d.actualFen,
            d.reasonZh,
            record.triggerEventId,
            record.checkedAtMs,
          ],
        );
        if (inserted.rows.length === 0) continue;
        await client.query(
          `INSERT INTO discrepancies (station_id, event_id, code, expected, actual, detail, found_at_ms)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [
            record.stationId,
            record.triggerEventId,
            d.code,
            yuanOrNone(d.expectedFen),
            yuanOrNone(d.actualFen),
            `${record.businessDate} ${d.reasonZh}`,
            record.checkedAtMs,
          ],
        );
        added.push(d);
      }
      return added;
    });
  }

  async realityDays(businessDate: string): Promise<Map<string, RealityDay>> {
    const checks = await pgQuery(
      this.#pool,
      'read reality checks',
      'SELECT * FROM reality_checks WHERE business_date = $1 ORDER BY station_id, id',
      [businessDate],
    );
    const differences = await pgQuery(
      this.#pool,
      'read reality differences',
      'SELECT * FROM reality_differences WHERE business_date = $1 ORDER BY station_id, id',
      [businessDate],
    );
    const days = new Map<string, RealityDay>();
    for (const row of checks) {
      const stationId = String(row.station_id);
      days.set(stationId, {
        latest: {
          stationId,
          businessDate,
          triggerEventId: String(row.trigger_event_id),
          checkedAtMs: Number(row.checked_at_ms),
          hqPostedCount: Number(row.hq_posted_count),
          hqPostedFen: Number(row.hq_posted_fen),
          bankPostedCount: nullableNumber(row.bank_posted_count),
          bankPostedFen: nullableNumber(row.bank_posted_fen),
          expectedCashFen: nullableNumber(row.expected_cash_fen),
          declaredCashFen: nullableNumber(row.declared_cash_fen),
          differences: [],
        },
        differences: differences
          .filter((d: Row) => String(d.station_id) === stationId)
          .map((d: Row) => ({
            code: String(d.code) as RealityCode,
            reference: String(d.reference),
            expectedFen: nullableNumber(d.expected_fen),
            actualFen: nullableNumber(d.actual_fen),
            reasonZh: String(d.reason_zh),
          })),
      });
    }
    return days;
  }
}
