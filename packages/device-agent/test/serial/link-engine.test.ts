// Goal: the pure request/response state and backoff, and the link engine's handling of a device
// that misbehaves at the protocol level. Method: RequestTable and reopenDelayMs driven by explicit
// times; a hand-written raw device on an InProcessPair (no simulator) answering with wrong commands,
// stale sequence numbers and corrupted events, under a fake clock.

import t from 'tap';
import { InProcessPair } from '../../src/adapters/serial/in-process-channel.js';
import { SerialLink } from '../../src/adapters/serial/serial-link.js';
import { decodeFrame, encodeFrame, type Frame } from '../../src/domain/serial/frame.js';
import { CappedLineSplitter } from '../../src/domain/serial/line-splitter.js';
import { reopenDelayMs } from '../../src/domain/serial/link-state.js';
import { RequestTable } from '../../src/domain/serial/request-table.js';
import { FakeClock } from './helpers/fake-clock.js';
import { captureLogs, settle } from './helpers/in-process.js';

const frameOf = (line: string): Frame => {
  const decoded = decodeFrame(Buffer.from(line, 'latin1'));
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.frame;
};

t.test('RequestTable: seq allocation, NAK retransmission, BUSY, deadlines', async (t) => {
  const table = new RequestTable({ inFlightCountMax: 2, attemptsMax: 3, ackTimeoutMs: 100 });
  const a = table.open('READ', {}, 0, 1000);
  const b = table.open('EJECT', {}, 0, 1000);
  t.not(a.seq, b.seq);
  t.notOk(table.hasCapacity());
  t.throws(() => table.open('X', {}, 0, 1000));
  t.same(table.onFrame(frameOf(encodeFrame(a.seq, 'NAK')), 10), { kind: 'resend', seq: a.seq, line: a.line });
  t.same(table.onFrame(frameOf(encodeFrame(a.seq, 'BUSY')), 20), { kind: 'busy', seq: a.seq });
  t.equal(table.nextDueMs(), 100, 'EJECT ack deadline first');
  t.same(table.tick(100), [{ kind: 'resend', seq: b.seq, line: b.line }]);
  t.same(table.tick(200), [{ kind: 'resend', seq: b.seq, line: b.line }]);
  const exhausted = table.tick(300);
  t.equal(exhausted[0]?.kind, 'failed');
  t.equal(exhausted[0]?.kind === 'failed' ? exhausted[0].code : '', 'AGENT_SERIAL_RETRIES_EXHAUSTED');
  t.same(table.onFrame(frameOf(encodeFrame(0x7f, 'READ')), 400), { kind: 'stale', seq: 0x7f });
  t.equal(table.onFrame(frameOf(encodeFrame(0x90, 'CARD_INSERTED')), 400).kind, 'event');
  const timedOut = table.tick(1000);
  t.equal(timedOut[0]?.kind === 'failed' ? timedOut[0].code : '', 'AGENT_SERIAL_TIMEOUT');
  t.equal(table.inFlightCount, 0);
  const c = table.open('READ', {}, 0, 1000);
  t.equal(table.onFrame(frameOf(encodeFrame(c.seq, 'EJECT')), 1).kind, 'failed', 'wrong answer command');
  const d = table.open('READ', {}, 0, 1000);
  t.equal(table.onFrame(frameOf(encodeFrame(d.seq, 'ERROR', { code: 'NO_CARD' })), 1).kind, 'settled');
  table.open('READ', {}, 0, 1000);
  t.equal(table.clear().length, 1);
  t.throws(() => new RequestTable({ inFlightCountMax: 0, attemptsMax: 1, ackTimeoutMs: 1 }), RangeError);
});

t.test('RequestTable: sequence numbers wrap within 00–7F and skip those in flight', async (t) => {
  const table = new RequestTable({ inFlightCountMax: 4, attemptsMax: 1, ackTimeoutMs: 100 });
  const held = table.open('HOLD', {}, 0, 1e9);
  const seen = new Set<number>();
  for (let index = 0; index < 300; index += 1) {
    const pending = table.open('X', {}, 0, 1000);
    t.not(pending.seq, held.seq);
    t.ok(pending.seq <= 0x7f);
    seen.add(pending.seq);
    table.drop(pending.seq);
  }
  t.equal(seen.size, 127);
});

t.test('reopenDelayMs: exponential, jittered, capped', async (t) => {
  t.same(
    [0, 1, 2, 3, 4, 5, 10].map((attempt) => reopenDelayMs(attempt, 0)),
    [100, 200, 400, 800, 1600, 2000, 2000],
  );
  t.equal(reopenDelayMs(0, 0.999), 149);
  t.equal(reopenDelayMs(3, 0.5), 1000);
  t.equal(reopenDelayMs(4, 0.999), 2000, 'jitter never exceeds the cap');
  t.throws(() => reopenDelayMs(-1, 0), RangeError);
  t.throws(() => reopenDelayMs(0, 1), RangeError);
});

t.test(
  'engine: wrong answer (AGENT_SERIAL_BAD_RESPONSE), stale answers, corrupted events NAKed',
  async (t) => {
    const clock = new FakeClock();
    const pair = new InProcessPair();
    const logs = captureLogs();
    const received: Frame[] = [];
    const splitter = new CappedLineSplitter(1024);
    pair.device.onData = (chunk) => {
      for (const event of splitter.push(chunk)) {
        if (event.kind !== 'line') continue;
        const decoded = decodeFrame(event.bytes);
        if (!decoded.ok) continue;
        received.push(decoded.frame);
        const frame = decoded.frame;
        if (frame.command === 'OPEN')
          pair.device.write(
            Buffer.from(`${encodeFrame(frame.seq, 'OPEN', Object.fromEntries(frame.fields))}\n`),
          );
        if (frame.command === 'PING') pair.device.write(Buffer.from(`${encodeFrame(frame.seq, 'PONG')}\n`));
        if (frame.command === 'ECHO') {
          pair.device.write(Buffer.from(`${encodeFrame((frame.seq + 1) % 128, 'ECHO')}\n`)); // stale seq
          pair.device.write(Buffer.from(`${encodeFrame(frame.seq, 'ECHO', { ok: '1' })}\n`));
        }
      }
    };
    const link = new SerialLink({
      opener: pair.host,
      name: 'raw',
      clock,
      logger: logs.logger,
      heartbeatIntervalMs: 60_000,
    });
    const events: Frame[] = [];
    link.onEvent((frame) => events.push(frame));
    link.start();
    await settle(clock, link.whenOpen(1000));
    await t.rejects(settle(clock, link.send('PING', {}, { timeoutMs: 1000, exclusive: true })), {
      code: 'AGENT_SERIAL_BAD_RESPONSE',
    });
    const echo = await settle(clock, link.send('ECHO', {}, { timeoutMs: 1000, exclusive: true }));
    t.equal(echo.fields.get('ok'), '1', 'the stale answer was ignored, the right one taken');

    const event = encodeFrame(0x85, 'CARD_INSERTED');
    pair.device.write(Buffer.from(`${event.slice(0, -1)}${event.endsWith('0') ? '1' : '0'}\n`));
    await clock.advance(10);
    t.same(
      received.filter((frame) => frame.command === 'NAK').map((frame) => frame.seq),
      [0x85],
      'the host NAKs a corrupted event with its seq',
    );
    t.equal(events.length, 0, 'and does not act on it');
    pair.device.write(Buffer.from(`${event}\n${encodeFrame(0x86, 'NAK')}\n`));
    await clock.advance(10);
    t.same(
      events.map((frame) => frame.command),
      ['CARD_INSERTED'],
      'the resent event is delivered; a NAK is never an event',
    );
    await link.stop();
  },
);
