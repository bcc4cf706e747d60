// R20: a station's service hours and maintenance windows, checked at an instant. Pure: the
// instant comes in as epoch ms and the wall time is Asia/Shanghai (UTC+8, no DST), computed by
// arithmetic, not Intl or the host's time zone. Minutes are minutes since local midnight; every
// interval is half-open [start, end). Hours that end before they start run past midnight
// (20:00–02:00). The same hours apply every day, holidays included (the Measures' example).

import { assert } from './assert.js';
import type { InputProblem, ParseResult } from './calendar.js';
import type { LedgerCode } from './errors.js';
import { LEDGER_LIMITS } from './limits.js';
import { shanghaiMinuteOfDay } from './time.js';

export interface MinuteWindow {
  readonly startMinute: number;
  readonly endMinute: number;
}

export interface ServiceHours {
  /** Opening time, minutes since local midnight (0..1439). */
  readonly opensAtMinute: number;
  /** Closing time, minutes since local midnight (1..1440); 1440 = midnight. */
  readonly closesAtMinute: number;
  /** Closed for maintenance inside the opening hours, e.g. 14:00–16:00. */
  readonly maintenanceWindows: readonly MinuteWindow[];
}

/** Open every minute of every day: the default for a station registered without hours. */
export const SERVICE_HOURS_ALWAYS: ServiceHours = {
  opensAtMinute: 0,
  closesAtMinute: 1440,
  maintenanceWindows: [],
};

function inWindow(minute: number, startMinute: number, endMinute: number): boolean {
  if (startMinute <= endMinute) return minute >= startMinute && minute < endMinute;
  return minute >= startMinute || minute < endMinute;
}

export function assertServiceHours(hours: ServiceHours): void {
  const minuteOk = (m: number, max: number): boolean => Number.isInteger(m) && m >= 0 && m <= max;
  assert(minuteOk(hours.opensAtMinute, 1439), 'opensAtMinute must be 0..1439');
  assert(minuteOk(hours.closesAtMinute, 1440), 'closesAtMinute must be 0..1440');
  assert(
    hours.maintenanceWindows.length <= LEDGER_LIMITS.maintenanceWindowsMax,
    'too many maintenance windows',
  );
  for (const window of hours.maintenanceWindows) {
    assert(
      minuteOk(window.startMinute, 1439) && minuteOk(window.endMinute, 1440),
      'maintenance window minutes',
    );
  }
}

/** 0 = open, 1 = outside service hours, 2 = inside a maintenance window. Allocation-free. */
export function serviceHoursState(hours: ServiceHours, minuteOfDay: number): 0 | 1 | 2 {
  if (!inWindow(minuteOfDay, hours.opensAtMinute, hours.closesAtMinute)) return 1;
  for (const window of hours.maintenanceWindows) {
    if (inWindow(minuteOfDay, window.startMinute, window.endMinute)) return 2;
  }
  return 0;
}

/** R20: the reasons business is refused at this instant; empty when the station is open. */
export function checkServiceHours(hours: ServiceHours, atMs: number): LedgerCode[] {
  const state = serviceHoursState(hours, shanghaiMinuteOfDay(atMs));
  if (state === 1) return ['LEDGER_OUTSIDE_SERVICE_HOURS'];
  if (state === 2) return ['LEDGER_IN_MAINTENANCE_WINDOW'];
  return [];
}

const HH_MM = /^([01]\d|2[0-4]):([0-5]\d)$/;

function parseMinute(value: unknown, field: string, problems: InputProblem[]): number {
  const match = typeof value === 'string' ? HH_MM.exec(value) : null;
  const minute = match === null ? -1 : Number(match[1]) * 60 + Number(match[2]);
  if (minute < 0 || minute > 1440) {
    problems.push({
      code: 'LEDGER_SERVICE_HOURS_INVALID',
      field,
      message: 'must be a time HH:MM (00:00..24:00)',
    });
    return 0;
  }
  return minute;
}

/** Parses { "opens": "08:00", "closes": "20:00", "maintenance": [{ "start": "14:00", "end": "16:00" }] }. */
export function parseServiceHours(json: unknown): ParseResult<ServiceHours> {
  const problems: InputProblem[] = [];
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return {
      ok: false,
      problems: [{ code: 'LEDGER_SERVICE_HOURS_INVALID', field: '(root)', message: 'must be an object' }],
    };
  }
  const record = json as Record<string, unknown>;
  const opensAtMinute = parseMinute(record.opens, 'opens', problems);
  const closesAtMinute = parseMinute(record.closes, 'closes', problems);
  if (opensAtMinute === 1440) {
    problems.push({ code: 'LEDGER_SERVICE_HOURS_INVALID', field: 'opens', message: 'cannot open at 24:00' });
  }
  const maintenanceWindows: MinuteWindow[] = [];
  const maintenance = record.maintenance ?? [];
  if (!Array.isArray(maintenance) || maintenance.length > LEDGER_LIMITS.maintenanceWindowsMax) {
    problems.push({
      code: 'LEDGER_SERVICE_HOURS_INVALID',
      field: 'maintenance',
      message: `must be an array of at most ${LEDGER_LIMITS.maintenanceWindowsMax} windows`,
    });
  } else {
    maintenance.forEach((window: unknown, index: number) => {
      const item = (typeof window === 'object' && window !== null ? window : {}) as Record<string, unknown>;
      const startMinute = parseMinute(item.start, `maintenance[${index}].start`, problems);
      const endMinute = parseMinute(item.end, `maintenance[${index}].end`, problems);
      maintenanceWindows.push({ startMinute, endMinute });
    });
  }
  for (const key of Object.keys(record)) {
    if (!['opens', 'closes', 'maintenance'].includes(key)) {
      problems.push({ code: 'LEDGER_SERVICE_HOURS_INVALID', field: key, message: 'unknown field' });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { opensAtMinute, closesAtMinute, maintenanceWindows } };
}
