// The one home for how the console shows money, dates and times to HQ's people (issue 12):
// amounts arrive as integer fen (R1) and are shown as yuan with a thousands separator (¥1,234.50);
// instants arrive as epoch milliseconds and are shown in Beijing time (UTC+8, no daylight saving
// since 1991), as 2026年12月4日 and 24-hour 14:05:09. Pure arithmetic, no Intl and no browser time
// zone: the same text on a desk in Urumqi, a laptop set to UTC and in the tests.

/** Beijing is UTC+8 all year. */
const beijingOffsetMs = 8 * 60 * 60 * 1000;
/** Epoch milliseconds the console accepts: 1970 to 2100 (a larger value is a bug upstream). */
const instantMsMax = 4_102_444_800_000;

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RangeError(message);
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** Integer fen as yuan text: 123450 → "¥1,234.50", -5 → "-¥0.05". Throws on a non-integer (R1). */
export function formatFen(fen: number | bigint): string {
  const value = typeof fen === 'bigint' ? fen : BigInt(checkedFen(fen));
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const yuan = (magnitude / 100n).toString();
  const cents = (magnitude % 100n).toString().padStart(2, '0');
  const grouped = yuan.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const text = `¥${grouped}.${cents}`;
  return negative ? `-${text}` : text;
}

function checkedFen(fen: number): number {
  check(Number.isSafeInteger(fen), `formatFen: ${fen} is not a safe integer number of fen`);
  return fen;
}

/** Fen as the plain yuan text a CSV cell or a form field holds: 123450 → "1234.50". */
export function fenToYuanText(fen: number): string {
  const value = BigInt(checkedFen(fen));
  const magnitude = value < 0n ? -value : value;
  const text = `${magnitude / 100n}.${(magnitude % 100n).toString().padStart(2, '0')}`;
  return value < 0n ? `-${text}` : text;
}

/**
 * Yuan typed by a person ("600", "600.5", "1,234.50") as fen, or null when it is not an amount:
 * digits with an optional comma grouping and at most two decimals; never through a float (R1).
 */
export function parseYuanToFen(text: string): number | null {
  const trimmed = text.trim();
  const match = /^(\d{1,3}(?:,\d{3})+|\d{1,13})(?:\.(\d{1,2}))?$/.exec(trimmed);
  if (match === null) return null;
  const whole = (match[1] ?? '').replaceAll(',', '');
  const fraction = (match[2] ?? '').padEnd(2, '0');
  const fen = Number(whole) * 100 + Number(fraction);
  return Number.isSafeInteger(fen) ? fen : null;
}

interface BeijingParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function beijingParts(epochMs: number): BeijingParts {
  check(
    Number.isSafeInteger(epochMs) && epochMs >= 0 && epochMs <= instantMsMax,
    `not an instant in epoch ms: ${epochMs}`,
  );
  const d = new Date(epochMs + beijingOffsetMs);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** The Beijing calendar date of an instant: "2026年12月4日". */
export function formatDateZh(epochMs: number): string {
  const p = beijingParts(epochMs);
  return `${p.year}年${p.month}月${p.day}日`;
}

/** 24-hour Beijing time of day: "09:05:07". */
export function formatTimeZh(epochMs: number): string {
  const p = beijingParts(epochMs);
  return `${pad2(p.hour)}:${pad2(p.minute)}:${pad2(p.second)}`;
}

/** Date and 24-hour time in Beijing: "2026年12月4日 09:05:07"; 0 (never) as "—". */
export function formatDateTimeZh(epochMs: number): string {
  if (epochMs === 0) return '—';
  return `${formatDateZh(epochMs)} ${formatTimeZh(epochMs)}`;
}

/** A business date "2026-12-04" (ISO, as the API sends it) as "2026年12月4日". */
export function formatBusinessDateZh(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  check(match !== null, `not a business date: ${isoDate}`);
  return `${Number(match[1])}年${Number(match[2])}月${Number(match[3])}日`;
}

/** The Beijing business date of an instant as ISO "2026-12-04" (what the API's ?date= takes). */
export function beijingIsoDate(epochMs: number): string {
  const p = beijingParts(epochMs);
  return `${p.year}-${pad2(p.month)}-${pad2(p.day)}`;
}

/** A count with thousands separators: 10000 → "10,000". */
export function formatCount(count: number): string {
  check(Number.isSafeInteger(count), `not a count: ${count}`);
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
