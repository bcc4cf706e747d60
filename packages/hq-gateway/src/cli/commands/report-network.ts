// `hq report statistics|commission`: the branches' monthly development statistics (R16) and a
// month's commission list (R10/R11) for people: text in zh-CN with yuan, or --format csv (UTF-8
// with BOM, the same writer as the API's ?format=csv). Read-only over app/network/.
import type { Parsed } from '@bianmin/cli-kit';
import { allStatistics, commissionRunView } from '../../app/network/commissions.js';
import { yuanForPeople } from '../../domain/amount.js';
import { businessTypeNames, commissionCsv, statisticsCsv } from '../../domain/network-report-csv.js';
import { HqError, type HqProblem } from '../../errors.js';
import { networkCommand, required } from './network-common.js';

const month = /^\d{4}-(0[1-9]|1[0-2])$/;
const formatFlag = {
  format: {
    type: 'string',
    valueName: 'text|csv',
    description: 'csv: UTF-8 with BOM, zh-CN headers, yuan, Beijing time (the API writer); default text',
  },
} as const;

function formatOf(parsed: Parsed, problems: HqProblem[]): 'text' | 'csv' {
  const format = parsed.values.format ?? 'text';
  if (format === 'text' || format === 'csv') return format;
  problems.push({ code: 'HQ_CLI_USAGE', field: '--format', message: '--format must be text or csv' });
  return 'text';
}

/** A signed amount for people: '-¥12.30' for a negative correction. */
function signedYuan(amountFen: number): string {
  return amountFen < 0 ? `-${yuanForPeople(-amountFen)}` : yuanForPeople(amountFen);
}

export const reportStatisticsCommand = networkCommand({
  name: 'report statistics',
  summary: "R16: the branches' monthly development statistics (a branch sees its own); --format csv",
  usage: 'hq report statistics --month YYYY-MM [--format text|csv]',
  flags: {
    month: { type: 'string', valueName: 'YYYY-MM', description: 'the month reported' },
    ...formatFlag,
  },
  positionals: 0,
  run: ({ deps, actor, parsed }, problems) => {
    const forMonth = required(parsed, 'month', problems, month);
    const format = formatOf(parsed, problems);
    return async () => {
      const items = (await allStatistics(deps))
        .filter((s) => s.month === forMonth)
        .filter((s) => actor.role !== 'branch' || s.branchId === actor.branchId)
        .sort((a, b) => a.branchId.localeCompare(b.branchId));
      return {
        month: forMonth,
        items,
        ...(format === 'csv' ? { csv: statisticsCsv(items, deps.clock.nowMs()) } : {}),
      };
    };
  },
  text: (data) => {
    const d = data as { month: string; items: Awaited<ReturnType<typeof allStatistics>>; csv?: string };
    if (d.csv !== undefined) return d.csv;
    const lines = [`${d.month} 月度发展统计 (R16)`];
    for (const s of d.items) {
      lines.push(
        `  支局 ${s.branchId}: 新开 ${s.stationsOpened} 个, 关闭 ${s.stationsClosed} 个, 报送 ${s.firstSubmittedDate} (截止 ${s.dueDate}${s.late ? ', 逾期' : ''})`,
      );
      for (const l of s.lines)
        lines.push(
          `    ${l.stationId.padEnd(12)} ${businessTypeNames[l.businessType] ?? l.businessType} ${yuanForPeople(l.revenueFen)}`,
        );
    }
    if (d.items.length === 0) lines.push('  (无报送)');
    return `${lines.join('\n')}\n`;
  },
});

export const reportCommissionCommand = networkCommand({
  name: 'report commission',
  summary: "R10/R11: a month's commission list (lines, corrections, net and paid per station); --format csv",
  usage: 'hq report commission --month YYYY-MM [--format text|csv]',
  flags: {
    month: { type: 'string', valueName: 'YYYY-MM', description: 'the month the commission is for' },
    ...formatFlag,
  },
  positionals: 0,
  run: ({ deps, parsed }, problems) => {
    const forMonth = required(parsed, 'month', problems, month);
    const format = formatOf(parsed, problems);
    return async () => {
      const view = await commissionRunView(deps, forMonth);
      if (view === undefined)
        throw new HqError('HQ_NET_NOT_FOUND', `no commission run for ${forMonth}`, {
          problems: [
            { code: 'HQ_NET_NOT_FOUND', field: '--month', message: `no commission run for ${forMonth}` },
          ],
        });
      return { run: view, ...(format === 'csv' ? { csv: commissionCsv(view, deps.clock.nowMs()) } : {}) };
    };
  },
  text: (data) => {
    const d = data as { run: NonNullable<Awaited<ReturnType<typeof commissionRunView>>>; csv?: string };
    if (d.csv !== undefined) return d.csv;
    const run = d.run;
    const lines = [
      `${run.month} 佣金清单 (${run.state === 'listed' ? '已报财务' : '草稿'}; 报财务截止 ${run.listDueDate}, 付款截止 ${run.paymentDueDate})`,
    ];
    for (const l of run.lines)
      lines.push(
        `  ${l.stationId.padEnd(12)} ${(businessTypeNames[l.item] ?? l.item).padEnd(6)} 营业额 ${signedYuan(l.revenueFen)} 佣金 ${signedYuan(l.amountFen)}`,
      );
    for (const s of run.stations)
      lines.push(
        `  ${s.stationId.padEnd(12)} 应付合计 ${signedYuan(s.netFen)} 已付 ${signedYuan(s.paidFen)} ${s.invoiced ? '已开票' : '未开票'} (${s.paidThrough === 'HQ' ? '市局直付' : '经支局支付'})`,
      );
    return `${lines.join('\n')}\n`;
  },
});
