// Goal: over a real socat PTY pair and the PIN pad simulator as its own process, two driver sessions
// in a row (as two `kiosk keys load` runs, or an agent restarted) send the same first command with
// the same sequence number, and the pad acts on both: OPEN made it forget the first session's
// retransmission cache. Method: PtyPair + SimChild; each session is a new PinPadDriver that loads
// component 1 (the same line both times) then a different component 2; each TMK check value proves
// component 1 was stored again (a cached replay would leave it missing: BAD_KEY).

import { keyCheckValue } from '@bianmin/wire';
import t from 'tap';
import { PinPadDriver } from '../../src/adapters/serial/pin-pad-driver.js';
import { combineKeyComponents, parseKeyComponent } from '../../src/domain/pin/key-components.js';
import type { SecretKeyBytes } from '../../src/domain/pin/secret.js';
import { PtyPair } from '../../src/sim/pty-pair.js';
import { captureLogs } from './helpers/in-process.js';
import { SimChild } from './helpers/sim-child.js';

const first = '11112222333344445555666677778888';
const seconds = ['0F0E0D0C0B0A09080706050403020100', 'A5A5A5A5A5A5A5A55A5A5A5A5A5A5A5A'];

function component(hex: string): SecretKeyBytes {
  const parsed = parseKeyComponent(hex);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

t.test(
  'two PIN pad driver sessions in a row over a PTY: the same first LOAD_KEY is acted on twice',
  async (t) => {
    const pair = await PtyPair.start();
    t.teardown(() => pair.close());
    const sim = await SimChild.start('pin-pad', pair.devicePath, {}, pair.dir);
    t.teardown(() => sim.stop());
    const logs = captureLogs();

    for (const second of seconds) {
      const mark = sim.mark();
      // A long heartbeat interval keeps LOAD_KEY the first command after OPEN (seq 01) in both sessions.
      const driver = new PinPadDriver({
        path: pair.hostPath,
        logger: logs.logger,
        heartbeatIntervalMs: 60_000,
      });
      t.teardown(() => driver.stop()); // also when an assertion below throws (stop() is idempotent)
      driver.start();
      await driver.whenOpen(10_000);
      const loaded = await driver.loadTmkComponent(1, 2, component(first));
      t.equal(loaded.componentKcv, keyCheckValue(bytes(first)));
      const last = await driver.loadTmkComponent(2, 2, component(second));
      t.equal(
        last.tmkKcv,
        keyCheckValue(combineKeyComponents([bytes(first), bytes(second)])),
        'the TMK is component 1 of THIS session XOR its component 2',
      );
      await driver.stop();
      const mine = sim.statuses.slice(mark);
      t.same(
        mine.filter((s) => s.status === 'session' || s.status === 'request').map((s) => [s.status, s.seq]),
        [
          ['session', 0],
          ['request', 1],
          ['request', 2],
        ],
        'OPEN at 00, then LOAD_KEY at 01 and 02',
      );
    }
    t.notOk(
      sim.statuses.some((s) => s.status === 'duplicate'),
      'no answer came from the retransmission cache',
    );
    t.notOk(logs.codes().includes('AGENT_SERIAL_SESSION_MISMATCH'));
  },
);
