// Goal: the PIN pad driver loads keys by check value, returns only an opaque PIN block that HQ can
// verify, reports progress without digits, and maps every AGENT_PINPAD_* code. Method: the driver
// against the simulated pad in the same process under a fake clock; the test plays HQ and decodes
// the block with @bianmin/wire, as the bank simulator does.

import { inspect } from 'node:util';
import { decodePinBlockFormat4, keyCheckValue, wrapKeyAesEcb } from '@bianmin/wire';
import t from 'tap';
import { PinPadDriver } from '../../src/adapters/serial/pin-pad-driver.js';
import {
  checkComponentSet,
  combineKeyComponents,
  parseKeyComponent,
} from '../../src/domain/pin/key-components.js';
import { Pan } from '../../src/domain/pin/pan.js';
import { SecretKeyBytes } from '../../src/domain/pin/secret.js';
import type { PinPadEvent } from '../../src/ports/pin-pad.js';
import { pinPadHarness, settle } from './helpers/in-process.js';

const componentHex = ['0123456789ABCDEF0123456789ABCDEF', 'FEDCBA9876543210FEDCBA9876543210'];
const tpk = Uint8Array.from(Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex'));
const pan = Pan.parse('6222021234567894')!;
const otherPan = Pan.parse('4111111111111111')!;

async function setup(raw: object = {}) {
  const h = pinPadHarness({
    identity: { model: 'SIM-PP', serial: 'PP-1', firmware: '3.1' },
    pins: [
      { pan: pan.digits(), pin: '2468' },
      { pan: otherPan.digits(), pin: '1111', action: 'timeout' },
    ],
    ...raw,
  });
  const driver = new PinPadDriver({
    opener: h.pair.host,
    clock: h.clock,
    logger: h.logs.logger,
    timeouts: { pinEntryMs: 5000 },
  });
  const events: PinPadEvent[] = [];
  driver.subscribe((event) => events.push(event));
  driver.start();
  await settle(h.clock, driver.whenOpen(1000));
  return { ...h, driver, events };
}

function component(hex: string): SecretKeyBytes {
  const parsed = parseKeyComponent(hex);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

t.test('key components and KCVs, TPK under TMK, PIN entry → a block only HQ can open', async (t) => {
  const h = await setup();
  t.same(await settle(h.clock, h.driver.identify()), {
    model: 'SIM-PP',
    serialNumber: 'PP-1',
    firmwareVersion: '3.1',
  });
  await settle(h.clock, h.driver.display('请输入密码 ¥100.00'));
  t.ok(h.statuses.some((s) => s.status === 'display' && s.text === '请输入密码 ¥100.00'));
  const parts = componentHex.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));
  const tmk = combineKeyComponents(parts);
  const first = await settle(h.clock, h.driver.loadTmkComponent(1, 2, component(componentHex[0]!)));
  t.same(first, { componentKcv: keyCheckValue(parts[0]!) });
  const second = await settle(h.clock, h.driver.loadTmkComponent(2, 2, component(componentHex[1]!)));
  t.same(second, { componentKcv: keyCheckValue(parts[1]!), tmkKcv: keyCheckValue(tmk) });
  const loaded = await settle(h.clock, h.driver.loadTpk(wrapKeyAesEcb(tmk, tpk), keyCheckValue(tpk)));
  t.equal(loaded.kcv, keyCheckValue(tpk));

  const block = await settle(h.clock, h.driver.startPinEntry(10_000, pan));
  t.same(decodePinBlockFormat4(block.exposeBytes(), pan.digits(), tpk), { ok: true, pin: '2468' });
  t.same(
    h.events
      .filter((e) => e.kind === 'pin-progress')
      .map((e) => (e.kind === 'pin-progress' ? e.digitCount : -1)),
    [1, 2, 3, 4],
    'progress counts digits, never says which',
  );
  for (const text of [JSON.stringify({ block }), inspect(block), String(block)]) t.match(text, '[secret]');
  const hex = Buffer.from(block.exposeBytes()).toString('hex');
  const everything = JSON.stringify(h.logs.lines);
  t.notMatch(everything.toLowerCase(), hex, 'the block never reaches the log');
  t.notMatch(everything, pan.digits(), 'nor the PAN');
  t.notMatch(everything, '2468');
  await h.driver.stop();
});

t.test('AGENT_PINPAD_KCV_MISMATCH, _NO_KEY, _BAD_KEY', async (t) => {
  const h = await setup();
  await t.rejects(settle(h.clock, h.driver.startPinEntry(100, pan)), { code: 'AGENT_PINPAD_NO_KEY' });
  await t.rejects(settle(h.clock, h.driver.loadTpk(new Uint8Array(16).fill(7), '000000')), {
    code: 'AGENT_PINPAD_NO_KEY',
  });
  await settle(h.clock, h.driver.loadTmkComponent(1, 2, component(componentHex[0]!)));
  await settle(h.clock, h.driver.loadTmkComponent(2, 2, component(componentHex[1]!)));
  const tmk = combineKeyComponents(componentHex.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex'))));
  await t.rejects(settle(h.clock, h.driver.loadTpk(wrapKeyAesEcb(tmk, tpk), 'ABCDEF')), {
    code: 'AGENT_PINPAD_KCV_MISMATCH',
  });
  await t.rejects(h.driver.loadTmkComponent(3, 2, component(componentHex[0]!)), {
    code: 'AGENT_PINPAD_BAD_KEY',
  });
  await t.rejects(h.driver.loadTpk(new Uint8Array(8), 'ABCDEF'), { code: 'AGENT_PINPAD_BAD_KEY' });
  await t.rejects(
    settle(
      h.clock,
      h.driver.link.send(
        'LOAD_KEY',
        { type: 'TMK_COMPONENT', index: '1', count: '2', key: 'XYZ' },
        { timeoutMs: 1000, exclusive: true },
      ),
    ),
    { code: 'AGENT_PINPAD_BAD_KEY' },
  );
  t.equal(parseKeyComponent('0123 4567 89AB CDEF 0123 4567 89AB CDEF') instanceof SecretKeyBytes, true);
  t.equal(parseKeyComponent('00000000000000000000000000000000'), 'all-zero');
  t.equal(parseKeyComponent('0123'), 'not-hex-32');
  const same = Uint8Array.from(Buffer.from(componentHex[0]!, 'hex'));
  t.same(checkComponentSet([same]), ['component-count']);
  t.same(checkComponentSet([same, same]), ['duplicate-component']);
  t.throws(() => combineKeyComponents([same]), RangeError);
  await h.driver.stop();
});

t.test('AGENT_PINPAD_CANCELLED, _ENTRY_TIMEOUT, _BUSY, _TAMPERED', async (t) => {
  const h = await setup({ keys: { tpk: Buffer.from(tpk).toString('hex') } });
  const entry = h.driver.startPinEntry(100, otherPan);
  entry.catch(() => undefined);
  await h.clock.advance(100);
  await t.rejects(
    settle(
      h.clock,
      h.driver.link.send(
        'PIN_START',
        { amountFen: '1', pan: pan.digits() },
        { timeoutMs: 1000, exclusive: false },
      ),
    ),
    { code: 'AGENT_PINPAD_BUSY' },
  );
  await settle(h.clock, h.driver.cancelPinEntry());
  await t.rejects(settle(h.clock, entry), { code: 'AGENT_PINPAD_CANCELLED' });

  await t.rejects(settle(h.clock, h.driver.startPinEntry(100, otherPan)), {
    code: 'AGENT_PINPAD_ENTRY_TIMEOUT',
  });

  const pressed = h.driver.startPinEntry(100, otherPan);
  pressed.catch(() => undefined);
  await h.clock.advance(100);
  h.device.pressCancel();
  await t.rejects(settle(h.clock, pressed), { code: 'AGENT_PINPAD_CANCELLED' });

  const tampered = h.driver.startPinEntry(100, otherPan);
  tampered.catch(() => undefined);
  await h.clock.advance(100);
  h.device.tamper();
  await t.rejects(settle(h.clock, tampered), { code: 'AGENT_PINPAD_TAMPERED' });
  t.ok(h.events.some((e) => e.kind === 'tamper'));
  await t.rejects(settle(h.clock, h.driver.startPinEntry(100, pan)), { code: 'AGENT_PINPAD_TAMPERED' });
  await t.rejects(
    Promise.resolve().then(() => h.driver.startPinEntry(1.5, pan)),
    RangeError,
  );
  await t.rejects(
    Promise.resolve().then(() => h.driver.display('x'.repeat(65))),
    RangeError,
  );
  await h.driver.stop();
});

t.test('a customer who cancels after one digit', async (t) => {
  const h = await setup({
    keys: { tpk: Buffer.from(tpk).toString('hex') },
    pins: [{ pan: pan.digits(), pin: '2468', action: 'cancel' }],
  });
  await t.rejects(settle(h.clock, h.driver.startPinEntry(100, pan)), { code: 'AGENT_PINPAD_CANCELLED' });
  t.same(h.events.filter((e) => e.kind === 'pin-progress').length, 1);
  await h.driver.stop();
});
