// Goal: HQ killed with SIGKILL mid-ingest loses nothing and stores nothing twice: kiosks keep
// their events in their outboxes until HQ's cumulative ack covers them, HQ acknowledges only what
// it committed, and a restarted HQ dedupes what it sees again. Method: the real network
// (Mosquitto with ACLs and HQ's persistent session, kiosk processes with SoftHSM and the PTY
// simulators); HQ runs as its own process (scripts/demo/hq-child.ts) on the SQLite store, is
// killed twice while two kiosks send seeded bill payments and top-ups, restarted each time, then
// stopped and opened again in-process for the exactly-once check.
import t from 'tap';
import { HqProcess } from '../../scripts/demo/lib/hq-process.js';
import { prng } from '../../scripts/demo/lib/prng.js';
import { checkExactlyOnce, quotaTx, startE2e } from './helpers/e2e.js';

const SEED = Number(process.env.E2E_SEED ?? 4105);
const PER_KIOSK = 150;

t.test('HQ killed mid-ingest twice: every event stored once, totals equal', async (t) => {
  const e2e = await startE2e(t, { stationIds: ['HK-001', 'HK-002'], seed: SEED });
  const { network, random, cleanup, dataDir } = e2e;
  await network.stopHq();
  const hq = new HqProcess(network, dataDir, cleanup);
  await hq.start();
  const randoms = network.stations.map(() => prng(Math.floor(random() * 2 ** 31)));
  const total = PER_KIOSK * network.stations.length;
  let done = 0;
  let kills = 0;
  let restarts: Promise<void> = Promise.resolve();
  let refused = 0;
  await Promise.all(
    network.stations.map(async (station, index) => {
      for (let n = 0; n < PER_KIOSK; n += 1) {
        const txId = `${station.kiosk.stationId}-H${String(n).padStart(4, '0')}`;
        if (!(await quotaTx(station.kiosk, randoms[index]!, txId)).ok) refused += 1;
        done += 1;
        if (done === Math.floor(total / 3) || done === Math.floor((2 * total) / 3)) {
          kills += 1;
          restarts = restarts.then(() => hq.kill()).then(() => hq.start());
        }
      }
    }),
  );
  await restarts;
  t.equal(kills, 2, 'HQ killed twice mid-ingest');
  t.equal(refused, 0, 'the kiosks never refused a payment while HQ was down');
  await hq.stop();
  await network.restartHq();
  const reports = await checkExactlyOnce(t, network);
  t.comment(JSON.stringify(reports));
});
