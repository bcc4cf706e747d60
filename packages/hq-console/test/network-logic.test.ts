// Goal: the pure pieces of the console's network pages (issue 12): refusals in zh-CN with their
// form field (R12 names the site and its distance; R21 every problem at once), the browser's own
// form checks, the due list overdue first with its steps in Chinese, which lifecycle steps a
// department may take from a state, R23's written answer, quarters and the commission month.
// Method: table cases on the functions the pages call.
import t from 'tap';
import { ApiError } from '../src/api.js';
import { clientProblems, type FieldSpec } from '../src/components/Form.js';
import { dueStatusText, dueStepText, sortDue } from '../src/due-text.js';
import { t as message } from '../src/i18n/messages.js';
import { mayAssignAlerts, mayCloseAlerts } from '../src/navigation.js';
import { stepsFor } from '../src/network-steps.js';
import {
  errorText,
  formFieldOf,
  problemLine,
  problemText,
  recordedRefusalLines,
} from '../src/problem-text.js';
import type { DueItem } from '../src/types.js';

t.test('refusals: zh-CN text from the code and its details, the field from the path', async (t) => {
  t.equal(
    problemText({
      code: 'HQ_NET_TOO_CLOSE',
      field: 'location',
      message: 'R12: branch B1 is 1234 m away (at least 2000 m)',
      details: { kind: 'branch', id: 'B1', distanceM: 1234 },
    }),
    '与邮政网点 B1 相距 1,234 米,不足 2 公里(R12)',
  );
  t.equal(
    problemText({
      code: 'HQ_NET_DOCUMENTS_MISSING',
      field: 'documents',
      message: 'R14: the application lacks the id-card',
    }),
    '申请材料不全(R14):缺身份证',
  );
  t.equal(
    problemText({ code: 'HQ_SOMETHING_NEW', message: 'as the server says' }),
    '请求未成功:as the server says',
    'a code the catalogue lacks: said in Chinese, the server text kept',
  );
  t.equal(
    problemLine({ code: 'HQ_ALERT_CLOSED', message: 'the alert was closed by u-market: done' }),
    '告警已关闭,不能再指派或关闭(错误代码 HQ_ALERT_CLOSED)',
    'a form shows the zh-CN text with the stable code',
  );
  t.equal(
    problemLine({ code: 'HQ_SOMETHING_NEW', message: 'as the server says' }),
    '请求未成功:as the server says(错误代码 HQ_SOMETHING_NEW)',
  );
  t.same(
    recordedRefusalLines([
      { code: 'HQ_NET_PREMISES_TOO_SMALL', field: 'body.findings.premisesM2', message: 'R13' },
      { code: 'HQ_NET_SURVEY_FAILED_RECORDED', message: 'the failed survey is recorded' },
    ]),
    [
      '营业面积不足 10 平方米(R13)(错误代码 HQ_NET_PREMISES_TOO_SMALL)',
      '勘察未通过已记录:该网点不予设立,申请办结(R22)(错误代码 HQ_NET_SURVEY_FAILED_RECORDED)',
    ],
    'a failed survey: recorded, every reason kept for the page',
  );
  t.equal(
    recordedRefusalLines([{ code: 'HQ_NET_PREMISES_TOO_SMALL', message: 'R13' }]),
    undefined,
    'an ordinary refusal: nothing recorded, the form shows it',
  );
  const fields = [
    { name: 'latitudeDeg', serverFields: ['location'] },
    { name: 'premisesM2' },
    { name: 'cost', serverFields: ['costFen'] },
  ];
  t.equal(formFieldOf('body.findings.premisesM2', fields), 'premisesM2');
  t.equal(formFieldOf('location', fields), 'latitudeDeg', 'R12 lands at the site');
  t.equal(formFieldOf('body.location.latitudeDeg', fields), 'latitudeDeg');
  t.equal(formFieldOf('costFen', fields), 'cost');
  t.equal(formFieldOf('stationId', fields), undefined, 'not a field of this form: the summary');
  t.equal(formFieldOf(undefined, fields), undefined);
});

t.test('the browser checks every field at once (R21)', async (t) => {
  const fields: FieldSpec[] = [
    { name: 'id', label: 'id', kind: 'text', pattern: 'id' },
    { name: 'area', label: 'area', kind: 'number' },
    { name: 'months', label: 'months', kind: 'integer' },
    { name: 'fee', label: 'fee', kind: 'yuan' },
    { name: 'note', label: 'note', kind: 'text', required: false },
    { name: 'ok', label: 'ok', kind: 'checkbox' },
  ];
  t.same(clientProblems(fields, { id: 'a b', area: 'x', months: '1.5', fee: '1.234', note: '', ok: false }), {
    id: message('form.id'),
    area: message('form.number'),
    months: message('form.number'),
    fee: message('quota.bad.amount'),
  });
  t.same(clientProblems(fields, { id: '', area: '', months: '', fee: '', note: '', ok: false }), {
    id: message('form.required'),
    area: message('form.required'),
    months: message('form.required'),
    fee: message('form.required'),
  });
  t.same(
    clientProblems(fields, { id: 'N-1', area: '12.5', months: '7', fee: '1,000.50', note: '', ok: true }),
    {},
  );
});

t.test('due items: overdue (and uncomputable) first, steps and status in zh-CN', async (t) => {
  const item = (subjectId: string, step: string, dueDate?: string): DueItem => ({
    aggregateId: `station:${subjectId}`,
    subjectId,
    department: 'market',
    step,
    rule: 'R14',
    startedDate: '2026-11-01',
    ...(dueDate === undefined ? { calendarYearMissing: 2027 } : { dueDate }),
  });
  const today = '2026-12-05';
  const sorted = sortDue(
    [
      item('A', 'survey', '2026-12-10'),
      item('B', 'survey', '2026-12-01'),
      item('C', 'survey'),
      item('D', 'survey', '2026-11-20'),
    ],
    today,
  );
  t.same(
    sorted.map((i) => i.subjectId),
    ['C', 'D', 'B', 'A'],
  );
  t.equal(dueStatusText(item('B', 'survey', '2026-12-01'), today), '已逾期');
  t.equal(dueStatusText(item('A', 'survey', '2026-12-05'), today), '未到期', 'due today is not overdue');
  t.equal(dueStatusText(item('C', 'survey'), today), '缺 2027 年工作日历');
  t.equal(dueStepText('survey'), '实地勘察');
  t.equal(dueStepText('2026-Q4 on-site inspection'), '2026年第4季度现场巡检(R18)');
  t.equal(dueStepText('commission list 2026-11 to finance'), '2026-11 佣金报送财务(R10)');
  t.equal(dueStepText('something new'), 'something new');
});

t.test('steps: each department sees the steps it may take from the state', async (t) => {
  t.same(
    stepsFor('market', 'proposed').map((s) => s.kind),
    ['surveyed', 'closed'],
  );
  t.same(
    stepsFor('finance', 'agreement-signed').map((s) => s.kind),
    ['fee-settled'],
  );
  t.same(
    stepsFor('branch', 'installed').map((s) => s.kind),
    ['goods-delivered'],
  );
  t.same(
    stepsFor('ecommerce', 'equipment-signed').map((s) => s.kind),
    ['opened'],
  );
  t.same(stepsFor('admin', 'proposed'), [], 'the administrator takes no step');
  t.ok(mayAssignAlerts('supervision') && !mayAssignAlerts('branch'));
  t.ok(mayCloseAlerts('branch') && !mayCloseAlerts('finance'));
});

t.test('R23 written answer, quarters and the commission month', async (t) => {
  const { answerProblems, complainantText } = await import('../src/pages/Complaints.js');
  const { quarterStart } = await import('../src/pages/Oversight.js');
  const { previousMonth } = await import('../src/pages/Commissions.js');
  const written = {
    complaintId: 'C1',
    channel: 'written' as const,
    complainant: { name: '[confidential]', contact: '[confidential]' },
    summary: 's',
    receivedDate: '2026-12-01',
    notes: [],
  };
  t.same(answerProblems(written, { channel: 'phone' }), { channel: '书面投诉须书面答复(R23)' });
  t.same(answerProblems(written, { channel: 'written' }), {});
  t.same(answerProblems({ ...written, channel: 'phone' }, { channel: 'oral' }), {});
  t.equal(complainantText(written), '保密', 'R23: the redacted complainant reads 保密');
  t.equal(complainantText({ ...written, complainant: { name: '王五', contact: '139' } }), '王五 139');
  t.equal(quarterStart('2026-11-05'), '2026-10-01');
  t.equal(quarterStart('2026-01-31'), '2026-01-01');
  t.equal(previousMonth('2026-12-05'), '2026-11');
  t.equal(previousMonth('2027-01-03'), '2026-12');
});

t.test('a failure a page shows: zh-CN lines with codes, never the browser English', async (t) => {
  t.equal(
    errorText(new ApiError(401, 'HQ_AUTH_REQUIRED', 'the request carries no session', [])),
    '登录已过期,请重新登录(错误代码 HQ_AUTH_REQUIRED)',
    'a refusal without problems: its own code',
  );
  t.equal(
    errorText(
      new ApiError(404, 'HQ_ALERT_NOT_FOUND', 'alert 9 not found', [
        { code: 'HQ_ALERT_NOT_FOUND', message: 'alert 9 not found' },
        { code: 'HQ_ALERT_CLOSED', message: 'closed' },
      ]),
    ),
    '没有该告警(或不在您的支局)(错误代码 HQ_ALERT_NOT_FOUND);告警已关闭,不能再指派或关闭(错误代码 HQ_ALERT_CLOSED)',
    'every problem, in order',
  );
  t.equal(
    errorText(new TypeError('Failed to fetch')),
    '无法连接总部服务器,请检查网络后重试',
    'no network: no English',
  );
});

t.test('a commission run without a branch statistics: the branch named in zh-CN (R11, R16)', async (t) => {
  t.equal(
    problemLine({
      code: 'HQ_COMMISSION_STATISTICS_LATE',
      field: 'branchId',
      message: 'R11: branch B3 has not reported 2026-11',
      details: { branchId: 'B3' },
    }),
    '支局 B3 尚未报送本月统计(R16)(错误代码 HQ_COMMISSION_STATISTICS_LATE)',
  );
});
