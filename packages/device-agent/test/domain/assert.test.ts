// Goal: the device-agent's assertion helpers (src/domain/assert.ts) pass a kept invariant and throw
// AgentAssertionError, never AgentError, for a broken one; and the domain's new assertions fire on
// programmer errors while input from outside still comes back as a value. Method: call each helper
// with a holding and a broken case, then break a precondition of a few domain functions directly.
import t from 'tap';
import {
  AgentAssertionError,
  assert,
  assertByteLength,
  assertHexLowerCase,
  assertIntegerInRange,
} from '../../src/domain/assert.js';
import { decodeFrame, encodeFrame, field, hex2, hexToBytes } from '../../src/domain/serial/frame.js';
import { CappedLineSplitter } from '../../src/domain/serial/line-splitter.js';
import { RequestTable } from '../../src/domain/serial/request-table.js';
import { classifyCkr } from '../../src/domain/token/return-values.js';
import { AgentError } from '../../src/errors.js';

t.test('assert: passes a true condition, throws AgentAssertionError on a false one', async (t) => {
  t.doesNotThrow(() => assert(true, 'holds'));
  t.throws(() => assert(false, 'broken invariant'), AgentAssertionError);
  t.throws(() => assert(false, 'broken invariant'), {
    name: 'AgentAssertionError',
    message: 'broken invariant',
  });
  try {
    assert(false, 'x');
  } catch (error) {
    t.notOk(error instanceof AgentError, 'a programmer error is not an operating error with a code');
  }
});

t.test(
  'assertIntegerInRange: bounds inclusive; floats, NaN, out of range and a bad range throw',
  async (t) => {
    t.doesNotThrow(() => assertIntegerInRange(0, 0, 0xff, 'seq'));
    t.doesNotThrow(() => assertIntegerInRange(0xff, 0, 0xff, 'seq'));
    for (const value of [-1, 0x100, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      t.throws(() => assertIntegerInRange(value, 0, 0xff, 'seq'), AgentAssertionError, String(value));
    }
    t.throws(() => assertIntegerInRange(1, 5, 4, 'window'), AgentAssertionError, 'max below min');
    t.throws(() => assertIntegerInRange(1, 0, 0.5, 'window'), AgentAssertionError, 'fractional bound');
  },
);

t.test('assertByteLength: exactly the size, else AgentAssertionError', async (t) => {
  t.doesNotThrow(() => assertByteLength(new Uint8Array(16), 16, 'pinBlock'));
  t.throws(() => assertByteLength(new Uint8Array(15), 16, 'pinBlock'), AgentAssertionError);
  t.throws(() => assertByteLength([] as unknown as Uint8Array, 0, 'pinBlock'), AgentAssertionError);
});

t.test('assertHexLowerCase: exact length of lower-case hex, else AgentAssertionError', async (t) => {
  t.doesNotThrow(() => assertHexLowerCase('0'.repeat(64), 64, 'hashHex'));
  t.throws(() => assertHexLowerCase('0'.repeat(63), 64, 'hashHex'), AgentAssertionError, 'short');
  t.throws(() => assertHexLowerCase('A'.repeat(64), 64, 'hashHex'), AgentAssertionError, 'upper case');
  t.throws(() => assertHexLowerCase('g'.repeat(64), 64, 'hashHex'), AgentAssertionError, 'not hex');
});

t.test('serial: programmer errors assert, a device line still comes back as a value', async (t) => {
  t.throws(() => hex2(0x100), AgentAssertionError, 'hex2 of more than a byte');
  t.throws(() => hexToBytes('00', 0), AgentAssertionError, 'byteCount is ours and must be >= 1');
  t.equal(hexToBytes('zz', 1), undefined, 'device text that is not hex is a value, not a crash');
  const decoded = decodeFrame(Buffer.from('01|READ||0000', 'latin1'));
  t.match(decoded, { ok: false, code: 'AGENT_SERIAL_FRAME_CRC' }, 'a bad CRC is refused with a code');
  const good = decodeFrame(Buffer.from(encodeFrame(1, 'READ'), 'latin1'));
  t.ok(good.ok, 'an encoded frame decodes');
  if (good.ok) t.throws(() => field(good.frame, 'Bad Key'), AgentAssertionError, 'a key no frame can hold');
  const table = new RequestTable({ inFlightCountMax: 1, attemptsMax: 1, ackTimeoutMs: 10 });
  table.open('READ', {}, 0, 100);
  t.throws(() => table.open('READ', {}, 0, 100), AgentAssertionError, 'open without capacity');
  t.throws(() => table.restartSequence(), AgentAssertionError, 'restart with a request in flight');
  t.throws(() => table.tick(1.5), AgentAssertionError, 'time is whole milliseconds');
  const splitter = new CappedLineSplitter(4);
  t.same(
    splitter.push(Buffer.from('123456\nab\n')).map((event) => event.kind),
    ['overflow', 'line'],
    'a too-long line from a device is an overflow event, not a crash',
  );
});

t.test('token: a caught error code that is not a CK_RV is classed, not asserted', async (t) => {
  t.equal(classifyCkr(-1), 'other', 'a negative code from some other error');
  t.equal(classifyCkr(1.5), 'other', 'a fractional code');
});
