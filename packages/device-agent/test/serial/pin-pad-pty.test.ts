// Goal: the PIN pad driver against the PIN pad simulator as its own process over a real socat PTY
// pair: key loading by components with check values, TPK under TMK, PIN entry with progress events
// and a block that decodes to the customer's PIN only with the TPK and the PAN (as HQ's bank
// simulator does it), cancel, tamper alarm, and no clear PIN, block or PAN in any log line.
// Method: PtyPair + SimChild; the test plays the technician and HQ.

import { decodePinBlockFormat4, keyCheckValue, wrapKeyAesEcb } from '@bianmin/wire';
import t from 'tap';
import { PinPadDriver } from '../../src/adapters/serial/pin-pad-driver.js';
import { combineKeyComponents, parseKeyComponent } from '../../src/domain/pin/key-components.js';
import { Pan } from '../../src/domain/pin/pan.js';
import type { SecretKeyBytes } from '../../src/domain/pin/secret.js';
import type { PinPadEvent } from '../../src/ports/pin-pad.js';
import { PtyPair } from '../../src/sim/pty-pair.js';
import { captureLogs } from './helpers/in-process.js';
import { SimChild } from './helpers/sim-child.js';

const componentHex = [
  '11112222333344445555666677778888',
  '0F0E0D0C0B0A09080706050403020100',
  'A5A5A5A5A5A5A5A55A5A5A5A5A5A5A5A',
];
const tpk = Uint8Array.from(Buffer.from('2B7E151628AED2A6ABF7158809CF4F3C', 'hex'));
const pan = Pan.parse('622848001234567894')!;
const walkAway = Pan.parse('6217000000000014')!;

function component(hex: string): SecretKeyBytes {
  const parsed = parseKeyComponent(hex);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

t.test('PIN pad over a PTY pair', async (t) => {
  const pair = await PtyPair.start();
  t.teardown(() => pair.close());
  const sim = await SimChild.start(
    'pin-pad',
    pair.devicePath,
    {
      identity: { model: 'SIM-PP', serial: 'PP-PTY', firmware: '4.0' },
      pins: [
        { pan: pan.digits(), pin: '975310' },
        { pan: walkAway.digits(), pin: '1111', action: 'timeout' },
      ],
      keyDelayMs: 5,
    },
    pair.dir,
  );
  t.teardown(() => sim.stop());
  const logs = captureLogs();
  const driver = new PinPadDriver({ path: pair.hostPath, logger: logs.logger, heartbeatIntervalMs: 500 });
  t.teardown(() => driver.stop());
  const events: PinPadEvent[] = [];
  driver.subscribe((event) => events.push(event));
  driver.start();
  await driver.whenOpen(10_000);
  t.equal((await driver.identify()).serialNumber, 'PP-PTY');

  // The technician: three components, each checked by KCV, then the TPK from HQ.
  const parts = componentHex.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));
  const tmk = combineKeyComponents(parts);
  for (let index = 1; index <= 3; index += 1) {
    const loaded = await driver.loadTmkComponent(index, 3, component(componentHex[index - 1]!));
    t.equal(loaded.componentKcv, keyCheckValue(parts[index - 1]!), `component ${index} KCV`);
    if (index === 3) t.equal(loaded.tmkKcv, keyCheckValue(tmk), 'TMK KCV');
  }
  t.equal((await driver.loadTpk(wrapKeyAesEcb(tmk, tpk), keyCheckValue(tpk))).kcv, keyCheckValue(tpk));
  await t.rejects(driver.loadTpk(wrapKeyAesEcb(tmk, tpk), '000000'), { code: 'AGENT_PINPAD_KCV_MISMATCH' });

  // The customer.
  await driver.display('取款 ¥500.00');
  const block = await driver.startPinEntry(50_000, pan);
  t.same(decodePinBlockFormat4(block.exposeBytes(), pan.digits(), tpk), { ok: true, pin: '975310' });
  t.not(decodePinBlockFormat4(block.exposeBytes(), walkAway.digits(), tpk).ok, true, 'bound to the PAN');
  const progress = events.flatMap((e) => (e.kind === 'pin-progress' ? [e.digitCount] : []));
  t.same(progress, [1, 2, 3, 4, 5, 6]);

  // Cancel from the agent while the customer hesitates.
  const mark = sim.mark();
  const hesitating = driver.startPinEntry(100, walkAway);
  hesitating.catch(() => undefined);
  await sim.waitFor((s) => s.status === 'pin-entry', 'pin-entry', mark);
  await driver.cancelPinEntry();
  await t.rejects(hesitating, { code: 'AGENT_PINPAD_CANCELLED' });

  // Bad checksum on the PIN block answer: NAKed, resent, one block.
  await sim.control({ op: 'fault', fault: { kind: 'bad-crc', on: 'PIN_START' } });
  const again = await driver.startPinEntry(100, pan);
  t.same(decodePinBlockFormat4(again.exposeBytes(), pan.digits(), tpk), { ok: true, pin: '975310' });

  // Tamper: alarm, keys gone.
  const tamper = new Promise<void>((resolve) => driver.subscribe((e) => e.kind === 'tamper' && resolve()));
  await sim.control({ op: 'tamper' });
  await tamper;
  await t.rejects(driver.startPinEntry(100, pan), { code: 'AGENT_PINPAD_TAMPERED' });

  const everything = JSON.stringify(logs.lines) + sim.statuses.map((s) => JSON.stringify(s)).join('\n');
  t.notMatch(everything, '975310', 'no PIN in any log or status line');
  t.notMatch(everything, pan.digits(), 'no full PAN');
  t.notMatch(
    everything.toUpperCase(),
    Buffer.from(block.exposeBytes()).toString('hex').toUpperCase(),
    'no PIN block',
  );
});
