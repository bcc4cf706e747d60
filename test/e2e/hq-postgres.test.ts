// Goal: HQ on PostgreSQL (issue 11) ingests from kiosks through the real broker exactly once, also
// across a SIGKILL of the HQ process mid-ingest: every journaled event stored once, acknowledged,
// totals by business type equal the kiosks'. Method: the e2e harness (Mosquitto with ACLs and TLS,
// kiosk processes with SoftHSM and the PTY simulators) with HQ's store on a PostgreSQL database of
// its own (127.0.0.1:5432, created here, dropped after; no PostgreSQL = a failure); HQ runs as its
// own process (scripts/demo/hq-child.ts), is killed once and restarted, then opened again
// in-process on the same database for the exactly-once check.
import t from 'tap';
import { createTestDatabase } from '../../packages/hq-gateway/test/store-contract/factories.js';
import { HqProcess } from '../../scripts/demo/lib/hq-process.js';
import { prng } from '../../scripts/demo/lib/prng.js';
import { checkExactlyOnce, quotaTx, startE2e } from './helpers/e2e.js';

const SEED = Number(process.env.E2E_SEED ?? 1111);
const PER_KIOSK = 60;

t.test('HQ on PostgreSQL: every kiosk event stored once, across an HQ SIGKILL', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.drop());
  const e2e = await startE2e(t, {
    stationIds: ['PG-001', 'PG-002'],
    seed: SEED,
    hqStore: { kind: 'postgres', url: database.url },
  });
  const { network, random, cleanup, dataDir } = e2e;
  t.equal(network.gateway.store.constructor.name, 'PostgresStore', 'HQ runs on PostgreSQL');
  await network.stopHq();
  const hq = new HqProcess(network, dataDir, cleanup);
  await hq.start();
  const randoms = network.stations.map(() => prng(Math.floor(random() * 2 ** 31)));
  const total = PER_KIOSK * network.stations.length;
  let done = 0;
  let restart: Promise<void> = Promise.resolve();
  let refused = 0;
  await Promise.all(
    network.stations.map(async (station, index) => {
      for (let n = 0; n < PER_KIOSK; n += 1) {
        const txId = `${station.kiosk.stationId}-P${String(n).padStart(4, '0')}`;
        if (!(await quotaTx(station.kiosk, randoms[index]!, txId)).ok) refused += 1;
        done += 1;
        if (done === Math.floor(total / 2)) restart = hq.kill().then(() => hq.start());
      }
    }),
  );
  await restart;
  t.equal(hq.starts, 2, 'HQ killed once mid-ingest and started again');
  t.equal(refused, 0, 'the kiosks never refused a payment');
  await hq.stop();
  await network.restartHq();
  const reports = await checkExactlyOnce(t, network);
  t.equal(
    reports.reduce((sum, r) => sum + r.stored, 0) >= total,
    true,
    'at least every payment stored (plus the opening quota purchases)',
  );
  t.comment(JSON.stringify(reports));
});
