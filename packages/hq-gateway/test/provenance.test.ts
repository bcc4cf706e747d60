// Goal: HQ trusts provenance, not claims (issue 8; R2, R3, R5). HQ's ledger mirror credits quota
// only from purchases HQ recorded, holds and posts only withdrawals HQ authorised (same request
// id, station, amount, card token, transaction), and never counts an unproven withdrawal as
// revenue; a rebuild from the store (judged by the codes recorded at ingest) reaches the same
// balances. The mirror also closes the day where the kiosk did, so a withdrawal posted after an
// early close lands on the next business day without a discrepancy (R7, R8). Method: hand-made
// events applied to a LedgerMirror with a ProvenanceBook; table-style expectations.
import t from 'tap';
import { createLedgerMirror } from '../src/app/ledger-mirror-factory.js';
import type { LedgerMirror } from '../src/domain/ledger-mirror.js';
import { ProvenanceBook } from '../src/domain/provenance.js';
import type { EventKind, StationEvent, StationRecord } from '../src/domain/types.js';
import { defaultCalendarDir, loadCalendarYears } from '../src/main.js';

const station: StationRecord = {
  stationId: 'P1',
  orgCode: 'ORG-P1',
  keyId: 'k',
  publicKeyPem: '',
  fingerprint: 'k',
  readerSerial: 'r',
  pinPadSerial: 'p',
  tokenSerial: 't',
  enrolledAtMs: Date.UTC(2026, 10, 28, 1),
};
const day1Ms = Date.UTC(2026, 10, 30, 2); // 2026-11-30 10:00 Shanghai
let seq = 0;

function event(kind: EventKind, fields: Partial<StationEvent>): StationEvent {
  seq += 1;
  return {
    eventId: `e${seq}`,
    stationId: 'P1',
    seq,
    kind,
    createdAtMs: day1Ms,
    businessDate: '2026-11-30',
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

function mirrorWithBook(): { mirror: LedgerMirror; book: ProvenanceBook } {
  const book = new ProvenanceBook();
  const mirror = createLedgerMirror(loadCalendarYears(defaultCalendarDir), undefined, undefined, book);
  mirror.registerStation(station);
  return { mirror, book };
}

const grant = {
  requestId: 'r1',
  stationId: 'P1',
  transactionId: 'w1',
  cardToken: 'tok-1',
  amountFen: 10_000,
  feeFen: 100,
  grantedAtMs: day1Ms,
};
const authorised = (fields: Partial<StationEvent> = {}): StationEvent =>
  event('WITHDRAWAL_AUTHORISED', {
    transactionId: 'w1',
    amountFen: 10_000,
    feeFen: 100,
    detail: { requestId: 'r1', cardToken: 'tok-1' },
    ...fields,
  });
const posted = (fields: Partial<StationEvent> = {}): StationEvent =>
  event('WITHDRAWAL_POSTED', {
    transactionId: 'w1',
    amountFen: 10_000,
    feeFen: 100,
    detail: { requestId: 'r1', cardToken: 'tok-1' },
    ...fields,
  });
const codes = (mirror: LedgerMirror, e: StationEvent, judged?: readonly string[]): string[] =>
  mirror.apply(e, judged).map((d) => d.code);

t.test(
  'quota comes only from purchases HQ recorded (R3); spending against a forged one is a discrepancy',
  async (t) => {
    const { mirror, book } = mirrorWithBook();
    const forged = event('QUOTA_PURCHASE_APPLIED', {
      transactionId: 'qp-forged',
      amountFen: 1_000_000,
      quotaFenAfter: 1_000_000,
      detail: { purchaseId: 'qp-forged' },
    });
    t.same(codes(mirror, forged), ['HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN', 'HQ_DISCREPANCY_QUOTA_MISMATCH']);
    t.equal(mirror.quotaFenAvailable('P1'), 0, 'nothing credited');
    const spend = event('BILL_PAYMENT', {
      transactionId: 'b1',
      amountFen: 20_000,
      quotaFenAfter: 980_000,
      detail: { billerCode: 'SGCC', accountNumber: '1' },
    });
    t.same(codes(mirror, spend), ['HQ_DISCREPANCY_QUOTA_OVERDRAWN', 'HQ_DISCREPANCY_QUOTA_MISMATCH']);
    book.purchaseRecorded({ purchaseId: 'OUT-1', stationId: 'P1', amountFen: 50_000 });
    const inflated = event('QUOTA_PURCHASE_APPLIED', {
      transactionId: 'OUT-1',
      amountFen: 500_000,
      quotaFenAfter: 500_000,
      detail: { purchaseId: 'OUT-1' },
    });
    t.same(codes(mirror, inflated), [
      'HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN',
      'HQ_DISCREPANCY_QUOTA_MISMATCH',
    ]);
    const honest = event('QUOTA_PURCHASE_APPLIED', {
      transactionId: 'OUT-1',
      amountFen: 50_000,
      quotaFenAfter: 50_000,
      detail: { purchaseId: 'OUT-1' },
    });
    t.same(codes(mirror, honest), []);
    t.equal(mirror.quotaFenAvailable('P1'), 50_000);
  },
);

t.test('a withdrawal HQ never authorised is never held, posted or revenue (R5)', async (t) => {
  const cases: Array<[string, Partial<StationEvent>]> = [
    ['no grant', { detail: { requestId: 'r-none', cardToken: 'tok-1' } }],
    ['other amount', { amountFen: 20_000 }],
    ['other card token', { detail: { requestId: 'r1', cardToken: 'tok-other' } }],
    ['other transaction', { transactionId: 'w-other' }],
  ];
  for (const [name, fields] of cases) {
    const { mirror, book } = mirrorWithBook();
    book.grantRecorded(grant);
    t.same(
      codes(mirror, authorised(fields)),
      ['HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED'],
      `${name}: authorised`,
    );
    t.same(codes(mirror, posted(fields)), ['HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED'], `${name}: posted`);
    const day = mirror.reconcileClose('P1', '2026-11-30', []);
    t.same(day, [], `${name}: no revenue, no withdrawal in HQ's day`);
  }
  const { mirror, book } = mirrorWithBook();
  book.grantRecorded({ ...grant, stationId: 'P2' });
  t.same(codes(mirror, authorised()), ['HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED'], "another station's grant");
});

t.test('a granted withdrawal is held and posted; a post that differs from the grant is not', async (t) => {
  const { mirror, book } = mirrorWithBook();
  book.grantRecorded(grant);
  t.same(codes(mirror, authorised()), []);
  t.same(codes(mirror, posted({ amountFen: 9_000 })), ['HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED']);
  t.same(codes(mirror, posted()), []);
  const differences = mirror.reconcileClose('P1', '2026-11-30', [
    { kind: 'CASH_WITHDRAWAL', count: 1, amountFen: 10_000, feeFen: 100, quotaFenConsumed: 0 },
  ]);
  t.same(differences, [], 'one withdrawal of 100.00 yuan, fee 1.00');
});

t.test('a rebuild judged by the codes recorded at ingest reaches the same balances', async (t) => {
  const forged = event('QUOTA_PURCHASE_APPLIED', {
    transactionId: 'qp-x',
    amountFen: 70_000,
    quotaFenAfter: 70_000,
    detail: { purchaseId: 'qp-x' },
  });
  const rebuilt = createLedgerMirror(
    loadCalendarYears(defaultCalendarDir),
    undefined,
    undefined,
    new ProvenanceBook(),
  );
  rebuilt.registerStation(station);
  t.same(codes(rebuilt, forged, ['HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN']), [
    'HQ_DISCREPANCY_QUOTA_MISMATCH',
  ]);
  t.equal(rebuilt.quotaFenAvailable('P1'), 0);
  const trusting = createLedgerMirror(
    loadCalendarYears(defaultCalendarDir),
    undefined,
    undefined,
    new ProvenanceBook(),
  );
  trusting.registerStation(station);
  t.same(codes(trusting, { ...forged, eventId: 'e-re' }, []), [], 'judged fine at ingest: applied');
  t.equal(trusting.quotaFenAvailable('P1'), 70_000);
});

t.test(
  'the mirror follows the kiosk business days: a post after an early close lands on the next day (R7)',
  async (t) => {
    const { mirror, book } = mirrorWithBook();
    book.grantRecorded(grant);
    t.same(codes(mirror, authorised()), []);
    const close = event('DAILY_CLOSE', {
      createdAtMs: day1Ms + 3_600_000,
      detail: { closedAtMs: day1Ms + 3_600_000 },
    });
    t.same(codes(mirror, close), [], 'closed early, a hold pending');
    t.same(codes(mirror, posted({ createdAtMs: day1Ms + 2 * 3_600_000 })), [], 'posted after the close');
    t.same(mirror.reconcileClose('P1', '2026-11-30', []), [], 'the closed day stays as closed');
    t.same(
      mirror.reconcileClose('P1', '2026-12-01', [
        { kind: 'CASH_WITHDRAWAL', count: 1, amountFen: 10_000, feeFen: 100, quotaFenConsumed: 0 },
      ]),
      [],
      'the post counts on the next business day, as at the kiosk',
    );
  },
);
