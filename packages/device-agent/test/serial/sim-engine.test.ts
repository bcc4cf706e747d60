// Goal: the device side of the protocol (SimEngine) NAKs a corrupted request, never executes a
// retransmitted request twice, resends on NAK, and ignores everything while vanished; and the
// host engine retransmits on a device NAK, bounded. Method: raw lines written into the engine and
// into an InProcessPair, frames read back, under a fake clock.

import t from 'tap';
import { InProcessPair } from '../../src/adapters/serial/in-process-channel.js';
import { SerialLink } from '../../src/adapters/serial/serial-link.js';
import { decodeFrame, encodeFrame, type Frame } from '../../src/domain/serial/frame.js';
import { CappedLineSplitter } from '../../src/domain/serial/line-splitter.js';
import { SimEngine } from '../../src/sim/sim-engine.js';
import { FakeClock } from './helpers/fake-clock.js';
import { script, settle } from './helpers/in-process.js';

function deviceUnderTest() {
  const clock = new FakeClock();
  const out: Frame[] = [];
  const statuses: Array<Readonly<Record<string, unknown>>> = [];
  const splitter = new CappedLineSplitter(1024);
  const engine = new SimEngine({
    clock,
    script: script({ identity: { model: 'M', serial: 'S', firmware: 'F' } }),
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
  engine.setHandler((request) => {
    executed += 1;
    request.reply({ n: String(executed) });
  });
  const send = (line: string) => engine.receive(Buffer.from(`${line}\n`, 'latin1'));
  return { clock, out, statuses, engine, send, executed: () => executed };
}

t.test('SimEngine: NAK on bad CRC, duplicates answered from cache, NAK → resend, vanish', async (t) => {
  const d = deviceUnderTest();
  const good = encodeFrame(0x10, 'WORK');
  d.send(`${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`);
  t.same(
    d.out.map((f) => [f.seq, f.command]),
    [[0x10, 'NAK']],
  );
  t.equal(d.executed(), 0, 'a corrupted request is never executed');
  d.send(good);
  d.send(good);
  t.equal(d.executed(), 1, 'a retransmission is not executed twice');
  t.same(
    d.out.slice(1).map((f) => [f.seq, f.command, f.fields.get('n')]),
    [
      [0x10, 'WORK', '1'],
      [0x10, 'WORK', '1'],
    ],
  );
  d.send(encodeFrame(0x10, 'NAK'));
  t.equal(d.out.at(-1)?.fields.get('n'), '1', 'NAK resends the last frame with that seq');
  d.send(encodeFrame(0x11, 'IDENTIFY'));
  t.equal(d.out.at(-1)?.fields.get('model'), 'M');
  d.send('garbage');
  t.ok(d.statuses.some((s) => s.status === 'bad-frame'));
  d.engine.receive(Buffer.from(`${'x'.repeat(2000)}\n`));
  t.ok(d.statuses.some((s) => s.status === 'line-too-long'));
  d.engine.vanish(1000);
  const count = d.out.length;
  d.send(encodeFrame(0x12, 'WORK'));
  d.engine.emit('CARD_INSERTED');
  t.equal(d.out.length, count, 'deaf and mute while vanished');
  await d.clock.advance(1000);
  d.send(encodeFrame(0x13, 'WORK'));
  t.equal(d.out.at(-1)?.command, 'WORK');
  t.ok(d.statuses.some((s) => s.status === 'returned'));
});

t.test(
  'host engine: a device NAK triggers retransmission; endless NAKs end in AGENT_SERIAL_RETRIES_EXHAUSTED',
  async (t) => {
    const clock = new FakeClock();
    const pair = new InProcessPair();
    const splitter = new CappedLineSplitter(1024);
    const seen: string[] = [];
    pair.device.onData = (chunk) => {
      for (const event of splitter.push(chunk)) {
        if (event.kind !== 'line') continue;
        const decoded = decodeFrame(event.bytes);
        if (!decoded.ok) continue;
        const frame = decoded.frame;
        seen.push(frame.command);
        const attempts = seen.filter((command) => command === frame.command).length;
        const answer =
          frame.command === 'NAKME' || (frame.command === 'ONCE' && attempts === 1)
            ? encodeFrame(frame.seq, 'NAK')
            : encodeFrame(frame.seq, frame.command, Object.fromEntries(frame.fields)); // OPEN: nonce echoed
        pair.device.write(Buffer.from(`${answer}\n`));
      }
    };
    const link = new SerialLink({ opener: pair.host, name: 'raw', clock, heartbeatIntervalMs: 60_000 });
    link.start();
    await settle(clock, link.whenOpen(1000));
    await settle(clock, link.send('ONCE', {}, { timeoutMs: 1000, exclusive: true }));
    t.equal(seen.filter((command) => command === 'ONCE').length, 2);
    await t.rejects(settle(clock, link.send('NAKME', {}, { timeoutMs: 5000, exclusive: true })), {
      code: 'AGENT_SERIAL_RETRIES_EXHAUSTED',
    });
    t.equal(seen.filter((command) => command === 'NAKME').length, 3, 'three transmissions, no more');
    t.equal(link.stats().retransmissions, 3);
    await link.stop();
  },
);
