// `kiosk doctor`'s calendar row: the working-day calendar the agent judges R6 fee-schedule notice
// with (10 working days). A year the folder does not cover is an explicit failure, never a guess:
// without this year's file the agent refuses every fee change. From December on, next year's file
// is wanted too (a notice given in December runs into January); it comes with a release (OTA).
import { dateFromDayNumber, shanghaiDayNumber } from '@bianmin/core-ledger';
import type { LoadedCalendar } from '../../config/calendar.js';
import type { CheckRow } from './checks.js';

export function checkCalendar(dir: string, loaded: LoadedCalendar, nowMs: number): CheckRow {
  const today = dateFromDayNumber(shanghaiDayNumber(nowMs));
  const year = Number(today.slice(0, 4));
  const years = [...loaded.years].sort((a, b) => a - b);
  const held = years.length === 0 ? 'no year' : `years ${years.join(', ')}`;
  const problems = [...loaded.problems];
  if (!years.includes(year)) problems.push(`no calendar for ${year} (today in Beijing is ${today})`);
  if (problems.length > 0)
    return {
      check: 'calendar',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_CALENDAR_MISSING',
      detail: `${dir}: ${held}; ${problems.join('; ')}`,
      hint: `install a release that ships data/calendar/cn-${year}.json (fee-schedule changes are refused without it)`,
    };
  if (today.slice(5) >= '12-01' && !years.includes(year + 1))
    return {
      check: 'calendar',
      status: 'WARN',
      detail: `${dir}: ${held}; no calendar for ${year + 1} yet (a notice given now runs into it)`,
      hint: `a release with data/calendar/cn-${year + 1}.json, once the State Council publishes the holidays`,
    };
  return { check: 'calendar', status: 'PASS', detail: `${dir}: ${held}` };
}
