// Goal: one contract per port (STYLE.md): the CardReader and PinPad ports behave the same through
// the in-process fake (driver + simulated device, fake clock) and the real adapter (driver over a
// socat PTY pair to the simulator process). Method: the same contract functions run against both
// fixtures; only how a card is inserted and how time passes differ.

import { decodePinBlockFormat4 } from '@bianmin/wire';
import t, { type Test } from 'tap';
import { CardReaderDriver } from '../../src/adapters/serial/card-reader-driver.js';
import { PinPadDriver } from '../../src/adapters/serial/pin-pad-driver.js';
import { Pan } from '../../src/domain/pin/pan.js';
import type { CardReader, CardReaderEvent } from '../../src/ports/card-reader.js';
import type { PinPad } from '../../src/ports/pin-pad.js';
import { PtyPair } from '../../src/sim/pty-pair.js';
import { cardReaderHarness, cards, pinPadHarness, settle } from './helpers/in-process.js';
import { SimChild } from './helpers/sim-child.js';

const tpkHex = '000102030405060708090A0B0C0D0E0F';
const tpk = Uint8Array.from(Buffer.from(tpkHex, 'hex'));
const pan = Pan.parse(cards.good.pan)!;
const cardScript = { identity: { model: 'CONTRACT', serial: 'C-1', firmware: '1' }, cards: [cards.good] };
const padScript = {
  identity: { model: 'CONTRACT', serial: 'P-1', firmware: '1' },
  keys: { tpk: tpkHex },
  pins: [{ pan: pan.digits(), pin: '8642' }],
  keyDelayMs: 5,
};

interface CardFixture {
  readonly reader: CardReader;
  insert(): Promise<void>;
  run<T>(promise: Promise<T>): Promise<T>;
}

interface PadFixture {
  readonly pad: PinPad;
  run<T>(promise: Promise<T>): Promise<T>;
}

async function cardReaderContract(t: Test, fixture: CardFixture): Promise<void> {
  const { reader, run } = fixture;
  t.same(await run(reader.identify()), { model: 'CONTRACT', serialNumber: 'C-1', firmwareVersion: '1' });
  await run(reader.heartbeat());
  await t.rejects(run(reader.readCard()), { code: 'AGENT_CARD_NO_CARD' });
  const events: CardReaderEvent['kind'][] = [];
  const unsubscribe = reader.subscribe((event) => events.push(event.kind));
  const waiting = reader.waitForCard(20_000);
  waiting.catch(() => undefined);
  await fixture.insert();
  await run(waiting);
  const card = await run(reader.readCard());
  t.equal(card.pan.masked, '622202******7894');
  t.equal(JSON.stringify(card).includes(cards.good.pan), false);
  t.equal(card.expiryYymm, cards.good.expiry);
  await run(reader.eject());
  await t.rejects(run(reader.eject()), { code: 'AGENT_CARD_NO_CARD' });
  t.ok(events.includes('card-inserted'));
  t.ok(events.includes('card-removed'));
  unsubscribe();
  t.equal(reader.linkState.kind, 'open');
}

async function pinPadContract(t: Test, fixture: PadFixture): Promise<void> {
  const { pad, run } = fixture;
  t.same(await run(pad.identify()), { model: 'CONTRACT', serialNumber: 'P-1', firmwareVersion: '1' });
  await run(pad.display('请输入密码'));
  const counts: number[] = [];
  const unsubscribe = pad.subscribe((event) => {
    if (event.kind === 'pin-progress') counts.push(event.digitCount);
  });
  const block = await run(pad.startPinEntry(12_345, pan));
  t.same(decodePinBlockFormat4(block.exposeBytes(), pan.digits(), tpk), { ok: true, pin: '8642' });
  t.same(counts, [1, 2, 3, 4]);
  t.equal(JSON.stringify({ block }), '{"block":"[secret]"}');
  unsubscribe();
  await t.rejects(run(pad.loadTpk(new Uint8Array(16), '000000')), { code: 'AGENT_PINPAD_NO_KEY' });
}

t.test('contract: in-process fake', async (t) => {
  const cardHarness = cardReaderHarness(cardScript);
  const reader = new CardReaderDriver({ opener: cardHarness.pair.host, clock: cardHarness.clock });
  reader.start();
  const runCard = <T>(promise: Promise<T>) => settle(cardHarness.clock, promise);
  await runCard(reader.whenOpen(1000));
  await t.test('CardReader', (t) =>
    cardReaderContract(t, {
      reader,
      run: runCard,
      insert: async () => {
        cardHarness.device.insert(0);
      },
    }),
  );
  await reader.stop();

  const padHarness = pinPadHarness(padScript);
  const pad = new PinPadDriver({ opener: padHarness.pair.host, clock: padHarness.clock });
  pad.start();
  const runPad = <T>(promise: Promise<T>) => settle(padHarness.clock, promise);
  await runPad(pad.whenOpen(1000));
  await t.test('PinPad', (t) => pinPadContract(t, { pad, run: runPad }));
  await pad.stop();
});

t.test('contract: serial drivers over socat PTYs to the simulator processes', async (t) => {
  const cardPair = await PtyPair.start();
  t.teardown(() => cardPair.close());
  const padPair = await PtyPair.start();
  t.teardown(() => padPair.close());
  const [cardSim, padSim] = await Promise.all([
    SimChild.start('card-reader', cardPair.devicePath, cardScript, cardPair.dir),
    SimChild.start('pin-pad', padPair.devicePath, padScript, padPair.dir),
  ]);
  t.teardown(() => cardSim.stop());
  t.teardown(() => padSim.stop());
  const run = <T>(promise: Promise<T>) => promise;

  const reader = new CardReaderDriver({ path: cardPair.hostPath });
  t.teardown(() => reader.stop());
  reader.start();
  await reader.whenOpen(10_000);
  const contractMark = cardSim.mark();
  await t.test('CardReader', (t) =>
    cardReaderContract(t, {
      reader,
      run,
      insert: async () => {
        // The contract issues one WAIT_CARD: insert once the simulator has it.
        await cardSim.waitFor(
          (s) => s.status === 'request' && s.command === 'WAIT_CARD',
          'WAIT_CARD',
          contractMark,
        );
        await cardSim.control({ op: 'insert', card: 0 });
      },
    }),
  );

  const pad = new PinPadDriver({ path: padPair.hostPath });
  t.teardown(() => pad.stop());
  pad.start();
  await pad.whenOpen(10_000);
  await t.test('PinPad', (t) => pinPadContract(t, { pad, run }));
});
