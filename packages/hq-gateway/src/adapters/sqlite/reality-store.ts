// The RealityStore port on SQLite (R8 账实相符), over the HQ store's main connection. Its two
// tables are additive (CREATE TABLE IF NOT EXISTS at construction: an older store file gains them
// on first open, nothing else changes). A difference is recorded once per station, day, code and
// reference (UNIQUE), so a run repeated after a late drawer count or a restart adds no duplicate;
// each newly recorded difference is also a discrepancy row, which `hq status` shows as an alert.
// Money is INTEGER fen (R1); the zh-CN reason carries yuan for people.
import { formatYuan } from '@bianmin/core-ledger';
import type Database from 'better-sqlite3';
import type { RealityCode, RealityDifference } from '../../domain/reality-check.js';
import { HqError } from '../../errors.js';
import type { RealityCheckRecord, RealityDay, RealityStore } from '../../ports/reality.js';

const schemaSql = `
CREATE TABLE IF NOT EXISTS reality_checks (
  id INTEGER PRIMARY KEY,
  station_id TEXT NOT NULL,
  business_date TEXT NOT NULL,
  trigger_event_id TEXT NOT NULL,
  checked_at_ms INTEGER NOT NULL,
  hq_posted_count INTEGER NOT NULL,
  hq_posted_fen INTEGER NOT NULL,
  bank_posted_count INTEGER,
  bank_posted_fen INTEGER,
  expected_cash_fen INTEGER,
  declared_cash_fen INTEGER,
  difference_count INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS reality_checks_by_day ON reality_checks (business_date, station_id);
CREATE TABLE IF NOT EXISTS reality_differences (
  id INTEGER PRIMARY KEY,
  station_id TEXT NOT NULL,
  business_date TEXT NOT NULL,
  code TEXT NOT NULL,
  reference TEXT NOT NULL,
  expected_fen INTEGER,
  actual_fen INTEGER,
  reason_zh TEXT NOT NULL,
  trigger_event_id TEXT NOT NULL,
  found_at_ms INTEGER NOT NULL,
  UNIQUE (station_id, business_date, code, reference)
) STRICT;
`;

type Row = Record<string, unknown>;

const nullableNumber = (value: unknown): number | null => (value === null ? null : Number(value));
const yuanOrNone = (fen: number | null): string => (fen === null ? '-' : formatYuan(fen));

export class SqliteRealityStore implements RealityStore {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#db.exec(schemaSql);
  }

  async saveRealityCheck(record: RealityCheckRecord): Promise<RealityDifference[]> {
    const insertCheck = this.#db.prepare(
      `INSERT INTO reality_checks (station_id, business_date, trigger_event_id, checked_at_ms, hq_posted_count,
         hq_posted_fen, bank_posted_count, bank_posted_fen, expected_cash_fen, declared_cash_fen, difference_count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertDifference = this.#db.prepare(
      `INSERT OR IGNORE INTO reality_differences (station_id, business_date, code, reference, expected_fen,
         actual_fen, reason_zh, trigger_event_id, found_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertDiscrepancy = this.#db.prepare(
      `INSERT INTO discrepancies (station_id, event_id, code, expected, actual, detail, found_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    try {
      return this.#db
        .transaction(() => {
          insertCheck.run(
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
          );
          const added: RealityDifference[] = [];
          for (const d of record.differences) {
            const inserted = insertDifference.run(
              record.stationId,
              record.businessDate,
              d.code,
              d.reference,
              d.expectedFen,
              d.actualFen,
              d.reasonZh,
              record.triggerEventId,
              record.checkedAtMs,
            );
            if (inserted.changes === 0) continue;
            insertDiscrepancy.run(
              record.stationId,
              record.triggerEventId,
              d.code,
              yuanOrNone(d.expectedFen),
              yuanOrNone(d.actualFen),
              `${record.businessDate} ${d.reasonZh}`,
              record.checkedAtMs,
            );
            added.push(d);
          }
          return added;
        })
        .immediate();
    } catch (error) {
      throw new HqError('HQ_STORE_FAILED', 'saving a reality check (R8) failed', { cause: error });
    }
  }

  async realityDays(businessDate: string): Promise<Map<string, RealityDay>> {
    const checks = this.#db
      .prepare('SELECT * FROM reality_checks WHERE business_date = ? ORDER BY station_id, id')
      .all(businessDate) as Row[];
    const differences = this.#db
      .prepare('SELECT * FROM reality_differences WHERE business_date = ? ORDER BY station_id, id')
      .all(businessDate) as Row[];
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
          .filter((d) => String(d.station_id) === stationId)
          .map((d) => ({
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
