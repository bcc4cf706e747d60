// The business day of one simulated kiosk, compressed (pure: a seed in, a list of steps out).
// Each station opens with a quota purchase HQ recorded beforehand (R3), then serves customers:
// cash withdrawals that need HQ's online authorisation (R5), bill payments and phone top-ups that
// consume its quota (R2), telemetry heartbeats, and for some stations one offline stretch (the
// line drops: a death, business journaled locally, then a birth and a drain of the outbox).
// Withdrawals never fall inside an offline stretch: they need an answer from HQ.
import { intBetween, prng } from '../demo/lib/prng.js';
import { planStepsMax } from './limits.js';

export type Step =
  | { readonly kind: 'bill'; readonly amountFen: number; readonly atMs: number }
  | { readonly kind: 'topup'; readonly amountFen: number; readonly atMs: number }
  | { readonly kind: 'withdrawal'; readonly amountFen: number; readonly atMs: number }
  | { readonly kind: 'telemetry'; readonly atMs: number }
  | { readonly kind: 'offline'; readonly atMs: number }
  | { readonly kind: 'online'; readonly atMs: number };

export interface StationPlan {
  readonly stationId: string;
  /** The station's one quota purchase (R3: at least 50,000 fen), enough for every payment planned. */
  readonly purchaseFen: number;
  /** Steps in time order; atMs is the offset from the start of the compressed day. */
  readonly steps: readonly Step[];
}

export interface PlanOptions {
  readonly stationId: string;
  readonly seed: number;
  /** Customer transactions in the day (withdrawals, bills, top-ups). */
  readonly transactionCount: number;
  /** Length of the compressed day (ms): steps are spread over it. */
  readonly dayMs: number;
  /** Share of stations that have one offline stretch, 0..1. */
  readonly offlineShare: number;
}

const topUpFen = [3_000, 5_000, 10_000] as const;

/** The plan of one station: the same seed and options give the same plan. */
export function planDay(options: PlanOptions): StationPlan {
  if (!(options.transactionCount >= 1 && options.transactionCount * 2 + 4 <= planStepsMax))
    throw new Error(`assert: transactionCount 1..${(planStepsMax - 4) / 2}`);
  if (!(options.dayMs >= 1_000)) throw new Error('assert: dayMs >= 1000');
  const random = prng(options.seed);
  const steps: Step[] = [];
  const gapMs = options.dayMs / (options.transactionCount + 1);
  const offline = random() < options.offlineShare;
  // The offline stretch covers a run of transactions in the middle of the day.
  const offlineFrom = offline ? intBetween(random, 1, Math.max(1, options.transactionCount - 3)) : -1;
  const offlineTo = offline
    ? Math.min(options.transactionCount - 1, offlineFrom + intBetween(random, 2, 5))
    : -1;
  let spentFen = 0;
  for (let index = 0; index < options.transactionCount; index += 1) {
    const atMs = Math.round(gapMs * (index + 0.5 + random() * 0.5));
    if (index === offlineFrom) steps.push({ kind: 'offline', atMs });
    if (index === offlineTo) steps.push({ kind: 'online', atMs });
    const isOffline = index >= offlineFrom && index < offlineTo;
    const draw = random();
    if (draw < 0.3 && !isOffline) {
      steps.push({ kind: 'withdrawal', amountFen: 100 * intBetween(random, 1, 20) * 10, atMs });
    } else if (draw < 0.65) {
      const amountFen = intBetween(random, 100, 30_000);
      spentFen += amountFen;
      steps.push({ kind: 'bill', amountFen, atMs });
    } else {
      const amountFen = topUpFen[intBetween(random, 0, topUpFen.length - 1)]!;
      spentFen += amountFen;
      steps.push({ kind: 'topup', amountFen, atMs });
    }
    if (index % 4 === 3 && !isOffline) steps.push({ kind: 'telemetry', atMs: atMs + 1 });
  }
  const purchaseFen = Math.max(50_000, Math.ceil(spentFen / 10_000) * 10_000);
  if (!(steps.length <= planStepsMax)) throw new Error('assert: plan within planStepsMax');
  return { stationId: options.stationId, purchaseFen, steps };
}
