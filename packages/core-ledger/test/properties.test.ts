// Goal: the ledger's invariants hold for any command sequence. Method: fast-check generates
// random sequences (quota purchases, bill payments, top-ups, holds, posts, voids, reversals,
// closes, with reused ids) and runs them through the ledger and through a slow, obviously-correct
// reference model kept in plain maps; results and balances must agree at every step. The seed is
// printed: rerun with LEDGER_PROPERTY_SEED=<seed> to replay a failure.

import fc from 'fast-check';
import t from 'tap';
import {
  canonicalJson,
  createLedger,
  dateFromDayNumber,
  type Ledger,
  type LedgerCode,
  type LedgerCommand,
  type LedgerResult,
  type ReconciliationItem,
  reconcileItems,
  shanghaiDayNumber,
  shanghaiInstantMs,
  sortByPrecedence,
  standardFeeSchedule,
  totalsFromItems,
} from '../src/index.js';
import { accountSums, realCalendar } from './helpers.js';

const seed = Number(process.env.LEDGER_PROPERTY_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.LEDGER_PROPERTY_RUNS ?? 150);
t.comment(`fast-check seed ${seed} (replay: LEDGER_PROPERTY_SEED=${seed})`);

const STATIONS = ['S1', 'S2', 'S3'];
const LIMITS = { perTransactionFenMax: 60_000, perCardDailyFenMax: 100_000, perStationDailyFenMax: 150_000 };
const START_MS = shanghaiInstantMs('2026-03-02', 0, 0);

// ---------------------------------------------------------------- generators

const stationArb = fc.constantFrom('S1', 'S2', 'S3', 'S1', 'S2', 'S9');
const amountArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 80_000 }),
  fc.constantFrom(49_999, 50_000, 60_000),
);
const idArb = (prefix: string) => fc.integer({ min: 0, max: 12 }).map((n) => `${prefix}${n}`);

type Draft = { stepMs: number; make: (atMs: number) => LedgerCommand };

const draftArb: fc.Arbitrary<Draft> = fc
  .record({ stepMs: fc.integer({ min: 0, max: 3 * 3_600_000 }) })
  .chain(({ stepMs }) =>
    fc
      .oneof(
        fc
          .record({
            id: idArb('q'),
            stationId: stationArb,
            amountFen: fc.constantFrom(0, 49_999, 50_000, 120_000),
          })
          .map(
            (c) =>
              (atMs: number): LedgerCommand => ({ type: 'quota-purchase', atMs, ...c }),
          ),
        fc
          .record({
            id: idArb('b'),
            stationId: stationArb,
            amountFen: amountArb,
            feeFen: fc.constantFrom(0, 0, 0, 5),
          })
          .map(
            (c) =>
              (atMs: number): LedgerCommand => ({
                type: 'bill-payment',
                atMs,
                billerCode: 'E',
                billAccountNo: '1',
                ...c,
              }),
          ),
        fc
          .record({ id: idArb('t'), stationId: stationArb, amountFen: amountArb, feeFen: fc.constant(0) })
          .map(
            (c) =>
              (atMs: number): LedgerCommand => ({ type: 'mobile-topup', atMs, phoneNumber: '138', ...c }),
          ),
        fc
          .record({
            id: idArb('h'),
            stationId: stationArb,
            amountFen: amountArb,
            feeFen: fc.constantFrom(100, 100, 100, 200),
            cardToken: fc.constantFrom('c1', 'c2', 'c3'),
          })
          .map(
            (c) =>
              (atMs: number): LedgerCommand => ({ type: 'withdrawal-hold', atMs, ...c }),
          ),
        fc.record({ id: idArb('p'), holdId: idArb('h') }).map(
          (c) =>
            (atMs: number): LedgerCommand => ({ type: 'withdrawal-post', atMs, ...c }),
        ),
        fc.record({ id: idArb('v'), holdId: idArb('h') }).map(
          (c) =>
            (atMs: number): LedgerCommand => ({ type: 'withdrawal-void', atMs, ...c }),
        ),
        fc.record({ id: idArb('r'), holdId: idArb('h'), stationId: stationArb }).map(
          (c) =>
            (atMs: number): LedgerCommand => ({ type: 'withdrawal-reverse', atMs, ...c }),
        ),
        fc.record({ id: idArb('c'), stationId: stationArb, daysBack: fc.constantFrom(0, 1, -1) }).map(
          ({ id, stationId, daysBack }) =>
            (atMs: number): LedgerCommand => ({
              type: 'daily-close',
              id,
              atMs,
              stationId,
              businessDate: dateFromDayNumber(shanghaiDayNumber(atMs) - daysBack),
            }),
        ),
      )
      .map((make) => ({ stepMs, make })),
  );

function materialise(drafts: readonly Draft[]): LedgerCommand[] {
  let atMs = START_MS;
  return drafts.map((draft) => {
    atMs += draft.stepMs;
    return draft.make(atMs);
  });
}

// ---------------------------------------------------------------- reference model

interface ModelHold {
  stationId: string;
  amountFen: number;
  feeFen: number;
  cardToken: string;
  day: number;
  state: 'pending' | 'posted' | 'voided' | 'reversed';
}

class Model {
  readonly quota = new Map<string, number>(STATIONS.map((s) => [s, 0]));
  readonly settlement = new Map<string, number>(STATIONS.map((s) => [s, 0]));
  readonly pending = new Map<string, number>(STATIONS.map((s) => [s, 0]));
  readonly closedThrough = new Map<string, number>(STATIONS.map((s) => [s, -1e9]));
  readonly holds = new Map<string, ModelHold>();
  readonly reversedUnknown = new Set<string>();
  /** R7: days with business (a totals row) per station. */
  readonly businessDays = new Map<string, Set<number>>(STATIONS.map((s) => [s, new Set<number>()]));
  readonly seen = new Map<string, { content: string; result: { ok: boolean; reasons: string[] } }>();
  postedCount = 0;

  apply(command: LedgerCommand): { ok: boolean; reasons: string[] } {
    const first = this.seen.get(command.id);
    if (first !== undefined) {
      return first.content === canonicalJson(command)
        ? first.result
        : { ok: false, reasons: ['LEDGER_ID_CONFLICT'] };
    }
    const reasons: LedgerCode[] = [];
    let code: LedgerCode = 'LEDGER_OK';
    const day = shanghaiDayNumber(command.atMs);
    const known = (stationId: string): boolean => {
      if (STATIONS.includes(stationId)) return true;
      reasons.push('LEDGER_STATION_UNKNOWN');
      return false;
    };
    const usage = (key: 'cardToken' | 'stationId', value: string): number => {
      let sum = 0;
      for (const h of this.holds.values()) {
        if (h[key] === value && h.day === day && (h.state === 'pending' || h.state === 'posted'))
          sum += h.amountFen;
      }
      return sum;
    };
    switch (command.type) {
      case 'quota-purchase': {
        known(command.stationId);
        if (command.amountFen === 0) reasons.push('LEDGER_AMOUNT_NOT_POSITIVE');
        if (command.amountFen < 50_000) reasons.push('LEDGER_QUOTA_PURCHASE_BELOW_MINIMUM');
        if (reasons.length === 0) {
          this.add(this.quota, command.stationId, command.amountFen);
          this.business(command.stationId, day);
        }
        break;
      }
      case 'bill-payment':
      case 'mobile-topup': {
        const isKnown = known(command.stationId);
        if (isKnown && day <= this.closedThrough.get(command.stationId)!) reasons.push('LEDGER_DAY_CLOSED');
        if (command.amountFen === 0) reasons.push('LEDGER_AMOUNT_NOT_POSITIVE');
        if (command.feeFen > 0) reasons.push('LEDGER_FEE_ABOVE_SCHEDULE');
        if (isKnown && command.amountFen > this.quota.get(command.stationId)!)
          reasons.push('LEDGER_QUOTA_INSUFFICIENT');
        if (reasons.length === 0) {
          this.add(this.quota, command.stationId, -command.amountFen);
          this.business(command.stationId, day);
        }
        break;
      }
      case 'withdrawal-hold': {
        const isKnown = known(command.stationId);
        if (isKnown && day <= this.closedThrough.get(command.stationId)!) reasons.push('LEDGER_DAY_CLOSED');
        if (command.amountFen === 0) reasons.push('LEDGER_AMOUNT_NOT_POSITIVE');
        if (command.feeFen > 100) reasons.push('LEDGER_FEE_ABOVE_SCHEDULE');
        if (isKnown) {
          if (command.amountFen > LIMITS.perTransactionFenMax)
            reasons.push('LEDGER_WITHDRAWAL_OVER_TRANSACTION_LIMIT');
          if (usage('cardToken', command.cardToken) + command.amountFen > LIMITS.perCardDailyFenMax) {
            reasons.push('LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT');
          }
          if (usage('stationId', command.stationId) + command.amountFen > LIMITS.perStationDailyFenMax) {
            reasons.push('LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT');
          }
        }
        if (this.reversedUnknown.has(command.id)) reasons.push('LEDGER_WITHDRAWAL_REVERSED');
        if (reasons.length === 0) {
          const { stationId, amountFen, feeFen, cardToken } = command;
          this.holds.set(command.id, { stationId, amountFen, feeFen, cardToken, day, state: 'pending' });
          this.add(this.pending, stationId, amountFen + feeFen);
        }
        break;
      }
      case 'withdrawal-post':
      case 'withdrawal-void': {
        const h = this.holds.get(command.holdId);
        if (h === undefined) {
          reasons.push(
            this.reversedUnknown.has(command.holdId) ? 'LEDGER_WITHDRAWAL_REVERSED' : 'LEDGER_HOLD_UNKNOWN',
          );
        } else if (h.state === 'reversed') reasons.push('LEDGER_WITHDRAWAL_REVERSED');
        else if (h.state !== 'pending') reasons.push('LEDGER_HOLD_NOT_PENDING');
        if (reasons.length === 0 && h !== undefined) {
          this.add(this.pending, h.stationId, -(h.amountFen + h.feeFen));
          if (command.type === 'withdrawal-post') {
            h.state = 'posted';
            this.postedCount++;
            this.business(h.stationId, day);
            this.add(this.settlement, h.stationId, h.amountFen + h.feeFen);
          } else h.state = 'voided';
        }
        break;
      }
      case 'withdrawal-reverse': {
        const isKnown = known(command.stationId);
        const h = this.holds.get(command.holdId);
        if (isKnown && h !== undefined && h.stationId !== command.stationId)
          reasons.push('LEDGER_HOLD_STATION_MISMATCH');
        if (h?.state === 'posted') reasons.push('LEDGER_REVERSAL_HOLD_POSTED');
        if (h?.state === 'voided') reasons.push('LEDGER_REVERSAL_HOLD_VOIDED');
        if (reasons.length > 0) break;
        if (this.reversedUnknown.has(command.holdId) || h?.state === 'reversed')
          code = 'LEDGER_REVERSAL_ALREADY_DONE';
        else if (h === undefined) this.reversedUnknown.add(command.holdId);
        else {
          this.add(this.pending, h.stationId, -(h.amountFen + h.feeFen));
          h.state = 'reversed';
        }
        if (code === 'LEDGER_OK') this.business(command.stationId, day);
        break;
      }
      case 'daily-close': {
        const isKnown = known(command.stationId);
        const closeDay = shanghaiDayNumber(shanghaiInstantMs(command.businessDate, 12));
        if (isKnown && closeDay <= this.closedThrough.get(command.stationId)!)
          reasons.push('LEDGER_CLOSE_OUT_OF_ORDER');
        if (closeDay > day) reasons.push('LEDGER_CLOSE_DATE_IN_FUTURE');
        if (
          isKnown &&
          [...this.businessDays.get(command.stationId)!].some(
            (d) => d > this.closedThrough.get(command.stationId)! && d < closeDay,
          )
        )
          reasons.push('LEDGER_CLOSE_EARLIER_DAY_UNCLOSED');
        if (reasons.length === 0) this.closedThrough.set(command.stationId, closeDay);
        break;
      }
      default:
        throw new Error('model: unexpected command');
    }
    const result =
      reasons.length > 0 ? { ok: false, reasons: sortByPrecedence(reasons) } : { ok: true, reasons: [code] };
    this.seen.set(command.id, { content: canonicalJson(command), result });
    return result;
  }

  /** A totals row on the station's day, or on its next open day when that day is closed. */
  private business(stationId: string, day: number): void {
    this.businessDays.get(stationId)!.add(Math.max(day, this.closedThrough.get(stationId)! + 1));
  }

  private add(map: Map<string, number>, key: string, deltaFen: number): void {
    map.set(key, map.get(key)! + deltaFen);
  }
}

// ---------------------------------------------------------------- system under test

function freshLedger(): Ledger {
  const ledger = createLedger({
    calendar: realCalendar(),
    feeSchedules: [standardFeeSchedule('2025-01-01')],
    withdrawalLimits: LIMITS,
  });
  for (const stationId of STATIONS) {
    ledger.apply({
      type: 'station-register',
      id: `reg-${stationId}`,
      atMs: START_MS,
      stationId,
      orgCode: 'O',
      quotaAccountNo: 'Q',
    });
  }
  return ledger;
}

const view = (result: LedgerResult) => ({
  ok: result.ok,
  reasons: result.ok ? [result.code] : [...result.reasons],
});

function runBoth(commands: readonly LedgerCommand[]): {
  ledger: Ledger;
  model: Model;
  results: LedgerResult[];
} {
  const ledger = freshLedger();
  const model = new Model();
  const results: LedgerResult[] = [];
  for (const command of commands) {
    const result = ledger.apply(command);
    results.push(result);
    const expected = model.apply(command);
    if (canonicalJson(view(result)) !== canonicalJson(expected)) {
      throw new Error(
        `model disagrees on ${canonicalJson(command)}: ledger ${canonicalJson(view(result))}, model ${canonicalJson(expected)}`,
      );
    }
    for (const stationId of STATIONS) {
      const balances = ledger.stationBalances(stationId)!;
      if (balances.quotaFenAvailable < 0) throw new Error('quota below zero');
      if (balances.quotaFenAvailable !== model.quota.get(stationId))
        throw new Error(`quota differs at ${stationId}`);
      if (balances.settlementFen !== model.settlement.get(stationId))
        throw new Error(`settlement differs at ${stationId}`);
      if (balances.settlementPendingFen !== model.pending.get(stationId))
        throw new Error(`pending differs at ${stationId}`);
    }
  }
  return { ledger, model, results };
}

const sequenceArb = fc.array(draftArb, { minLength: 1, maxLength: 60 });

t.test('results and balances agree with the reference model; the quota never goes below zero', async (t) => {
  fc.assert(
    fc.property(sequenceArb, (drafts) => {
      runBoth(materialise(drafts));
    }),
    { seed, numRuns },
  );
  t.pass(`${numRuns} random sequences`);
});

t.test('debits always equal credits (posted and pending)', async (t) => {
  fc.assert(
    fc.property(sequenceArb, (drafts) => {
      const { ledger } = runBoth(materialise(drafts));
      const sums = accountSums(ledger);
      return sums.debits === sums.credits && sums.pendingDebits === sums.pendingCredits;
    }),
    { seed, numRuns },
  );
  t.pass('balanced');
});

t.test('exactly one fee per posted withdrawal', async (t) => {
  fc.assert(
    fc.property(sequenceArb, (drafts) => {
      const { ledger, model } = runBoth(materialise(drafts));
      const feesByPostEvent = new Map<number, number>();
      let postEvents = 0;
      for (let index = 0; index < ledger.eventCount; index++) {
        if (ledger.event(index).type === 'withdrawal-post') {
          postEvents++;
          feesByPostEvent.set(index, 0);
        }
      }
      for (let index = 0; index < ledger.entryCount; index++) {
        const entry = ledger.entry(index);
        if (entry.fee && entry.phase === 'posted' && !entry.reversal) {
          const count = feesByPostEvent.get(entry.eventIndex);
          if (count === undefined) return false;
          feesByPostEvent.set(entry.eventIndex, count + 1);
        }
      }
      return postEvents === model.postedCount && [...feesByPostEvent.values()].every((count) => count === 1);
    }),
    { seed, numRuns },
  );
  t.pass('one fee each');
});

t.test('replaying any command sequence a second time changes nothing', async (t) => {
  fc.assert(
    fc.property(sequenceArb, (drafts) => {
      const commands = materialise(drafts);
      const { ledger, results } = runBoth(commands);
      const before = canonicalJson({
        accounts: ledger.accountBalances(),
        events: ledger.eventCount,
        entries: ledger.entryCount,
      });
      const again = commands.map((command) => ledger.apply({ ...command }));
      const after = canonicalJson({
        accounts: ledger.accountBalances(),
        events: ledger.eventCount,
        entries: ledger.entryCount,
      });
      return before === after && canonicalJson(again) === canonicalJson(results);
    }),
    { seed, numRuns },
  );
  t.pass('idempotent');
});

t.test('close totals equal the sum of their entries', async (t) => {
  fc.assert(
    fc.property(sequenceArb, (drafts) => {
      const { ledger } = runBoth(materialise(drafts));
      for (const stationId of STATIONS) {
        for (const close of ledger.closes(stationId)) {
          const items = ledger.reconciliationItems({ stationId, businessDate: close.businessDate });
          if (canonicalJson(totalsFromItems(items)) !== canonicalJson(close.totals)) return false;
        }
      }
      return true;
    }),
    { seed, numRuns },
  );
  t.pass('totals match');
});

t.test('reconciling a ledger with itself finds nothing and finds every injected difference', async (t) => {
  const injectionArb = fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'change', 'extra', 'duplicate')), {
    minLength: 1,
    maxLength: 6,
  });
  fc.assert(
    fc.property(sequenceArb, injectionArb, (drafts, injections) => {
      const { ledger } = runBoth(materialise(drafts));
      const items = ledger.reconciliationItems();
      if (reconcileItems(items, items).length !== 0) return false;
      if (items.length === 0) return true;
      // Each injection hits a different item, so every one must come back as its own difference.
      const right: (ReconciliationItem | undefined)[] = items.slice();
      const appended: ReconciliationItem[] = [];
      const expected: string[] = [];
      const used = new Set<number>();
      for (const [pick, injection] of injections) {
        const index = pick % items.length;
        if (used.has(index)) continue;
        used.add(index);
        const target = items[index]!;
        if (injection === 'drop') {
          right[index] = undefined;
          expected.push(`LEDGER_RECON_MISSING ${target.id}`);
        } else if (injection === 'change') {
          right[index] = { ...target, feeFen: target.feeFen + 1 };
          expected.push(`LEDGER_RECON_AMOUNT_DIFFERS ${target.id}`);
        } else if (injection === 'extra') {
          appended.push({ ...target, id: `${target.id}-injected` });
          expected.push(`LEDGER_RECON_EXTRA ${target.id}-injected`);
        } else {
          appended.push(target);
          expected.push(`LEDGER_RECON_DUPLICATE ${target.id}`);
        }
      }
      const rightItems = [...right.filter((item) => item !== undefined), ...appended];
      const found = reconcileItems(items, rightItems).map(
        (difference) => `${difference.code} ${difference.id}`,
      );
      return canonicalJson(found.sort()) === canonicalJson(expected.sort());
    }),
    { seed, numRuns },
  );
  t.pass('found');
});
