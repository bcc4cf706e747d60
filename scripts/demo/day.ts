// The scripted business day of the demo, on the simulated clock (Asia/Shanghai):
//   07:40  before opening: a top-up is refused (R20 service hours)
//   08:30  morning: withdrawals (R5 fee), bill payments and top-ups (R2 quota) at every station;
//          at the first station a customer mistypes the PIN: declined by the bank
//   10:30  a silent network at one station: the authorisation gets no answer, times out, and the
//          withdrawal is reversed (冲正), stored and forwarded to HQ
//   11:00  an outage at the last station: its broker connection is cut, it keeps taking bill
//          payments and top-ups offline into its outbox, which drains in order once it is back
//   14:30  maintenance window: a bill over the remaining quota is refused with both reasons (R21)
//   16:10  afternoon: the same bill is refused for quota alone; HQ records a quota purchase (R3),
//          pushes it as HQ-signed config; the kiosk applies it and the customer's next try goes through;
//          a withdrawal is voided (the customer changed their mind after authorisation)
//   20:30  close: every kiosk sends its daily close (R7) with the operator's drawer count; HQ
//          reconciles it with its store (R8 账账相符) and with the bank's settlement and the declared
//          cash (R8 账实相符): the last station's drawer is ¥50.00 short, which HQ finds and explains
// Every amount comes from the seeded PRNG, drawn before anything runs concurrently, so the day's
// totals are the same for the same seed.
import { expectedCash } from '@bianmin/core-ledger';
import { shanghaiClock, shanghaiTime } from './lib/demo-clock.js';
import { yuan } from './lib/format.js';
import type { Kiosk } from './lib/kiosk.js';
import type { Network, StationSetup } from './lib/network.js';
import { type StatusView, waitForStatus } from './lib/network.js';
import { type BillerKind, payBill, type Reason, type TxOutcome, topUp, withdraw } from './lib/operator.js';
import { intBetween } from './lib/prng.js';

export interface Refused {
  readonly at: string;
  readonly what: string;
  readonly reasons: readonly Reason[];
}

export interface StationTally {
  readonly stationId: string;
  withdrawalsPosted: number;
  bills: number;
  topups: number;
  declined: number;
  reversed: number;
  voided: number;
  readonly refused: Refused[];
  readonly purchasesFen: number[];
  offline: { txCount: number; outboxDepthMax: number } | null;
  /** Scripted outcomes that did not happen as the script says they must. */
  readonly surprises: string[];
  /** The drawer count declared at the close (R8 账实相符), fen; null before the close. */
  cashDeclaredFen: number | null;
  /** How much the script makes the drawer short (R8): HQ must find exactly this. */
  cashShortFenScripted: number;
}

/** The float every drawer opens the day with, declared with the count (R8). */
export const DRAWER_FLOAT_FEN = 1_000_000;
/** The last station's drawer is this much short at the close: HQ must find and explain it (R8). */
export const DRAWER_SHORT_FEN = 5_000;

export interface DayResult {
  readonly businessDate: string;
  readonly tallies: readonly StationTally[];
}

type Step =
  | { kind: 'withdraw'; card: number; amountFen: number; afterAuthorised: 'confirm' | 'void'; expect: string }
  | { kind: 'bill'; biller: BillerKind; account: string; amountFen: number }
  | { kind: 'topup'; phone: string; amountFen: number };

const billers: readonly BillerKind[] = ['WATER', 'ELECTRICITY', 'GAS', 'PHONE', 'BROADBAND'];

export class BusinessDay {
  readonly #network: Network;
  readonly #random: () => number;
  readonly #log: (line: string) => void;
  readonly #date: string;
  readonly #tallies: StationTally[];
  readonly #txCounter = new Map<string, number>();
  /** Lines of the running phase, printed in station order when it ends (same output every run). */
  #pending: { index: number; order: number; line: string }[] = [];

  constructor(network: Network, random: () => number, businessDate: string, log: (line: string) => void) {
    this.#network = network;
    this.#random = random;
    this.#log = log;
    this.#date = businessDate;
    this.#tallies = network.stations.map((station) => ({
      stationId: station.kiosk.stationId,
      withdrawalsPosted: 0,
      bills: 0,
      topups: 0,
      declined: 0,
      reversed: 0,
      voided: 0,
      refused: [],
      purchasesFen: [],
      offline: null,
      surprises: [],
      cashDeclaredFen: null,
      cashShortFenScripted: 0,
    }));
  }

  async run(openingQuotaFen: number): Promise<DayResult> {
    const stations = this.#network.stations;
    for (const tally of this.#tallies) tally.purchasesFen.push(openingQuotaFen);
    const first = stations[0]!;
    const silent = stations[Math.min(1, stations.length - 1)]!;
    const outage = stations[stations.length - 1]!;

    await this.#at(7, 40, 'before opening');
    await this.#each(stations, (s) =>
      this.#steps(
        s,
        [{ kind: 'topup', phone: this.#phone(), amountFen: 5_000 }],
        'AGENT_TX_OUTSIDE_SERVICE_HOURS',
      ),
    );

    await this.#at(8, 30, 'morning business');
    const morning = stations.map((s) => this.#mix(s === first ? 5 : 4));
    const wrongPin: Step = {
      kind: 'withdraw',
      card: 2,
      amountFen: 50_000,
      afterAuthorised: 'confirm',
      expect: 'declined',
    };
    await this.#each(stations, (s, index) =>
      this.#steps(s, s === first ? [...morning[index]!, wrongPin] : morning[index]!),
    );

    await this.#at(10, 30, `silent network at ${silent.kiosk.stationId}`);
    await this.#authorisationTimeout(silent);

    await this.#at(11, 0, `network outage at ${outage.kiosk.stationId}`);
    const offlineSteps = Array.from({ length: 10 }, (_, index) =>
      this.#quotaStep(index % 2 === 0, 2_000, 8_000),
    );
    const othersMidday = stations.map((s) => (s === outage ? [] : this.#mix(2)));
    await Promise.all([
      this.#outage(outage, offlineSteps),
      this.#each(stations, (s, index) =>
        s === outage ? Promise.resolve() : this.#steps(s, othersMidday[index]!),
      ),
    ]);

    await this.#at(14, 30, 'maintenance window (14:00-16:00)');
    const status = await this.#status(first.kiosk);
    const bigBillFen = (status.quotaFenAvailable ?? 0) + 100_000;
    const bigBill: Step = {
      kind: 'bill',
      biller: 'ELECTRICITY',
      account: 'E-3301-0000042',
      amountFen: bigBillFen,
    };
    // Each attempt is a new transaction (a refused id is spent: retrying it returns the refusal).
    await this.#one(first, this.#txId(first.kiosk), bigBill, [
      'AGENT_TX_OUTSIDE_SERVICE_HOURS',
      'AGENT_TX_QUOTA_EXCEEDED',
    ]);

    await this.#at(16, 10, 'afternoon business');
    await this.#one(first, this.#txId(first.kiosk), bigBill, ['AGENT_TX_QUOTA_EXCEEDED']);
    await this.#purchase(first, 500_000);
    await this.#one(first, this.#txId(first.kiosk), bigBill);
    const afternoon = stations.map(() => this.#mix(3));
    const voided: Step = {
      kind: 'withdraw',
      card: 1,
      amountFen: 30_000,
      afterAuthorised: 'void',
      expect: 'voided',
    };
    await this.#each(stations, (s, index) =>
      this.#steps(s, s === outage ? [...afternoon[index]!, voided] : afternoon[index]!),
    );

    await this.#at(20, 30, 'closing: daily close and reconciliation');
    await this.#each(stations, (s) => this.#close(s, s === outage ? DRAWER_SHORT_FEN : 0));
    this.#flush();
    return { businessDate: this.#date, tallies: this.#tallies };
  }

  // ------------------------------------------------------------------ plan

  #mix(count: number): Step[] {
    const steps: Step[] = [];
    for (let index = 0; index < count; index += 1) {
      const pick = index % 3;
      if (pick === 0) {
        steps.push({
          kind: 'withdraw',
          card: intBetween(this.#random, 0, 1),
          amountFen: intBetween(this.#random, 2, 10) * 5_000,
          afterAuthorised: 'confirm',
          expect: 'posted',
        });
      } else steps.push(this.#quotaStep(pick === 1, 2_000, 30_000));
    }
    return steps;
  }

  #quotaStep(bill: boolean, minFen: number, maxFen: number): Step {
    if (bill) {
      const biller = billers[intBetween(this.#random, 0, billers.length - 1)]!;
      return {
        kind: 'bill',
        biller,
        account: `${biller[0]}-3301-${intBetween(this.#random, 1_000_000, 9_999_999)}`,
        amountFen: intBetween(this.#random, minFen, maxFen),
      };
    }
    return {
      kind: 'topup',
      phone: this.#phone(),
      amountFen: [3_000, 5_000, 10_000][intBetween(this.#random, 0, 2)]!,
    };
  }

  #phone(): string {
    return `13${intBetween(this.#random, 100_000_000, 999_999_999)}`;
  }

  #txId(kiosk: Kiosk): string {
    const next = (this.#txCounter.get(kiosk.stationId) ?? 0) + 1;
    this.#txCounter.set(kiosk.stationId, next);
    return `${kiosk.stationId}-T${String(next).padStart(4, '0')}`;
  }

  // ------------------------------------------------------------------ run

  #say(station: StationSetup | null, line: string): void {
    if (station === null) {
      this.#flush();
      this.#log(line);
      return;
    }
    const index = this.#network.stations.indexOf(station);
    this.#pending.push({ index, order: this.#pending.length, line });
  }

  #flush(): void {
    const lines = this.#pending.sort((a, b) => a.index - b.index || a.order - b.order);
    this.#pending = [];
    for (const entry of lines) this.#log(entry.line);
  }

  async #at(hh: number, mm: number, what: string): Promise<void> {
    this.#flush();
    await this.#network.clock.set(shanghaiTime(this.#date, hh, mm));
    this.#log(`\n${this.#date} ${shanghaiClock(this.#network.clock.nowMs())}  ${what}`);
  }

  #tally(station: StationSetup): StationTally {
    return this.#tallies.find((tally) => tally.stationId === station.kiosk.stationId)!;
  }

  async #each(
    stations: readonly StationSetup[],
    work: (station: StationSetup, index: number) => Promise<void>,
  ): Promise<void> {
    await Promise.all(stations.map((station, index) => work(station, index)));
  }

  async #steps(station: StationSetup, steps: readonly Step[], expectRefusal?: string): Promise<void> {
    for (const step of steps) {
      await this.#one(
        station,
        this.#txId(station.kiosk),
        step,
        expectRefusal === undefined ? undefined : [expectRefusal],
      );
    }
  }

  async #run(station: StationSetup, txId: string, step: Step): Promise<TxOutcome> {
    const kiosk = station.kiosk;
    if (step.kind === 'withdraw')
      return withdraw(kiosk, txId, step.card, step.amountFen, step.afterAuthorised);
    if (step.kind === 'bill') return payBill(kiosk, txId, step.biller, step.account, step.amountFen);
    return topUp(kiosk, txId, step.phone, step.amountFen);
  }

  /** One transaction; `expectRefusal` lists the codes the refusal must carry, in order. */
  async #one(
    station: StationSetup,
    txId: string,
    step: Step,
    expectRefusal?: readonly string[],
  ): Promise<TxOutcome> {
    const tally = this.#tally(station);
    const outcome = await this.#run(station, txId, step);
    const what = describeStep(step);
    const id = station.kiosk.stationId;
    if (!outcome.ok) {
      tally.refused.push({ at: shanghaiClock(this.#network.clock.nowMs()), what, reasons: outcome.reasons });
      this.#say(
        station,
        `  ${id}  ${what}: REFUSED (${outcome.reasons.length} reason${outcome.reasons.length > 1 ? 's' : ''})`,
      );
      for (const reason of outcome.reasons)
        this.#say(station, `  ${' '.repeat(id.length)}    - ${reason.code}: ${reason.message}`);
      const codes = outcome.reasons.map((reason) => reason.code).join(',');
      if (expectRefusal === undefined || codes !== expectRefusal.join(',')) {
        tally.surprises.push(
          `${what}: refused with ${codes}, expected ${expectRefusal?.join(',') ?? 'success'}`,
        );
      }
      return outcome;
    }
    if (expectRefusal !== undefined)
      tally.surprises.push(`${what}: accepted, expected refusal ${expectRefusal.join(',')}`);
    if (step.kind === 'withdraw') {
      if (outcome.phase === 'posted') tally.withdrawalsPosted += 1;
      if (outcome.phase === 'declined') tally.declined += 1;
      if (outcome.phase === 'reversed') tally.reversed += 1;
      if (outcome.phase === 'voided') tally.voided += 1;
      if (outcome.phase !== step.expect)
        tally.surprises.push(`${what}: ended ${outcome.phase}, expected ${step.expect}`);
      if (outcome.phase !== 'posted') this.#say(station, `  ${id}  ${what}: ${outcome.phase.toUpperCase()}`);
    } else {
      if (step.kind === 'bill') tally.bills += 1;
      else tally.topups += 1;
      if (step.amountFen >= 100_000)
        this.#say(station, `  ${id}  ${what}: paid, receipt ${outcome.receiptNumber ?? '?'}`);
    }
    return outcome;
  }

  async #status(kiosk: Kiosk): Promise<StatusView> {
    return waitForStatus(kiosk, () => true);
  }

  async #authorisationTimeout(station: StationSetup): Promise<void> {
    const kiosk = station.kiosk;
    kiosk.proxy.setMode('blackhole');
    this.#say(station, `  ${kiosk.stationId}  network silent: requests leave, nothing comes back`);
    const step: Step = {
      kind: 'withdraw',
      card: 0,
      amountFen: 50_000,
      afterAuthorised: 'confirm',
      expect: 'reversed',
    };
    await this.#one(station, this.#txId(kiosk), step);
    kiosk.proxy.setMode('open');
    await waitForStatus(kiosk, (s) => s.link === 'online' && s.outboxDepth === 0);
    this.#say(station, `  ${kiosk.stationId}  network back: the reversal reached HQ (stored and forwarded)`);
  }

  async #outage(station: StationSetup, steps: readonly Step[]): Promise<void> {
    const kiosk = station.kiosk;
    kiosk.proxy.setMode('cut');
    await waitForStatus(kiosk, (s) => s.link !== 'online');
    this.#say(
      station,
      `  ${kiosk.stationId}  broker connection cut; taking ${steps.length} bill payments and top-ups offline`,
    );
    let depthMax = 0;
    for (const step of steps) {
      await this.#one(station, this.#txId(kiosk), step);
      depthMax = Math.max(depthMax, (await this.#status(kiosk)).outboxDepth);
    }
    this.#say(station, `  ${kiosk.stationId}  outbox holds ${depthMax} signed events; reconnecting`);
    kiosk.proxy.setMode('open');
    await waitForStatus(kiosk, (s) => s.link === 'online' && s.outboxDepth === 0);
    this.#say(
      station,
      `  ${kiosk.stationId}  back online: outbox drained in order, HQ acknowledged everything`,
    );
    const tally = this.#tally(station);
    tally.offline = { txCount: steps.length, outboxDepthMax: depthMax };
    if (depthMax < steps.length)
      tally.surprises.push(`outage: outbox peaked at ${depthMax}, expected >= ${steps.length}`);
  }

  async #purchase(station: StationSetup, amountFen: number): Promise<void> {
    const kiosk = station.kiosk;
    const before = await this.#status(kiosk);
    const purchase = await this.#network.gateway.operations.purchaseQuota(
      kiosk.stationId,
      amountFen,
      `${kiosk.stationId}-QP2`,
    );
    this.#say(
      station,
      `  HQ  quota purchase ${yuan(amountFen)} for ${kiosk.stationId} recorded (R3); HQ-signed config v${purchase.configVersion} sent`,
    );
    const after = await waitForStatus(
      kiosk,
      (s) =>
        s.configVersion >= purchase.configVersion &&
        (s.quotaFenAvailable ?? 0) >= (before.quotaFenAvailable ?? 0) + amountFen,
    );
    this.#tally(station).purchasesFen.push(amountFen);
    this.#say(
      station,
      `  ${kiosk.stationId}  config v${after.configVersion} verified and applied: quota ${yuan(before.quotaFenAvailable ?? 0)} -> ${yuan(after.quotaFenAvailable ?? 0)}`,
    );
  }

  /** The close with the operator's drawer count (R8 账实相符): what the day left, `shortFen` less. */
  async #close(station: StationSetup, shortFen: number): Promise<void> {
    const kiosk = station.kiosk;
    const tally = this.#tally(station);
    const totals = await kiosk.dayTotals(this.#date);
    const none = { amountFen: 0, feeFen: 0 };
    const expected = expectedCash({
      withdrawals: totals.CASH_WITHDRAWAL ?? none,
      billPayments: totals.BILL_PAYMENT ?? none,
      topups: totals.MOBILE_TOPUP ?? none,
      floatFenOpening: DRAWER_FLOAT_FEN,
    });
    if (!expected.ok) {
      tally.surprises.push(`expected cash not computable: ${expected.code}`);
      return;
    }
    const countedFen = Math.max(0, expected.expectedCashFen - shortFen);
    const reply = await kiosk.post('/v1/daily-close', {
      businessDate: this.#date,
      cashFenCounted: countedFen,
      floatFenOpening: DRAWER_FLOAT_FEN,
    });
    if (reply.status !== 200 || reply.body.ok === false) {
      tally.surprises.push(`daily close refused: ${JSON.stringify(reply.body)}`);
      return;
    }
    tally.cashDeclaredFen = countedFen;
    tally.cashShortFenScripted = expected.expectedCashFen - countedFen;
    await waitForStatus(kiosk, (s) => s.link === 'online' && s.outboxDepth === 0);
    this.#say(
      station,
      `  ${kiosk.stationId}  daily close sent with the drawer count ${yuan(countedFen)} (float ${yuan(DRAWER_FLOAT_FEN)}${shortFen > 0 ? `; the drawer is ${yuan(shortFen)} short` : ''}) and acknowledged by HQ`,
    );
  }
}

function describeStep(step: Step): string {
  if (step.kind === 'withdraw') return `withdrawal ${yuan(step.amountFen)} (card ${step.card + 1})`;
  if (step.kind === 'bill') return `${step.biller.toLowerCase()} bill ${yuan(step.amountFen)}`;
  return `top-up ${yuan(step.amountFen)} for ${step.phone.slice(0, 3)}****${step.phone.slice(-4)}`;
}
