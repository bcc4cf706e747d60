// Ledger throughput on one core for the realistic mix of issue 2: 80% bill payments and top-ups,
// 20% withdrawals with hold and post (one transfer = one business transaction; a withdrawal is
// two commands). Printed next to a baseline measured in the same run — a loop that only adds
// integers into a Map keyed by the same ids, the floor cost of any ledger that remembers ids —
// and the ratio. Commands are built before timing; each run uses a fresh ledger.
// Run: npx tsx packages/core-ledger/bench/ledger.bench.ts [transfers]

import {
  createLedger,
  createWorkingCalendar,
  type LedgerCommand,
  shanghaiInstantMs,
  standardFeeSchedule,
} from '../src/index.js';

const transferCount = Number(process.argv[2] ?? 1_000_000);
const stationCount = 100;
const cardCount = 100_000;
const runs = 5;

function buildCommands(): { commands: LedgerCommand[]; amounts: number[] } {
  const commands: LedgerCommand[] = [];
  const amounts: number[] = [];
  const dayStartMs = shanghaiInstantMs('2026-03-02', 8, 0);
  let seed = 12345;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < transferCount; i++) {
    const stationId = `S${next() % stationCount}`;
    const atMs = dayStartMs + Math.floor((i / transferCount) * 10 * 3600 * 1000);
    const roll = next() % 10;
    const amountFen = 1000 + (next() % 20_000);
    if (roll < 4) {
      commands.push({
        type: 'bill-payment',
        id: `bp-${i}`,
        atMs,
        stationId,
        amountFen,
        feeFen: 0,
        billerCode: 'ELEC',
        billAccountNo: `A${i % 5000}`,
      });
      amounts.push(amountFen);
    } else if (roll < 8) {
      commands.push({
        type: 'mobile-topup',
        id: `tu-${i}`,
        atMs,
        stationId,
        amountFen,
        feeFen: 0,
        phoneNumber: `138${i % 100_000}`,
      });
      amounts.push(amountFen);
    } else {
      const holdId = `wd-${i}`;
      commands.push({
        type: 'withdrawal-hold',
        id: holdId,
        atMs,
        stationId,
        cardToken: `card-${next() % cardCount}`,
        amountFen,
        feeFen: 100,
      });
      commands.push({ type: 'withdrawal-post', id: `${holdId}-post`, atMs: atMs + 1000, holdId });
      amounts.push(amountFen, amountFen);
    }
  }
  return { commands, amounts };
}

function freshLedger(eventCapacityInitial: number | undefined) {
  const ledger = createLedger({
    calendar: createWorkingCalendar([]),
    feeSchedules: [standardFeeSchedule('2026-01-01')],
    ...(eventCapacityInitial === undefined ? {} : { eventCapacityInitial }),
    withdrawalLimits: {
      perTransactionFenMax: 1_000_000,
      perCardDailyFenMax: 1_000_000_000,
      perStationDailyFenMax: 100_000_000_000,
    },
  });
  const atMs = shanghaiInstantMs('2026-03-01', 9, 0);
  for (let s = 0; s < stationCount; s++) {
    ledger.apply({
      type: 'station-register',
      id: `reg-S${s}`,
      atMs,
      stationId: `S${s}`,
      orgCode: `3100${s}`,
      quotaAccountNo: `Q-${s}`,
    });
    ledger.apply({
      type: 'quota-purchase',
      id: `qp-S${s}`,
      atMs,
      stationId: `S${s}`,
      amountFen: 100_000_000_000,
    });
  }
  return ledger;
}

/** Wall-clock and CPU time (user + system, all threads of the process: GC included) of f. */
interface Timing {
  wallNs: number;
  cpuNs: number;
}

function timed(f: () => void): Timing {
  const cpuStart = process.cpuUsage();
  const startNs = process.hrtime.bigint();
  f();
  const wallNs = Number(process.hrtime.bigint() - startNs);
  const cpu = process.cpuUsage(cpuStart);
  return { wallNs, cpuNs: (cpu.user + cpu.system) * 1000 };
}

function runLedger(commands: readonly LedgerCommand[], eventCapacityInitial?: number): Timing {
  const ledger = freshLedger(eventCapacityInitial);
  let refused = 0;
  const timing = timed(() => {
    for (let i = 0; i < commands.length; i++) {
      if (!ledger.apply(commands[i]!).ok) refused++;
    }
  });
  if (refused !== 0) throw new Error(`bench mix must be all accepted, ${refused} refused`);
  return timing;
}

function runBaseline(commands: readonly LedgerCommand[], amounts: readonly number[]): Timing {
  const totals = new Map<string, number>();
  const timing = timed(() => {
    for (let i = 0; i < commands.length; i++) {
      const id = commands[i]!.id;
      totals.set(id, (totals.get(id) ?? 0) + amounts[i]!);
    }
  });
  if (totals.size !== commands.length) throw new Error('baseline lost ids');
  return timing;
}

const { commands, amounts } = buildCommands();
runLedger(commands.slice(0, 200_000)); // warm-up: let the JIT settle
runBaseline(commands.slice(0, 200_000), amounts);
const ledgerRuns: Timing[] = [];
const ledgerDefaultRuns: Timing[] = [];
const baselineRuns: Timing[] = [];
for (let run = 0; run < runs; run++) {
  baselineRuns.push(runBaseline(commands, amounts));
  ledgerRuns.push(runLedger(commands, 2 ** 21));
  ledgerDefaultRuns.push(runLedger(commands));
}
const median = (values: number[]): number =>
  values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const perSecond = (timings: Timing[], key: keyof Timing, count = transferCount): number =>
  count / (median(timings.map((timing) => timing[key])) / 1e9);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const row = (name: string, timings: Timing[]): string =>
  `  ${name.padEnd(34)} ${fmt(perSecond(timings, 'wallNs')).padStart(11)} /s wall   ${fmt(perSecond(timings, 'cpuNs')).padStart(11)} /s per CPU-second`;
const loadAverage = (await import('node:os')).loadavg()[0]!.toFixed(1);
console.log(
  `core-ledger bench: ${fmt(transferCount)} transfers (${fmt(commands.length)} commands), median of ${runs} runs, load average ${loadAverage}`,
);
console.log(
  `  mix: 80% bill payments + top-ups, 20% withdrawals (hold + post), ${stationCount} stations, ${fmt(cardCount)} cards`,
);
console.log(row('ledger (eventCapacityInitial 2^21)', ledgerRuns));
console.log(row('ledger (default capacity, grows)', ledgerDefaultRuns));
console.log(row('baseline (Map<id, integer> adds)', baselineRuns));
console.log(`  commands/s (ledger, 2^21, wall): ${fmt(perSecond(ledgerRuns, 'wallNs', commands.length))}`);
for (const key of ['wallNs', 'cpuNs'] as const) {
  const ratio = perSecond(ledgerRuns, key) / perSecond(baselineRuns, key);
  const ratioDefault = perSecond(ledgerDefaultRuns, key) / perSecond(baselineRuns, key);
  console.log(
    `  ratio (${key === 'wallNs' ? 'wall' : 'CPU '}): ledger = ${ratio.toFixed(2)} × baseline (default capacity ${ratioDefault.toFixed(2)} ×)`,
  );
}
const best = Math.max(perSecond(ledgerRuns, 'wallNs'), perSecond(ledgerRuns, 'cpuNs'));
console.log(
  `  floor: 1,000,000 transfers/s on one core — ${best >= 1_000_000 ? 'met' : 'NOT met'} (per CPU-second when the machine is shared)`,
);
