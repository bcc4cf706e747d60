// Goal: the card reader driver against the card reader simulator as its own process, over a real
// socat PTY pair: request/response, unsolicited events, bad checksum (NAK + resend), over-long line,
// garbage, a line with no newline, a device that vanishes and returns, and unplug/replug (socat
// killed and restarted) mid-command with the recovery time measured and printed (not asserted).
// Method: PtyPair + SimChild (status lines on stdout, control on stdin); waits are on events.

import { performance } from 'node:perf_hooks';
import t from 'tap';
import { CardReaderDriver } from '../../src/adapters/serial/card-reader-driver.js';
import type { CardReaderEvent } from '../../src/ports/card-reader.js';
import { PtyPair } from '../../src/sim/pty-pair.js';
import { captureLogs, cards } from './helpers/in-process.js';
import { SimChild } from './helpers/sim-child.js';

function nextEvent(
  driver: CardReaderDriver,
  predicate: (event: CardReaderEvent) => boolean,
): Promise<CardReaderEvent> {
  return new Promise((resolve) => {
    const unsubscribe = driver.subscribe((event) => {
      if (predicate(event)) {
        unsubscribe();
        resolve(event);
      }
    });
  });
}

t.test('card reader over a PTY pair', async (t) => {
  const pair = await PtyPair.start();
  t.teardown(() => pair.close());
  const sim = await SimChild.start(
    'card-reader',
    pair.devicePath,
    { identity: { model: 'SIM-CR', serial: 'CR-PTY', firmware: '1.2.3' }, cards: [cards.good, cards.visa] },
    pair.dir,
  );
  t.teardown(() => sim.stop());
  const logs = captureLogs();
  const driver = new CardReaderDriver({ path: pair.hostPath, logger: logs.logger, heartbeatIntervalMs: 500 });
  t.teardown(() => driver.stop());
  driver.start();
  await driver.whenOpen(10_000);

  await t.test('request/response', async (t) => {
    t.same(await driver.identify(), { model: 'SIM-CR', serialNumber: 'CR-PTY', firmwareVersion: '1.2.3' });
    await driver.heartbeat();
  });

  await t.test('unsolicited events and a waited-for card', async (t) => {
    const mark = sim.mark();
    const waiting = driver.waitForCard(20_000);
    await sim.waitFor((s) => s.status === 'request' && s.command === 'WAIT_CARD', 'WAIT_CARD', mark);
    const inserted = nextEvent(driver, (e) => e.kind === 'card-inserted');
    await sim.control({ op: 'insert', card: 1 });
    await inserted;
    await waiting;
    const card = await driver.readCard();
    t.equal(card.pan.masked, '411111******1111');
    const removed = nextEvent(driver, (e) => e.kind === 'card-removed');
    await sim.control({ op: 'remove' });
    await removed;
    await sim.control({ op: 'insert', card: 0 });
  });

  await t.test('bad checksum: NAK, resend, acted on once', async (t) => {
    const before = driver.link.stats();
    const mark = sim.mark();
    await sim.control({ op: 'fault', fault: { kind: 'bad-crc', on: 'READ' } });
    const card = await driver.readCard();
    t.equal(card.pan.masked, '622202******7894');
    const after = driver.link.stats();
    t.equal(after.framesCrcFailed - before.framesCrcFailed, 1);
    t.equal(after.naksSent - before.naksSent, 1);
    // The simulator reports the resend on its own stdout, which may arrive after the driver's answer.
    const resend = await sim.waitFor((s) => s.status === 'resend', 'resend', mark);
    t.equal(resend.status, 'resend', 'the simulator saw the NAK and resent');
  });

  await t.test(
    'over-long line, garbage and a line with no newline are dropped; answers still arrive',
    async (t) => {
      const before = driver.link.stats();
      await sim.control({ op: 'fault', fault: { kind: 'over-long', on: 'IDENTIFY' } });
      await driver.identify();
      await sim.control({ op: 'fault', fault: { kind: 'garbage', on: 'IDENTIFY' } });
      await driver.identify();
      await sim.control({ op: 'fault', fault: { kind: 'no-newline', on: 'IDENTIFY' } });
      await driver.identify();
      const after = driver.link.stats();
      t.equal(after.linesTooLong - before.linesTooLong, 1, 'one over-long line');
      t.ok(after.framesMalformed - before.framesMalformed >= 1, 'garbage counted as malformed');
      t.ok(logs.codes().includes('AGENT_SERIAL_LINE_TOO_LONG'));
    },
  );

  await t.test('slow reply: AGENT_SERIAL_TIMEOUT, then business as usual', async (t) => {
    const slowDriver = new CardReaderDriver({ path: pair.hostPath, timeouts: { readMs: 1500 } });
    t.teardown(() => slowDriver.stop());
    await driver.stop(); // one driver per port
    slowDriver.start();
    await slowDriver.whenOpen(10_000);
    await sim.control({ op: 'fault', fault: { kind: 'slow', on: 'READ', delayMs: 3000 } });
    await t.rejects(slowDriver.readCard(), { code: 'AGENT_SERIAL_TIMEOUT' });
    t.same((await slowDriver.identify()).serialNumber, 'CR-PTY');
    await slowDriver.stop();
  });

  await t.test('device vanishes and returns: heartbeats miss, the link reopens by itself', async (t) => {
    const again = new CardReaderDriver({
      path: pair.hostPath,
      logger: logs.logger,
      heartbeatIntervalMs: 300,
    });
    t.teardown(() => again.stop());
    again.start();
    await again.whenOpen(10_000);
    const lost = nextEvent(again, (e) => e.kind === 'link' && e.state.kind === 'backoff');
    const mark = sim.mark();
    await sim.control({ op: 'vanish', durationMs: 2500 });
    await lost;
    t.ok(logs.codes().includes('AGENT_SERIAL_HEARTBEAT_MISSED'));
    await sim.waitFor((s) => s.status === 'returned', 'returned', mark);
    await again.whenOpen(10_000);
    t.equal((await again.identify()).serialNumber, 'CR-PTY');
    await again.stop();
  });

  await t.test(
    'unplug and replug mid-command: the command fails clearly, the driver recovers by itself',
    async (t) => {
      const plugged = new CardReaderDriver({
        path: pair.hostPath,
        logger: logs.logger,
        heartbeatIntervalMs: 500,
      });
      t.teardown(() => plugged.stop());
      plugged.start();
      await plugged.whenOpen(10_000);
      await sim.control({ op: 'remove' });
      const mark = sim.mark();
      const waiting = plugged.waitForCard(60_000);
      waiting.catch(() => undefined);
      await sim.waitFor((s) => s.status === 'request' && s.command === 'WAIT_CARD', 'WAIT_CARD', mark);
      const unpluggedAtMs = performance.now();
      await pair.unplug();
      await t.rejects(waiting, { code: 'AGENT_SERIAL_DISCONNECTED' });
      const detectedMs = performance.now() - unpluggedAtMs;
      const simMark = sim.mark();
      const replugAtMs = performance.now();
      await pair.replug();
      await sim.waitFor((s) => s.status === 'open', 'sim reopened', simMark);
      await plugged.whenOpen(20_000);
      let identified = false;
      for (let attempt = 0; attempt < 10 && !identified; attempt += 1) {
        identified = await plugged.identify().then(
          () => true,
          () => false,
        );
      }
      const recoveredMs = performance.now() - replugAtMs;
      t.ok(identified, 'identify answers again after replug');
      t.comment(
        `unplug detected after ${detectedMs.toFixed(0)} ms; recovered ${recoveredMs.toFixed(0)} ms after replug`,
      );
      await plugged.stop();
    },
  );

  t.notMatch(JSON.stringify(logs.lines), cards.good.pan, 'no full PAN in any log line');
  t.notMatch(JSON.stringify(logs.lines), cards.visa.pan);
});
