// The exactly-once check at the end of a fleet run, against PostgreSQL itself (not a gateway's
// memory): for every station, HQ stored seqs 1..N once each, whose envelopes are byte for byte the
// kiosk's journal in order (a digest over each envelope's SHA-256, ordered by seq, computed by the
// database and by the kiosk); HQ's cumulative ack point is N; HQ's totals by business type equal
// the kiosk's; every authorisation HQ granted was posted or reversed, and every one the kiosk sent
// was answered or reversed; nothing quarantined, no discrepancy (the ledger mirror re-checks each
// station's quota chain in seq order, so an event applied out of order would be one), no open gap.
import pg from 'pg';
import { type BookedType, bookedTypes, type KioskReport, type TypeTotals } from './kiosk.js';

export interface CheckResult {
  readonly stations: number;
  /** Events the kiosks journaled. */
  readonly journaled: number;
  /** Events HQ stored. */
  readonly stored: number;
  /** Events stored beyond the kiosks' journals, or a seq stored twice (must be 0). */
  readonly duplicates: number;
  /** Journaled events HQ does not hold (must be 0). */
  readonly missing: number;
  /** Stations whose stored envelopes differ from their journal, or are not in seq order 1..N. */
  readonly journalMismatches: number;
  readonly ackMismatches: number;
  readonly totalsMismatches: number;
  /** Grants HQ holds with neither a posting nor a reversal stored. */
  readonly grantsOpen: number;
  /** Requests a kiosk sent that got neither an answer nor a reversal. */
  readonly authsUnsettled: number;
  readonly authsSent: number;
  readonly authsReversed: number;
  readonly quarantined: number;
  readonly discrepancies: number;
  readonly gapsOpen: number;
  readonly outboxLeft: number;
  /** The first problems found, for the summary. */
  readonly problems: readonly string[];
  readonly ok: boolean;
}

const kindOf: Record<BookedType, string> = {
  CASH_WITHDRAWAL: 'WITHDRAWAL_POSTED',
  BILL_PAYMENT: 'BILL_PAYMENT',
  MOBILE_TOPUP: 'MOBILE_TOPUP',
};
const problemsMax = 20;

export async function checkExactlyOnce(
  databaseUrl: string,
  reports: readonly KioskReport[],
): Promise<CheckResult> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const problems: string[] = [];
    const note = (text: string): void => {
      if (problems.length < problemsMax) problems.push(text);
    };
    const perStation = await pool.query<{
      station_id: string;
      n: number;
      d: number;
      mx: number;
      digest: string;
    }>(
      `SELECT station_id, count(*)::int AS n, count(DISTINCT seq)::int AS d, max(seq)::int AS mx,
              encode(sha256(convert_to(string_agg(envelope_sha256, '' ORDER BY seq), 'UTF8')), 'hex') AS digest
         FROM events GROUP BY station_id`,
    );
    const stored = new Map(perStation.rows.map((row) => [row.station_id, row]));
    const acks = await pool.query<{ station_id: string; acked_seq: string }>(
      'SELECT station_id, acked_seq FROM stations',
    );
    const ackOf = new Map(acks.rows.map((row) => [row.station_id, Number(row.acked_seq)]));
    const totalsRows = await pool.query<{
      station_id: string;
      kind: string;
      n: number;
      amount: string;
      fee: string;
    }>(
      `SELECT station_id, kind, count(*)::int AS n, sum(amount_fen)::text AS amount, sum(fee_fen)::text AS fee
         FROM events WHERE kind IN ('WITHDRAWAL_POSTED', 'BILL_PAYMENT', 'MOBILE_TOPUP') GROUP BY 1, 2`,
    );
    const totalsOf = new Map<string, TypeTotals>();
    for (const row of totalsRows.rows) {
      totalsOf.set(`${row.station_id}/${row.kind}`, {
        count: row.n,
        amountFen: Number(row.amount),
        feeFen: Number(row.fee),
      });
    }
    let journaled = 0;
    let storedCount = 0;
    let duplicates = 0;
    let missing = 0;
    let journalMismatches = 0;
    let ackMismatches = 0;
    let totalsMismatches = 0;
    let authsSent = 0;
    let authsReversed = 0;
    let authsUnsettled = 0;
    let outboxLeft = 0;
    for (const report of reports) {
      const id = report.stationId;
      journaled += report.lastSeq;
      outboxLeft += report.outboxDepth;
      const row = stored.get(id) ?? { n: 0, d: 0, mx: 0, digest: '' };
      storedCount += row.n;
      const extra = Math.max(0, row.n - report.lastSeq) + (row.n - row.d);
      const absent = Math.max(0, report.lastSeq - row.d);
      duplicates += extra;
      missing += absent;
      if (extra > 0 || absent > 0)
        note(`${id}: journaled ${report.lastSeq}, HQ holds ${row.n} (${row.d} distinct seqs)`);
      if (row.digest !== report.journalDigest || row.mx !== report.lastSeq) {
        journalMismatches += 1;
        note(
          `${id}: HQ's envelopes in seq order differ from the kiosk journal (highest seq ${row.mx} of ${report.lastSeq})`,
        );
      }
      if (ackOf.get(id) !== report.lastSeq || report.ackedSeq !== report.lastSeq) {
        ackMismatches += 1;
        note(
          `${id}: HQ acked through ${ackOf.get(id)}, kiosk saw ${report.ackedSeq}, journaled ${report.lastSeq}`,
        );
      }
      for (const type of bookedTypes) {
        const hq = totalsOf.get(`${id}/${kindOf[type]}`) ?? { count: 0, amountFen: 0, feeFen: 0 };
        const kiosk = report.totals[type];
        if (hq.count !== kiosk.count || hq.amountFen !== kiosk.amountFen || hq.feeFen !== kiosk.feeFen) {
          totalsMismatches += 1;
          note(`${id}: ${type} HQ ${JSON.stringify(hq)} kiosk ${JSON.stringify(kiosk)}`);
        }
      }
      const auth = report.auth;
      authsSent += auth.sent;
      authsReversed += auth.reversed;
      const unsettled = auth.sent - auth.approved - auth.declined - auth.reversed;
      authsUnsettled += unsettled;
      if (unsettled !== 0) note(`${id}: ${unsettled} authorisation requests neither answered nor reversed`);
    }
    const grants = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM withdrawal_grants g WHERE NOT EXISTS (
         SELECT 1 FROM events e WHERE e.station_id = g.station_id AND e.transaction_id = g.transaction_id
           AND e.kind IN ('WITHDRAWAL_POSTED', 'WITHDRAWAL_REVERSED'))`,
    );
    const grantsOpen = grants.rows[0]!.n;
    if (grantsOpen > 0) note(`${grantsOpen} grants neither posted nor reversed`);
    const one = async (sql: string): Promise<number> => (await pool.query<{ n: number }>(sql)).rows[0]!.n;
    const quarantined = await one('SELECT count(*)::int AS n FROM quarantine');
    const discrepancies = await one('SELECT count(*)::int AS n FROM discrepancies');
    const gapsOpen = await one('SELECT count(*)::int AS n FROM gaps WHERE closed_at_ms IS NULL');
    if (quarantined > 0) {
      const reasons = await pool.query('SELECT reason_code, count(*)::int AS n FROM quarantine GROUP BY 1');
      note(`quarantined: ${JSON.stringify(reasons.rows)}`);
    }
    if (discrepancies > 0) {
      const first = await pool.query('SELECT station_id, code, detail FROM discrepancies LIMIT 3');
      note(`discrepancies: ${JSON.stringify(first.rows)}`);
    }
    const ok =
      duplicates === 0 &&
      missing === 0 &&
      journalMismatches === 0 &&
      ackMismatches === 0 &&
      totalsMismatches === 0 &&
      grantsOpen === 0 &&
      authsUnsettled === 0 &&
      quarantined === 0 &&
      discrepancies === 0 &&
      gapsOpen === 0 &&
      outboxLeft === 0;
    return {
      stations: reports.length,
      journaled,
      stored: storedCount,
      duplicates,
      missing,
      journalMismatches,
      ackMismatches,
      totalsMismatches,
      grantsOpen,
      authsUnsettled,
      authsSent,
      authsReversed,
      quarantined,
      discrepancies,
      gapsOpen,
      outboxLeft,
      problems,
      ok,
    };
  } finally {
    await pool.end();
  }
}
