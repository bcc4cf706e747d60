// HQ operations in the demo (issue 11): what HQ's departments did around the business day, on the
// same operations store and through the same application layer the `hq` CLI and the HTTP API use.
// A postal branch is registered; a station is proposed, surveyed and taken to open with every
// step's due date in working days (R14), and a second site 600 m away is refused (R12, with the
// distance); an older station opened in the summer has missed its Q3 on-site inspection (R18) and
// shows in the overdue list; a written complaint is received, answered in writing and its outcome
// returned (R23: the complainant is seen by supervision only); the next morning finance runs last
// month's commissions (R10) from the stored business day and re-runs it (nothing recorded twice).
// Each step runs on a scene clock set to the day it happened. Returns the lines for the summary
// (zh-CN: HQ's people read it) and every expectation that did not hold.

import { shanghaiInstantMs } from '@bianmin/core-ledger';
import { complaintStep, complaintView } from '@bianmin/hq-gateway/app/network/cases';
import { commissionRunView, runCommission } from '@bianmin/hq-gateway/app/network/commissions';
import type { Actor, NetworkDeps } from '@bianmin/hq-gateway/app/network/deps';
import { overdue } from '@bianmin/hq-gateway/app/network/overdue';
import { registerBranch, stationStep, stationView } from '@bianmin/hq-gateway/app/network/stations';
import type { NetRefusal } from '@bianmin/hq-gateway/domain/network/refusal';
import { stationDueItems } from '@bianmin/hq-gateway/domain/network/station-deadlines';
import { yuan } from './lib/format.js';

/** The scene's clock: each step is taken at the Beijing time it names. */
export class SceneClock {
  #nowMs = 0;
  at(date: string, hour: number, minute = 0): void {
    this.#nowMs = shanghaiInstantMs(date, hour, minute);
  }
  nowMs(): number {
    if (this.#nowMs === 0) throw new Error('assert: the scene clock is set before use');
    return this.#nowMs;
  }
}

export interface OperationsScene {
  readonly lines: readonly string[];
  readonly failures: readonly string[];
}

const market: Actor = { name: 'demo:市场部', role: 'market' };
const ecommerce: Actor = { name: 'demo:电商中心', role: 'ecommerce' };
const supervision: Actor = { name: 'demo:监督检查部', role: 'supervision' };
const finance: Actor = { name: 'demo:财务部', role: 'finance' };
const branchActor: Actor = { name: 'demo:城关支局', role: 'branch', branchId: 'B-CG' };

const surveyOk = {
  premisesM2: 24,
  terminalSpaceM2: 2,
  signageSpace: true,
  communicationLine: true,
  tradingMonths: 18,
};

/** One station from proposal to open; each step on the date given. */
const OPENING_STEPS: readonly (readonly [string, string, Record<string, unknown>, Actor])[] = [
  ['applied', '', { receiptNumber: 'SQ-2026-0101', documents: ['business-licence', 'id-card'] }, market],
  ['agreement-signed', '', { agreementNumber: 'XY-2026-0101', copies: 3 }, market],
  ['fee-settled', '', { mode: 'free-place' }, finance],
  ['fitted-out', '', {}, market],
  ['debit-account-set', '', { accountMasked: '622188******0101' }, { ...finance, role: 'agency-finance' }],
  ['installed', '', { ukKeySerial: 'UK-0101', trained: true }, ecommerce],
  ['goods-delivered', '', {}, branchActor],
  ['equipment-signed', '', {}, market],
  ['opened', '', { orgCode: 'ZJ-ORG-0101', quotaAccount: 'QA-0101' }, ecommerce],
];

/** zh-CN names of the steps and departments the scene prints. */
const STEP_LABEL: Readonly<Record<string, string>> = {
  applied: '受理申请 (回执号跟踪至办结, R22)',
  'agreement-signed': '签订协议 (一式三份)',
  'fee-settled': '平台费：占用免费名额 (R14)',
  'fitted-out': '门店改造完成',
  'debit-account-set': '代扣账户设立 (即安装通知)',
  installed: '安装设备、发放 UK key、培训',
  'goods-delivered': '商品配送到店',
  'equipment-signed': '设备签收',
  opened: '开业：机构号与额度账户下发 (R4：此后方可交易)',
};
const DEPARTMENT_LABEL: Readonly<Record<string, string>> = {
  market: '市场部',
  ecommerce: '电子商务中心',
  'agency-finance': '代理金融部',
  insurance: '保险业务部',
  distribution: '分销业务部',
  supervision: '监督检查部',
  finance: '财务部',
  branch: '支局',
};

function refusalText(refusal: NetRefusal): string {
  return refusal.reasons.map((r) => `${r.code}: ${r.message}`).join('; ');
}

/**
 * Run the scene on `deps` (its clock is the scene's). `businessDate` is the demo's day; the
 * commission run is for its month, on the next morning.
 */
export async function runOperationsScene(
  deps: Omit<NetworkDeps, 'clock'>,
  businessDate: string,
  nextMorning: string,
): Promise<OperationsScene> {
  const clock = new SceneClock();
  const net: NetworkDeps = { ...deps, clock };
  const lines: string[] = [];
  const failures: string[] = [];
  const expect = (ok: boolean, what: string): void => {
    if (!ok) failures.push(`operations: ${what}`);
  };
  const step = async (
    actor: Actor,
    stationId: string,
    kind: string,
    payload: Record<string, unknown>,
  ): Promise<boolean> => {
    const result = await stationStep(net, actor, stationId, kind, payload);
    expect(result.ok, `${stationId} ${kind} refused: ${result.ok ? '' : refusalText(result)}`);
    return result.ok;
  };

  lines.push('', '='.repeat(100), 'HQ 网点管理 (operations around the business day)', '='.repeat(100));
  // The branch whose area the stations are in (its site counts for R12).
  clock.at('2026-06-01', 9);
  const branch = await registerBranch(net, market, 'B-CG', {
    name: '城关支局',
    location: { latitudeDeg: 30.25, longitudeDeg: 120.1 },
  });
  expect(branch.ok, 'branch B-CG registered');

  // An older station, opened in the summer: its Q3 on-site inspection was never recorded (R18).
  clock.at('2026-07-01', 10);
  await step(market, 'ZJ-201', 'proposed', {
    branchId: 'B-CG',
    name: '西村便民服务站',
    location: { latitudeDeg: 30.3, longitudeDeg: 120.1 },
  });
  clock.at('2026-07-02', 10);
  await step(market, 'ZJ-201', 'surveyed', {
    location: { latitudeDeg: 30.3, longitudeDeg: 120.1 },
    findings: surveyOk,
  });
  for (const [kind, , payload, actor] of OPENING_STEPS) {
    const numbered = JSON.parse(JSON.stringify(payload).replaceAll('0101', '0201')) as Record<
      string,
      unknown
    >;
    await step(actor, 'ZJ-201', kind, numbered);
  }
  clock.at('2026-08-20', 15);
  await step(market, 'ZJ-201', 'inspection-recorded', { method: 'phone', findings: '回访：业务正常' });

  // A new station this autumn, step by step with its due dates.
  clock.at('2026-10-12', 9, 30);
  const proposed = await stationStep(net, branchActor, 'ZJ-202', 'proposed', {
    branchId: 'B-CG',
    name: '东街便民服务站',
    location: { latitudeDeg: 30.2, longitudeDeg: 120.1 },
  });
  expect(proposed.ok, 'ZJ-202 proposed');
  if (proposed.ok) {
    const survey = stationDueItems(proposed.view, net.calendar).find((d) => d.step === 'survey');
    lines.push(
      `2026年10月12日 城关支局 提议设立 ZJ-202 东街便民服务站；实地调查应于 ${survey?.dueDate ?? '?'} 前完成 (R14: 3 个工作日)`,
    );
  }
  const tooClose = await stationStep(net, branchActor, 'ZJ-203', 'proposed', {
    branchId: 'B-CG',
    name: '东街二号店',
    location: { latitudeDeg: 30.2054, longitudeDeg: 120.1 },
  });
  expect(!tooClose.ok && tooClose.code === 'HQ_NET_TOO_CLOSE', 'ZJ-203 600 m from ZJ-202 refused (R12)');
  if (!tooClose.ok) lines.push(`2026年10月12日 ZJ-203 东街二号店 被拒绝：${refusalText(tooClose)}`);
  clock.at('2026-10-14', 10);
  await step(market, 'ZJ-202', 'surveyed', {
    location: { latitudeDeg: 30.2, longitudeDeg: 120.1 },
    findings: surveyOk,
  });
  const dates = [
    '2026-10-15',
    '2026-10-16',
    '2026-10-19',
    '2026-10-20',
    '2026-10-21',
    '2026-10-26',
    '2026-10-28',
    '2026-10-29',
    '2026-11-02',
  ];
  for (const [index, [kind, , payload, actor]] of OPENING_STEPS.entries()) {
    clock.at(dates[index] as string, 10);
    const before = await stationView(net, 'ZJ-202');
    const due = before === undefined ? undefined : stationDueItems(before, net.calendar)[0];
    if (await step(actor, 'ZJ-202', kind, payload))
      lines.push(
        `${chineseDate(dates[index] as string)} ZJ-202 ${STEP_LABEL[kind] ?? kind}${due?.dueDate === undefined ? '' : ` (期限 ${due.dueDate}, ${due.rule === 'HQ' ? '总部内部时限' : due.rule})`}`,
      );
  }
  const opened = await stationView(net, 'ZJ-202');
  expect(opened?.state === 'open', 'ZJ-202 open');
  const followUp = opened === undefined ? undefined : stationDueItems(opened, net.calendar)[0];
  lines.push(
    `ZJ-202 已开业 (机构号 ${opened?.orgCode ?? '?'})，开业回访应于 ${followUp?.dueDate ?? '?'} 前 (${followUp?.rule ?? '?'})`,
  );
  clock.at('2026-11-06', 14);
  await step(market, 'ZJ-202', 'follow-up-visited', { notes: '开业回访：设备与培训到位' });

  // A written complaint about ZJ-202, answered in writing, its outcome returned (R23).
  clock.at('2026-11-16', 11);
  const received = await complaintStep(net, market, 'TS-2026-017', 'complaint-received', {
    channel: 'written',
    complainant: { name: '张女士', contact: '139****5678' },
    summary: '缴电费时被多收 2 元手续费',
    stationId: 'ZJ-202',
  });
  expect(
    received.ok && received.view.complainant.name !== '张女士',
    'complaint received, complainant hidden from market',
  );
  clock.at('2026-11-18', 15);
  await complaintStep(net, supervision, 'TS-2026-017', 'complaint-answered', {
    channel: 'written',
    text: '经核查属实，已责令退还 2 元并对站点进行规范培训',
  });
  clock.at('2026-11-20', 10);
  await complaintStep(net, supervision, 'TS-2026-017', 'complaint-outcome-returned', {
    text: '已退还，投诉人满意',
  });
  const complaint = await complaintView(net, supervision, 'TS-2026-017');
  expect(complaint?.outcome !== undefined, 'complaint TS-2026-017 closed with its outcome');
  lines.push(
    `投诉 TS-2026-017 (书面，${complaint?.receivedDate ?? '?'} 收到)：${complaint?.answer?.date ?? '?'} 书面答复，${complaint?.outcome?.date ?? '?'} 反馈结果；投诉人仅监督检查部可见`,
  );

  // The next morning: the overdue list and last month's commission run.
  const nextDate = nextMorning;
  clock.at(nextDate, 9);
  const late = await overdue(net, supervision);
  const inspections = late.supervision.filter((item) => item.subjectId === 'ZJ-201');
  expect(
    inspections.some((item) => item.step.includes('on-site inspection')),
    'ZJ-201 Q3 on-site inspection overdue',
  );
  const overdueCount = Object.values(late).reduce((sum, items) => sum + items.length, 0);
  lines.push(`${chineseDate(nextDate)} 逾期事项 ${overdueCount} 项 (按部门)：`);
  for (const [department, items] of Object.entries(late))
    for (const item of items)
      lines.push(
        `  ${DEPARTMENT_LABEL[department] ?? department} ${item.subjectId} ${item.step}：期限 ${item.dueDate ?? `缺 ${item.calendarYearMissing} 年日历`} (${item.rule})`,
      );
  const month = businessDate.slice(0, 7);
  const run = await runCommission(net, finance, month);
  expect(run.ok && run.outcome === 'recorded', `commission ${month} recorded`);
  const rerun = await runCommission(net, finance, month);
  expect(rerun.ok && rerun.outcome === 'unchanged', `commission ${month} re-run records nothing`);
  const view = await commissionRunView(net, month);
  if (view !== undefined) {
    const total = view.stations.reduce((sum, s) => sum + s.netFen, 0);
    lines.push(
      `${month.replace('-', '年')}月 佣金计算 (草稿)：${view.stations.length} 个站点，应付合计 ${yuan(total)}；清单应于 ${view.listDueDate} 前报财务，${view.paymentDueDate} 前支付 (R10)；重算无变化`,
    );
    for (const payable of view.stations.slice(0, 5))
      lines.push(
        `  ${payable.stationId} (${payable.paidThrough === 'HQ' ? '总部支付' : `经 ${payable.paidThrough} 支付`})：${yuan(payable.netFen)}`,
      );
  }
  return { lines, failures };
}

function chineseDate(date: string): string {
  const [y, m, d] = date.split('-');
  return `${y}年${Number(m)}月${Number(d)}日`;
}
