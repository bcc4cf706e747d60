// Goal: the HQ gateway killed with SIGKILL in the middle of ingest loses and doubles nothing.
// Method: `hq serve` runs as a child process against a real Mosquitto; a simulated station sends
// a burst of signed events; HQ is killed once part of them is acknowledged, then restarted on the
// same SQLite file; on restart it asks every station to resend what it has not acknowledged, the
// station resends (as the kiosk outbox does), and the broker delivers what it queued for HQ's
// persistent session. At the end every seq 1..N is stored exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { type MosquittoBroker, startMosquitto } from '../../../test/helpers/mosquitto.js';
import { killHard, runHqCli, startHqServe, stopGracefully, writeHqConfig } from './helpers/hq-process.js';
import { type Sealed, SimStation } from './helpers/station-sim.js';

const eventCount = 3_000;

t.test('gateway killed mid-ingest: nothing lost or doubled', async (t) => {
  const broker: MosquittoBroker = await startMosquitto({ stationIds: ['K1'] });
  const dir = mkdtempSync(join(tmpdir(), 'hq-crash-'));
  t.teardown(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // `hq serve` and the `hq` CLI over the production broker's TLS listener, from the config keys;
  // the CLI logs in as its own user (client id = user name: it must not take over the gateway's).
  const cliPasswordFile = join(dir, 'mqtt-cli-password');
  (await import('node:fs')).writeFileSync(cliPasswordFile, broker.password(broker.hqCliUser), {
    mode: 0o600,
  });
  const hqCert = broker.clientCert('hq');
  const files = writeHqConfig(dir, broker.tlsUrl, broker.password('hq'), {
    mqttCaFile: broker.ca.caFile,
    mqttCertFile: hqCert.certFile,
    mqttKeyFile: hqCert.keyFile,
    mqttServerName: 'localhost',
    mqttCliUsername: broker.hqCliUser,
    mqttCliPasswordFile: cliPasswordFile,
  });
  const station = new SimStation('K1');
  const enrolmentPath = join(dir, 'enrol.json');
  (await import('node:fs')).writeFileSync(enrolmentPath, JSON.stringify(station.enrolmentRequest()));
  const enrol = await runHqCli(['station', 'enrol', enrolmentPath, '--config', files.configPath, '--json']);
  t.equal(enrol.code, 0, `enrolled: ${enrol.stderr}`);

  let hq = await startHqServe(files.configPath);
  t.teardown(() => killHard(hq));
  await station.connect(broker.tlsUrl, broker.password('K1'), files.hqPublicKeyPem, broker.tlsOptions('K1'));
  t.teardown(() => station.close());
  const events: Sealed[] = [];
  for (let index = 0; index < eventCount; index += 1)
    events.push(station.billPayment(100, { quotaFenAfter: 0 }));
  // The kiosk's outbox: on ResendFrom, send again everything from that seq on.
  station.on('resend', (fromSeq: number) => {
    for (const event of events.slice(fromSeq - 1))
      void station.publish('event', event.bytes).catch(() => undefined);
  });
  // The last quarter is journaled only after the kill (the broker queues it for HQ's persistent
  // session): HQ's ingest is fast enough to finish a burst before a SIGKILL lands otherwise.
  const lateIndex = Math.floor((3 * eventCount) / 4);
  const publishing = Promise.all(
    events.slice(0, lateIndex).map((event) => station.publish('event', event.bytes)),
  );
  await station.waitForAck(Math.floor(eventCount / 4));
  await killHard(hq);
  const ackedAtKill = station.ackedSeq;
  t.ok(ackedAtKill < eventCount, `killed mid-ingest (acked ${ackedAtKill} of ${eventCount})`);
  await publishing;
  await Promise.all(events.slice(lateIndex).map((event) => station.publish('event', event.bytes)));
  hq = await startHqServe(files.configPath);
  await station.waitForAck(eventCount);
  t.equal(await stopGracefully(hq), 0, 'clean shutdown after recovery');

  const db = new Database(files.dbPath, { readonly: true });
  try {
    const row = db
      .prepare(
        `SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS seqs, COUNT(DISTINCT event_id) AS ids, MIN(seq) AS lo,
           MAX(seq) AS hi FROM events WHERE station_id = 'K1'`,
      )
      .get() as { n: number; seqs: number; ids: number; lo: number; hi: number };
    t.same(
      row,
      { n: eventCount, seqs: eventCount, ids: eventCount, lo: 1, hi: eventCount },
      'every event once',
    );
    const stored = new Set(
      (db.prepare('SELECT event_id FROM events').all() as { event_id: string }[]).map((r) => r.event_id),
    );
    t.ok(
      events.every((e) => stored.has(e.eventId)),
      'every event id sent is stored',
    );
    const acked = db.prepare("SELECT acked_seq FROM stations WHERE station_id = 'K1'").get() as {
      acked_seq: number;
    };
    t.equal(acked.acked_seq, eventCount, 'the stored ack point covers everything');
  } finally {
    db.close();
  }
});
