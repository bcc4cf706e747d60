// Goal: a kiosk offline for 1,000 transactions loses nothing and counts nothing twice: it keeps
// taking bill payments and top-ups into its SQLite outbox while its broker connection is cut,
// then drains in order when the network is back; every event is stored once at HQ and HQ's totals
// equal the kiosk's. Method: the real network (Mosquitto with ACLs, HQ in-process, a kiosk process
// with SoftHSM and PTY simulators); the kiosk's TCP proxy to the broker is cut, 1,000 seeded
// transactions run through the operator API, the proxy opens; then the exactly-once check.
import t from 'tap';
import { kioskStatus, waitForStatus } from '../../scripts/demo/lib/network.js';
import { checkExactlyOnce, quotaTx, startE2e } from './helpers/e2e.js';

const SEED = Number(process.env.E2E_SEED ?? 4102);
const OFFLINE_TX = 1_000;

t.test(`a kiosk offline for ${OFFLINE_TX} transactions, then back: every event stored once`, async (t) => {
  const { network, random } = await startE2e(t, { stationIds: ['OF-001'], seed: SEED });
  const kiosk = network.stations[0]!.kiosk;
  const before = await waitForStatus(kiosk, (s) => s.outboxDepth === 0);
  kiosk.proxy.setMode('cut');
  await waitForStatus(kiosk, (s) => s.link !== 'online');
  let refused = 0;
  for (let n = 0; n < OFFLINE_TX; n += 1) {
    const outcome = await quotaTx(kiosk, random, `OF-001-X${String(n).padStart(5, '0')}`);
    if (!outcome.ok) refused += 1;
  }
  t.equal(refused, 0, 'every offline transaction accepted (bill payments and top-ups need no HQ)');
  const offline = await kioskStatus(kiosk);
  t.equal(
    offline.outboxDepth,
    before.outboxDepth + OFFLINE_TX,
    `the outbox holds the ${OFFLINE_TX} signed events`,
  );
  const startedAt = Date.now();
  kiosk.proxy.setMode('open');
  const reports = await checkExactlyOnce(t, network);
  t.comment(`drained ${OFFLINE_TX} events in ${Date.now() - startedAt} ms; ${JSON.stringify(reports)}`);
});
