// Goal: HQ's daily operations on the network through the application layer: R18 oversight and
// fee checks, R19 repair tickets (telemetry and phone, merchant pays), R23 complaints (redacted
// for every role but supervision, a written complaint answered in writing, outcome returned),
// R16 statistics, R10/R11 commission runs (idempotent, corrections as new lines, due dates), the
// overdue list per department and the R17 year archive. Method: memory store, real calendars, a
// settable clock moved day by day, fake ingest facts.
import t from 'tap';
import { archiveYear } from '../src/app/network/archive.js';
import {
  complaintStep,
  complaintView,
  openRepairsFromTelemetry,
  repairStep,
} from '../src/app/network/cases.js';
import { commissionStep, runCommission, submitStatistics } from '../src/app/network/commissions.js';
import { dueItems, overdue } from '../src/app/network/overdue.js';
import { checkFees } from '../src/app/network/oversight.js';
import { registerBranch, stationStep } from '../src/app/network/stations.js';
import { CONFIDENTIAL } from '../src/domain/network/complaint.js';
import type { FeeEvent } from '../src/domain/network/fee-compliance.js';
import type { NetworkFacts } from '../src/ports/network-facts.js';
import { advance, BASE, market, networkDeps, northOf, supervision } from './helpers/network.js';

class FakeFacts implements NetworkFacts {
  revenue: { stationId: string; businessType: 'BILL_PAYMENT' | 'MOBILE_TOPUP'; revenueFen: number }[] = [];
  events: FeeEvent[] = [];
  async monthlyRevenue() {
    return this.revenue;
  }
  async feeEvents() {
    return this.events;
  }
}

t.test(
  'lifecycle deadlines: survey due in 3 working days, overdue per department the day after',
  async (t) => {
    const deps = networkDeps('2026-09-30');
    await advance(deps, 'S1', 1);
    const items = await dueItems(deps, market);
    t.match(items, [
      {
        aggregateId: 'station:S1',
        department: 'market',
        step: 'survey',
        rule: 'R14',
        startedDate: '2026-09-30',
        dueDate: '2026-10-10',
      },
    ]);
    t.same((await overdue(deps, market, '2026-10-10')).market, [], 'due on the day is not overdue');
    t.equal((await overdue(deps, market, '2026-10-11')).market.length, 1);
    // A deadline in 2027 (no calendar file) is listed with the year missing, never guessed.
    const late = networkDeps('2026-12-28');
    await advance(late, 'S2', 7);
    const [install] = await dueItems(late, market);
    t.match(install, { step: 'installation-uk-key-training', rule: 'R14', calendarYearMissing: 2027 });
    t.notOk(install && 'dueDate' in install);
  },
);

t.test(
  'R14 after opening and R18: follow-up visit, quarterly inspections, training follow-up, fee check',
  async (t) => {
    const facts = new FakeFacts();
    const deps = networkDeps('2026-11-02', facts);
    await advance(deps, 'S1');
    deps.clock.set('2026-11-20');
    const byStep = async () =>
      (await dueItems(deps, market)).map((i) => `${i.step}|${i.dueDate}|${i.department}`);
    t.same(
      await byStep(),
      [
        'opening-follow-up-visit|2026-11-11|ecommerce',
        '2026-Q4 on-site inspection|2026-12-31|supervision',
        '2026-Q4 phone follow-up|2026-12-31|market',
        'follow-up after the training of 2026-11-02|2026-11-16|ecommerce',
        'fee-compliance check 2026-10|2026-12-31|ecommerce',
      ].filter((s) => !s.startsWith('fee-compliance')),
      'opened in November: no October fee check',
    );
    t.same(
      Object.entries(await overdue(deps, market))
        .filter(([, v]) => v.length > 0)
        .map(([k, v]) => [k, v.length]),
      [['ecommerce', 2]],
    );
    t.ok((await stationStep(deps, market, 'S1', 'follow-up-visited', {})).ok);
    t.ok(
      (
        await stationStep(deps, market, 'S1', 'inspection-recorded', {
          method: 'on-site',
          findings: 'signage fine',
        })
      ).ok,
    );
    t.ok(
      (
        await stationStep(deps, market, 'S1', 'inspection-recorded', {
          method: 'phone',
          findings: 'no problem',
        })
      ).ok,
    );
    t.same(await byStep(), []);
    // Next quarter: Q4 done, Q1 due; a new training needs a follow-up within 2 weeks; December's fee check.
    deps.clock.set('2027-01-05');
    const january = await byStep();
    t.same(
      january.sort(),
      [
        '2027-Q1 on-site inspection|2027-03-31|supervision',
        '2027-Q1 phone follow-up|2027-03-31|market',
        'fee-compliance check 2026-11|2026-12-31|ecommerce',
        'fee-compliance check 2026-12|2027-01-31|ecommerce',
      ].sort(),
    );
    // The fee check: one overcharge beyond the standard schedule (1.00 yuan per withdrawal).
    facts.events = [
      { eventId: 'e1', businessType: 'CASH_WITHDRAWAL', feeFen: 100, atMs: deps.clock.atMs },
      { eventId: 'e2', businessType: 'CASH_WITHDRAWAL', feeFen: 300, atMs: deps.clock.atMs },
      { eventId: 'e3', businessType: 'BILL_PAYMENT', feeFen: 0, atMs: deps.clock.atMs },
    ];
    const schedules = [
      {
        version: 1,
        effectiveDate: '2026-01-01',
        withdrawalFeeFen: 100,
        billPaymentFeeFen: 0,
        mobileTopupFeeFen: 0,
      },
    ];
    const check = await checkFees(deps, market, 'S1', '2026-12', schedules);
    t.ok(check.result.ok);
    t.same(check.overcharges, [
      { eventId: 'e2', businessType: 'CASH_WITHDRAWAL', feeFen: 300, scheduledFeeFen: 100 },
    ]);
    const again = await checkFees(deps, market, 'S1', '2026-12', schedules);
    t.ok(again.result.ok && again.result.duplicate, 'the same month checked twice is one record');
  },
);

t.test(
  'R19 repairs: from telemetry once per faulty peripheral, by phone, closed with cost paid by the merchant',
  async (t) => {
    const deps = networkDeps('2026-11-02');
    const peripherals = [
      { name: 'pin-pad', ok: false, detail: 'no answer on /dev/ttyUSB1' },
      { name: 'card-reader', ok: true, detail: '' },
    ];
    const opened = await openRepairsFromTelemetry(deps, 'S1', peripherals);
    t.equal(opened.length, 1);
    t.same(await openRepairsFromTelemetry(deps, 'S1', peripherals), [], 'no second ticket while one is open');
    const ticketId = opened[0]?.ok ? opened[0].view.ticketId : '';
    t.ok((await repairStep(deps, market, ticketId, 'repair-noted', { note: 'technician sent' })).ok);
    const badCost = await repairStep(deps, market, ticketId, 'repair-closed', { costFen: 12.5 });
    t.equal(badCost.ok ? '' : badCost.reasons[0]?.field, 'costFen', 'R1: the cost is integer fen');
    const closed = await repairStep(deps, market, ticketId, 'repair-closed', { costFen: 8_000 });
    t.ok(closed.ok);
    if (closed.ok) t.same(closed.view.closed, { date: '2026-11-02', costFen: 8_000, paidBy: 'merchant' });
    const after = await repairStep(deps, market, ticketId, 'repair-noted', { note: 'late' });
    t.equal(after.ok ? '' : after.code, 'HQ_NET_TRANSITION_ILLEGAL');
    const phone = await repairStep(deps, market, 'T-phone-1', 'repair-opened', {
      stationId: 'S1',
      source: 'phone',
      peripheral: 'printer',
      fault: 'paper jam',
    });
    t.ok(phone.ok);
    const twice = await repairStep(deps, market, 'T-phone-1', 'repair-opened', {
      stationId: 'S1',
      source: 'phone',
      peripheral: 'printer',
      fault: 'x',
    });
    t.equal(twice.ok ? '' : twice.code, 'HQ_NET_ALREADY_EXISTS');
    t.equal(
      (await openRepairsFromTelemetry(deps, 'S1', peripherals)).length,
      1,
      'a new fault after the close gets a new ticket',
    );
  },
);

t.test(
  'R23 complaints: confidential complainant, written answer for a written complaint, outcome returned',
  async (t) => {
    const deps = networkDeps('2026-11-02');
    const received = await complaintStep(deps, market, 'C-1', 'complaint-received', {
      channel: 'written',
      stationId: 'S1',
      complainant: { name: '李四', contact: '138-0000-0000' },
      summary: 'charged 3 yuan for a withdrawal',
    });
    t.ok(received.ok);
    if (received.ok) {
      t.same(
        received.view.complainant,
        { name: CONFIDENTIAL, contact: CONFIDENTIAL },
        'market sees no complainant',
      );
      t.same(
        received.record.payload.complainant,
        { name: CONFIDENTIAL, contact: CONFIDENTIAL },
        'not in the answer record either',
      );
    }
    t.same((await complaintView(deps, supervision, 'C-1'))?.complainant, {
      name: '李四',
      contact: '138-0000-0000',
    });
    t.same(
      (await complaintView(deps, { name: 'b', role: 'branch', branchId: 'B1' }, 'C-1'))?.complainant.name,
      CONFIDENTIAL,
    );
    const early = await complaintStep(deps, supervision, 'C-1', 'complaint-outcome-returned', {
      text: 'refunded',
    });
    t.equal(early.ok ? '' : early.code, 'HQ_NET_TRANSITION_ILLEGAL', 'answer first');
    const oral = await complaintStep(deps, supervision, 'C-1', 'complaint-answered', {
      channel: 'phone',
      text: 'we will refund',
    });
    t.equal(oral.ok ? '' : oral.code, 'HQ_COMPLAINT_WRITTEN_ANSWER_REQUIRED');
    t.ok(
      (
        await complaintStep(deps, supervision, 'C-1', 'complaint-answered', {
          channel: 'written',
          text: 'letter 2026-11-02',
        })
      ).ok,
    );
    deps.clock.set('2026-11-20');
    t.match((await overdue(deps, supervision)).supervision, [
      { aggregateId: 'complaint:C-1', step: 'return the outcome', dueDate: '2026-11-09' },
    ]);
    t.ok(
      (
        await complaintStep(deps, supervision, 'C-1', 'complaint-outcome-returned', {
          text: 'refunded 2 yuan',
        })
      ).ok,
    );
    const closed = await complaintStep(deps, supervision, 'C-1', 'complaint-noted', { note: 'late note' });
    t.equal(closed.ok ? '' : closed.code, 'HQ_NET_TRANSITION_ILLEGAL');
    const oralOk = await complaintStep(deps, market, 'C-2', 'complaint-received', {
      channel: 'oral',
      complainant: { name: 'x', contact: 'y' },
      summary: 'queue',
    });
    t.ok(oralOk.ok);
    t.ok(
      (await complaintStep(deps, market, 'C-2', 'complaint-answered', { channel: 'oral', text: 'ok' })).ok,
      'an oral complaint answered orally',
    );
  },
);

t.test(
  'R16 statistics and R10/R11 commission runs: idempotent, corrections as new lines, list and pay',
  async (t) => {
    const facts = new FakeFacts();
    const deps = networkDeps('2026-12-01', facts);
    t.ok(
      (await registerBranch(deps, market, 'B1', { name: '城关支局', location: northOf(BASE, 50_000) })).ok,
    );
    t.match(
      (await dueItems(deps, market)).filter((i) => i.rule === 'R16'),
      [{ aggregateId: 'stats:B1:2026-11', department: 'branch', dueDate: '2026-12-05' }],
    );
    facts.revenue = [
      { stationId: 'S1', businessType: 'BILL_PAYMENT', revenueFen: 1_000_000 },
      { stationId: 'S1', businessType: 'MOBILE_TOPUP', revenueFen: 200_000 },
    ];
    const first = await runCommission(deps, market, '2026-11');
    t.ok(first.ok);
    if (!first.ok) return;
    t.equal(first.outcome, 'recorded');
    t.same(
      first.warnings.map((w) => w.code),
      ['HQ_COMMISSION_STATISTICS_LATE'],
    );
    t.equal(first.view.listDueDate, '2026-12-14');
    t.equal(first.view.paymentDueDate, '2026-12-18');
    t.same(first.view.stations, [
      { stationId: 'S1', paidThrough: 'HQ', netFen: 3_000 + 1_000, paidFen: 0, invoiced: false },
    ]);
    const again = await runCommission(deps, market, '2026-11');
    t.ok(again.ok && again.outcome === 'unchanged', 're-running an unchanged month records nothing');
    t.equal((await deps.store.read('commission:2026-11')).length, 1);
    // The branch reports late (after the 5th): its insurance line arrives as a correction.
    deps.clock.set('2026-12-07');
    const stats = await submitStatistics(deps, { name: 'zhou', role: 'branch', branchId: 'B1' }, 'B1', {
      month: '2026-11',
      stationsOpened: 1,
      stationsClosed: 0,
      lines: [{ stationId: 'S1', businessType: 'INSURANCE', revenueFen: 50_000 }],
    });
    t.ok(stats.ok && stats.view.late, 'R16: reported after the 5th is late');
    const otherBranch = await submitStatistics(deps, { name: 'zhou', role: 'branch', branchId: 'B2' }, 'B1', {
      month: '2026-11',
      stationsOpened: 0,
      stationsClosed: 0,
      lines: [],
    });
    t.notOk(otherBranch.ok, 'a branch reports only its own statistics');
    const corrected = await runCommission(deps, market, '2026-11');
    t.ok(corrected.ok);
    if (!corrected.ok) return;
    t.equal(corrected.outcome, 'corrected');
    t.same(corrected.warnings, []);
    const records = await deps.store.read('commission:2026-11');
    t.equal(records.length, 2);
    t.same(records[1]?.payload.lines, [
      { stationId: 'S1', paidThrough: 'BRANCH', item: 'INSURANCE', revenueFen: 50_000, amountFen: 5_000 },
      { stationId: 'S1', paidThrough: 'BRANCH', item: 'TAX', revenueFen: 0, amountFen: -0 },
    ]);
    t.same(
      records[0]?.payload,
      (await deps.store.read('commission:2026-11'))[0]?.payload,
      'the first lines are never edited',
    );
    // Steps: invoice before listing is refused; list, invoice, pay.
    const early = await commissionStep(deps, market, '2026-11', 'commission-invoice-received', {
      stationId: 'S1',
    });
    t.equal(early.ok ? '' : early.code, 'HQ_NET_TRANSITION_ILLEGAL');
    t.ok((await commissionStep(deps, market, '2026-11', 'commission-listed', {})).ok);
    const unpaidWithoutInvoice = await commissionStep(deps, market, '2026-11', 'commission-paid', {
      stationId: 'S1',
    });
    t.equal(
      unpaidWithoutInvoice.ok ? '' : unpaidWithoutInvoice.code,
      'HQ_NET_TRANSITION_ILLEGAL',
      'R10: pay against the invoice',
    );
    t.ok(
      (await commissionStep(deps, market, '2026-11', 'commission-invoice-received', { stationId: 'S1' })).ok,
    );
    deps.clock.set('2026-12-21');
    t.match((await overdue(deps, market)).finance, [{ subjectId: 'S1', rule: 'R10', dueDate: '2026-12-18' }]);
    const paid = await commissionStep(deps, market, '2026-11', 'commission-paid', { stationId: 'S1' });
    t.ok(paid.ok);
    if (paid.ok)
      t.match(paid.view.stations, [
        { paidThrough: 'HQ', netFen: 4_000, paidFen: 4_000 },
        { paidThrough: 'BRANCH', netFen: 5_000, paidFen: 0 },
      ]);
    t.ok(
      (
        await commissionStep(deps, market, '2026-11', 'commission-paid', {
          stationId: 'S1',
          paidThrough: 'BRANCH',
        })
      ).ok,
      'R11: paid through the branch, no station invoice',
    );
    t.same((await overdue(deps, market)).finance, []);
    const noRun = await commissionStep(deps, market, '2026-10', 'commission-listed', {});
    t.equal(noRun.ok ? '' : noRun.code, 'HQ_NET_NOT_FOUND');
    const missingYear = await runCommission(deps, market, '2026-12');
    t.equal(
      missingYear.ok ? '' : missingYear.code,
      'HQ_NET_CALENDAR_YEAR_MISSING',
      'the list for December is due in 2027: no calendar',
    );
  },
);

t.test('a branch user sees only its own overdue items', async (t) => {
  const deps = networkDeps('2026-11-02');
  await advance(deps, 'S1', 1);
  await stationStep(deps, market, 'S2', 'proposed', {
    branchId: 'B2',
    name: 'y',
    location: northOf(BASE, 9_000),
  });
  const mine = await dueItems(deps, { name: 'b1', role: 'branch', branchId: 'B1' });
  t.same(
    mine.map((i) => i.subjectId),
    ['S1'],
  );
});

t.test('R17: the year archive holds every record of the year as JSON lines, in order', async (t) => {
  const deps = networkDeps('2025-12-31', undefined);
  deps.clock.set('2025-12-31', 23);
  await advance(deps, 'OLD', 1, northOf(BASE, 20_000));
  deps.clock.set('2026-01-01', 9);
  await advance(deps, 'S1', 3);
  const lines: string[] = [];
  for await (const line of archiveYear(deps, 2026)) lines.push(line);
  t.equal(lines.length, 3);
  const parsed = lines.map((l) => JSON.parse(l));
  t.same(
    parsed.map((p) => p.kind),
    ['proposed', 'surveyed', 'applied'],
  );
  t.ok(parsed.every((p) => p.actor === 'li.market' && typeof p.at === 'string' && p.payload !== undefined));
  const old: string[] = [];
  for await (const line of archiveYear(deps, 2025)) old.push(line);
  t.equal(old.length, 1, 'Shanghai 23:00 on Dec 31 belongs to 2025');
});
