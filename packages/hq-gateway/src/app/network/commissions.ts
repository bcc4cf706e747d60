// R16 branch statistics and R10/R11 commission runs. A run for a month computes the commission
// with core-ledger (e-commerce revenue from the ingest store, insurance and distribution from the
// branches' statistics) and records it; re-running records nothing when nothing changed and a
// correction (the difference) when something did. A branch whose statistics are missing is named
// in the answer (HQ_COMMISSION_STATISTICS_LATE): its lines come with a later re-run.
import { computeMonthlyCommission, type RevenueLine, type TaxRule } from '@bianmin/core-ledger';
import {
  type CommissionKind,
  type CommissionRunView,
  decideCommissionStep,
  foldCommissionRun,
  linesOf,
  runDifference,
} from '../../domain/network/commission-run.js';
import { isMonth } from '../../domain/network/deadlines.js';
import { type NetReason, refuse } from '../../domain/network/refusal.js';
import { decideStatistics, foldStatistics, type StatisticsView } from '../../domain/network/statistics.js';
import { HqError } from '../../errors.js';
import {
  type Actor,
  appendStep,
  type NetworkDeps,
  readGrouped,
  recordsAfter,
  type StepOptions,
  type StepResult,
} from './deps.js';
import { allBranches } from './stations.js';

/** The agreed commission terms (R10/R11): ratios per business type in basis points, and the tax rule. */
export interface CommissionTerms {
  readonly ratiosBasisPoints: Readonly<
    Record<'BILL_PAYMENT' | 'MOBILE_TOPUP' | 'INSURANCE' | 'DISTRIBUTION', number>
  >;
  readonly taxRule: TaxRule;
}

/** Default terms until HQ's agreements configure them: the demo's figures, not the Measures'. */
export const COMMISSION_TERMS_DEFAULT: CommissionTerms = {
  ratiosBasisPoints: { BILL_PAYMENT: 30, MOBILE_TOPUP: 50, INSURANCE: 1000, DISTRIBUTION: 500 },
  taxRule: { kind: 'none' },
};

export async function submitStatistics(
  deps: NetworkDeps,
  actor: Actor,
  branchId: string,
  input: Readonly<Record<string, unknown>>,
  options: StepOptions = {},
): Promise<StepResult<StatisticsView>> {
  const reasons: NetReason[] = [];
  if (!(await allBranches(deps)).some((b) => b.branchId === branchId))
    reasons.push({ code: 'HQ_NET_NOT_FOUND', field: 'branchId', message: `no branch ${branchId}` });
  // A branch user reports for its own branch only.
  if (actor.role === 'branch' && actor.branchId !== branchId)
    reasons.push({
      code: 'HQ_NET_FIELD_INVALID',
      field: 'branchId',
      message: 'a branch reports its own statistics',
    });
  const decision = decideStatistics(input);
  if (!decision.ok) reasons.push(...decision.reasons);
  if (reasons.length > 0 || !decision.ok) return refuse(reasons);
  const aggregateId = `stats:${branchId}:${String(input.month)}`;
  const records = await deps.store.read(aggregateId);
  const appended = await appendStep(
    deps,
    actor,
    aggregateId,
    'statistics-submitted',
    decision.value,
    records.length,
    options,
  );
  if (!appended.ok) return appended;
  return {
    ...appended,
    view: foldStatistics(branchId, await recordsAfter(deps, aggregateId, records, appended))!,
  };
}

export async function allStatistics(deps: NetworkDeps): Promise<StatisticsView[]> {
  const groups = await readGrouped(deps.store, 'stats:');
  return [...groups].flatMap(
    ([aggregateId, records]) => foldStatistics(aggregateId.split(':')[1]!, records) ?? [],
  );
}

export async function commissionRunView(
  deps: NetworkDeps,
  month: string,
): Promise<CommissionRunView | undefined> {
  return foldCommissionRun(month, await deps.store.read(`commission:${month}`));
}

export interface RunAnswer {
  readonly ok: true;
  /** 'recorded': the first run; 'corrected': a difference recorded; 'unchanged': nothing recorded. */
  readonly outcome: 'recorded' | 'corrected' | 'unchanged';
  readonly view: CommissionRunView;
  /** Branches without statistics for the month (their R11 lines are missing), as warnings. */
  readonly warnings: readonly NetReason[];
}

/** R10/R11: run (or re-run) the month 'YYYY-MM'. */
export async function runCommission(
  deps: NetworkDeps,
  actor: Actor,
  month: string,
  terms: CommissionTerms = COMMISSION_TERMS_DEFAULT,
): Promise<RunAnswer | ReturnType<typeof refuse>> {
  if (!isMonth(month))
    return refuse([{ code: 'HQ_NET_FIELD_INVALID', field: 'month', message: 'month: YYYY-MM' }]);
  if (deps.facts === undefined)
    throw new HqError('HQ_CONFIG_INVALID', 'a commission run needs the ingest facts (NetworkFacts)');
  const statistics = (await allStatistics(deps)).filter((s) => s.month === month);
  const warnings: NetReason[] = (await allBranches(deps))
    .filter((b) => !statistics.some((s) => s.branchId === b.branchId))
    .map((b) => ({
      code: 'HQ_COMMISSION_STATISTICS_LATE',
      field: 'branchId',
      message: `R11: branch ${b.branchId} has not reported ${month}`,
      details: { branchId: b.branchId },
    }));
  const revenue: RevenueLine[] = [
    ...(await deps.facts.monthlyRevenue(month)),
    ...statistics.flatMap((s) => s.lines),
  ];
  const computed = computeMonthlyCommission({
    month,
    revenue,
    ratiosBasisPoints: terms.ratiosBasisPoints,
    taxRule: terms.taxRule,
    calendar: deps.calendar,
  });
  if (!computed.ok) {
    const code =
      computed.code === 'LEDGER_CALENDAR_YEAR_MISSING'
        ? 'HQ_NET_CALENDAR_YEAR_MISSING'
        : 'HQ_NET_FIELD_INVALID';
    return refuse([
      {
        code,
        message: `the commission cannot be computed: ${computed.code}`,
        details: { ledgerCode: computed.code },
      },
    ]);
  }
  const aggregateId = `commission:${month}`;
  const records = await deps.store.read(aggregateId);
  const before = foldCommissionRun(month, records);
  const lines = runDifference(before, linesOf(computed.stations));
  if (lines === undefined) return { ok: true, outcome: 'unchanged', view: before!, warnings };
  const payload = {
    lines,
    listDueDate: computed.listDueDate,
    paymentDueDate: computed.paymentDueDate,
    correction: before !== undefined,
  };
  const appended = await appendStep(
    deps,
    actor,
    aggregateId,
    'commission-lines-added',
    payload,
    records.length,
    {},
  );
  if (!appended.ok) return appended;
  return {
    ok: true,
    outcome: before === undefined ? 'recorded' : 'corrected',
    view: foldCommissionRun(month, await recordsAfter(deps, aggregateId, records, appended))!,
    warnings,
  };
}

/** The run's later steps: listed to finance, a station's invoice received, a station paid. */
export async function commissionStep(
  deps: NetworkDeps,
  actor: Actor,
  month: string,
  kind: Exclude<CommissionKind, 'commission-lines-added'>,
  input: Readonly<Record<string, unknown>>,
  options: StepOptions = {},
): Promise<StepResult<CommissionRunView>> {
  if (!isMonth(month))
    return refuse([{ code: 'HQ_NET_FIELD_INVALID', field: 'month', message: 'month: YYYY-MM' }]);
  const aggregateId = `commission:${month}`;
  const records = await deps.store.read(aggregateId);
  const decision = decideCommissionStep(foldCommissionRun(month, records), kind, input);
  if (!decision.ok) return decision;
  const appended = await appendStep(deps, actor, aggregateId, kind, decision.value, records.length, options);
  if (!appended.ok) return appended;
  return {
    ...appended,
    view: foldCommissionRun(month, await recordsAfter(deps, aggregateId, records, appended))!,
  };
}

export async function allCommissionRuns(deps: NetworkDeps): Promise<CommissionRunView[]> {
  const groups = await readGrouped(deps.store, 'commission:');
  return [...groups].flatMap(
    ([aggregateId, records]) => foldCommissionRun(aggregateId.slice('commission:'.length), records) ?? [],
  );
}
