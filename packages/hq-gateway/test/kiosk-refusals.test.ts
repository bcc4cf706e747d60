// Goal: a kiosk that refuses business for its own hardware (a full disk, a clock known wrong)
// says so in telemetry, and HQ raises an alert once per newly listed code and notes when it clears
// (issue 9); unknown codes from a kiosk count for nothing. Method: the pure rule that the status
// step (app/ingest/status.ts) applies to each fresh telemetry before it logs HQ_STATION_REFUSING.
import t from 'tap';
import { refusalChange } from '../src/domain/kiosk-refusals.js';

t.test('an alert per newly listed hardware code, none while it stays, a note when it clears', async (t) => {
  const first = refusalChange([], ['AGENT_TX_DISK_LOW']);
  t.same(first, { current: ['AGENT_TX_DISK_LOW'], raised: ['AGENT_TX_DISK_LOW'], cleared: [] });
  const same = refusalChange(first.current, ['AGENT_TX_DISK_LOW']);
  t.same(same.raised, [], 'no second alert while the disk stays low');
  const both = refusalChange(same.current, ['AGENT_TX_CLOCK_SKEW', 'AGENT_TX_DISK_LOW']);
  t.same(both.raised, ['AGENT_TX_CLOCK_SKEW'], 'the clock is a new alert');
  t.same(both.current, ['AGENT_TX_DISK_LOW', 'AGENT_TX_CLOCK_SKEW'], 'in a fixed order');
  const cleared = refusalChange(both.current, []);
  t.same(cleared, { current: [], raised: [], cleared: ['AGENT_TX_DISK_LOW', 'AGENT_TX_CLOCK_SKEW'] });
});

t.test('codes a kiosk makes up are ignored (the list is untrusted)', async (t) => {
  const change = refusalChange([], ['AGENT_TX_QUOTA_EXCEEDED', 'x'.repeat(5_000), 'DROP TABLE']);
  t.same(change, { current: [], raised: [], cleared: [] });
});
