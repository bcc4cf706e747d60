// Goal: the serial frame codec encodes what docs/serial-protocol.md specifies and never acts on a
// line that is not exactly a frame. Method: the CRC-16/CCITT-FALSE check value, round trips with
// escaping (separators, UTF-8, binary as hex), and a table of broken lines with their codes.

import t from 'tap';
import { crc16CcittFalse, crc16CcittFalseAscii } from '../../src/domain/serial/crc16.js';
import {
  bytesToHex,
  decodeFrame,
  encodeFrame,
  escapeValue,
  hexToBytes,
  unescapeValue,
} from '../../src/domain/serial/frame.js';

const ascii = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));

t.test('CRC-16/CCITT-FALSE check value', async (t) => {
  t.equal(crc16CcittFalse(ascii('123456789')), 0x29b1);
  t.equal(crc16CcittFalseAscii('123456789'), 0x29b1);
  t.equal(crc16CcittFalse(new Uint8Array(0)), 0xffff);
  t.throws(() => crc16CcittFalseAscii('é'), RangeError);
});

t.test('a frame looks like the spec and round-trips', async (t) => {
  const line = encodeFrame(0x05, 'IDENTIFY');
  t.match(line, /^05\|IDENTIFY\|\|[0-9A-F]{4}$/);
  t.equal(line.slice(-4), crc16CcittFalseAscii('05|IDENTIFY|').toString(16).toUpperCase().padStart(4, '0'));
  const text = 'a|b;c=d%e\n支付 ¥12.50';
  const encoded = encodeFrame(0x81, 'DISPLAY', { text, empty: '' });
  t.notMatch(encoded, /\n/);
  const decoded = decodeFrame(ascii(encoded));
  t.ok(decoded.ok);
  if (decoded.ok) {
    t.equal(decoded.frame.seq, 0x81);
    t.equal(decoded.frame.command, 'DISPLAY');
    t.equal(decoded.frame.fields.get('text'), text);
    t.equal(decoded.frame.fields.get('empty'), '');
  }
  t.equal(unescapeValue(escapeValue(text)), text);
  t.equal(bytesToHex(Uint8Array.of(0, 0xab, 0x10)), '00AB10');
  t.same(hexToBytes('00ab10', 3), Uint8Array.of(0, 0xab, 0x10));
  t.equal(hexToBytes('00ab1', 3), undefined);
  t.equal(hexToBytes('zz', 1), undefined);
});

t.test('encode asserts: programmer errors crash', async (t) => {
  t.throws(() => encodeFrame(256, 'X'), RangeError);
  t.throws(() => encodeFrame(1, 'bad'), RangeError);
  t.throws(() => encodeFrame(1, 'X', { Bad: '1' }), RangeError);
  t.throws(() => encodeFrame(1, 'X', { text: 'x'.repeat(2000) }), RangeError);
  const many: Record<string, string> = {};
  for (let index = 0; index < 17; index += 1) many[`k${index}`] = '1';
  t.throws(() => encodeFrame(1, 'X', many), RangeError);
});

function withCrc(body: string): string {
  return `${body}|${crc16CcittFalseAscii(body).toString(16).toUpperCase().padStart(4, '0')}`;
}

t.test('broken lines come back as values with a code (AGENT_SERIAL_FRAME_CRC, _MALFORMED)', async (t) => {
  const good = encodeFrame(0x12, 'READ', { pan: '6222021234567894' });
  const flipped = good.slice(0, 10) + (good.charAt(10) === '1' ? '2' : '1') + good.slice(11);
  const cases: Array<[string, Uint8Array, string, number | undefined]> = [
    ['CRC mismatch keeps the seq for the NAK', ascii(flipped), 'AGENT_SERIAL_FRAME_CRC', 0x12],
    [
      'lower-case CRC',
      ascii(good.slice(0, -4) + good.slice(-4).toLowerCase()),
      'AGENT_SERIAL_FRAME_MALFORMED',
      0x12,
    ],
    ['no separator', ascii('hello'), 'AGENT_SERIAL_FRAME_MALFORMED', undefined],
    ['control byte', Uint8Array.of(0x30, 0x31, 0x7c, 0x01), 'AGENT_SERIAL_FRAME_MALFORMED', undefined],
    ['high byte', Uint8Array.of(0x30, 0xff), 'AGENT_SERIAL_FRAME_MALFORMED', undefined],
    ['four parts', ascii(withCrc('01|A|x=1|extra')), 'AGENT_SERIAL_FRAME_MALFORMED', 1],
    ['bad seq', ascii(withCrc('1G|A|')), 'AGENT_SERIAL_FRAME_MALFORMED', undefined],
    ['bad command', ascii(withCrc('01|a|')), 'AGENT_SERIAL_FRAME_MALFORMED', 1],
    ['field without =', ascii(withCrc('01|A|x')), 'AGENT_SERIAL_FRAME_MALFORMED', 1],
    ['bad key', ascii(withCrc('01|A|X=1')), 'AGENT_SERIAL_FRAME_MALFORMED', 1],
    ['duplicate key', ascii(withCrc('01|A|x=1;x=2')), 'AGENT_SERIAL_FRAME_MALFORMED', 1],
    ['broken escape', ascii(withCrc('01|A|x=%G1')), 'AGENT_SERIAL_FRAME_MALFORMED', 1],
    ['bad UTF-8 escape', ascii(withCrc('01|A|x=%FF')), 'AGENT_SERIAL_FRAME_MALFORMED', 1],
    [
      'too many fields',
      ascii(withCrc(`01|A|${Array.from({ length: 17 }, (_, i) => `k${i}=1`).join(';')}`)),
      'AGENT_SERIAL_FRAME_MALFORMED',
      1,
    ],
    ['too long', new Uint8Array(1025).fill(0x41), 'AGENT_SERIAL_FRAME_MALFORMED', undefined],
  ];
  for (const [name, bytes, code, seq] of cases) {
    const result = decodeFrame(bytes);
    t.equal(result.ok, false, name);
    if (!result.ok) {
      t.equal(result.code, code, `${name}: code`);
      t.equal(result.seq, seq, `${name}: seq`);
    }
  }
});
