// Goal: the session start (OPEN + nonce echo) on every open. A new host session that numbers from 00
// again is acted on, never answered from the device's retransmission cache of an earlier session;
// the host sends nothing else before the echo matches; a wrong echo (AGENT_SERIAL_SESSION_MISMATCH)
// or none (AGENT_SERIAL_SESSION_FAILED) keeps the link closed. Method: the pure echo check and
// RequestTable; SimEngine fed raw lines; the link engine against a hand-written raw device; and two
// driver sessions in a row against the simulated card reader and PIN pad, all in-process under a
// fake clock.

import { keyCheckValue } from '@bianmin/wire';
import t from 'tap';
import { CardReaderDriver } from '../../src/adapters/serial/card-reader-driver.js';
import { InProcessPair } from '../../src/adapters/serial/in-process-channel.js';
import { PinPadDriver } from '../../src/adapters/serial/pin-pad-driver.js';
import { SerialLink } from '../../src/adapters/serial/serial-link.js';
import { combineKeyComponents, parseKeyComponent } from '../../src/domain/pin/key-components.js';
import type { SecretKeyBytes } from '../../src/domain/pin/secret.js';
import { decodeFrame, encodeFrame, type Frame } from '../../src/domain/serial/frame.js';
import { CappedLineSplitter } from '../../src/domain/serial/line-splitter.js';
import { RequestTable } from '../../src/domain/serial/request-table.js';
import { checkSessionEcho, isSessionNonce } from '../../src/domain/serial/session.js';
import { type RequestContext, SimEngine } from '../../src/sim/sim-engine.js';
import { FakeClock } from './helpers/fake-clock.js';
import {
  captureLogs,
  cardReaderHarness,
  cards,
  pinPadHarness,
  script,
  settle,
} from './helpers/in-process.js';

const nonceA = '0123456789ABCDEF';
const nonceB = 'FEDCBA9876543210';

const frameOf = (line: string): Frame => {
  const decoded = decodeFrame(Buffer.from(line, 'latin1'));
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.frame;
};

function component(hex: string): SecretKeyBytes {
  const parsed = parseKeyComponent(hex);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

t.test('checkSessionEcho, isSessionNonce, RequestTable.restartSequence', async (t) => {
  t.ok(isSessionNonce(nonceA));
  t.notOk(isSessionNonce('0123456789abcdef'), 'lower case');
  t.notOk(isSessionNonce('0123'), 'too short');
  t.same(checkSessionEcho(frameOf(encodeFrame(0, 'OPEN', { nonce: nonceA })), nonceA), { ok: true });
  for (const [line, reason] of [
    [encodeFrame(0, 'OPEN', { nonce: nonceB }), 'nonce differs'],
    [encodeFrame(0, 'OPEN'), 'no nonce'],
    [encodeFrame(0, 'READ', { nonce: nonceA }), 'answer READ to OPEN'],
  ] as const) {
    t.same(checkSessionEcho(frameOf(line), nonceA), {
      ok: false,
      code: 'AGENT_SERIAL_SESSION_MISMATCH',
      reason,
    });
  }
  t.throws(() => checkSessionEcho(frameOf(encodeFrame(0, 'OPEN')), 'x'), RangeError);

  const table = new RequestTable({ inFlightCountMax: 4, attemptsMax: 3, ackTimeoutMs: 100 });
  const first = table.open('A', {}, 0, 1000);
  t.throws(() => table.restartSequence(), 'not while a request is in flight');
  table.drop(first.seq);
  table.drop(table.open('B', {}, 0, 1000).seq);
  table.restartSequence();
  t.equal(table.open('C', {}, 0, 1000).seq, 0, 'numbering starts at 00 again');
});

t.test(
  'SimEngine: OPEN clears the retransmission cache, echoes the nonce, drops stale answers',
  async (t) => {
    const clock = new FakeClock();
    const out: Frame[] = [];
    const statuses: Array<Readonly<Record<string, unknown>>> = [];
    const splitter = new CappedLineSplitter(1024);
    const engine = new SimEngine({
      clock,
      script: script({}),
      notify: (status) => statuses.push(status),
      write: (bytes) => {
        for (const event of splitter.push(bytes)) {
          if (event.kind !== 'line') continue;
          const decoded = decodeFrame(event.bytes);
          if (decoded.ok) out.push(decoded.frame);
        }
      },
    });
    let executed = 0;
    let held: RequestContext | undefined;
    let sessionStarts = 0;
    engine.onSessionStart(() => {
      sessionStarts += 1;
    });
    engine.setHandler((request) => {
      if (request.frame.command === 'HOLD') {
        held = request;
        request.busy();
        return;
      }
      executed += 1;
      request.reply({ n: String(executed) });
    });
    const send = (line: string) => engine.receive(Buffer.from(`${line}\n`, 'latin1'));
    const work = encodeFrame(0x01, 'WORK');

    send(encodeFrame(0x00, 'OPEN', { nonce: nonceA }));
    t.same(
      out.map((f) => [f.seq, f.command, f.fields.get('nonce')]),
      [[0x00, 'OPEN', nonceA]],
      'the nonce is echoed with the same seq',
    );
    send(work);
    send(work);
    t.equal(executed, 1, 'within a session a retransmission is answered from the cache');
    t.ok(statuses.some((s) => s.status === 'duplicate'));

    send(encodeFrame(0x00, 'OPEN', { nonce: 'nope' }));
    t.same(
      [out.at(-1)?.command, out.at(-1)?.fields.get('code')],
      ['ERROR', 'BAD_REQUEST'],
      'a bad nonce is refused',
    );
    send(work);
    t.equal(executed, 1, '... and changes nothing: still a retransmission');

    send(encodeFrame(0x00, 'OPEN', { nonce: nonceB }));
    t.equal(out.at(-1)?.fields.get('nonce'), nonceB);
    t.equal(sessionStarts, 2, 'the device behaviour is told of each accepted OPEN');
    send(work);
    t.equal(executed, 2, 'the same line in a new session is executed again');
    t.equal(out.at(-1)?.fields.get('n'), '2', 'and answered fresh');
    send(encodeFrame(0x01, 'NAK'));
    t.equal(out.at(-1)?.fields.get('n'), '2', 'NAK resends this session’s answer');

    send(encodeFrame(0x02, 'HOLD'));
    t.equal(out.at(-1)?.command, 'BUSY');
    send(encodeFrame(0x00, 'OPEN', { nonce: nonceA }));
    const count = out.length;
    held?.reply({ late: '1' });
    t.equal(out.length, count, 'an answer of the session before is never sent');
    send(encodeFrame(0x02, 'NAK'));
    t.equal(out.length, count, 'nor resent on NAK: the history was cleared');
  },
);

/** A raw device: answers OPEN as `open` says, HEARTBEAT and PING, and records every frame. */
function rawDevice(open: (frame: Frame) => string | undefined) {
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
      const frame = decoded.frame;
      received.push(frame);
      const answer =
        frame.command === 'OPEN' ? open(frame) : encodeFrame(frame.seq, frame.command, { ok: '1' });
      if (answer !== undefined) pair.device.write(Buffer.from(`${answer}\n`));
    }
  };
  return { clock, pair, logs, received };
}

const echo = (frame: Frame) => encodeFrame(frame.seq, 'OPEN', { nonce: frame.fields.get('nonce') ?? '' });

t.test('link: OPEN first on every open, nothing else before the echo, numbering restarts', async (t) => {
  let holdEcho = true;
  let heldOpen: Frame | undefined;
  const d = rawDevice((frame) => {
    if (holdEcho) {
      heldOpen = frame;
      return undefined;
    }
    return echo(frame);
  });
  const nonces = [nonceA, nonceB];
  const link = new SerialLink({
    opener: d.pair.host,
    name: 'raw',
    clock: d.clock,
    logger: d.logs.logger,
    heartbeatIntervalMs: 60_000,
    ackTimeoutMs: 10_000,
    sessionTimeoutMs: 20_000,
    sessionNonce: () => nonces.shift() ?? nonceA,
  });
  link.start();
  await d.clock.advance(10);
  t.equal(link.state.kind, 'opening', 'still opening while the echo is outstanding');
  await t.rejects(link.send('PING', {}, { timeoutMs: 1000, exclusive: true }), {
    code: 'AGENT_SERIAL_NOT_CONNECTED',
  });
  t.same(
    d.received.map((f) => [f.seq, f.command, f.fields.get('nonce')]),
    [[0x00, 'OPEN', nonceA]],
  );
  // Bytes of an older session still on the line: same seq as our OPEN, another command. Ignored.
  d.pair.device.write(Buffer.from(`${encodeFrame(0x00, 'READ', { pan: '1' })}\n`));
  await d.clock.advance(10);
  t.equal(link.state.kind, 'opening');
  d.pair.device.write(Buffer.from(`${echo(heldOpen!)}\n`));
  await settle(d.clock, link.whenOpen(1000));
  holdEcho = false;
  await settle(d.clock, link.send('PING', {}, { timeoutMs: 1000, exclusive: true }));
  t.same(
    d.received.map((f) => [f.seq, f.command]),
    [
      [0x00, 'OPEN'],
      [0x01, 'PING'],
    ],
  );

  d.pair.unplug();
  await t.rejects(settle(d.clock, link.send('PING', {}, { timeoutMs: 1000, exclusive: true })), {
    code: 'AGENT_SERIAL_DISCONNECTED',
  });
  d.pair.replug();
  await settle(d.clock, link.whenOpen(10_000));
  await settle(d.clock, link.send('PING', {}, { timeoutMs: 1000, exclusive: true }));
  t.same(
    d.received.slice(-2).map((f) => [f.seq, f.command, f.fields.get('nonce')]),
    [
      [0x00, 'OPEN', nonceB],
      [0x01, 'PING', undefined],
    ],
    'the reopen starts a new session with a new nonce; numbering restarts at 00',
  );
  await link.stop();
});

t.test(
  'link: a wrong echo is AGENT_SERIAL_SESSION_MISMATCH; the link stays closed, then recovers',
  async (t) => {
    let wrong = true;
    const d = rawDevice((frame) =>
      wrong ? encodeFrame(frame.seq, 'OPEN', { nonce: '0000000000000000' }) : echo(frame),
    );
    const link = new SerialLink({
      opener: d.pair.host,
      name: 'raw',
      clock: d.clock,
      logger: d.logs.logger,
      heartbeatIntervalMs: 60_000,
    });
    link.start();
    await d.clock.advance(10);
    t.equal(link.state.kind, 'backoff');
    if (link.state.kind === 'backoff') t.equal(link.state.lastErrorCode, 'AGENT_SERIAL_SESSION_MISMATCH');
    t.ok(d.logs.codes().includes('AGENT_SERIAL_SESSION_MISMATCH'));
    await t.rejects(settle(d.clock, link.whenOpen(3000)), { code: 'AGENT_SERIAL_NOT_CONNECTED' });
    t.ok(
      d.received.every((f) => f.command === 'OPEN'),
      'nothing but OPEN was ever sent',
    );
    t.ok(d.received.length >= 2, 'each reopen tries again');
    wrong = false;
    await settle(d.clock, link.whenOpen(10_000));
    await settle(d.clock, link.send('PING', {}, { timeoutMs: 1000, exclusive: true }));
    await link.stop();
  },
);

t.test('link: OPEN unanswered or refused is AGENT_SERIAL_SESSION_FAILED', async (t) => {
  for (const [what, open] of [
    ['unanswered', () => undefined],
    ['ERROR', (frame: Frame) => encodeFrame(frame.seq, 'ERROR', { code: 'UNKNOWN_COMMAND' })],
  ] as const) {
    const d = rawDevice(open);
    const link = new SerialLink({ opener: d.pair.host, name: 'raw', clock: d.clock, logger: d.logs.logger });
    link.start();
    await t.rejects(settle(d.clock, link.whenOpen(2000)), { code: 'AGENT_SERIAL_NOT_CONNECTED' }, what);
    t.ok(d.logs.codes().includes('AGENT_SERIAL_SESSION_FAILED'), what);
    t.equal(
      d.logs.codes().filter((code) => code === 'AGENT_SERIAL_SESSION_FAILED').length,
      1,
      `${what}: logged once per streak, not on every retry`,
    );
    t.ok(
      d.received.every((f) => f.command === 'OPEN'),
      `${what}: nothing but OPEN`,
    );
    await link.stop();
  }
});

t.test('two card reader driver sessions in a row: the same first READ gets a fresh answer', async (t) => {
  const h = cardReaderHarness({ cards: [cards.good, cards.visa], insertOnStart: 0 });
  const session = async () => {
    const driver = new CardReaderDriver({ opener: h.pair.host, clock: h.clock, heartbeatIntervalMs: 60_000 });
    driver.start();
    await settle(h.clock, driver.whenOpen(1000));
    const card = await settle(h.clock, driver.readCard());
    await driver.stop();
    return card.pan.digits();
  };
  t.equal(await session(), cards.good.pan);
  h.device.insert(1);
  t.equal(await session(), cards.visa.pan, 'not the cached answer of the first session');
  const reads = h.statuses.filter((s) => s.status === 'request' && s.command === 'READ');
  t.same(
    reads.map((s) => s.seq),
    [1, 1],
    'both sessions sent READ with the same seq',
  );
  t.notOk(
    h.statuses.some((s) => s.status === 'duplicate'),
    'no answer came from the cache',
  );
});

t.test('two PIN pad driver sessions in a row: the same first LOAD_KEY both change the pad', async (t) => {
  const h = pinPadHarness({});
  const [a, b, c] = [
    '11112222333344445555666677778888',
    '0F0E0D0C0B0A09080706050403020100',
    'A5A5A5A5A5A5A5A55A5A5A5A5A5A5A5A',
  ];
  const session = async (second: string) => {
    const driver = new PinPadDriver({ opener: h.pair.host, clock: h.clock, heartbeatIntervalMs: 60_000 });
    driver.start();
    await settle(h.clock, driver.whenOpen(1000));
    await settle(h.clock, driver.loadTmkComponent(1, 2, component(a!)));
    const last = await settle(h.clock, driver.loadTmkComponent(2, 2, component(second)));
    await driver.stop();
    return last.tmkKcv;
  };
  const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));
  t.equal(await session(b!), keyCheckValue(combineKeyComponents([bytes(a!), bytes(b!)])));
  t.equal(
    await session(c!),
    keyCheckValue(combineKeyComponents([bytes(a!), bytes(c!)])),
    'component 1 of the second session was stored again (a cached replay would leave it missing)',
  );
  const loads = h.statuses.filter((s) => s.status === 'request' && s.command === 'LOAD_KEY');
  t.same(
    loads.map((s) => s.seq),
    [1, 2, 1, 2],
  );
  t.notOk(h.statuses.some((s) => s.status === 'duplicate'));
});
