// Due items (issue 11's DueItem: the aggregate, the department that must act, the step, the rule,
// the due date) as HQ's people read them: overdue first, then by due date (a missing calendar
// year counts as overdue: it is shown, never hidden), the step and the department in zh-CN.
import { t, tDynamic } from './i18n/messages.js';
import type { DueItem } from './types.js';

export type DueStatus = 'overdue' | 'pending' | 'calendar-missing';

export function dueStatus(item: DueItem, today: string): DueStatus {
  if (item.dueDate === undefined) return 'calendar-missing';
  return item.dueDate < today ? 'overdue' : 'pending';
}

/** Overdue (and uncomputable) first, then the earliest due date, then the subject. */
export function sortDue(items: readonly DueItem[], today: string): DueItem[] {
  const rank = (item: DueItem): number => (dueStatus(item, today) === 'pending' ? 1 : 0);
  return [...items].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (a.dueDate ?? '').localeCompare(b.dueDate ?? '') ||
      a.subjectId.localeCompare(b.subjectId) ||
      a.step.localeCompare(b.step),
  );
}

/** The step of a due item in zh-CN (the gateway's step names are English, stable). */
export function dueStepText(step: string): string {
  const known = tDynamic(`due.${step}`);
  if (known !== `due.${step}`) return known;
  const patterns: ReadonlyArray<[RegExp, (m: RegExpExecArray) => string]> = [
    [/^(\d{4})-Q(\d) on-site inspection$/, (m) => `${m[1]}年第${m[2]}季度现场巡检(R18)`],
    [/^(\d{4})-Q(\d) phone follow-up$/, (m) => `${m[1]}年第${m[2]}季度电话回访(R18)`],
    [/^follow-up after the training of (\S+)$/, (m) => `${m[1]} 培训后回访(R18)`],
    [/^fee-compliance check (\S+)$/, (m) => `${m[1]} 资费检查(R18)`],
    [/^repair (.+)$/, (m) => `维修:${m[1]}`],
    [/^commission list (\S+) to finance$/, (m) => `${m[1]} 佣金报送财务(R10)`],
    [/^station invoice (\S+)$/, (m) => `${m[1]} 网点发票`],
    [/^commission payment (\S+)$/, (m) => `${m[1]} 佣金付款`],
    [/^monthly statistics (\S+)$/, (m) => `${m[1]} 月度发展统计(R16)`],
    [/^answer the complaint$/, () => '答复投诉(R23)'],
    [/^return the outcome$/, () => '向投诉人反馈结果(R23)'],
  ];
  for (const [pattern, text] of patterns) {
    const match = pattern.exec(step);
    if (match !== null) return text(match);
  }
  return step;
}

export function departmentText(department: string): string {
  return tDynamic(`dept.${department}`);
}

export function dueStatusText(item: DueItem, today: string): string {
  const status = dueStatus(item, today);
  if (status === 'calendar-missing')
    return t('net.due.calendarMissing', { year: item.calendarYearMissing ?? '?' });
  return status === 'overdue' ? t('net.due.overdue') : t('net.due.pending');
}
