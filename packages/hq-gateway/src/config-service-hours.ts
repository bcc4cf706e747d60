// The network's service hours (R20) from the HQ config: `serviceHours` sets the opening, closing
// and maintenance windows every station's signed config carries. Absent: stationDefaults' 08:00 to
// 20:00 with maintenance 14:00 to 16:00. Checked at the edge like the rest of the config: every
// problem reported with its field, as HQ_CONFIG_INVALID.
import { type StationDefaults, stationDefaults } from './app/operations.js';

/** The config key as written: Beijing wall-clock times, "HH:MM" ("24:00" closes at midnight). */
export interface ServiceHoursConfig {
  readonly opensAt: string;
  readonly closesAt: string;
  /** Windows "HH:MM-HH:MM" inside the opening hours; absent or empty: none. */
  readonly maintenance?: readonly string[];
  readonly closedOnHolidays?: boolean;
}

/** At most this many maintenance windows a day (a longer list is a typo, not a schedule). */
export const maintenanceWindowsMax = 4;
const minutesPerDay = 24 * 60;
const serviceHoursKeys = new Set(['opensAt', 'closesAt', 'maintenance', 'closedOnHolidays']);

/** "HH:MM" as minutes since midnight, 0..1440; undefined when it is not one. */
export function minuteOfDay(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  if (match === null) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  if (Number(match[2]) > 59 || minutes > minutesPerDay) return undefined;
  return minutes;
}

/** Check `serviceHours`; each problem goes to `problem(field, message)`. */
export function checkServiceHours(value: unknown, problem: (field: string, message: string) => void): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problem('serviceHours', 'must be an object');
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record))
    if (!serviceHoursKeys.has(key)) problem(`serviceHours.${key}`, 'unknown key');
  const opens = minuteOfDay(record.opensAt);
  const closes = minuteOfDay(record.closesAt);
  if (opens === undefined) problem('serviceHours.opensAt', "must be a time 'HH:MM', e.g. '08:00'");
  if (closes === undefined)
    problem('serviceHours.closesAt', "must be a time 'HH:MM', e.g. '20:00' or '24:00'");
  if (opens !== undefined && closes !== undefined && opens >= closes)
    problem('serviceHours.closesAt', `must be after opensAt (${String(record.opensAt)})`);
  if (record.closedOnHolidays !== undefined && typeof record.closedOnHolidays !== 'boolean')
    problem('serviceHours.closedOnHolidays', 'must be true or false');
  const maintenance = record.maintenance;
  if (maintenance === undefined) return;
  if (!Array.isArray(maintenance)) {
    problem('serviceHours.maintenance', "must be a list of windows 'HH:MM-HH:MM'");
    return;
  }
  if (maintenance.length > maintenanceWindowsMax)
    problem('serviceHours.maintenance', `at most ${maintenanceWindowsMax} windows`);
  maintenance.slice(0, maintenanceWindowsMax).forEach((item, index) => {
    const field = `serviceHours.maintenance[${index}]`;
    const window = windowOf(item);
    if (window === undefined) problem(field, "must be a window 'HH:MM-HH:MM' with its start before its end");
    else if (opens !== undefined && closes !== undefined && (window[0] < opens || window[1] > closes))
      problem(field, 'must lie inside the opening hours');
  });
}

function windowOf(item: unknown): readonly [number, number] | undefined {
  if (typeof item !== 'string') return undefined;
  const [start, end, ...rest] = item.split('-');
  const startMinute = minuteOfDay(start);
  const endMinute = minuteOfDay(end);
  if (rest.length > 0 || startMinute === undefined || endMinute === undefined || startMinute >= endMinute)
    return undefined;
  return [startMinute, endMinute];
}

/** The station defaults a checked config gives: stationDefaults with its service hours. */
export function stationDefaultsOf(serviceHours: ServiceHoursConfig | undefined): StationDefaults {
  if (serviceHours === undefined) return stationDefaults;
  const opensAtMinute = minuteOfDay(serviceHours.opensAt);
  const closesAtMinute = minuteOfDay(serviceHours.closesAt);
  if (opensAtMinute === undefined || closesAtMinute === undefined)
    throw new Error('stationDefaultsOf: serviceHours was not checked (checkServiceHours)');
  const maintenanceMinutes = (serviceHours.maintenance ?? []).map((item) => {
    const window = windowOf(item);
    if (window === undefined) throw new Error(`stationDefaultsOf: unchecked window ${item}`);
    return window;
  });
  return {
    ...stationDefaults,
    opensAtMinute,
    closesAtMinute,
    maintenanceMinutes,
    closedOnHolidays: serviceHours.closedOnHolidays ?? stationDefaults.closedOnHolidays,
  };
}
