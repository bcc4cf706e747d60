// Goal: HQ judges a withdrawal hold's expiry on its own clock (issue 9): a WITHDRAWAL_POSTED that
// HQ receives after grant time + holdExpiryMs is recorded as HQ_DISCREPANCY_HOLD_EXPIRED, whatever
// the kiosk's timestamps say; one in time is not. Method: the pure rule on a table at the boundary,
// then the ingest pipeline on fakes with a fake clock moved between the grant and the post.
import { upTopic } from '@bianmin/wire';
import t from 'tap';
import { stationDefaults } from '../src/app/operations.js';
import { holdExpiryFinding } from '../src/domain/hold-expiry.js';
import { startHarness } from './helpers/fakes.js';
import { luhnPan } from './helpers/station-sim.js';
import { until } from './helpers/until.js';

t.test('the rule at the boundary', async (t) => {
  const granted = Date.UTC(2026, 11, 4, 8);
  const hold = 600_000;
  t.equal(holdExpiryFinding(granted, hold, granted), null, 'at once');
  t.equal(holdExpiryFinding(granted, hold, granted + hold), null, 'on the expiry itself');
  t.match(holdExpiryFinding(granted, hold, granted + hold + 1), {
    code: 'HQ_DISCREPANCY_HOLD_EXPIRED',
    detail: /1 ms after the hold expired/,
  });
});

t.test('a post received after the hold expired on HQ clock is a discrepancy', async (t) => {
  const h = await startHarness(['W1']);
  const w1 = h.stations[0]!;
  const pan = luhnPan('622202');
  const tpk = new Uint8Array(16);
  const ingest = async (bytes: Uint8Array) => {
    h.pipeline.handleMessage(upTopic('W1', 'event'), bytes);
    await until(h.pipeline, ['idle-check'], () => !h.pipeline.processing);
  };
  const grant = async (requestId: string) => {
    const transactionId = `t-${requestId}`;
    const request = w1.authRequest({ requestId, transactionId, pan, pin: '1234', tpk, amountFen: 10_000 });
    const answered = new Promise((resolve) => h.pipeline.once('authorised', resolve));
    h.pipeline.handleMessage(upTopic('W1', 'auth-req'), request.bytes);
    await answered;
    return { requestId, transactionId, pan, amountFen: 10_000 };
  };
  const inTime = await grant('in-time');
  const late = await grant('late');
  await ingest(w1.withdrawalEvent('authorised', inTime).bytes);
  await ingest(w1.withdrawalEvent('posted', inTime).bytes);
  await ingest(w1.withdrawalEvent('authorised', late).bytes);
  h.clock.advance(stationDefaults.holdExpiryMs + 1);
  // The kiosk stamps the event as if in time: HQ goes by its own receive time.
  await ingest(w1.withdrawalEvent('posted', late).bytes);
  await h.pipeline.flush();
  const found = h.store.discrepancies.filter((d) => d.code === 'HQ_DISCREPANCY_HOLD_EXPIRED');
  t.equal(found.length, 1, 'only the late post');
  t.match(found[0], { stationId: 'W1', detail: /after the hold expired on HQ's clock/ });
  await h.pipeline.close();
});
