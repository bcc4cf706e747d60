// The one log-line format of the kiosk and HQ (issue 13): JSON lines whose `time` is an ISO 8601
// instant in Beijing time with its offset (`2026-12-05T13:17:23.123+08:00`, what a technician and
// HQ staff read), whose `level` is the pino label (`info`, `error`, never pino's numbers 30/50), and
// whose secret-bearing field names are redacted. Both services pass these to pino, so a line of one
// reads like a line of the other and one journald/grep habit covers both. No pino import here: wire
// stays free of I/O libraries; these are plain functions and lists.

/** Beijing time is UTC+8 all year (no daylight saving since 1991). */
const beijingOffsetMs = 8 * 60 * 60 * 1000;

/** An epoch-ms instant as ISO 8601 in Beijing time: `YYYY-MM-DDTHH:mm:ss.SSS+08:00`. */
export function beijingIsoTime(atMs: number): string {
  if (!Number.isSafeInteger(atMs)) throw new RangeError(`beijingIsoTime: not a whole ms instant: ${atMs}`);
  const shifted = new Date(atMs + beijingOffsetMs).toISOString();
  if (!shifted.endsWith('Z') || shifted.length !== 24)
    throw new RangeError(`beijingIsoTime: out of range: ${atMs}`);
  return `${shifted.slice(0, 23)}+08:00`;
}

/** The level names of both services, most severe first (pino's labels). */
export const logLevelNames = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevelName = (typeof logLevelNames)[number];

/**
 * Field names that never carry a clear value in a log line (R24: PINs, PIN blocks, card numbers,
 * track data, keys, passwords). pino's redact has no deep wildcard, so each is listed at the top
 * level and one level down.
 */
export const logRedactedFieldNames = [
  'pin',
  'userPin',
  'soPin',
  'pinBlock',
  'pan',
  'cardNumber',
  'track1',
  'track2',
  'trackData',
  'key',
  'keyComponent',
  'components',
  'tmk',
  'tpk',
  'privateKey',
  'password',
] as const;

export const logRedactPaths: readonly string[] = logRedactedFieldNames.flatMap((name) => [name, `*.${name}`]);

/**
 * pino options for the shared line format (spread into the options object): the Beijing-time
 * `time` field, the level as its label, and redaction as the second line of defence.
 */
export function sharedLogOptions(nowMs: () => number = Date.now): {
  timestamp: () => string;
  formatters: { level: (label: string) => { level: string } };
  redact: { paths: string[]; censor: string };
} {
  return {
    timestamp: () => `,"time":"${beijingIsoTime(nowMs())}"`,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...logRedactPaths], censor: '[redacted]' },
  };
}
