// Goal: the capped line splitter yields lines across arbitrary chunking, strips one CR, reports an
// over-long line once (AGENT_SERIAL_LINE_TOO_LONG at the driver) and resynchronises after the next
// newline, never holding more than the cap. Method: table cases and byte-at-a-time feeding.

import t from 'tap';
import { CappedLineSplitter, type LineSplitterEvent } from '../../src/domain/serial/line-splitter.js';

const text = (events: LineSplitterEvent[]): string[] =>
  events.map((event) =>
    event.kind === 'line' ? Buffer.from(event.bytes).toString('latin1') : `<overflow ${event.lineBytesMax}>`,
  );

t.test('lines across chunks, CRLF, empty lines', async (t) => {
  const splitter = new CappedLineSplitter(16);
  t.same(text(splitter.push(Buffer.from('ab'))), []);
  t.equal(splitter.bufferedBytes, 2);
  t.same(text(splitter.push(Buffer.from('c\r\n\nde\nf'))), ['abc', '', 'de']);
  t.same(text(splitter.push(Buffer.from('\n'))), ['f']);
  t.equal(splitter.bufferedBytes, 0);
});

t.test('an over-long line is reported once and dropped up to its newline', async (t) => {
  const splitter = new CappedLineSplitter(8);
  t.same(text(splitter.push(Buffer.from('12345678'))), [], 'exactly the cap is still fine');
  t.same(text(splitter.push(Buffer.from('9'))), ['<overflow 8>']);
  t.equal(splitter.bufferedBytes, 0);
  t.same(text(splitter.push(Buffer.from('x'.repeat(100)))), [], 'discarding');
  t.same(text(splitter.push(Buffer.from('tail\nok\n'))), ['ok']);
  t.same(text(splitter.push(Buffer.from('0123456789\nafter\n'))), ['<overflow 8>', 'after']);
});

t.test('byte-at-a-time feeding gives the same result', async (t) => {
  const input = Buffer.from('hello\nthis-line-is-too-long\nbye\r\n');
  const splitter = new CappedLineSplitter(10);
  const events: LineSplitterEvent[] = [];
  for (const byte of input) {
    events.push(...splitter.push(Uint8Array.of(byte)));
    t.ok(splitter.bufferedBytes <= 10);
  }
  t.same(text(events), ['hello', '<overflow 10>', 'bye']);
  splitter.push(Buffer.from('partial'));
  splitter.reset();
  t.same(text(splitter.push(Buffer.from('\n'))), ['']);
  t.throws(() => new CappedLineSplitter(0), RangeError);
});
