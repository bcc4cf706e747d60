// Goal: a kiosk timestamp implausibly far from HQ's receive time is a discrepancy (issue 9):
// journaled events only when stamped ahead (a backlog is legitimately old), live messages either
// way. Method: the pure rule on a table around the configured skew.
import t from 'tap';
import { clockSkewFinding } from '../src/domain/clock-skew.js';
import { clockSkewMsMaxDefault } from '../src/limits.js';

t.test('clock skew beyond the configured maximum', async (t) => {
  const hqMs = Date.UTC(2026, 11, 4, 8);
  const max = clockSkewMsMaxDefault;
  const cases: Array<[string, 'journaled' | 'live', number, boolean]> = [
    ['event on time', 'journaled', hqMs, false],
    ['event at the limit ahead', 'journaled', hqMs + max, false],
    ['event a day ahead', 'journaled', hqMs + 86_400_000, true],
    ['event a day old (backlog)', 'journaled', hqMs - 86_400_000, false],
    ['auth request a day ahead', 'live', hqMs + 86_400_000, true],
    ['auth request a day behind', 'live', hqMs - 86_400_000, true],
    ['auth request 1 s behind', 'live', hqMs - 1_000, false],
  ];
  for (const [name, kind, createdAtMs, flagged] of cases) {
    const finding = clockSkewFinding(kind, createdAtMs, hqMs, max);
    t.equal(finding !== null, flagged, name);
    if (finding !== null) t.equal(finding.code, 'HQ_DISCREPANCY_CLOCK_SKEW');
  }
  t.match(clockSkewFinding('live', hqMs + 86_400_000, hqMs, max), { skewMs: 86_400_000, detail: /ahead/ });
});
