// Goal (issue 8, R6/R2/R7): a fee-schedule change never rebuilds the past. HQ sends a config whose
// schedule list holds only the new version (effective weeks later): the kiosk keeps every version
// it was given, judges past events by the schedule in force when they happened, and no balance,
// day total or sealed close changes — live and after a restart; business goes on under the old
// schedule until the new one's effective date, then under the new one.
// Method: one agent on the real SQLite journal and SoftHSM key, HQ played through an in-memory
// link, a manual clock crossing midnights; the sealed close is observed through the next close's
// previous-hash link and the replay warnings in the log.
import { downTopic, openVerifiedEnvelope, PayloadType } from '@bianmin/wire';
import t from 'tap';
import { loadCalendar } from '../../src/config/calendar.js';
import { ManualClock, recordingLogger, TEN_AM_MS } from './helpers.js';
import { closesSent, lastAuthRequest, rigSet, STATION, waitFor, withdraw } from './rig.js';

const set = rigSet(t, 'AGENT-FEES');
const DAY_MS = 24 * 3600_000;

const V1 = {
  version: 1,
  effectiveDate: '2026-01-01',
  announcedAtMs: 0,
  withdrawalFeeFen: 100,
  billPaymentFeeFen: 0,
  mobileTopupFeeFen: 0,
};
/** Announced on 2026-11-29, effective 2026-12-21: well over 5 working days' notice. */
const V2 = {
  version: 2,
  effectiveDate: '2026-12-21',
  announcedAtMs: TEN_AM_MS + DAY_MS,
  withdrawalFeeFen: 200,
  billPaymentFeeFen: 0,
  mobileTopupFeeFen: 0,
};

const bill = (amountFen: number) => ({
  billerKind: 'GAS' as const,
  billerCode: 'G1',
  accountNumber: 'A9',
  amountFen,
});

t.test(
  'a config with only a new fee schedule leaves past events, balances and sealed closes as they were',
  async (t) => {
    const clock = new ManualClock(TEN_AM_MS);
    const log = recordingLogger();
    const first = await set.open(t, { clock, logger: log.logger });
    first.link.deliver(downTopic(STATION, 'config'), set.hq.config(STATION, { feeSchedules: [V1] }));
    await waitFor(() => first.agent.status().configVersion === 1);

    // 2026-11-28: a withdrawal (fee 100 under v1) and a bill payment.
    await withdraw(first, set, 50_000, 'wd-day1');
    t.ok((await first.agent.payBill(bill(7_000))).ok);
    const day1 = first.agent.dayTotals('2026-11-28');
    t.match(day1.CASH_WITHDRAWAL, { count: 1, amountFen: 50_000, feeFen: 100 });

    // 2026-11-29: the day before is closed (sealed), then a bill payment.
    clock.advance(DAY_MS);
    const close1 = await first.agent.dailyClose('2026-11-28');
    if (!close1.ok) throw new Error('close of 2026-11-28 refused');
    t.ok((await first.agent.payBill(bill(3_000))).ok);
    t.equal(first.agent.quotaFenAvailable(), 90_000);

    // HQ announces v2 and sends only v2.
    first.link.deliver(
      downTopic(STATION, 'config'),
      set.hq.config(STATION, { configVersion: 2, feeSchedules: [V2] }),
    );
    await waitFor(() => first.agent.status().configVersion === 2);
    t.equal(first.agent.quotaFenAvailable(), 90_000, 'spent quota does not come back');
    t.same(first.agent.dayTotals('2026-11-28'), day1, 'the past day is unchanged');
    t.ok((await first.agent.payBill(bill(1_000))).ok, 'business goes on before the new effective date');
    await withdraw(first, set, 10_000, 'wd-day2');
    t.equal(Number(lastAuthRequest(first, set.uk).feeFen), 100, 'the old schedule is still in force today');
    t.equal(first.agent.quotaFenAvailable(), 89_000);

    // 2026-11-30: the close of 2026-11-29 chains to the close sealed before the config came.
    clock.advance(DAY_MS);
    const close2 = await first.agent.dailyClose('2026-11-29');
    if (!close2.ok) throw new Error('close of 2026-11-29 refused');
    const sent = closesSent(first, set.uk);
    t.equal(sent.length, 2);
    t.equal(sent[1]!.previousCloseHash, close1.close.closeHash, 'the sealed close keeps its hash');
    t.equal(sent[1]!.closeSequence, 2);
    t.same(
      log.lines.filter((line) => line.msg === 'ledger refused a step that happened'),
      [],
    );
    await first.agent.stop();

    // A restart replays the journal under every schedule version the kiosk was given.
    const second = await set.open(t, { clock, logger: log.logger, path: first.path });
    t.equal(second.agent.quotaFenAvailable(), 89_000, 'and after a restart');
    t.same(second.agent.dayTotals('2026-11-28'), day1);
    t.match(second.agent.dayTotals('2026-11-29').CASH_WITHDRAWAL, { count: 1, feeFen: 100 });
    t.same(
      log.lines.filter((line) => line.msg === 'journaled ledger command refused on replay'),
      [],
      'no journaled command is refused on replay',
    );
    await withdraw(second, set, 10_000, 'wd-day3');
    t.equal(Number(lastAuthRequest(second, set.uk).feeFen), 100);

    // From 2026-12-21 the new schedule is in force.
    clock.advance(21 * DAY_MS);
    await withdraw(second, set, 10_000, 'wd-v2');
    t.equal(Number(lastAuthRequest(second, set.uk).feeFen), 200, 'the new schedule from its effective date');
  },
);

/** The signed ConfigApplied events in the outbox, opened. */
function configAnswers(r: Awaited<ReturnType<typeof set.open>>) {
  return r.db
    .read(1, r.db.headSeq())
    .filter((row) => row.payloadType === 'PAYLOAD_TYPE_CONFIG_APPLIED')
    .map((row) => {
      const opened = openVerifiedEnvelope(row.envelopeBytes, () => set.uk.publicKeyPem);
      if (opened.type !== PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED) throw new Error('not a ConfigApplied');
      return opened.body;
    });
}

t.test(
  'R6 at the kiosk: a schedule change without 5 working days of notice is refused, the last good config stays',
  async (t) => {
    const clock = new ManualClock(TEN_AM_MS + DAY_MS); // Sunday 2026-11-29, 10:00
    const log = recordingLogger();
    const r = await set.open(t, { clock, logger: log.logger });
    r.link.deliver(downTopic(STATION, 'config'), set.hq.config(STATION, { feeSchedules: [V1] }));
    await waitFor(() => r.agent.status().configVersion === 1);
    const announced = clock.nowMs();
    // Each refused config differs, so each gets its own signed refusal.
    const cases: { name: string; schedules: unknown[]; expect: RegExp }[] = [
      {
        // Working days after Sunday 11-29: 11-30, 12-01, 12-02, 12-03, 12-04: 12-03 is too early.
        name: 'four working days of notice',
        schedules: [V1, { ...V2, effectiveDate: '2026-12-03', announcedAtMs: announced }],
        expect: /version 2: LEDGER_FEE_SCHEDULE_NOTICE_TOO_SHORT/,
      },
      {
        name: 'no calendar for the year the notice runs through',
        schedules: [V1, { ...V2, effectiveDate: '2027-02-01', announcedAtMs: Date.UTC(2026, 11, 28, 2) }],
        expect: /version 2: LEDGER_CALENDAR_YEAR_MISSING/,
      },
      {
        name: 'a new version without its announcement time',
        schedules: [V1, { ...V2, announcedAtMs: 0 }],
        expect: /version 2: AGENT_FEE_SCHEDULE_NOT_ANNOUNCED/,
      },
      {
        name: 'a known version with another fee',
        schedules: [{ ...V1, withdrawalFeeFen: 150 }],
        expect: /version 1: AGENT_FEE_SCHEDULE_CHANGED/,
      },
    ];
    let version = 2;
    for (const c of cases) {
      r.link.deliver(
        downTopic(STATION, 'config'),
        set.hq.config(STATION, { configVersion: version, feeSchedules: c.schedules as never }),
      );
      await waitFor(() => configAnswers(r).length === version);
      const answer = configAnswers(r).at(-1)!;
      t.equal(answer.accepted, false, `${c.name}: refused`);
      t.match(answer.detail, /^AGENT_HQ_CONFIG_REFUSED: AGENT_FEE_SCHEDULE_REFUSED: /, c.name);
      t.match(answer.detail, c.expect, c.name);
      t.equal(r.agent.status().configVersion, 1, `${c.name}: the last good config stays`);
      version += 1;
    }
    t.ok(log.codes().includes('AGENT_FEE_SCHEDULE_REFUSED'), 'logged with its code');
    await withdraw(r, set, 10_000, 'wd-after-refusals');
    t.equal(Number(lastAuthRequest(r, set.uk).feeFen), 100, 'the schedule in force is still v1');

    // With the notice (effective 2026-12-07, the 6th working day), the same change is accepted.
    r.link.deliver(
      downTopic(STATION, 'config'),
      set.hq.config(STATION, {
        configVersion: version,
        feeSchedules: [V1, { ...V2, effectiveDate: '2026-12-07', announcedAtMs: announced }],
      }),
    );
    await waitFor(() => r.agent.status().configVersion === version);
    t.equal(configAnswers(r).at(-1)!.accepted, true);
  },
);

t.test(
  'AGENT_CALENDAR_UNAVAILABLE: a calendar folder that cannot be read is logged, and changes are refused',
  async (t) => {
    const missing = loadCalendar('/nonexistent/calendar');
    t.equal(missing.years.length, 0);
    t.match(missing.problems[0], /cannot read the calendar folder/);
    t.same(loadCalendar().years, [2025, 2026], "the repository's data/calendar");
    const log = recordingLogger();
    const r = await set.open(t, { logger: log.logger, calendarDir: '/nonexistent/calendar' });
    t.ok(log.codes().includes('AGENT_CALENDAR_UNAVAILABLE'));
    r.link.deliver(downTopic(STATION, 'config'), set.hq.config(STATION, { feeSchedules: [V1] }));
    await waitFor(() => r.agent.status().configVersion === 1);
    r.link.deliver(
      downTopic(STATION, 'config'),
      set.hq.config(STATION, { configVersion: 2, feeSchedules: [V1, V2] }),
    );
    await waitFor(() => configAnswers(r).length === 2);
    t.match(configAnswers(r)[1], { accepted: false, detail: /LEDGER_CALENDAR_YEAR_MISSING/ });
  },
);
