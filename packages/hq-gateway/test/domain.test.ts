// Goal: the pure parts of HQ and the failure codes that need no broker: the sequence tracker (ack
// point, gaps, replays), station status (stale deaths by bdSeq), the ledger re-check (every
// discrepancy code), and the operating errors of the store and the verification pool. Method:
// table-style cases on hand-made records; no I/O except a temp SQLite path and one worker.
import t from 'tap';
import { VerifyPool } from '../src/adapters/crypto/verify-pool.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { createLedgerMirror } from '../src/app/ledger-mirror-factory.js';
import type { LedgerMirror } from '../src/domain/ledger-mirror.js';
import { SeqTracker } from '../src/domain/seq-tracker.js';
import { applyStatus, initialStatus } from '../src/domain/station-status.js';
import type { EventKind, StationEvent, StationRecord } from '../src/domain/types.js';
import { defaultCalendarDir, loadCalendarYears } from '../src/main.js';

t.test('SeqTracker: contiguous ack point, gaps found and filled, replays seen', async (t) => {
  const tracker = new SeqTracker(0);
  t.same(tracker.accept(1), { ackedSeq: 1, ackAdvanced: true, gapOpened: null, fillsGap: false });
  t.same(tracker.accept(4), {
    ackedSeq: 1,
    ackAdvanced: false,
    gapOpened: { fromSeq: 2, toSeq: 3 },
    fillsGap: false,
  });
  t.same(tracker.missingRanges(), [{ fromSeq: 2, toSeq: 3 }]);
  t.same(tracker.accept(3), { ackedSeq: 1, ackAdvanced: false, gapOpened: null, fillsGap: true });
  t.same(tracker.accept(2), { ackedSeq: 4, ackAdvanced: true, gapOpened: null, fillsGap: true });
  t.ok(tracker.has(3), 'a stored seq is a replay');
  t.throws(() => tracker.accept(3));
  const restored = new SeqTracker(2, [4, 5]);
  t.same(
    [restored.ackedSeq, restored.highWaterSeq, restored.pendingCount],
    [2, 5, 2],
    'restored from the store',
  );
});

t.test('station status: birth, telemetry, stale death ignored, current death applied', async (t) => {
  let status = initialStatus('S1');
  status = applyStatus(status, { kind: 'birth', bdSeq: 5, atMs: 1_000 }).status;
  t.same([status.online, status.bdSeq], [true, 5]);
  const stale = applyStatus(status, { kind: 'death', bdSeq: 4, atMs: 2_000 });
  t.equal(stale.outcome, 'stale_death');
  t.equal(stale.status.online, true);
  status = applyStatus(status, { kind: 'telemetry', atMs: 3_000, peripherals: [], outboxDepth: 3 }).status;
  t.equal(status.outboxDepth, 3);
  status = applyStatus(status, { kind: 'death', bdSeq: 5, atMs: 4_000 }).status;
  t.same([status.online, status.lastSeenMs], [false, 4_000]);
});

const station: StationRecord = {
  stationId: 'D1',
  orgCode: 'ORG-D1',
  keyId: 'k',
  publicKeyPem: '',
  fingerprint: 'k',
  readerSerial: 'r',
  pinPadSerial: 'p',
  tokenSerial: 't',
  enrolledAtMs: Date.UTC(2026, 10, 28, 1),
};
let seq = 0;
function event(kind: EventKind, fields: Partial<StationEvent>): StationEvent {
  seq += 1;
  return {
    eventId: `e${seq}`,
    stationId: 'D1',
    seq,
    kind,
    createdAtMs: Date.UTC(2026, 10, 28, 2),
    businessDate: '2026-11-28',
    businessType: null,
    transactionId: null,
    amountFen: 0,
    feeFen: 0,
    quotaFenAfter: null,
    detail: {},
    envelope: new Uint8Array(0),
    envelopeSha256: '',
    ...fields,
  };
}

t.test('ledger re-check: every discrepancy code', async (t) => {
  const mirror: LedgerMirror = createLedgerMirror(loadCalendarYears(defaultCalendarDir));
  mirror.registerStation(station);
  const codes = (e: StationEvent) => mirror.apply(e).map((d) => d.code);
  t.same(
    codes(
      event('QUOTA_PURCHASE_APPLIED', { transactionId: 'qp1', amountFen: 50_000, quotaFenAfter: 50_000 }),
    ),
    [],
  );
  t.same(
    codes(
      event('BILL_PAYMENT', {
        transactionId: 'b1',
        amountFen: 100,
        quotaFenAfter: 49_000,
        detail: { billerCode: 'X', accountNumber: '1' },
      }),
    ),
    ['HQ_DISCREPANCY_QUOTA_MISMATCH'],
  );
  t.same(
    codes(
      event('BILL_PAYMENT', {
        transactionId: 'b2',
        amountFen: 60_000,
        quotaFenAfter: 0,
        detail: { billerCode: 'X', accountNumber: '1' },
      }),
    ),
    ['HQ_DISCREPANCY_QUOTA_OVERDRAWN', 'HQ_DISCREPANCY_QUOTA_MISMATCH'],
  );
  const hold = { transactionId: 'w1', amountFen: 10_000, detail: { cardToken: 'tok-1', requestId: 'r1' } };
  t.same(codes(event('WITHDRAWAL_AUTHORISED', { ...hold, feeFen: 300 })), ['HQ_DISCREPANCY_FEE_MISMATCH']);
  t.same(codes(event('WITHDRAWAL_AUTHORISED', { ...hold, transactionId: 'w2', feeFen: 100 })), []);
  t.same(codes(event('WITHDRAWAL_POSTED', { ...hold, transactionId: 'w2', amountFen: 9_000, feeFen: 100 })), [
    'HQ_DISCREPANCY_AMOUNT_MISMATCH',
  ]);
  t.same(codes(event('WITHDRAWAL_POSTED', { ...hold, transactionId: 'w9', feeFen: 100 })), [
    'HQ_DISCREPANCY_HOLD_UNKNOWN',
  ]);
  t.same(
    codes(event('WITHDRAWAL_VOIDED', { ...hold, transactionId: 'w2', feeFen: 100 })),
    ['HQ_DISCREPANCY_LEDGER_REFUSED'],
    'voiding a posted hold',
  );
});

t.test('store and pool failures are operating errors (HQ_STORE_FAILED, HQ_VERIFY_POOL_FAILED)', async (t) => {
  t.throws(() => new SqliteStore({ path: '/proc/no-such-dir/hq.sqlite' }), { code: 'HQ_STORE_FAILED' });
  const store = new SqliteStore({ path: ':memory:' });
  const bad = {
    events: [event('BILL_PAYMENT', { stationId: 'NOT-ENROLLED' })],
    quarantined: [],
    discrepancies: [],
    gapsOpened: [],
    gapFills: [],
    ackedSeqs: new Map(),
    statuses: [],
  };
  await t.rejects(
    store.commitBatch(bad),
    { code: 'HQ_STORE_FAILED' },
    'a foreign-key violation rolls the batch back',
  );
  t.equal((await store.counts()).events, 0);
  await store.close();
  const pool = new VerifyPool({ workers: 1 });
  await pool.ready();
  pool.addKey(
    'k',
    new Uint8Array(
      (await import('node:crypto'))
        .generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ format: 'der', type: 'spki' }),
    ),
  );
  const pending = pool.verify('k', new Uint8Array(10), new Uint8Array(64));
  await pool.close();
  await t.rejects(
    pending,
    { code: 'HQ_VERIFY_POOL_FAILED' },
    'jobs in flight fail loudly when a worker dies',
  );
});
