// Goal: maskPan, the one PAN mask of the repo (device-agent's Pan and logger re-export it), shows
// first 6 and last 4 of a 12..19-digit PAN and nothing at all of any other input, and never throws.
// Method: a table of PANs, short, long and formatted inputs, and track-like text, with the masks.

import t from 'tap';
import { luhnCheckDigit, luhnValid, maskPan } from '../src/index.js';
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

t.test('Luhn: check digit and check agree; non-digits refused', async (t) => {
  t.ok(luhnValid('4111111111111111'));
  t.notOk(luhnValid('4111111111111112'));
  t.notOk(luhnValid('41111x11'));
  t.notOk(luhnValid(''));
  t.equal(luhnCheckDigit('411111111111111'), '1');
  for (const body of ['62220212345678', '621700123456789', '622202123456789012', '4']) {
    t.ok(luhnValid(body + luhnCheckDigit(body)), `${body} + its check digit passes`);
  }
  t.throws(() => luhnCheckDigit('12a'), RangeError);
});
