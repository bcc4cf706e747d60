// zh-CN names of the business and event kinds the HQ store holds (the same words as the daily
// report CSV, packages/hq-gateway/src/domain/daily-report-csv.ts).
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
  // Commission lines' business types (R10, R11).
  CASH_WITHDRAWAL: '助农取款',
  INSURANCE: '保险',
  DISTRIBUTION: '分销',
};

export function kindName(kind: string): string {
  return kindNames[kind] ?? kind;
}
