// The station network's reports for people (issue 11): the branches' monthly development
// statistics (R16) and a month's commission list (R10/R11), as CSV in UTF-8 with a BOM (Excel
// opens the Chinese headers), zh-CN headers and names, amounts in yuan with two decimals (a
// correction or the tax may be negative), times in Beijing time. One writer for the API
// (?format=csv) and `hq report statistics|commission --format csv`.
import { yuanText } from './amount.js';
import { assert } from './assert.js';
import { beijingTime, csvField } from './daily-report-csv.js';
import type { CommissionRunView } from './network/commission-run.js';
import type { StatisticsView } from './network/statistics.js';

/** zh-CN names of business types and commission items. */
export const businessTypeNames: Readonly<Record<string, string>> = {
  CASH_WITHDRAWAL: '助农取款',
  BILL_PAYMENT: '代收费',
  MOBILE_TOPUP: '手机充值',
  INSURANCE: '保险',
  DISTRIBUTION: '分销',
  TAX: '代扣税款',
};

const payerNames: Readonly<Record<string, string>> = { HQ: '市局直付', BRANCH: '经支局支付' };
const runStateNames: Readonly<Record<string, string>> = { draft: '草稿', listed: '已报财务' };

/** Yuan with two decimals, signed: '-12.30' for a negative correction. */
export function signedYuanText(amountFen: number): string {
  assert(Number.isSafeInteger(amountFen), 'signedYuanText: integer fen (R1)');
  return amountFen < 0 ? `-${yuanText(-amountFen)}` : yuanText(amountFen);
}

/** A cell: an amount as it is (a leading minus is a number, not a formula), other text made safe. */
function cell(value: string): string {
  assert(typeof value === 'string', 'a csv cell is text');
  return /^-?\d+(\.\d{2})?$/.test(value) ? value : csvField(value);
}

function document(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  assert(
    rows.every((r) => r.length === headers.length),
    'every row has one cell per header',
  );
  const lines = [headers.map(cell).join(','), ...rows.map((r) => r.map(cell).join(','))];
  assert(lines.length === rows.length + 1, 'a header line, then one line per row');
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export const statisticsCsvHeaders = [
  '月份',
  '支局',
  '新开站点数',
  '关闭站点数',
  '站点编号',
  '业务种类',
  '营业额(元)',
  '首次报送日期',
  '截止日期',
  '是否逾期',
  '生成时间(北京时间)',
] as const;

/** R16: one row per reported line; a branch that reported no line gets one row without a station. */
export function statisticsCsv(views: readonly StatisticsView[], generatedAtMs: number): string {
  assert(
    views.every((v) => v.lines.every((l) => Number.isSafeInteger(l.revenueFen))),
    'revenue is integer fen (R1)',
  );
  const generated = beijingTime(generatedAtMs);
  const rows: string[][] = [];
  const sorted = [...views].sort(
    (a, b) => a.month.localeCompare(b.month) || a.branchId.localeCompare(b.branchId),
  );
  for (const v of sorted) {
    const head = [v.month, v.branchId, String(v.stationsOpened), String(v.stationsClosed)];
    const tail = [v.firstSubmittedDate, v.dueDate, v.late ? '逾期' : '按时', generated];
    if (v.lines.length === 0) rows.push([...head, '', '', '', ...tail]);
    for (const line of v.lines)
      rows.push([
        ...head,
        line.stationId,
        businessTypeNames[line.businessType] ?? line.businessType,
        yuanText(line.revenueFen),
        ...tail,
      ]);
  }
  return document(statisticsCsvHeaders, rows);
}

export const commissionCsvHeaders = [
  '月份',
  '站点编号',
  '支付方式',
  '项目',
  '营业额(元)',
  '佣金(元)',
  '已开票',
  '已付(元)',
  '状态',
  '报财务截止日期',
  '付款截止日期',
  '生成时间(北京时间)',
] as const;

/**
 * R10/R11: every line of the run in the order recorded (corrections are lines of their own), then
 * per station and payer the net payable ('应付合计') with its invoice and what was paid.
 */
export function commissionCsv(view: CommissionRunView, generatedAtMs: number): string {
  assert(/^\d{4}-\d{2}$/.test(view.month), 'a run is for a month');
  const generated = beijingTime(generatedAtMs);
  const state = runStateNames[view.state] ?? view.state;
  const tail = [state, view.listDueDate, view.paymentDueDate, generated];
  const rows: string[][] = view.lines.map((line) => [
    view.month,
    line.stationId,
    payerNames[line.paidThrough] ?? line.paidThrough,
    businessTypeNames[line.item] ?? line.item,
    signedYuanText(line.revenueFen),
    signedYuanText(line.amountFen),
    '',
    '',
    ...tail,
  ]);
  for (const s of view.stations)
    rows.push([
      view.month,
      s.stationId,
      payerNames[s.paidThrough] ?? s.paidThrough,
      '应付合计',
      '',
      signedYuanText(s.netFen),
      s.invoiced ? '是' : '否',
      signedYuanText(s.paidFen),
      ...tail,
    ]);
  assert(rows.length === view.lines.length + view.stations.length, 'one row per line and per payable');
  return document(commissionCsvHeaders, rows);
}
