// R10/R11 monthly commission runs, as records of the aggregate 'commission:<YYYY-MM>'. A run
// computes the month with core-ledger's computeMonthlyCommission (the one home of the ratios'
// arithmetic, rounding and tax) and records lines; running the month again records nothing when
// the result is unchanged (idempotent) and, when it changed (a late branch statistic, a late
// event), records only the difference as new correction lines: a recorded line is never edited.
//   draft (lines recorded) → listed to finance (R10: before the 15th) → per station: invoice
//   received → paid (R10: before the 20th; R11 lines are paid through the branch).
import type { CommissionPayer, StationCommission } from '@bianmin/core-ledger';
import { assert } from '../assert.js';
import type { Department, DueItem } from './due-items.js';
import { type Decision, decide, fieldInvalid, type NetReason } from './refusal.js';

export const COMMISSION_KINDS = [
  'commission-lines-added',
  'commission-listed',
  'commission-invoice-received',
  'commission-paid',
] as const;
export type CommissionKind = (typeof COMMISSION_KINDS)[number];

/** One recorded line: a (station, payer, business type) commission or a station's tax, or a correction of one. */
export interface CommissionRunLine {
  readonly stationId: string;
  readonly paidThrough: CommissionPayer;
  /** A business type, or 'TAX' for the station's tax (a negative amount of the net). */
  readonly item: string;
  readonly revenueFen: number;
  /** Commission (or, for TAX, the tax) in fen; a correction may be negative. */
  readonly amountFen: number;
}

export interface StationPayable {
  readonly stationId: string;
  readonly paidThrough: CommissionPayer;
  readonly netFen: number;
  readonly paidFen: number;
  readonly invoiced: boolean;
}

export interface CommissionRunView {
  readonly month: string;
  readonly version: number;
  readonly listDueDate: string;
  readonly paymentDueDate: string;
  readonly state: 'draft' | 'listed';
  readonly lines: readonly CommissionRunLine[];
  readonly corrections: number;
  readonly stations: readonly StationPayable[];
}

type Payload = Readonly<Record<string, unknown>>;
const keyOf = (line: Pick<CommissionRunLine, 'stationId' | 'paidThrough' | 'item'>): string =>
  `${line.stationId}\u0000${line.paidThrough}\u0000${line.item}`;

/** The lines a computed result stands for (commissions per type, and each station's tax). */
export function linesOf(stations: readonly StationCommission[]): CommissionRunLine[] {
  assert(
    stations.every((s) => Number.isSafeInteger(s.taxFen) && s.taxFen >= 0),
    'tax is fen (R1)',
  );
  const lines: CommissionRunLine[] = [];
  for (const station of stations) {
    for (const line of station.lines)
      lines.push({
        stationId: station.stationId,
        paidThrough: station.paidThrough,
        item: line.businessType,
        revenueFen: line.revenueFen,
        amountFen: line.commissionFen,
      });
    lines.push({
      stationId: station.stationId,
      paidThrough: station.paidThrough,
      item: 'TAX',
      revenueFen: 0,
      amountFen: -station.taxFen,
    });
  }
  return lines;
}

/** Sum of recorded lines per key. */
function totals(lines: readonly CommissionRunLine[]): Map<string, CommissionRunLine> {
  assert(
    lines.every((l) => Number.isSafeInteger(l.amountFen)),
    'amounts are integer fen (R1)',
  );
  const sums = new Map<string, CommissionRunLine>();
  for (const line of lines) {
    const known = sums.get(keyOf(line));
    sums.set(
      keyOf(line),
      known === undefined
        ? line
        : {
            ...known,
            revenueFen: known.revenueFen + line.revenueFen,
            amountFen: known.amountFen + line.amountFen,
          },
    );
  }
  return sums;
}

/**
 * What a (re-)run records: all lines for a new run, the differences for a changed one, nothing
 * (undefined) for an unchanged one.
 */
export function runDifference(
  view: CommissionRunView | undefined,
  computed: readonly CommissionRunLine[],
): CommissionRunLine[] | undefined {
  assert(
    computed.every((l) => Number.isSafeInteger(l.revenueFen)),
    'revenue is integer fen (R1)',
  );
  const before = totals(view?.lines ?? []);
  const after = totals(computed);
  const diff: CommissionRunLine[] = [];
  for (const [key, line] of after) {
    const old = before.get(key);
    const revenueFen = line.revenueFen - (old?.revenueFen ?? 0);
    const amountFen = line.amountFen - (old?.amountFen ?? 0);
    if (old === undefined || revenueFen !== 0 || amountFen !== 0)
      diff.push({ ...line, revenueFen, amountFen });
  }
  for (const [key, old] of before)
    if (!after.has(key) && (old.revenueFen !== 0 || old.amountFen !== 0))
      diff.push({ ...old, revenueFen: -old.revenueFen, amountFen: -old.amountFen });
  return view !== undefined && diff.length === 0 ? undefined : diff;
}

function stationOf(
  view: CommissionRunView | undefined,
  stationId: unknown,
  paidThrough: unknown,
): StationPayable | undefined {
  assert(
    view === undefined || view.stations.every((s) => s.paidThrough === 'HQ' || s.paidThrough === 'BRANCH'),
    'a payer per station',
  );
  return view?.stations.find((s) => s.stationId === stationId && s.paidThrough === paidThrough);
}

export function decideCommissionStep(
  view: CommissionRunView | undefined,
  kind: Exclude<CommissionKind, 'commission-lines-added'>,
  input: Payload,
): Decision<Record<string, unknown>> {
  assert(COMMISSION_KINDS.includes(kind), 'a commission step kind');
  const reasons: NetReason[] = [];
  if (view === undefined)
    return decide(
      [{ code: 'HQ_NET_NOT_FOUND', message: 'no commission run for this month: run it first' }],
      () => ({}),
    );
  const illegal = (message: string): void => {
    reasons.push({ code: 'HQ_NET_TRANSITION_ILLEGAL', message, details: { state: view.state, step: kind } });
  };
  if (kind === 'commission-listed') {
    if (view.state !== 'draft') illegal('the run is already listed to finance');
    return decide(reasons, () => ({}));
  }
  const paidThrough = input.paidThrough ?? 'HQ';
  const station = stationOf(view, input.stationId, paidThrough);
  if (station === undefined)
    reasons.push(
      fieldInvalid('stationId', `a station of the ${view.month} run paid through ${String(paidThrough)}`),
    );
  if (view.state !== 'listed') illegal(`${kind}: list the run to finance first`);
  if (kind === 'commission-invoice-received' && station?.invoiced === true)
    illegal('the invoice is already received');
  if (kind === 'commission-paid' && station !== undefined) {
    if (!station.invoiced && station.paidThrough === 'HQ')
      illegal('R10: pay against the station invoice: none received');
    if (station.netFen - station.paidFen <= 0) illegal('nothing outstanding for this station');
  }
  return decide(reasons, () => ({
    stationId: input.stationId,
    paidThrough,
    ...(kind === 'commission-paid' && station !== undefined
      ? { amountFen: station.netFen - station.paidFen }
      : {}),
  }));
}

export function foldCommissionRun(
  month: string,
  records: readonly { kind: string; payload: Payload; version: number }[],
): CommissionRunView | undefined {
  assert(/^\d{4}-\d{2}$/.test(month), 'month is YYYY-MM');
  let view: CommissionRunView | undefined;
  for (const record of records) {
    const p = record.payload;
    if (record.kind === 'commission-lines-added') {
      const lines = [...(view?.lines ?? []), ...(p.lines as CommissionRunLine[])];
      view = {
        month,
        version: record.version,
        listDueDate: p.listDueDate as string,
        paymentDueDate: p.paymentDueDate as string,
        state: view?.state ?? 'draft',
        lines,
        corrections: view === undefined ? 0 : view.corrections + 1,
        stations: payables(lines, view?.stations ?? []),
      };
      continue;
    }
    assert(view !== undefined, `${record.kind} needs a run`);
    if (record.kind === 'commission-listed') view = { ...view, version: record.version, state: 'listed' };
    else {
      const invoiced = record.kind === 'commission-invoice-received';
      const stations = view.stations.map((s) =>
        s.stationId !== p.stationId || s.paidThrough !== (p.paidThrough ?? 'HQ')
          ? s
          : invoiced
            ? { ...s, invoiced: true }
            : { ...s, paidFen: s.paidFen + (p.amountFen as number) },
      );
      view = { ...view, version: record.version, stations };
    }
  }
  return view;
}

function payables(lines: readonly CommissionRunLine[], before: readonly StationPayable[]): StationPayable[] {
  assert(
    lines.every((l) => Number.isSafeInteger(l.amountFen)),
    'amounts are integer fen (R1)',
  );
  // Net per (station, payer) is the sum of every line ever recorded; payments and invoices carry over.
  const net = new Map<string, { stationId: string; paidThrough: CommissionPayer; netFen: number }>();
  for (const line of lines) {
    const key = `${line.stationId}\u0000${line.paidThrough}`;
    const known = net.get(key) ?? { stationId: line.stationId, paidThrough: line.paidThrough, netFen: 0 };
    net.set(key, { ...known, netFen: known.netFen + line.amountFen });
  }
  return [...net.values()].map((entry) => {
    const old = before.find((s) => s.stationId === entry.stationId && s.paidThrough === entry.paidThrough);
    return { ...entry, paidFen: old?.paidFen ?? 0, invoiced: old?.invoiced ?? false };
  });
}

/** The run's open steps: the list to finance, then each station's invoice and payment. */
export function commissionDueItems(view: CommissionRunView): DueItem[] {
  assert(view.listDueDate <= view.paymentDueDate, 'R10: listed before paid');
  const aggregateId = `commission:${view.month}`;
  if (view.state === 'draft')
    return [
      {
        aggregateId,
        subjectId: view.month,
        department: 'ecommerce',
        step: `commission list ${view.month} to finance`,
        rule: 'R10',
        startedDate: `${view.month}-01`,
        dueDate: view.listDueDate,
      },
    ];
  const items: DueItem[] = [];
  for (const station of view.stations) {
    if (station.netFen - station.paidFen <= 0) continue;
    const department: Department =
      station.paidThrough === 'HQ' ? (station.invoiced ? 'finance' : 'ecommerce') : 'branch';
    const step = station.paidThrough === 'HQ' && !station.invoiced ? 'station invoice' : 'commission payment';
    items.push({
      aggregateId,
      subjectId: station.stationId,
      department,
      step: `${step} ${view.month}`,
      rule: station.paidThrough === 'HQ' ? 'R10' : 'R11',
      startedDate: view.listDueDate,
      dueDate: view.paymentDueDate,
    });
  }
  return items;
}
