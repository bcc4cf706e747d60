// Goal: the PAN and secret wrappers never print what they hold, and a simulator script with
// mistakes is refused with every problem named at once (R21). Method: print through every path
// (JSON, inspect, template) and parse broken scripts.

import { inspect } from 'node:util';
import t from 'tap';
import { luhnValid, maskPan, Pan } from '../../src/domain/pin/pan.js';
import { PinBlock, SecretKeyBytes } from '../../src/domain/pin/secret.js';
import { parseFault, parseSimScript } from '../../src/sim/sim-script.js';

t.test('maskPan and Pan: first 6, last 4', async (t) => {
  t.equal(maskPan('6222021234567894'), '622202******7894');
  t.equal(maskPan('6228480012345678940'), '622848*********8940');
  t.equal(maskPan('1234'), '****');
  t.ok(luhnValid('4111111111111111'));
  t.notOk(luhnValid('4111111111111112'));
  t.notOk(luhnValid('41111x11'));
  t.equal(Pan.parse('4111111111111112'), undefined);
  t.equal(Pan.parse('41111111111'), undefined);
  const pan = Pan.parse('4111111111111111')!;
  for (const text of [JSON.stringify({ pan }), inspect({ pan }), `${pan}`, String(pan)]) {
    t.notMatch(text, '4111111111111111');
    t.match(text, '411111******1111');
  }
  t.equal(pan.digits(), '4111111111111111');
});

t.test('PinBlock and SecretKeyBytes print [secret] and can be wiped', async (t) => {
  const block = PinBlock.fromBytes(new Uint8Array(16).fill(0xab));
  const key = SecretKeyBytes.fromBytes(new Uint8Array(16).fill(0xcd));
  for (const secret of [block, key]) {
    for (const text of [JSON.stringify({ secret }), inspect({ secret }), `${secret}`]) {
      t.match(text, '[secret]');
      t.notMatch(text.toLowerCase(), 'abab');
      t.notMatch(text.toLowerCase(), 'cdcd');
    }
  }
  const copy = block.exposeBytes();
  copy.fill(0);
  t.equal(block.exposeBytes()[0], 0xab, 'exposeBytes gives a copy');
  block.wipe();
  t.equal(block.exposeBytes()[0], 0);
  t.equal(block.byteLength, 16);
  t.throws(() => PinBlock.fromBytes(new Uint8Array(8)), RangeError);
  t.throws(() => SecretKeyBytes.fromBytes(new Uint8Array(8)), RangeError);
});

t.test('simulator scripts: defaults, and every problem at once', async (t) => {
  const ok = parseSimScript({});
  t.ok(ok.ok);
  const bad = parseSimScript({
    identity: { model: 7 },
    cards: [{ pan: '12', expiry: 'x' }],
    pins: [{ pan: '4111111111111111', pin: '12', action: 'dance' }],
    faults: [{ kind: 'explode' }, 'x'],
    replyDelayMs: -1,
    insertOnStart: 4,
    keys: { tpk: 'zz' },
    autoInsertOnWait: 'yes',
  });
  t.notOk(bad.ok);
  if (!bad.ok) {
    for (const field of [
      'identity.model',
      'cards[0].pan',
      'cards[0].expiry',
      'pins[0].pin',
      'pins[0].action',
      'faults[0].kind',
      'faults[1]',
      'replyDelayMs',
      'insertOnStart',
      'keys.tpk',
      'autoInsertOnWait',
    ]) {
      t.ok(
        bad.problems.some((problem) => problem.startsWith(field)),
        `names ${field}`,
      );
    }
  }
  t.notOk(parseSimScript([]).ok);
  t.notOk(parseSimScript({ faults: {} }).ok);
  const problems: string[] = [];
  t.same(parseFault({ kind: 'slow', on: 'READ', delayMs: 5 }, 'fault.', problems), {
    kind: 'slow',
    on: 'READ',
    count: 1,
    delayMs: 5,
    durationMs: 3000,
  });
  t.equal(parseFault({ kind: 'slow', on: 'read' }, 'fault.', problems), undefined);
  t.ok(problems.some((problem) => problem.startsWith('fault.on')));
});
