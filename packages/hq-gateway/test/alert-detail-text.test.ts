// Goal: an alert's detail is what HQ's people read (zh-CN, amounts in yuan), for every input the
// rules can give. Method: fast-check over quota balances and thresholds, peripheral lists and
// counts; the example lines the docs quote.
import { formatYuan } from '@bianmin/core-ledger';
import fc from 'fast-check';
import t from 'tap';
import { alertDetailText, alertsFor } from '../src/domain/alert-rules.js';

const fenArb = fc.integer({ min: -10_000_000, max: 100_000_000 });

t.test('quota low: both amounts as yuan for people, never fen', async (t) => {
  fc.assert(
    fc.property(fenArb, fc.integer({ min: 0, max: 100_000_000 }), (quotaFen, thresholdFen) => {
      const text = alertDetailText({ kind: 'HQ_ALERT_QUOTA_LOW', quotaFen, thresholdFen });
      return (
        text === `信誉额度余额 ${formatYuan(quotaFen)}，低于提醒线 ${formatYuan(thresholdFen)}` &&
        !/fen|\d{5,}/.test(text.replace(/[\d,]+\.\d{2}/g, ''))
      );
    }),
  );
  t.equal(
    alertDetailText({ kind: 'HQ_ALERT_QUOTA_LOW', quotaFen: 8_000, thresholdFen: 100_000 }),
    '信誉额度余额 ¥80.00，低于提醒线 ¥1,000.00',
    'the line docs/hq.md quotes',
  );
  t.equal(
    alertDetailText({ kind: 'HQ_ALERT_QUOTA_LOW', quotaFen: -1_250, thresholdFen: 100_000 }),
    '信誉额度余额 -¥12.50，低于提醒线 ¥1,000.00',
    'an overspent balance keeps its sign',
  );
});

t.test('every known peripheral by its Chinese name; an unknown one kept as sent', async (t) => {
  const known = ['card-reader', 'pin-pad', 'token', 'printer'] as const;
  fc.assert(
    fc.property(fc.uniqueArray(fc.constantFrom(...known), { minLength: 1 }), (names) => {
      const text = alertDetailText({ kind: 'HQ_ALERT_PERIPHERAL_FAULTY', peripherals: names });
      return text.startsWith('外设故障：') && !/card-reader|pin-pad|printer|token\b/.test(text);
    }),
  );
  t.equal(
    alertDetailText({ kind: 'HQ_ALERT_PERIPHERAL_FAULTY', peripherals: ['pin-pad', 'card-reader'] }),
    '外设故障：密码键盘、读卡器',
  );
  t.equal(
    alertDetailText({ kind: 'HQ_ALERT_PERIPHERAL_FAULTY', peripherals: ['unknown'] }),
    '外设故障：unknown',
    'an unknown kind is shown, not dropped',
  );
  t.throws(
    () => alertDetailText({ kind: 'HQ_ALERT_PERIPHERAL_FAULTY', peripherals: [] }),
    /a faulty peripheral is named/,
  );
});

t.test('offline reasons, discrepancies and quarantine spikes in zh-CN', async (t) => {
  t.equal(
    alertDetailText({ kind: 'HQ_ALERT_STATION_OFFLINE', offlineReason: 'death' }),
    '终端已下线（收到离线消息）',
  );
  t.equal(
    alertDetailText({ kind: 'HQ_ALERT_STATION_OFFLINE', offlineReason: 'silence' }),
    '终端无响应（超时未收到消息）',
  );
  t.equal(alertDetailText({ kind: 'HQ_ALERT_STATION_OFFLINE', offlineReason: null }), '终端离线（原因未知）');
  t.equal(
    alertDetailText({ kind: 'HQ_ALERT_DISCREPANCY', newCount: 2, totalCount: 5 }),
    '新增差异 2 笔（累计 5 笔）',
  );
  t.equal(
    alertDetailText({ kind: 'HQ_ALERT_QUARANTINE_SPIKE', quarantinedCount: 40 }),
    '自上次检查以来隔离消息 40 条',
  );
});

t.test('no rule opens an alert with an English detail', async (t) => {
  fc.assert(
    fc.property(
      fc.record({
        online: fc.boolean(),
        offlineReason: fc.constantFrom('death', 'silence', null),
        faulty: fc.uniqueArray(fc.constantFrom('card-reader', 'pin-pad', 'token', 'printer')),
        quotaFen: fenArb,
        discrepancies: fc.nat(50),
        quarantined: fc.nat(100),
      }),
      (s) => {
        const alerts = alertsFor(
          [
            {
              stationId: 'S1',
              online: s.online,
              everSeen: true,
              offlineReason: s.offlineReason,
              peripheralsFaulty: s.faulty,
              quotaFen: s.quotaFen,
              discrepancyCount: s.discrepancies,
            },
          ],
          new Map(),
          s.quarantined,
          { quotaLowFen: 100_000, quarantineSpikeCountMin: 10 },
        );
        return alerts.every((a) => /[\u4e00-\u9fff]/.test(a.detail) && !/[a-z]{4,}/i.test(a.detail));
      },
    ),
  );
  t.pass('every detail holds Chinese and no English word');
});
