// Goal: the card reader driver's behaviour and every AGENT_CARD_* / most AGENT_SERIAL_* codes, fast
// and deterministic. Method: the driver talks to the simulated reader in the same process
// (InProcessPair + SimEngine) under a fake clock; faults are injected through the simulator.

import { inspect } from 'node:util';
import t from 'tap';
import { CardReaderDriver } from '../../src/adapters/serial/card-reader-driver.js';
import { AgentError } from '../../src/errors.js';
import type { CardReaderEvent } from '../../src/ports/card-reader.js';
import { cardReaderHarness, cards, settle } from './helpers/in-process.js';

async function setup(raw: object = {}) {
  const harness = cardReaderHarness({
    identity: { model: 'SIM-CR', serial: 'CR-1', firmware: '2.0' },
    cards: [cards.good, cards.badLuhn, cards.unreadable],
    ...raw,
  });
  const driver = new CardReaderDriver({
    opener: harness.pair.host,
    clock: harness.clock,
    logger: harness.logs.logger,
  });
  const events: CardReaderEvent[] = [];
  driver.subscribe((event) => events.push(event));
  driver.start();
  await settle(harness.clock, driver.whenOpen(1000));
  return { ...harness, driver, events };
}

const code = (error: unknown) => (error instanceof AgentError ? error.code : String(error));

t.test('identify, heartbeat, wait, read, eject, unsolicited events; PAN masked in every print', async (t) => {
  const h = await setup();
  t.same(await settle(h.clock, h.driver.identify()), {
    model: 'SIM-CR',
    serialNumber: 'CR-1',
    firmwareVersion: '2.0',
  });
  await settle(h.clock, h.driver.heartbeat());
  const waiting = h.driver.waitForCard(10_000);
  await h.clock.advance(100);
  t.ok(h.statuses.some((s) => s.status === 'request' && s.command === 'WAIT_CARD'));
  h.device.insert(0);
  await settle(h.clock, waiting);
  t.ok(h.events.some((e) => e.kind === 'card-inserted'));
  const card = await settle(h.clock, h.driver.readCard());
  t.equal(card.pan.digits(), cards.good.pan);
  t.equal(card.expiryYymm, '2812');
  t.equal(card.serviceCode, '220');
  const printed = [JSON.stringify(card), inspect(card), String(card.pan), `${card.pan}`];
  for (const text of printed) {
    t.notMatch(text, cards.good.pan, 'no full PAN');
    t.match(text, '622202******7894');
  }
  await settle(h.clock, h.driver.eject());
  t.ok(h.events.some((e) => e.kind === 'card-removed'));
  t.notMatch(JSON.stringify(h.logs.lines), cards.good.pan);
  await h.driver.stop();
});

t.test('AGENT_CARD_NO_CARD, _WAIT_TIMEOUT, _READ_FAILED, _BAD_DATA', async (t) => {
  const h = await setup();
  await t.rejects(settle(h.clock, h.driver.readCard()), { code: 'AGENT_CARD_NO_CARD' });
  await t.rejects(settle(h.clock, h.driver.eject()), { code: 'AGENT_CARD_NO_CARD' });
  await t.rejects(settle(h.clock, h.driver.waitForCard(1000)), { code: 'AGENT_CARD_WAIT_TIMEOUT' });
  h.device.insert(2);
  await t.rejects(settle(h.clock, h.driver.readCard()), { code: 'AGENT_CARD_READ_FAILED' });
  h.device.insert(1);
  const error = await settle(h.clock, h.driver.readCard()).catch((e: unknown) => e);
  t.equal(code(error), 'AGENT_CARD_BAD_DATA');
  t.notMatch(String((error as Error).message), cards.badLuhn.pan, 'the bad PAN is not echoed');
  await t.rejects(
    Promise.resolve().then(() => h.driver.waitForCard(0)),
    RangeError,
  );
  await h.driver.stop();
});

t.test(
  'faults: bad CRC is NAKed and resent, garbage and over-long lines dropped, slow reply times out',
  async (t) => {
    const h = await setup({ cards: [cards.good], insertOnStart: 0 });
    h.engine.addFault({ kind: 'bad-crc', on: 'READ', count: 1, delayMs: 0, durationMs: 0 });
    t.equal((await settle(h.clock, h.driver.readCard())).pan.masked, '622202******7894');
    t.equal(h.driver.link.stats().framesCrcFailed, 1);
    t.equal(h.driver.link.stats().naksSent, 1);
    t.ok(
      h.statuses.some((s) => s.status === 'resend'),
      'the simulator resent after the NAK',
    );
    t.ok(h.logs.codes().includes('AGENT_SERIAL_FRAME_CRC'));

    h.engine.addFault({ kind: 'garbage', on: 'IDENTIFY', count: 1, delayMs: 0, durationMs: 0 });
    await settle(h.clock, h.driver.identify());
    t.ok(h.logs.codes().includes('AGENT_SERIAL_FRAME_MALFORMED'));

    h.engine.addFault({ kind: 'over-long', on: 'IDENTIFY', count: 1, delayMs: 0, durationMs: 0 });
    await settle(h.clock, h.driver.identify());
    t.equal(h.driver.link.stats().linesTooLong, 1);
    t.ok(h.logs.codes().includes('AGENT_SERIAL_LINE_TOO_LONG'));

    h.engine.addFault({ kind: 'no-newline', on: 'IDENTIFY', count: 1, delayMs: 0, durationMs: 0 });
    await settle(h.clock, h.driver.identify());

    h.engine.addFault({ kind: 'drop', on: 'IDENTIFY', count: 1, delayMs: 0, durationMs: 0 });
    await settle(h.clock, h.driver.identify());
    t.ok(h.driver.link.stats().retransmissions >= 1, 'a dropped answer is recovered by retransmission');

    h.engine.addFault({ kind: 'slow', on: 'READ', count: 1, delayMs: 10_000, durationMs: 0 });
    await t.rejects(settle(h.clock, h.driver.readCard()), { code: 'AGENT_SERIAL_TIMEOUT' });
    t.ok(
      h.statuses.some((s) => s.status === 'duplicate'),
      'retransmissions were answered BUSY',
    );
    await h.driver.stop();
  },
);

t.test('unplugged mid-command: AGENT_SERIAL_DISCONNECTED, then reopen with backoff by itself', async (t) => {
  const h = await setup();
  const states: string[] = [];
  h.driver.subscribe((event) => {
    if (event.kind === 'link') states.push(event.state.kind);
  });
  const waiting = h.driver.waitForCard(60_000);
  waiting.catch(() => undefined);
  await h.clock.advance(100);
  h.pair.unplug();
  await t.rejects(settle(h.clock, waiting), { code: 'AGENT_SERIAL_DISCONNECTED' });
  await t.rejects(h.driver.identify(), { code: 'AGENT_SERIAL_NOT_CONNECTED' });
  await h.clock.advance(5000);
  t.equal(h.driver.linkState.kind, 'backoff');
  if (h.driver.linkState.kind === 'backoff') {
    t.equal(h.driver.linkState.lastErrorCode, 'AGENT_SERIAL_OPEN_FAILED');
    t.ok(h.driver.linkState.delayMs <= 2000, 'backoff capped');
  }
  h.pair.replug();
  await settle(h.clock, h.driver.whenOpen(10_000));
  t.same(await settle(h.clock, h.driver.identify()), {
    model: 'SIM-CR',
    serialNumber: 'CR-1',
    firmwareVersion: '2.0',
  });
  t.same(states.slice(0, 2), ['backoff', 'opening']);
  t.ok(states.includes('open'));
  t.ok(h.driver.link.stats().reopenCount >= 2);
  await h.driver.stop();
});

t.test(
  'a device that goes silent: AGENT_SERIAL_RETRIES_EXHAUSTED, then AGENT_SERIAL_HEARTBEAT_MISSED and reopen',
  async (t) => {
    const h = await setup();
    h.engine.vanish(6000);
    await t.rejects(settle(h.clock, h.driver.identify()), { code: 'AGENT_SERIAL_RETRIES_EXHAUSTED' });
    await h.clock.advance(3000);
    t.ok(h.logs.codes().includes('AGENT_SERIAL_HEARTBEAT_MISSED'));
    await h.clock.advance(5000);
    await settle(h.clock, h.driver.whenOpen(10_000));
    await settle(h.clock, h.driver.identify());
    await h.driver.stop();
  },
);

t.test('AGENT_SERIAL_QUEUE_FULL, AGENT_SERIAL_STOPPED, AGENT_SERIAL_DEVICE_ERROR', async (t) => {
  const h = await setup();
  const waiting = h.driver.waitForCard(60_000);
  waiting.catch(() => undefined);
  const queued = Array.from({ length: 16 }, () => h.driver.identify());
  for (const promise of queued) promise.catch(() => undefined);
  await t.rejects(h.driver.identify(), { code: 'AGENT_SERIAL_QUEUE_FULL' });
  await h.driver.stop();
  await t.rejects(waiting, { code: 'AGENT_SERIAL_STOPPED' });
  for (const promise of queued) await t.rejects(promise, { code: 'AGENT_SERIAL_STOPPED' });
  await t.rejects(h.driver.identify(), { code: 'AGENT_SERIAL_STOPPED' });
  await t.rejects(h.driver.whenOpen(10), { code: 'AGENT_SERIAL_STOPPED' });

  const h2 = await setup();
  await t.rejects(settle(h2.clock, h2.driver.link.send('FROB', {}, { timeoutMs: 1000, exclusive: true })), {
    code: 'AGENT_SERIAL_DEVICE_ERROR',
    details: { deviceCode: 'UNKNOWN_COMMAND' },
  });
  await h2.driver.stop();
});

t.test(
  'a command queued behind a long one times out by its own deadline; heartbeats still pass',
  async (t) => {
    const h = await setup();
    const waiting = h.driver.waitForCard(60_000);
    waiting.catch(() => undefined);
    const queued = h.driver.identify();
    queued.catch(() => undefined);
    const before = h.statuses.filter((s) => s.command === 'HEARTBEAT').length;
    await t.rejects(settle(h.clock, queued), { code: 'AGENT_SERIAL_TIMEOUT' });
    t.ok(h.statuses.filter((s) => s.command === 'HEARTBEAT').length > before, 'heartbeats ran meanwhile');
    h.device.insert(0);
    await settle(h.clock, waiting);
    await h.driver.stop();
  },
);

t.test('AGENT_SERIAL_OPEN_FAILED at start, AGENT_SERIAL_NOT_CONNECTED from whenOpen', async (t) => {
  const h = cardReaderHarness({});
  h.pair.unplug();
  const driver = new CardReaderDriver({ opener: h.pair.host, clock: h.clock, logger: h.logs.logger });
  driver.start();
  await h.clock.advance(10);
  t.equal(driver.linkState.kind, 'backoff');
  if (driver.linkState.kind === 'backoff')
    t.equal(driver.linkState.lastErrorCode, 'AGENT_SERIAL_OPEN_FAILED');
  await t.rejects(settle(h.clock, driver.whenOpen(1000)), { code: 'AGENT_SERIAL_NOT_CONNECTED' });
  t.ok(h.logs.codes().includes('AGENT_SERIAL_OPEN_FAILED'));
  t.throws(() => new CardReaderDriver({}), RangeError, 'a path or an opener is required');
  await driver.stop();
});
