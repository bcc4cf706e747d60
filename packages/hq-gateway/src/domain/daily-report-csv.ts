// The daily report as CSV for people (issue 11): UTF-8 with a BOM (so Excel opens the Chinese
// headers correctly), zh-CN headers, amounts in yuan with two decimals, times in Beijing time.
// One writer for the API (GET /api/v1/reports/daily?format=csv) and `hq report daily --format csv`.
import { yuanText } from './amount.js';
import { assert } from './assert.js';

export interface DailyReportRow {
  readonly stationId: string;
  readonly kind: string;
  readonly count: number;
  readonly amountFen: number;
  readonly feeFen: number;
  /** 'matched' | 'differences' | 'no_close' */
  readonly reconciliation: string;
}

/** zh-CN names of the stored event kinds in the report (others appear as they are). */
const kindNames: Readonly<Record<string, string>> = {
  WITHDRAWAL_AUTHORISED: '助农取款(授权)',
  WITHDRAWAL_POSTED: '助农取款',
  WITHDRAWAL_VOIDED: '助农取款(撤销)',
  WITHDRAWAL_REVERSED: '助农取款(冲正)',
  WITHDRAWAL_DECLINED: '助农取款(拒绝)',
  BILL_PAYMENT: '代收费',
  MOBILE_TOPUP: '手机充值',
  QUOTA_PURCHASE_APPLIED: '信誉额度购买',
  DAILY_CLOSE: '日终',
  KEY_ROTATED: '密钥更换',
  COMMAND_RESULT: '指令结果',
  CONFIG_APPLIED: '配置生效',
  OTA_PROGRESS: '升级进度',
};

const reconciliationNames: Readonly<Record<string, string>> = {
  matched: '账账相符',
  differences: '有差异',
  no_close: '未收到日终',
};

export const dailyReportCsvHeaders = [
  '营业日期',
  '站点编号',
  '业务种类',
  '笔数',
  '金额(元)',
  '手续费(元)',
  '对账结果',
  '生成时间(北京时间)',
] as const;

/** Beijing time (UTC+8, no daylight saving), 'YYYY-MM-DD HH:mm:ss'. */
export function beijingTime(atMs: number): string {
  assert(Number.isSafeInteger(atMs), 'beijingTime: epoch ms is an integer');
  return new Date(atMs + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** A CSV field: quoted when it holds a comma, quote or line break; a leading =+-@ is neutralised. */
export function csvField(value: string): string {
  assert(typeof value === 'string', 'csv field: text only');
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function dailyReportCsv(
  businessDate: string,
  rows: readonly DailyReportRow[],
  generatedAtMs: number,
): string {
  const generated = beijingTime(generatedAtMs);
  const lines = [dailyReportCsvHeaders.join(',')];
  for (const r of rows) {
    lines.push(
      [
        businessDate,
        r.stationId,
        kindNames[r.kind] ?? r.kind,
        String(r.count),
        yuanText(r.amountFen),
        yuanText(r.feeFen),
        reconciliationNames[r.reconciliation] ?? r.reconciliation,
        generated,
      ]
        .map(csvField)
        .join(','),
    );
  }
  assert(lines.length === rows.length + 1, 'dailyReportCsv: one line per row after the header');
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
