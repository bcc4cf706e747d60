// Goal: the demo's HQ-operations scene (scripts/demo/operations.ts, issue 11) tells the truth: a
// station walked from proposal to open with its due dates, the 600 m site refused under R12 with
// its distance, the summer station's missed Q3 inspection in the overdue list, the complaint
// answered without the complainant ever printed (R23), and last month's commission computed from
// the month's revenue and re-run without a second record. Method: the scene on an in-memory
// operations store, the real working calendar and fixed revenue facts; no broker, no kiosk.
import { createWorkingCalendar, type RevenueLine } from '@bianmin/core-ledger';
import { MemoryOperationsStore } from '@bianmin/hq-gateway/adapters/memory/operations-store';
import { defaultCalendarDir, loadCalendarYears } from '@bianmin/hq-gateway/main';
import t from 'tap';
import { runOperationsScene } from '../../scripts/demo/operations.js';

const revenue: RevenueLine[] = [
  { stationId: 'ZJ-001', businessType: 'BILL_PAYMENT', revenueFen: 70_890 },
  { stationId: 'ZJ-001', businessType: 'MOBILE_TOPUP', revenueFen: 44_000 },
];

t.test('the scene on an in-memory store', async (t) => {
  const store = new MemoryOperationsStore();
  const deps = {
    store,
    calendar: createWorkingCalendar(loadCalendarYears(defaultCalendarDir)),
    facts: {
      monthlyRevenue: async (month: string) => (month === '2026-11' ? revenue : []),
      feeEvents: async () => [],
    },
  };
  const scene = await runOperationsScene(deps, '2026-11-30', '2026-12-01');
  t.same(scene.failures, [], 'every expectation of the scene held');
  const text = scene.lines.join('\n');
  t.match(
    text,
    /ZJ-203 .*HQ_NET_TOO_CLOSE: R12: station ZJ-202 is 600 m away/,
    'R12 refusal with the distance',
  );
  t.match(text, /实地调查应于 2026-10-15 前完成/, 'survey due 3 working days after 2026-10-12 (R14)');
  t.match(text, /ZJ-202 已开业 \(机构号 ZJ-ORG-0101\)/, 'the station opened');
  t.match(
    text,
    /监督检查部 ZJ-201 2026-Q3 on-site inspection：期限 2026-09-30 \(R18\)/,
    'missed Q3 inspection overdue',
  );
  t.notMatch(text, /张女士|139\*\*\*\*5678/, 'the complainant is never printed (R23)');
  t.match(
    text,
    /2026年11月 佣金计算 \(草稿\)：1 个站点/,
    'the commission run covers the station with revenue',
  );
  t.match(text, /重算无变化/, 're-run recorded nothing');
  const runs = await store.read('commission:2026-11');
  t.equal(runs.length, 1, 'one commission record for the month after two runs');
  const again = await runOperationsScene(deps, '2026-11-30', '2026-12-01');
  t.ok(
    again.failures.length > 0,
    'a second scene on the same store is refused where a step is not repeatable',
  );
});
