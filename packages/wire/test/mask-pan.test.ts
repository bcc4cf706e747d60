// Goal: maskPan, the one PAN mask of the repo (device-agent's Pan and logger re-export it), shows
// first 6 and last 4 of a 12..19-digit PAN and nothing at all of any other input, and never throws.
// Method: a table of PANs, short, long and formatted inputs, and track-like text, with the masks.

import t from 'tap';
import { maskPan } from '../src/index.js';
import { checkMaskedPan } from '../src/validate.js';

t.test('maskPan: first 6 and last 4 of a PAN; anything else masked whole', async (t) => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['6228480012345678', '622848******5678'],
    ['622848001234', '622848**1234'], // 12 digits, the shortest PAN
    ['6228480012345678940', '622848*********8940'], // 19 digits, the longest
    ['', ''],
    ['1234', '****'],
    ['62284800123', '***********'], // 11 digits: showing 10 of them would leak nearly all
    ['62284800123456789401', '********************'], // 20 digits: not a PAN
    ['6228 4800 1234 5678', '*******************'], // formatted: never partly shown
    ['6228-4800-1234-5678', '*******************'],
    ['6228480012345678=28122201', '*************************'], // track-like text
    ['62284800abcd5678', '****************'],
  ];
  for (const [input, masked] of cases) t.equal(maskPan(input), masked, JSON.stringify(masked));
  for (const [input, masked] of cases.slice(0, 3)) {
    t.doesNotThrow(() => checkMaskedPan(masked, 'card.maskedPan'), `${masked} is a valid masked PAN`);
    t.notMatch(masked, input);
  }
});
