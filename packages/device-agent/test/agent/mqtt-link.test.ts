// Goal: the outbox and MQTT link against a real Mosquitto (MQTT 3.1.1, per-station user and ACL):
// events reach HQ in seq order and leave the outbox only when HQ's cumulative ack covers them; a
// broker restart mid-stream loses nothing; 1,000 transactions made offline drain in order when
// the broker is back. Method: test/helpers/mosquitto.ts on a free port, a fake HQ that verifies
// every envelope with the station's SoftHSM key and acks, the real KioskAgent with its MqttLink.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PayloadType } from '@bianmin/wire';
import t from 'tap';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { KioskAgent, systemClock } from '../../src/agent.js';
import { FakeHq } from './fake-hq.js';
import { ALWAYS_OPEN, fakeCardReader, fakePinPad, HqKey, silentLogger, softHsmSigner } from './helpers.js';

const STATION = 'ST0101';
const broker = await startMosquitto({ stationIds: [STATION] });
t.teardown(() => broker.close());
const uk = softHsmSigner('AGENT-MQTT');
t.teardown(() => uk.close());
const hq = new HqKey();
// Over the production broker's TLS listener (client certificate + password).
const fakeHq = new FakeHq(broker.tlsUrl, broker.password('hq'), hq, uk.publicKeyPem, broker.tlsOptions('hq'));
await fakeHq.start();
t.teardown(() => fakeHq.stop());

const dir = mkdtempSync(join(tmpdir(), 'kiosk-mqtt-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const db = new KioskDb({ path: join(dir, 'kiosk.db') });
const agent = await KioskAgent.open({
  stationId: STATION,
  keyId: uk.keyId,
  db,
  signer: uk.signer,
  cardReader: fakeCardReader(Array.from({ length: 50 }, () => '6222021234567890128')),
  pinPad: fakePinPad(),
  clock: systemClock,
  logger: silentLogger,
  hqPublicKeys: hq.pinned(),
  cardTokenKey: new Uint8Array(32).fill(3),
  tpkKeyId: 'TPK1',
  mqtt: {
    brokerUrl: broker.tlsUrl,
    username: STATION,
    password: broker.password(STATION),
    tls: {
      caPath: broker.ca.caFile,
      certPath: broker.clientCert(STATION).certFile,
      keyPath: broker.clientCert(STATION).keyFile,
      serverName: 'localhost',
    },
    windowMax: 64,
    ackTimeoutMs: 2_000,
    backoffMsInitial: 50,
    backoffMsMax: 500,
  },
  autoDailyClose: false,
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

async function pay(count: number, amountFen = 100): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const outcome = await agent.payBill({
      billerKind: 'WATER',
      billerCode: 'W',
      accountNumber: 'A',
      amountFen,
    });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.reasons));
  }
}

function checkInOrderOnce(t: import('tap').Test, what: string): void {
  const head = db.headSeq();
  t.equal(fakeHq.stored.size, head, `${what}: every event stored at HQ once`);
  t.equal(fakeHq.contiguousSeq(), head, `${what}: no gap`);
  const firstArrivals: number[] = [];
  const seen = new Set<number>();
  for (const seq of fakeHq.arrivalSeqs) {
    if (seen.has(seq)) continue;
    seen.add(seq);
    firstArrivals.push(seq);
  }
  t.same(
    firstArrivals,
    [...firstArrivals].sort((a, b) => a - b),
    `${what}: first arrivals in seq order`,
  );
  t.equal(db.depth(), 0, `${what}: outbox empty after HQ acked`);
}

await until(() => agent.status().configVersion === 1, 'config');

t.test(
  'events arrive in order; the outbox empties only through acks; a withdrawal round-trips',
  async (t) => {
    await pay(100);
    const withdrawal = await agent.startWithdrawal({ amountFen: 10_000 });
    t.match(withdrawal, { ok: true, withdrawal: { phase: 'authorised' } });
    if (withdrawal.ok)
      t.match(await agent.confirmCash(withdrawal.withdrawal.txId), {
        ok: true,
        withdrawal: { phase: 'posted' },
      });
    await until(() => db.depth() === 0 && fakeHq.contiguousSeq() === db.headSeq(), 'drain');
    checkInOrderOnce(t, 'online');
    t.ok(fakeHq.births >= 1, 'birth published on connect');
    t.ok([...fakeHq.stored.values()].some((e) => e.type === PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED));
  },
);

t.test('a broker restart mid-stream loses nothing', async (t) => {
  const paying = pay(300);
  await until(() => db.headSeq() > fakeHq.contiguousSeq() + 20 || db.headSeq() > 250, 'some traffic');
  await broker.stop();
  await broker.start();
  await paying;
  await until(() => db.depth() === 0 && fakeHq.contiguousSeq() === db.headSeq(), 'drain after restart');
  checkInOrderOnce(t, 'broker restart');
});

t.test('offline for 1,000 transactions, then drains in order', async (t) => {
  await broker.stop();
  await until(() => agent.status().link !== 'online', 'link down');
  await pay(1000);
  t.ok(db.depth() >= 1000, 'all 1,000 held in the outbox while offline');
  await broker.start();
  await until(() => db.depth() === 0 && fakeHq.contiguousSeq() === db.headSeq(), 'drain after outage');
  checkInOrderOnce(t, 'after outage');
  const total = [...fakeHq.stored.values()]
    .filter((e) => e.type === PayloadType.PAYLOAD_TYPE_BILL_PAYMENT)
    .reduce((sum, e) => sum + e.amountFen, 0);
  t.equal(
    total,
    agent.dayTotals(new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)).BILL_PAYMENT.amountFen,
    'HQ total = kiosk total',
  );
});
