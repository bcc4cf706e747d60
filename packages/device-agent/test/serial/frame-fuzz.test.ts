// Goal: the frame parser (capped line splitter + decoder) survives hostile input: no throw, no
// acting on a corrupted frame, memory bounded. Method: fast-check feeds >= 100,000 lines — random
// bytes, random printable text, and valid frames mutated (bit flips, truncation, splices, dropped
// or doubled newlines) — in random chunkings; after every chunk the splitter's buffer must be within
// the cap. A mutated frame may decode only if it still carries a correct CRC. The seed is printed.

import fc from 'fast-check';
import t from 'tap';
import { crc16CcittFalseAscii } from '../../src/domain/serial/crc16.js';
import { decodeFrame, encodeFrame } from '../../src/domain/serial/frame.js';
import { CappedLineSplitter } from '../../src/domain/serial/line-splitter.js';
import { serialLineBytesMax } from '../../src/limits.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const runCount = 2_100; // × 50 lines each ≥ 100,000 lines

const validFrame = fc
  .record({
    seq: fc.integer({ min: 0, max: 255 }),
    command: fc.constantFrom(
      'IDENTIFY',
      'HEARTBEAT',
      'READ',
      'PIN_START',
      'CARD_INSERTED',
      'ERROR',
      'NAK',
      'BUSY',
    ),
    fields: fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z0-9]{0,6}$/), fc.string({ maxLength: 40 }), {
      maxKeys: 5,
    }),
  })
  .map(({ seq, command, fields }) => encodeFrame(seq, command, fields));

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), index: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), index: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    index: fc.nat(),
    bytes: fc.uint8Array({ maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('repeat' as const), count: fc.integer({ min: 2, max: 60 }) }),
  fc.record({ kind: fc.constant('none' as const) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(line: string, change: Mutation): Uint8Array {
  const bytes = Buffer.from(line, 'latin1');
  switch (change.kind) {
    case 'flip': {
      const copy = Buffer.from(bytes);
      const index = change.index % copy.length;
      copy[index] = (copy[index] ?? 0) ^ (1 << change.bit);
      return copy;
    }
    case 'truncate':
      return bytes.subarray(0, change.index % (bytes.length + 1));
    case 'insert': {
      const index = change.index % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, index), change.bytes, bytes.subarray(index)]);
    }
    case 'repeat':
      return Buffer.concat(Array.from({ length: change.count }, () => bytes)); // often over the cap
    case 'none':
      return bytes;
  }
}

const line = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 2 },
  { arbitrary: fc.string({ maxLength: 300 }).map((text) => Buffer.from(text, 'latin1')), weight: 1 },
  { arbitrary: fc.tuple(validFrame, mutation).map(([frame, change]) => mutate(frame, change)), weight: 5 },
  { arbitrary: fc.uint8Array({ minLength: 1025, maxLength: 3000 }), weight: 1 },
);

const stream = fc.record({
  lines: fc.array(line, { minLength: 50, maxLength: 50 }),
  newlines: fc.array(fc.constantFrom('\n', '\r\n', '', '\n\n'), { minLength: 50, maxLength: 50 }),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
});

t.test(`fuzz: ${runCount * 50} random and mutated lines (seed ${seed})`, async (t) => {
  t.comment(`fast-check seed ${seed} (replay with FC_SEED=${seed})`);
  let lineCount = 0;
  let decodedCount = 0;
  let overflowCount = 0;
  let maxBuffered = 0;
  fc.assert(
    fc.property(stream, ({ lines, newlines, chunkSizes }) => {
      const splitter = new CappedLineSplitter(serialLineBytesMax);
      const input = Buffer.concat(
        lines.flatMap((bytes, index) => [bytes, Buffer.from(newlines[index] ?? '\n')]),
      );
      lineCount += lines.length;
      for (let offset = 0, chunkIndex = 0; offset < input.length; chunkIndex += 1) {
        const size = chunkSizes[chunkIndex % chunkSizes.length] ?? 1;
        for (const event of splitter.push(input.subarray(offset, offset + size))) {
          if (event.kind === 'overflow') {
            overflowCount += 1;
            continue;
          }
          if (event.bytes.length > serialLineBytesMax) return false;
          const result = decodeFrame(event.bytes);
          if (result.ok) {
            decodedCount += 1;
            // Acted on only with a correct CRC over exactly what was received.
            const text = Buffer.from(event.bytes).toString('latin1');
            const body = text.slice(0, text.lastIndexOf('|'));
            if (crc16CcittFalseAscii(body) !== Number.parseInt(text.slice(-4), 16)) return false;
          }
        }
        maxBuffered = Math.max(maxBuffered, splitter.bufferedBytes);
        if (splitter.bufferedBytes > serialLineBytesMax) return false;
        offset += size;
      }
      return true;
    }),
    { seed, numRuns: runCount },
  );
  t.ok(lineCount >= 100_000, `fed ${lineCount} lines`);
  t.ok(maxBuffered <= serialLineBytesMax, `buffer peak ${maxBuffered} <= ${serialLineBytesMax}`);
  t.ok(overflowCount > 0, `over-long lines seen: ${overflowCount}`);
  t.ok(decodedCount > 0, `valid frames decoded: ${decodedCount}`);
  t.comment(
    `lines ${lineCount}, decoded ${decodedCount}, overflows ${overflowCount}, buffer peak ${maxBuffered} bytes`,
  );
});
