// Goal: the kiosk and HQ write log lines in one format (issue 13): JSON, `time` as ISO 8601 in
// Beijing time with "+08:00", `level` as the same label ("info", "error"), the same redacted field
// names. Method: one line through each service's real logger factory (the kiosk's createLogger,
// HQ's hqLogger of `hq serve`) into an in-memory stream; the lines' shapes are compared, and the
// time function is checked on fixed instants (a day boundary, the epoch, a leap day).
import { Writable } from 'node:stream';
import { createLogger } from '@bianmin/device-agent';
import { beijingIsoTime, logLevelNames } from '@bianmin/wire';
import t from 'tap';
import { hqLogger } from '../packages/hq-gateway/src/cli/commands/serve.js';

function capture(): {
  stream: Writable & { write: (text: string) => boolean };
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(text));
      callback();
    },
  });
  return { stream, lines };
}

const beijingIso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/;

t.test('beijingIsoTime: UTC + 8 h with the offset written out', async (t) => {
  t.equal(
    beijingIsoTime(Date.UTC(2026, 11, 5, 16, 0, 0, 5)),
    '2026-12-06T00:00:00.005+08:00',
    'past midnight in Beijing',
  );
  t.equal(beijingIsoTime(0), '1970-01-01T08:00:00.000+08:00');
  t.equal(
    beijingIsoTime(Date.UTC(2028, 1, 28, 23, 59, 59, 999)),
    '2028-02-29T07:59:59.999+08:00',
    'leap day',
  );
  t.throws(() => beijingIsoTime(1.5), RangeError);
  t.throws(() => beijingIsoTime(8.64e15 + 1), RangeError);
});

t.test('kiosk and HQ lines: same time format, same level labels, same redaction', async (t) => {
  const kiosk = capture();
  const hq = capture();
  const kioskLog = createLogger({ name: 'format-test', level: 'debug', stream: kiosk.stream });
  const hqLog = hqLogger('debug', hq.stream);
  for (const log of [kioskLog, hqLog]) {
    log.info({ code: 'X_TEST', pinBlock: 'AB'.repeat(16), card: { pan: '6217001234567893' } }, 'one');
    log.error('two');
    log.warn('three');
  }
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(kiosk.lines.length, 3);
  t.equal(hq.lines.length, 3);
  for (const [name, lines] of [
    ['kiosk', kiosk.lines],
    ['hq', hq.lines],
  ] as const) {
    t.same(
      lines.map((line) => line.level),
      ['info', 'error', 'warn'],
      `${name}: level labels`,
    );
    t.ok(
      lines.every((line) => typeof line.time === 'string' && beijingIso.test(line.time)),
      `${name}: time in Beijing time`,
    );
    t.equal(lines[0]?.pinBlock, '[redacted]', `${name}: pinBlock redacted`);
    t.same(lines[0]?.card, { pan: '[redacted]' }, `${name}: nested pan redacted`);
    t.ok(
      lines.every((line) => logLevelNames.includes(line.level as (typeof logLevelNames)[number])),
      `${name}: only the shared names`,
    );
  }
});
