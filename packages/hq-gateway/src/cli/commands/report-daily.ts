// `hq report daily`: per-station totals of a business day and its reconciliation (R7, R8).
import { dailyReportOf, dailyReportRows } from '../../app/daily-report.js';
import { dailyReportCsv } from '../../domain/daily-report-csv.js';
import { shanghaiDate } from '../../domain/network/deadlines.js';
import { configFlag, type HqCommand, usageError, withStore } from '../command.js';
import { dailyReport } from '../reports.js';

export const reportDailyCommand: HqCommand = {
  name: 'report daily',
  summary:
    'per-station totals of a business day and its reconciliation: kiosk = store, bank settlement and declared cash (R7, R8)',
  usage: 'hq report daily [--date YYYY-MM-DD] [--format text|csv] --config FILE',
  flags: {
    ...configFlag,
    date: {
      type: 'string',
      valueName: 'YYYY-MM-DD',
      description: 'business date (default: today, Asia/Shanghai)',
    },
    format: {
      type: 'string',
      valueName: 'text|csv',
      description: 'csv: UTF-8 with BOM, zh-CN headers, yuan, Beijing time (the API writer); default text',
    },
  },
  positionals: 0,
  async run(parsed) {
    const date = typeof parsed.values.date === 'string' ? parsed.values.date : shanghaiDate(Date.now());
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      throw usageError([{ code: 'HQ_CLI_USAGE', field: '--date', message: '--date must be YYYY-MM-DD' }]);
    }
    const format = parsed.values.format ?? 'text';
    if (format !== 'text' && format !== 'csv') {
      throw usageError([
        { code: 'HQ_CLI_USAGE', field: '--format', message: '--format must be text or csv' },
      ]);
    }
    if (format === 'csv') {
      const report = await withStore(parsed, (store) => dailyReportOf(store, date));
      return { data: report, text: dailyReportCsv(date, dailyReportRows(report), Date.now()) };
    }
    const report = await withStore(parsed, async (store, opened) =>
      dailyReport(store, date, await opened.reality.realityDays(date)),
    );
    return { data: report.data, text: report.text };
  },
};
