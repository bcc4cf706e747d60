// The working-day calendar the kiosk checks fee-schedule notice against (R6): every
// data/calendar/cn-YYYY.json of the repo (or the folder given). A folder or file that cannot be
// read is reported, not fatal: the kiosk then lacks those years, and a schedule change that needs
// them is refused (never guessed from weekends).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CalendarYear,
  createWorkingCalendar,
  parseCalendarYear,
  type WorkingCalendar,
} from '@bianmin/core-ledger';

/** data/calendar of this repository, from dist/config/ (or src/config/). */
export const defaultCalendarDir = fileURLToPath(new URL('../../../../data/calendar/', import.meta.url));

/** The calendar folder: a release's launcher names its own (BIANMIN_CALENDAR_DIR); a checkout uses data/calendar. */
export function calendarDirOf(env: NodeJS.ProcessEnv): string {
  const dir = env.BIANMIN_CALENDAR_DIR;
  return dir === undefined || dir === '' ? defaultCalendarDir : dir;
}

export interface LoadedCalendar {
  readonly calendar: WorkingCalendar;
  readonly years: readonly number[];
  /** What could not be read or parsed, one line each. */
  readonly problems: readonly string[];
}

export function loadCalendar(dir: string = defaultCalendarDir): LoadedCalendar {
  const problems: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((name) => /^cn-\d{4}\.json$/.test(name));
  } catch (error) {
    problems.push(`cannot read the calendar folder ${dir}: ${String(error)}`);
  }
  const years: CalendarYear[] = [];
  for (const name of names.sort()) {
    try {
      const parsed = parseCalendarYear(JSON.parse(readFileSync(join(dir, name), 'utf8')));
      if (parsed.ok) years.push(parsed.value);
      else problems.push(`${name}: ${parsed.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
    } catch (error) {
      problems.push(`${name}: ${String(error)}`);
    }
  }
  return { calendar: createWorkingCalendar(years), years: years.map((year) => year.year), problems };
}
