// Goal (issue 9): a disk that fills up mid-business is a refusal, never a crash: the agent stays
// up, refuses (AGENT_TX_DISK_LOW, or AGENT_STORE_WRITE_FAILED for a write caught by the full disk)
// and resumes by itself when space returns; every operation the operator was told succeeded is
// in the journal once and at HQ once. Method: the journal on a real 6 MiB tmpfs (mount needs root;
// unmounted in teardown), the real agent with its MQTT link to Mosquitto on a free port, a fake
// HQ that verifies and acks; the file system is filled to the brim mid-run, then freed.
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import { checkJournalIntegrity } from '../../src/adapters/sqlite/integrity.js';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { KioskAgent, systemClock } from '../../src/agent.js';
import { isAgentError } from '../../src/errors.js';
import { mountSmallFs } from '../helpers/small-fs.js';
import { FakeHq } from './fake-hq.js';
import { ALWAYS_OPEN, fakeCardReader, fakePinPad, HqKey, silentLogger, softHsmSigner } from './helpers.js';

const STATION = 'ST0909';
const broker = await startMosquitto({ stationIds: [STATION] });
t.teardown(() => broker.close());
const uk = softHsmSigner('AGENT-DISK');
t.teardown(() => uk.close());
const hq = new HqKey();
const fakeHq = new FakeHq(broker.url, broker.password('hq'), hq, uk.publicKeyPem);
await fakeHq.start();
t.teardown(() => fakeHq.stop());
const fs = mountSmallFs(6 * 1024 * 1024);
t.teardown(() => fs.unmount());
const path = join(fs.dir, 'kiosk.db');
const db = new KioskDb({ path });
const agent = await KioskAgent.open({
  stationId: STATION,
  keyId: uk.keyId,
  db,
  signer: uk.signer,
  cardReader: fakeCardReader([]),
  pinPad: fakePinPad(),
  clock: systemClock,
  logger: silentLogger,
  hqPublicKeys: hq.pinned(),
  cardTokenKey: new Uint8Array(32).fill(3),
  tpkKeyId: 'TPK1',
  mqtt: {
    brokerUrl: broker.url,
    username: STATION,
    password: broker.password(STATION),
    backoffMsInitial: 50,
    backoffMsMax: 500,
  },
  autoDailyClose: false,
  diskFreeBytes: () => {
    const stats = statfsSync(fs.dir);
    return stats.bavail * stats.bsize;
  },
  diskReserveBytes: 256 * 1024,
});
t.teardown(async () => {
  await agent.stop();
  db.close();
});
await fakeHq.publishConfig(
  STATION,
  hq.config(STATION, {
    quotaFenBalance: 100_000_000,
    quotaPurchases: [{ purchaseId: 'P-BIG', amountFen: 100_000_000, purchasedAtMs: Date.now() }],
    serviceHours: ALWAYS_OPEN,
  }),
);
agent.start();

function until(check: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 120_000;
    const poll = () => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

const told = { ok: [] as string[], refused: 0, failed: 0 };
async function pay(txId: string): Promise<void> {
  try {
    const outcome = await agent.payBill({
      txId,
      billerKind: 'WATER',
      billerCode: 'W',
      accountNumber: 'A',
      amountFen: 100,
    });
    if (outcome.ok) told.ok.push(txId);
    else {
      if (!outcome.reasons.some((reason) => reason.code === 'AGENT_TX_DISK_LOW'))
        throw new Error(JSON.stringify(outcome.reasons));
      told.refused += 1;
    }
  } catch (error) {
    if (!isAgentError(error, 'AGENT_STORE_WRITE_FAILED')) throw error;
    told.failed += 1; // the operator is told it failed: nothing was committed
  }
}

t.test(
  'fill the disk mid-business, then free it: refused, never crashed, nothing lost or doubled',
  async (t) => {
    await until(() => agent.status().configVersion > 0, 'the HQ config');
    for (let index = 0; index < 20; index += 1) await pay(`bp-before-${index}`);
    t.equal(told.ok.length, 20);
    fs.fill();
    for (let index = 0; index < 15; index += 1) await pay(`bp-full-${index}`);
    t.ok(told.refused + told.failed > 0, `refused ${told.refused}, write failed ${told.failed} while full`);
    t.match(agent.status(), { link: /online|connecting|backoff/ }, 'the agent is still up');
    fs.free();
    for (let index = 0; index < 20; index += 1) await pay(`bp-after-${index}`);
    t.ok(told.ok.includes('bp-after-19'), 'business resumed without a restart');
    await until(
      () => fakeHq.contiguousSeq() === db.headSeq() && db.depth() === 0,
      'HQ to have and ack everything',
    );
    const atHq = new Map<string, number>();
    for (const event of fakeHq.stored.values())
      atHq.set(event.transactionId, (atHq.get(event.transactionId) ?? 0) + 1);
    for (const txId of told.ok) {
      t.equal(db.rowsOfTx(txId).length, 1, `${txId} journaled once`);
      t.equal(atHq.get(txId), 1, `${txId} at HQ once`);
    }
    const refusedAtHq = [...atHq.keys()].filter((txId) => txId.startsWith('bp-') && !told.ok.includes(txId));
    t.same(refusedAtHq, [], 'nothing the operator was told failed reached HQ');
    t.comment(
      `${told.ok.length} told ok, ${told.refused} refused (AGENT_TX_DISK_LOW), ${told.failed} write failed`,
    );
    t.match(checkJournalIntegrity(path), { status: 'ok' }, 'the store passes its start-up check afterwards');
  },
);
