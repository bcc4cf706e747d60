// Goal: with N gateways (issue 14) a station's quota is judged by the gateway that owns its events:
// the API and HQ's operations read an owned station's running ledger, and rebuild another
// gateway's station from the one store (never this process's copy, which stopped moving when the
// partition left); the alert scan makes no low-quota judgement of a station it does not own.
// Method: quotaSource with fake deps that record which side was read; alertsFor by property.
import fc from 'fast-check';
import t from 'tap';
import { quotaSource } from '../src/app/quota-view.js';
import { alertsFor } from '../src/domain/alert-rules.js';

function sourceWith(owned: ReadonlySet<string>) {
  const reads: string[] = [];
  const quotaOf = quotaSource({
    ownsStation: (stationId) => owned.has(stationId),
    owned: (stationId) => {
      reads.push(`memory ${stationId}`);
      return { quotaFen: 12_300, throughSeq: 41 };
    },
    store: {
      getStation: async (stationId) => {
        reads.push(`store ${stationId}`);
        return undefined;
      },
      eventsOfStation: async () => [],
      loadSeqStates: async () => [
        { stationId: 'B1', ackedSeq: 7, storedAbove: [] },
        { stationId: 'B2', ackedSeq: 9, storedAbove: [] },
      ],
    },
    integrity: { provenanceJudgements: async () => new Map() },
    calendarYears: [], // no events to judge: the calendar is never read
  });
  return { quotaOf, reads };
}

t.test('an owned station: the running ledger, the store untouched', async (t) => {
  const { quotaOf, reads } = sourceWith(new Set(['A1']));
  t.same(await quotaOf('A1'), { quotaFen: 12_300, throughSeq: 41 });
  t.same(reads, ['memory A1']);
});

t.test("another gateway's station: rebuilt from the store with the store's ack point", async (t) => {
  const { quotaOf, reads } = sourceWith(new Set(['A1']));
  t.same(await quotaOf('B2'), { quotaFen: 0, throughSeq: 9 }, 'its own ack point, not another station’s');
  t.same(reads, ['store B2'], 'the memory copy is never read');
});

t.test('no low-quota alert for a station whose quota is not known here', async (t) => {
  fc.assert(
    fc.property(fc.option(fc.nat(1_000_000), { nil: null }), fc.nat(1_000_000), (quotaFen, thresholdFen) => {
      const kinds = alertsFor(
        [
          {
            stationId: 'S1',
            online: true,
            everSeen: true,
            offlineReason: null,
            peripheralsFaulty: [],
            quotaFen,
            discrepancyCount: 0,
          },
        ],
        new Map(),
        0,
        { quotaLowFen: thresholdFen, quarantineSpikeCountMin: 10 },
      ).map((a) => a.kind);
      const expected = quotaFen !== null && quotaFen < thresholdFen ? ['HQ_ALERT_QUOTA_LOW'] : [];
      return JSON.stringify(kinds) === JSON.stringify(expected);
    }),
  );
  t.pass('QUOTA_LOW exactly when the quota is known and below the threshold');
});
