// The Store and IntegrityStore contract: everything the ports (src/ports/store.ts,
// src/ports/integrity-store.ts) promise, written once and run against every adapter through its
// factory (factories.ts): sqlite.test.ts and postgres.test.ts. Each case starts from an empty store.
import { createHash, randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import type { QuarantineRecord, StationEvent, StationRecord, StationStatus } from '../../src/domain/types.js';
import type { IngestBatch } from '../../src/ports/store.js';
import type { StoreFactory, StoreInstance, StoreUnderTest } from './factories.js';

export function stationOf(stationId: string, keyId = `k-${stationId}`): StationRecord {
  return {
    stationId,
    orgCode: `ORG-${stationId}`,
    keyId,
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${stationId}\n-----END PUBLIC KEY-----\n`,
    fingerprint: createHash('sha256').update(keyId).digest('hex'),
    readerSerial: 'R-1',
    pinPadSerial: 'P-1',
    tokenSerial: 'T-1',
    enrolledAtMs: 1_700_000_000_000,
  };
}

export function eventOf(stationId: string, seq: number, over: Partial<StationEvent> = {}): StationEvent {
  const envelope = new Uint8Array(randomBytes(40 + seq));
  return {
    eventId: `${stationId}-e${seq}`,
    stationId,
    seq,
    kind: 'BILL_PAYMENT',
    createdAtMs: 1_764_800_000_000 + seq,
    businessDate: '2026-12-04',
    businessType: 'BILL_PAYMENT',
    transactionId: `${stationId}-tx${seq}`,
    amountFen: 12_345 * seq,
    feeFen: 0,
    quotaFenAfter: 1_000_000 - 12_345 * seq,
    detail: { biller: '国网', account: '****1234', seq },
    envelope,
    envelopeSha256: createHash('sha256').update(envelope).digest('hex'),
    ...over,
  };
}

export function batchOf(over: Partial<IngestBatch> = {}): IngestBatch {
  return {
    events: [],
    quarantined: [],
    discrepancies: [],
    gapsOpened: [],
    gapFills: [],
    ackedSeqs: new Map(),
    statuses: [],
    ...over,
  };
}

export function quarantinedOf(
  stationId: string | null,
  index: number,
  handledSeq: number | null = null,
): QuarantineRecord {
  return {
    receivedAtMs: 1_000 + index,
    topic: `bianmin/up/${stationId ?? 'x'}/event`,
    stationId,
    reasonCode: 'HQ_SIGNATURE_INVALID',
    detail: `row ${index}`,
    sizeBytes: 3,
    raw: new Uint8Array([1, 2, index & 255]),
    handledSeq,
  };
}

/** Run every case of the contract against `factory`. */
export function storeContract(t: Test, factory: StoreFactory): void {
  const withStore = (
    name: string,
    body: (t: Test, s: StoreUnderTest, instance: StoreInstance) => Promise<void>,
  ) =>
    t.test(`${factory.name}: ${name}`, async (t) => {
      const instance = await factory.create();
      t.teardown(() => instance.remove());
      const opened = await instance.open();
      try {
        await body(t, opened, instance);
      } finally {
        await opened.store.close();
      }
    });

  withStore(
    'enrolment: enrolled, unchanged, another key refused; listed in id order',
    async (t, { store }) => {
      t.equal(await store.enrolStation(stationOf('S2')), 'enrolled');
      t.equal(await store.enrolStation(stationOf('S1')), 'enrolled');
      t.equal(await store.enrolStation(stationOf('S2')), 'unchanged', 'the same key again');
      await t.rejects(store.enrolStation(stationOf('S2', 'other-key')), { code: 'HQ_STATION_KEY_CONFLICT' });
      t.same(await store.getStation('S1'), stationOf('S1'));
      t.equal(await store.getStation('nope'), undefined);
      t.same(
        (await store.listStations()).map((s) => s.stationId),
        ['S1', 'S2'],
      );
    },
  );

  withStore('a batch is stored once: replayed whole or in part, nothing doubles', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    const events = [1, 2, 3].map((seq) => eventOf('S1', seq));
    const batch = batchOf({ events, ackedSeqs: new Map([['S1', 3]]) });
    await store.commitBatch(batch);
    await store.commitBatch(batch);
    await store.commitBatch(
      batchOf({ events: [events[1]!, eventOf('S1', 4)], ackedSeqs: new Map([['S1', 4]]) }),
    );
    const stored = await store.eventsOfStation('S1');
    t.same(
      stored.map((e) => e.seq),
      [1, 2, 3, 4],
    );
    t.same(stored[0], events[0], 'an event reads back exactly (money in fen, detail, envelope bytes)');
    t.equal((await store.counts()).events, 4);
    const found = await store.findEvents(['S1-e2', 'S1-e9', 'S1-e4']);
    t.same([...found.keys()].sort(), ['S1-e2', 'S1-e4']);
    t.same(found.get('S1-e2'), {
      eventId: 'S1-e2',
      stationId: 'S1',
      seq: 2,
      envelopeSha256: events[1]!.envelopeSha256,
    });
    t.same(await store.findEvents([]), new Map());
  });

  withStore('a (station, seq) taken by another event id is not stored twice', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    await store.commitBatch(batchOf({ events: [eventOf('S1', 1)] }));
    const reuse = eventOf('S1', 1, { eventId: 'S1-forged' });
    await store.commitBatch(batchOf({ events: [reuse] })).catch(() => undefined);
    t.same(
      (await store.eventsOfStation('S1')).map((e) => e.eventId),
      ['S1-e1'],
      'the first event keeps the seq',
    );
  });

  withStore('large money amounts round-trip as exact integer fen (R1)', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    const big = 2 ** 40 + 7;
    await store.commitBatch(
      batchOf({ events: [eventOf('S1', 1, { amountFen: big, feeFen: 100, quotaFenAfter: -5 })] }),
    );
    const [stored] = await store.eventsOfStation('S1');
    t.equal(stored?.amountFen, big);
    t.equal(stored?.quotaFenAfter, -5);
    const totals = await store.dailyTotals('2026-12-04');
    t.same(totals, [
      {
        stationId: 'S1',
        businessDate: '2026-12-04',
        rows: [{ kind: 'BILL_PAYMENT', count: 1, amountFen: big, feeFen: 100 }],
      },
    ]);
  });

  withStore('the ack point (high-water mark) and the seqs stored above it', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    await store.enrolStation(stationOf('S2'));
    await store.commitBatch(
      batchOf({
        events: [1, 2, 4, 5].map((seq) => eventOf('S1', seq)),
        quarantined: [quarantinedOf('S1', 1, 7), quarantinedOf('S1', 2, 1)],
        ackedSeqs: new Map([['S1', 2]]),
      }),
    );
    t.same(await store.loadSeqStates(), [
      { stationId: 'S1', ackedSeq: 2, storedAbove: [4, 5, 7] },
      { stationId: 'S2', ackedSeq: 0, storedAbove: [] },
    ]);
    await store.commitBatch(batchOf({ events: [eventOf('S1', 3)], ackedSeqs: new Map([['S1', 5]]) }));
    await store.commitBatch(batchOf({ ackedSeqs: new Map([['S1', 3]]) }));
    t.equal((await store.loadSeqStates())[0]?.ackedSeq, 5, 'a lower ack point never moves it back');
  });

  withStore('gaps: opened, narrowed by fills, closed when empty', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    await store.commitBatch(
      batchOf({ gapsOpened: [{ stationId: 'S1', fromSeq: 3, toSeq: 6, foundAtMs: 10 }] }),
    );
    await store.commitBatch(batchOf({ gapFills: [{ stationId: 'S1', seq: 4, atMs: 11 }] }));
    t.same(await store.openGaps(10), [
      { stationId: 'S1', fromSeq: 3, toSeq: 3, foundAtMs: 10 },
      { stationId: 'S1', fromSeq: 5, toSeq: 6, foundAtMs: 10 },
    ]);
    await store.commitBatch(
      batchOf({
        gapFills: [
          { stationId: 'S1', seq: 3, atMs: 12 },
          { stationId: 'S1', seq: 6, atMs: 12 },
          { stationId: 'S1', seq: 99, atMs: 12 },
        ],
      }),
    );
    t.same(await store.openGaps(10), [{ stationId: 'S1', fromSeq: 5, toSeq: 5, foundAtMs: 10 }]);
    t.equal((await store.counts()).openGaps, 1);
  });

  withStore('station statuses are written by batches and read back', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    await store.enrolStation(stationOf('S2'));
    const before = await store.loadStatuses();
    t.same(before[0], {
      stationId: 'S1',
      online: false,
      offlineReason: null,
      lastSeenMs: 0,
      bdSeq: -1,
      peripherals: [],
      outboxDepth: 0,
    });
    const statuses: StationStatus[] = [
      {
        stationId: 'S1',
        online: true,
        offlineReason: null,
        lastSeenMs: 123,
        bdSeq: 4,
        peripherals: [{ name: 'reader', ok: true, detail: '' }],
        outboxDepth: 2,
      },
      {
        stationId: 'S2',
        online: false,
        offlineReason: 'silence',
        lastSeenMs: 99,
        bdSeq: 1,
        peripherals: [],
        outboxDepth: 0,
      },
    ];
    await store.commitBatch(batchOf({ statuses }));
    t.same(await store.loadStatuses(), statuses);
  });

  withStore('quarantine: newest first, counted by reason, bounded per station and in total', async (t, s) => {
    const { store, integrity } = s;
    for (const id of ['Q1', 'Q2']) await store.enrolStation(stationOf(id));
    await store.commitBatch(
      batchOf({
        quarantined: [
          ...Array.from({ length: 6 }, (_, i) => quarantinedOf('Q1', i)),
          ...Array.from({ length: 2 }, (_, i) => quarantinedOf('Q2', 100 + i)),
          ...Array.from({ length: 3 }, (_, i) => quarantinedOf(null, 200 + i)),
        ],
      }),
    );
    t.same((await store.counts()).quarantinedByReason, { HQ_SIGNATURE_INVALID: 11 });
    t.same(await store.quarantine(1), [quarantinedOf(null, 202)], 'newest first, exactly as stored');
    t.equal(await integrity.pruneQuarantine(['Q1', 'Q2', null], 4, 100), 2, 'Q1 keeps its 4 newest');
    const left = await store.quarantine(100);
    t.same(
      left
        .filter((q) => q.stationId === 'Q1')
        .map((q) => q.detail)
        .sort(),
      ['row 2', 'row 3', 'row 4', 'row 5'],
    );
    t.equal(await integrity.pruneQuarantine([null], 4, 5), 4, 'the total bound drops the oldest of all');
    t.equal((await store.quarantine(100)).length, 5);
    t.equal(await integrity.quarantineDropped(), 6, 'a running count of rows dropped');
    await t.rejects(integrity.pruneQuarantine([null], 0, 5), 'bounds must be positive');
  });

  withStore('discrepancies, provenance judgements and station alerts', async (t, { store, integrity }) => {
    for (const id of ['S1', 'S2']) await store.enrolStation(stationOf(id));
    await store.commitBatch(
      batchOf({
        events: [eventOf('S1', 1), eventOf('S1', 2)],
        discrepancies: [
          {
            stationId: 'S1',
            eventId: 'S1-e1',
            code: 'HQ_DISCREPANCY_QUOTA_MISMATCH',
            expected: '1',
            actual: '2',
            detail: 'first',
            foundAtMs: 5,
          },
          {
            stationId: 'S1',
            eventId: 'S1-e2',
            code: 'HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN',
            expected: 'a',
            actual: 'b',
            detail: 'second',
            foundAtMs: 6,
          },
        ],
      }),
    );
    t.equal((await store.discrepancies(10)).length, 2);
    t.same((await store.discrepancies(1))[0]?.detail, 'first', 'oldest first');
    const judged = await integrity.provenanceJudgements('S1', ['HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN']);
    t.same([...judged], [['S1-e2', ['HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN']]]);
    t.same(await integrity.provenanceJudgements('S1', []), new Map());
    const alerts = await store.stationAlerts();
    t.same(alerts, [
      {
        stationId: 'S1',
        suspension: null,
        discrepancyCount: 2,
        lastDiscrepancy: { code: 'HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN', detail: 'second', foundAtMs: 6 },
      },
      { stationId: 'S2', suspension: null, discrepancyCount: 0, lastDiscrepancy: null },
    ]);
    t.same(await integrity.stationAlerts(), alerts);
  });

  withStore('withdrawal completions wait for settlement until marked done', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    const posted = eventOf('S1', 1, {
      kind: 'WITHDRAWAL_POSTED',
      businessType: 'CASH_WITHDRAWAL',
      feeFen: 100,
    });
    await store.commitBatch(batchOf({ events: [posted, eventOf('S1', 2)] }));
    t.same(
      (await store.pendingSettlements()).map((e) => e.eventId),
      ['S1-e1'],
    );
    await store.markSettled('S1-e1', 'POSTED');
    t.same(await store.pendingSettlements(), []);
  });

  withStore('R5 tally approvals: recorded, released, approved again', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    const cardDayMax = 1_000_000;
    const approval = {
      requestId: 'r1',
      cardKey: 'card-digest',
      stationId: 'S1',
      businessDate: '2026-12-04',
      amountFen: 50_000,
      approvedAtMs: 7,
    };
    await store.recordWithdrawalApproval(approval, cardDayMax);
    await store.recordWithdrawalApproval(
      {
        ...approval,
        requestId: 'r0',
        businessDate: '2026-12-01',
        approvedAtMs: 3,
      },
      cardDayMax,
    );
    t.same(await store.openWithdrawalApprovals('2026-12-04'), [approval]);
    await store.releaseWithdrawalApproval('r1', 9);
    await store.releaseWithdrawalApproval('unknown', 9);
    t.same(await store.openWithdrawalApprovals('2026-12-04'), []);
    await store.recordWithdrawalApproval(approval, cardDayMax);
    t.same(await store.openWithdrawalApprovals('2026-12-01'), [
      { ...approval, requestId: 'r0', businessDate: '2026-12-01', approvedAtMs: 3 },
      approval,
    ]);
    await t.rejects(store.openWithdrawalApprovals('4 Dec'));
    await t.rejects(
      store.recordWithdrawalApproval({ ...approval, requestId: 'r2', stationId: 'no-such' }, cardDayMax),
      {
        code: 'HQ_STORE_FAILED',
      },
    );
  });

  withStore(
    "R5 across HQ processes: the card's day in the store caps every approval (released ones do not count)",
    async (t, { store }) => {
      await store.enrolStation(stationOf('S1'));
      await store.enrolStation(stationOf('S2'));
      const day = '2026-12-04';
      const ask = (requestId: string, stationId: string, amountFen: number, businessDate = day) => ({
        requestId,
        cardKey: 'card-A',
        stationId,
        businessDate,
        amountFen,
        approvedAtMs: 1,
      });
      const max = 500_000;
      t.same(await store.recordWithdrawalApproval(ask('a1', 'S1', 300_000), max), { recorded: true });
      t.same(
        await store.recordWithdrawalApproval(ask('a2', 'S2', 250_000), max),
        { recorded: false, code: 'HQ_AUTH_OVER_CARD_DAILY_LIMIT', cardDayFen: 300_000 },
        "another station's approval of the same card counts: 300,000 + 250,000 > 500,000, nothing written",
      );
      t.same(
        (await store.openWithdrawalApprovals(day)).map((a) => a.requestId),
        ['a1'],
        'the refused approval was not written',
      );
      t.same(
        await store.recordWithdrawalApproval(ask('a2', 'S2', 200_000), max),
        { recorded: true },
        'exactly to the cap',
      );
      t.same(
        await store.recordWithdrawalApproval(ask('a1', 'S1', 300_000), max),
        { recorded: true },
        'a re-asked approval is not counted against itself',
      );
      t.same(
        await store.recordWithdrawalApproval({ ...ask('b1', 'S1', 100_000), cardKey: 'card-B' }, max),
        { recorded: true },
        'another card has its own day',
      );
      t.same(
        await store.recordWithdrawalApproval(ask('a3', 'S1', 100_000, '2026-12-05'), max),
        { recorded: true },
        'the next business day starts at zero',
      );
      await store.releaseWithdrawalApproval('a1', 2);
      t.same(
        await store.recordWithdrawalApproval(ask('a4', 'S2', 300_000), max),
        { recorded: true },
        'a released approval (declined, voided, reversed) no longer counts',
      );
      // Several approvals of one card at once (two gateways, the pool's connections): the cap holds.
      const racing = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          store.recordWithdrawalApproval(
            ask(`c${i}`, i % 2 === 0 ? 'S1' : 'S2', 100_000, '2026-12-06'),
            250_000,
          ),
        ),
      );
      t.equal(
        racing.filter((r) => r.recorded).length,
        2,
        'six at once against 250,000: exactly two of 100,000 recorded',
      );
      t.equal(
        (await store.openWithdrawalApprovals('2026-12-06')).reduce((sum, a) => sum + a.amountFen, 0),
        200_000,
        "the card's stored day never passes its cap",
      );
    },
  );

  withStore('reconciliations with their differences', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    await store.saveReconciliation({
      stationId: 'S1',
      businessDate: '2026-12-03',
      closeEventId: 'S1-e9',
      reconciledAtMs: 5,
      differences: [
        { code: 'LEDGER_RECON_TOTAL_DIFFERS', detail: 'bill' },
        { code: 'LEDGER_RECON_COUNT_DIFFERS', detail: 'topup' },
      ],
    });
    await store.saveReconciliation({
      stationId: 'S1',
      businessDate: '2026-12-04',
      closeEventId: 'x',
      reconciledAtMs: 6,
      differences: [],
    });
    t.same(await store.reconciliations('2026-12-03'), [
      {
        stationId: 'S1',
        businessDate: '2026-12-03',
        closeEventId: 'S1-e9',
        reconciledAtMs: 5,
        differences: [
          { code: 'LEDGER_RECON_TOTAL_DIFFERS', detail: 'bill' },
          { code: 'LEDGER_RECON_COUNT_DIFFERS', detail: 'topup' },
        ],
      },
    ]);
    t.same((await store.reconciliations('2026-12-04'))[0]?.differences, []);
  });

  withStore('meta values, quota purchases, configs', async (t, { store }) => {
    await store.enrolStation(stationOf('S1'));
    t.equal(await store.getMeta('card_key_fingerprint'), undefined);
    await store.setMeta('card_key_fingerprint', 'a');
    await store.setMeta('card_key_fingerprint', 'b');
    t.equal(await store.getMeta('card_key_fingerprint'), 'b');
    const purchase = {
      purchaseId: 'RCPT-1',
      stationId: 'S1',
      amountFen: 50_000,
      quotaFenAfter: 50_000,
      recordedAtMs: 3,
    };
    await store.recordQuotaPurchase(purchase);
    await t.rejects(store.recordQuotaPurchase(purchase), 'a receipt reference is recorded once');
    await t.rejects(
      store.recordQuotaPurchase({ ...purchase, purchaseId: 'RCPT-2', amountFen: 49_999 }),
      'R3: at least 50000 fen',
    );
    t.same(await store.quotaPurchases('S1'), [purchase]);
    t.same(await store.quotaPurchases('S2'), []);
    t.equal(await store.latestConfig('S1'), undefined);
    const config = {
      stationId: 'S1',
      version: 1,
      issuedAtMs: 4,
      envelope: new Uint8Array([9, 8, 7]),
      summary: { quotaFen: 50_000 },
    };
    await store.saveConfig(config);
    await store.saveConfig({ ...config, version: 2, summary: { quotaFen: 1 } });
    t.same(await store.latestConfig('S1'), { ...config, version: 2, summary: { quotaFen: 1 } });
    await t.rejects(store.saveConfig(config), 'a config version is saved once');
  });

  withStore(
    'reports: a day of events, daily totals by kind, the previous daily close',
    async (t, { store }) => {
      for (const id of ['S1', 'S2']) await store.enrolStation(stationOf(id));
      const close = eventOf('S1', 3, {
        kind: 'DAILY_CLOSE',
        businessType: null,
        amountFen: 0,
        transactionId: null,
        quotaFenAfter: null,
      });
      await store.commitBatch(
        batchOf({
          events: [
            eventOf('S1', 1),
            eventOf('S1', 2, { kind: 'MOBILE_TOPUP', businessType: 'MOBILE_TOPUP' }),
            close,
            eventOf('S1', 4, { businessDate: '2026-12-05' }),
            eventOf('S2', 1),
            eventOf('S2', 2),
          ],
        }),
      );
      t.same(
        (await store.eventsOfDay('S1', '2026-12-04')).map((e) => e.seq),
        [1, 2, 3],
      );
      t.same(await store.dailyTotals('2026-12-04'), [
        {
          stationId: 'S1',
          businessDate: '2026-12-04',
          rows: [
            { kind: 'BILL_PAYMENT', count: 1, amountFen: 12_345, feeFen: 0 },
            { kind: 'DAILY_CLOSE', count: 1, amountFen: 0, feeFen: 0 },
            { kind: 'MOBILE_TOPUP', count: 1, amountFen: 24_690, feeFen: 0 },
          ],
        },
        {
          stationId: 'S2',
          businessDate: '2026-12-04',
          rows: [{ kind: 'BILL_PAYMENT', count: 2, amountFen: 37_035, feeFen: 0 }],
        },
      ]);
      t.same(await store.dailyTotals('2026-01-01'), []);
      t.same((await store.previousClose('S1', 4))?.eventId, close.eventId);
      t.equal(await store.previousClose('S1', 3), undefined);
      t.same(await store.counts(), {
        events: 6,
        quarantinedByReason: {},
        discrepancies: 0,
        openGaps: 0,
        stations: 2,
      });
    },
  );

  withStore(
    'integrity: grants idempotent, suspensions keep their first reason, resumptions recorded',
    async (t, { store, integrity }) => {
      await store.enrolStation(stationOf('S1'));
      const grant = {
        requestId: 'g1',
        stationId: 'S1',
        transactionId: 'tx',
        cardToken: 'tok',
        amountFen: 10_000,
        feeFen: 100,
        grantedAtMs: 50,
      };
      await integrity.recordGrant(grant);
      await integrity.recordGrant({ ...grant, amountFen: 1 });
      await integrity.recordGrant({ ...grant, requestId: 'g0', grantedAtMs: 10 });
      t.same(await integrity.grantsSince(20), [grant], 'the first record of a request id stands');
      t.equal((await integrity.grantsSince(0)).length, 2);
      t.notOk(await integrity.resume('S1'), 'not suspended');
      await integrity.suspend({
        stationId: 'S1',
        reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD',
        detail: 'seq 99999999',
        sinceMs: 5,
      });
      await integrity.suspend({
        stationId: 'S1',
        reasonCode: 'HQ_STATION_SUSPENDED',
        detail: 'later',
        sinceMs: 6,
      });
      t.same(await integrity.suspensions(), [
        { stationId: 'S1', reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD', detail: 'seq 99999999', sinceMs: 5 },
      ]);
      t.match(await store.stationAlerts(), [
        { stationId: 'S1', suspension: { reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD' } },
      ]);
      t.ok(await integrity.resume('S1', { resumedAtMs: 9, resumedBy: 'ops', reason: 'fixed' }));
      t.notOk(
        await integrity.resume('S1', { resumedAtMs: 10, resumedBy: 'ops', reason: 'again' }),
        'resumed once',
      );
      t.same(await integrity.resumptions('S1'), [
        {
          stationId: 'S1',
          reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD',
          detail: 'seq 99999999',
          sinceMs: 5,
          resumedAtMs: 9,
          resumedBy: 'ops',
          reason: 'fixed',
        },
      ]);
      t.same(await integrity.suspensions(), []);
    },
  );

  t.test(`${factory.name}: what is committed survives a new connection`, async (t) => {
    const instance = await factory.create();
    t.teardown(() => instance.remove());
    const first = await instance.open();
    await first.store.enrolStation(stationOf('S1'));
    await first.store.commitBatch(batchOf({ events: [eventOf('S1', 1)], ackedSeqs: new Map([['S1', 1]]) }));
    await first.integrity.suspend({
      stationId: 'S1',
      reasonCode: 'HQ_STATION_SUSPENDED',
      detail: 'x',
      sinceMs: 1,
    });
    await first.store.close();
    const second = await instance.open();
    try {
      t.equal((await second.store.eventsOfStation('S1')).length, 1);
      t.equal((await second.store.loadSeqStates())[0]?.ackedSeq, 1);
      t.equal((await second.integrity.suspensions()).length, 1);
    } finally {
      await second.store.close();
    }
  });
}
