// Goal: the pure parts of doctor and of config checking, case by case, without devices. Method:
// checkClock / checkDisk / checkJournal with injected clock, free space and a fake journal check
// (the JournalIntegrityCheck port); checkPaths with a fake filesystem (the PathProbe port).
import t from 'tap';
import { checkCalendar } from '../../src/cli/doctor/calendar-check.js';
import { checkClock, checkDisk, checkJournal } from '../../src/cli/doctor/checks.js';
import { defaultCalendarDir, loadCalendar } from '../../src/config/calendar.js';
import { checkPaths, type PathProbe, validateStructure } from '../../src/config/validate.js';

const dayMs = 24 * 3600 * 1000;

t.test('clock', async (t) => {
  const build = Date.parse('2026-11-28T00:00:00Z');
  t.equal(checkClock(build + dayMs, build).status, 'PASS');
  t.equal(checkClock(build - 1, build).code, 'AGENT_DOCTOR_CLOCK_BEHIND');
  t.equal(
    checkClock(Date.parse('2000-01-01T00:00:00Z'), build).code,
    'AGENT_DOCTOR_CLOCK_BEHIND',
    'RTC reset to 2000',
  );
  t.equal(checkClock(build + 11 * 365 * dayMs, build).code, 'AGENT_DOCTOR_CLOCK_AHEAD');
});

t.test('calendar: this year required (Beijing time), next year wanted from December', async (t) => {
  const loaded = loadCalendar(defaultCalendarDir);
  t.ok(loaded.years.includes(2026), "the repository's calendar holds 2026");
  const with2026 = { ...loaded, years: [2025, 2026] };
  t.equal(checkCalendar('cal', with2026, Date.parse('2026-06-01T12:00:00+08:00')).status, 'PASS');
  const december = checkCalendar('cal', with2026, Date.parse('2026-12-01T00:00:00+08:00'));
  t.same(
    [december.status, december.detail],
    ['WARN', 'cal: years 2025, 2026; no calendar for 2027 yet (a notice given now runs into it)'],
  );
  t.equal(
    checkCalendar('cal', with2026, Date.parse('2026-11-30T23:59:00+08:00')).status,
    'PASS',
    'the last minute of November in Beijing (15:59 UTC)',
  );
  const newYear = checkCalendar('cal', with2026, Date.parse('2026-12-31T16:00:00Z'));
  t.same(
    [newYear.status, newYear.code],
    ['FAIL', 'AGENT_DOCTOR_CALENDAR_MISSING'],
    '2027-01-01 00:00 in Beijing is still 2026 in UTC: judged by Beijing',
  );
  const none = checkCalendar('/nowhere', loadCalendar('/nowhere'), Date.parse('2026-06-01T12:00:00+08:00'));
  t.same([none.status, none.code], ['FAIL', 'AGENT_DOCTOR_CALENDAR_MISSING']);
  t.match(
    none.detail,
    /^\/nowhere: no year; cannot read the calendar folder \/nowhere.*; no calendar for 2026/,
  );
});

t.test('disk: PASS, WARN, FAIL by free bytes', async (t) => {
  const mib = 1024 * 1024;
  t.equal(checkDisk('/var/lib/bianmin/kiosk.db', () => 5000 * mib).status, 'PASS');
  const warn = checkDisk('/var/lib/bianmin/kiosk.db', () => 500 * mib);
  t.same([warn.status, warn.code], ['WARN', 'AGENT_DOCTOR_DISK_LOW']);
  const fail = checkDisk('/var/lib/bianmin/kiosk.db', () => 100 * mib);
  t.same([fail.status, fail.code], ['FAIL', 'AGENT_DOCTOR_DISK_LOW']);
  const missing = checkDisk('/nonexistent-dir/kiosk.db');
  t.same([missing.status, missing.code], ['FAIL', 'AGENT_DOCTOR_DISK_LOW']);
});

t.test('journal: SKIP when there is none, PASS, FAIL', async (t) => {
  t.same(checkJournal('/x.db', { check: () => ({ status: 'missing' }) }), {
    check: 'journal',
    status: 'SKIP',
    detail: 'no journal',
  });
  t.equal(checkJournal('/x.db', { check: () => ({ status: 'ok', detail: '3 rows' }) }).status, 'PASS');
  t.equal(
    checkJournal('/x.db', { check: () => ({ status: 'corrupt', detail: 'row 7' }) }).code,
    'AGENT_DOCTOR_JOURNAL_BROKEN',
  );
  const throwing = checkJournal('/x.db', {
    check: () => {
      throw new Error('disk I/O error');
    },
  });
  t.equal(throwing.code, 'AGENT_DOCTOR_JOURNAL_BROKEN', 'a throwing check is a failure, not a crash');
});

t.test('checkPaths: every role against a fake filesystem', async (t) => {
  const files: Record<string, { kind: 'file' | 'dir' | 'other'; readable: boolean; writable: boolean }> = {
    '/dev/ttyUSB0': { kind: 'other', readable: true, writable: false },
    '/etc/pin': { kind: 'file', readable: false, writable: false },
    '/etc': { kind: 'dir', readable: true, writable: false },
    '/var/lib': { kind: 'dir', readable: true, writable: true },
    '/var/log/bianmin': { kind: 'file', readable: true, writable: true },
  };
  const probe: PathProbe = {
    kind: (path) => files[path]?.kind ?? null,
    readable: (path) => files[path]?.readable ?? false,
    writable: (path) => files[path]?.writable ?? false,
  };
  const problems = checkPaths(
    [
      { key: 'a', path: '/dev/ttyUSB0', role: 'device' },
      { key: 'b', path: '/etc/pin', role: 'readable-file' },
      { key: 'c', path: '/etc', role: 'readable-file' },
      { key: 'd', path: '/etc/kiosk.db', role: 'creatable-file' },
      { key: 'e', path: '/var/lib/kiosk.db', role: 'creatable-file' },
      { key: 'f', path: '/var/lib', role: 'creatable-file' },
      { key: 'g', path: '/var/log/bianmin', role: 'writable-dir' },
      { key: 'h', path: '/var/lib/logs', role: 'writable-dir' },
    ],
    probe,
  );
  t.same(
    problems.map((problem) => `${problem.key} ${problem.code}`),
    [
      'a AGENT_CONFIG_PATH_MISSING',
      'b AGENT_CONFIG_PATH_MISSING',
      'c AGENT_CONFIG_PATH_MISSING',
      'd AGENT_CONFIG_PATH_UNREACHABLE',
      'f AGENT_CONFIG_PATH_UNREACHABLE',
      'g AGENT_CONFIG_PATH_UNREACHABLE',
    ],
  );
});

t.test('validateStructure fills serial defaults', async (t) => {
  const result = validateStructure({
    station: { id: 'ST-1', orgCode: '123456' },
    serial: { cardReader: { path: '/dev/a' }, pinPad: { path: '/dev/b', baudRate: 9600 } },
    token: { modulePath: '/m.so', label: 'L', keyLabel: 'k', userPin: { env: 'PIN_ENV' } },
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    journal: { path: '/var/lib/k.db' },
    operatorApi: { socketPath: '/run/op.sock' },
    hq: { configPublicKeyPath: '/etc/hq.pem' },
    log: { dir: '/var/log/b' },
  });
  t.same(result.problems, []);
  t.equal(result.config?.serial.cardReader.baudRate, 115_200);
  t.equal(result.config?.serial.pinPad.baudRate, 9600);
  t.equal(result.config?.serial.pinPad.commandTimeoutMs, 3000);
  t.equal(result.config?.log.level, 'info');
  t.same(
    validateStructure([]).problems.map((problem) => problem.code),
    ['AGENT_CONFIG_BAD_TYPE'],
    'not an object',
  );
});
