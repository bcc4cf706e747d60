// Goal: one station whose key and broker credentials are in an attacker's hands cannot hurt the
// others (issue 8). While two honest kiosks do business (withdrawals authorised by HQ and its bank,
// bill payments and top-ups), the hostile station: forges a quota purchase HQ never sold and spends
// it, posts a withdrawal HQ never authorised, floods authorisation requests, replays an old birth
// and an old death, sends a message over the broker's size cap and garbage under it, publishes on
// another station's topics and tries to log in as HQ, floods out-of-order seqs and one far ahead.
// Afterwards: the hostile station is suspended with an alert, each act is a recorded discrepancy
// or refusal with its code, none of its forged money reaches the bank or its quota; the honest
// stations are exactly-once (every journaled event stored once, totals HQ = kiosk, nothing left
// open); HQ kept running; and after an HQ restart the suspension holds and the flood does not
// come back. Method: the real components: Mosquitto from the production config (TLS with client
// certificates, per-station users and ACLs, client id = user name), HQ as its own process
// (scripts/demo/hq-child.ts), two kiosk agent processes with SoftHSM tokens and the PTY simulators;
// the attacker is a scripted MQTT client (SimStation) signing with the station's enrolled key (a
// thief holding the UK key and its PIN signs whatever he likes; modelled by a key he holds).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PayloadType, upTopic, v1 } from '@bianmin/wire';
import mqtt from 'mqtt';
import t, { type Test } from 'tap';
import { luhnPan, SimStation } from '../../packages/hq-gateway/test/helpers/station-sim.js';
import { Cleanup } from '../../scripts/demo/lib/cleanup.js';
import { DemoClock, shanghaiTime } from '../../scripts/demo/lib/demo-clock.js';
import { businessTypes, hqStationView } from '../../scripts/demo/lib/hq.js';
import { HqProcess } from '../../scripts/demo/lib/hq-process.js';
import { kioskStatus, type Network, startNetwork, waitForStatus } from '../../scripts/demo/lib/network.js';
import { withdraw } from '../../scripts/demo/lib/operator.js';
import { prng } from '../../scripts/demo/lib/prng.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { businessDate, quotaTx } from './helpers/e2e.js';

const SEED = Number(process.env.E2E_SEED ?? 4108);
const HONEST = ['HS-001', 'HS-002'] as const;
const HOSTILE = 'HS-666';
/** HQ's default per-station authorisation rate (hq-gateway limits.ts): the flood is well above it. */
const authFloodCount = 120;
const authBurstMax = 30;
const authIntervalMs = 1_000;

t.test(
  'a hostile station is contained; the honest ones are exactly-once; HQ survives a restart',
  async (t) => {
    t.comment(`seed ${SEED}`);
    const startedMs = Date.now();
    const phase = (name: string) => t.comment(`${name} at ${Date.now() - startedMs} ms`);
    const cleanup = new Cleanup();
    const dataDir = mkdtempSync(join(tmpdir(), 'bianmin-e2e-hostile-'));
    t.teardown(async () => {
      await cleanup.cleanup();
      if (process.env.E2E_KEEP === undefined) rmSync(dataDir, { recursive: true, force: true });
      else t.comment(`data kept in ${dataDir}`);
    });
    const broker = await startMosquitto({ stationIds: [...HONEST, HOSTILE], plainListener: false });
    cleanup.defer('mosquitto', () => broker.close());
    const clock = new DemoClock();
    await clock.set(shanghaiTime(businessDate, 9, 0));
    const random = prng(SEED);
    const network = await startNetwork({
      stationIds: HONEST,
      dataDir,
      logDir: process.env.BIANMIN_LOG_DIR ?? join(dataDir, 'logs'),
      random,
      broker: {
        url: broker.tlsUrl,
        password: (user) => broker.password(user),
        hqUser: broker.hqUser,
        tls: (user) => ({ caFile: broker.ca.caFile, ...broker.clientCert(user) }),
      },
      clock,
      cleanup,
      hqClientId: 'hq-gateway',
      // The production default: on a loaded 2-core machine a 3 s timeout reverses honest withdrawals
      // for reasons that have nothing to do with the attack.
      authorisationTimeoutMs: 15_000,
      openingQuotaFen: 100_000_000,
    });

    // The hostile station is enrolled like any other (its key, its org code) and sold ¥1,000 of quota.
    const attacker = new SimStation(HOSTILE);
    cleanup.defer('attacker', () => attacker.close());
    await network.gateway.operations.enrol(attacker.enrolmentRequest());
    const opening = await network.gateway.operations.purchaseQuota(HOSTILE, 100_000, `opening-${HOSTILE}`);
    const hqPublicKeyPem = network.gateway.hqKey.publicKeyPem;

    phase('network up');
    // HQ from here on runs as its own process, on the same store, key, bank and broker session.
    await network.stopHq();
    const hq = new HqProcess(network, dataDir, cleanup);
    await hq.start();
    await attacker.connect(
      broker.tlsUrl,
      broker.password(HOSTILE),
      hqPublicKeyPem,
      broker.tlsOptions(HOSTILE),
    );

    // The honest stations' business, running side by side with the attack.
    let n = 0;
    const txId = (stationId: string, prefix: string) => {
      n += 1;
      return `${stationId}-${prefix}${String(n).padStart(4, '0')}`;
    };
    const honestWork = async (round: string, count: number) => {
      const outcomes = await Promise.all(
        network.stations.map(async (station) => {
          const kioskRandom = prng(Math.floor(random() * 2 ** 31));
          // '' for a withdrawal posted or a payment accepted, else what happened instead.
          const results: string[] = [];
          for (let k = 0; k < count; k += 1) {
            const id = station.kiosk.stationId;
            if (k % 2 === 0) {
              const done = await withdraw(
                station.kiosk,
                txId(id, `${round}W`),
                k % 4 === 0 ? 0 : 1,
                10_000 + k * 100,
              );
              results.push(
                done.ok
                  ? done.phase === 'posted'
                    ? ''
                    : `${id} ${done.phase}`
                  : `${id} ${JSON.stringify(done.reasons)}`,
              );
            } else {
              const paid = await quotaTx(station.kiosk, kioskRandom, txId(id, `${round}Q`));
              results.push(paid.ok ? '' : `${id} ${JSON.stringify(paid.reasons)}`);
            }
          }
          return results;
        }),
      );
      return outcomes.flat();
    };

    const attack = async () => {
      const seen: Record<string, unknown> = {};
      // Its legitimate start: the purchase HQ sold, then a payment against it.
      const applied = attacker.quotaApplied(opening.purchaseId, 100_000, opening.configVersion);
      await attacker.publish('event', applied.bytes);
      const paid = attacker.billPayment(1_000);
      await attacker.publish('event', paid.bytes);
      await attacker.waitForAck(paid.seq);
      // R3: a purchase HQ never sold, and spending it.
      await attacker.publish('event', attacker.quotaApplied('never-bought', 10_000_000).bytes);
      const spent = attacker.billPayment(5_000_000);
      await attacker.publish('event', spent.bytes);
      // R5: a withdrawal HQ never authorised, held and posted.
      const forgedWithdrawal = {
        requestId: 'req-forged',
        transactionId: 'txn-forged',
        pan: luhnPan('622202', 16),
        amountFen: 300_000,
      };
      await attacker.publish('event', attacker.withdrawalEvent('authorised', forgedWithdrawal).bytes);
      const posted = attacker.withdrawalEvent('posted', forgedWithdrawal);
      await attacker.publish('event', posted.bytes);
      await attacker.waitForAck(posted.seq);

      // A flood of authorisation requests, all at once (the thief's cards are unknown to the bank).
      const floodStartedMs = Date.now();
      const requestIds = Array.from({ length: authFloodCount }, () => `flood-${randomUUID()}`);
      await Promise.all(
        requestIds.map((requestId) =>
          attacker.publish(
            'auth-req',
            attacker.authRequest({
              requestId,
              transactionId: `t-${requestId}`,
              pan: luhnPan('622999', 16),
              pin: '000000',
              tpk: network.tpk,
              amountFen: 10_000,
            }).bytes,
          ),
        ),
      );
      const answers = await Promise.all(requestIds.map((id) => attacker.waitForAuth(id)));
      seen.floodMs = Date.now() - floodStartedMs;
      seen.rateLimited = answers.filter(
        (a) => a.declineReason === v1.DeclineReason.DECLINE_REASON_STATION_NOT_ALLOWED,
      ).length;
      seen.approved = answers.filter(
        (a) => a.decision === v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED,
      ).length;

      // Births and deaths: a fresh session 7, its death, the birth replayed (must not revive it), a
      // new session 8, then session 7's death replayed (must not kill it).
      const birth = (bdSeq: number) =>
        attacker.seal(PayloadType.PAYLOAD_TYPE_BIRTH, {
          bdSeq,
          agentVersion: '1.0.0',
          orgCode: attacker.orgCode,
          configVersionApplied: 1,
          lastJournalSeq: 0,
          oldestUnackedSeq: 0,
          outboxDepth: 0,
          bootedAtMs: Date.now(),
          peripherals: [],
          tokenState: 1,
        }).bytes;
      const birth7 = birth(7);
      const death7 = attacker.seal(PayloadType.PAYLOAD_TYPE_DEATH, { bdSeq: 7 }).bytes;
      await attacker.publish('birth', birth7);
      await attacker.publish('death', death7);
      await attacker.publish('birth', birth7);
      await attacker.publish('birth', birth(8));
      await attacker.publish('death', death7);

      // Over the broker's message_size_limit: dropped by Mosquitto, never reaches HQ. Under it but
      // garbage: HQ refuses it before anything else (HQ_ENVELOPE_DECODE_FAILED).
      await attacker.publish('event', new Uint8Array(70 * 1024).fill(0x5a));
      await attacker.publish('event', new Uint8Array(60 * 1024).fill(0xa5));
      const afterJunk = attacker.billPayment(100);
      await attacker.publish('event', afterJunk.bytes);
      await attacker.waitForAck(afterJunk.seq);

      // Another station's topics and HQ's: the ACL refuses them (MQTT 5 says so: reason 135). The
      // broker binds client ids to user names, so this second connection would take the station's
      // own session over: the attacker uses one at a time.
      await attacker.close();
      const as5 = await mqtt.connectAsync(broker.tlsUrl, {
        ...broker.tlsOptions(HOSTILE),
        protocolVersion: 5,
        clientId: 'hq-gateway', // the broker replaces it by the user name: HQ's session is safe
        reconnectPeriod: 0,
      });
      const denied: string[] = [];
      for (const topic of [
        upTopic(HONEST[0], 'event'),
        upTopic(HONEST[1], 'auth-req'),
        `bianmin/v1/st/${HONEST[0]}/down/config`,
        `bianmin/v1/st/${HOSTILE}/down/ack`,
      ]) {
        try {
          await as5.publishAsync(topic, Buffer.from(attacker.billPayment(100, { seq: 1 }).bytes), { qos: 1 });
        } catch (error) {
          if (/135|not authori[sz]ed/i.test(String((error as Error).message ?? error))) denied.push(topic);
          else throw error;
        }
      }
      await as5.endAsync();
      seen.denied = denied.length;
      await attacker.connect(
        broker.tlsUrl,
        broker.password(HOSTILE),
        hqPublicKeyPem,
        broker.tlsOptions(HOSTILE),
      );
      // HQ's user name with the station's password: refused at CONNECT.
      seen.hqLogin = await mqtt
        .connectAsync(broker.tlsUrl, {
          ...broker.tlsOptions(HOSTILE),
          username: broker.hqUser,
          password: broker.password(HOSTILE),
          protocolVersion: 4,
          reconnectPeriod: 0,
        })
        .then(
          async (client) => {
            await client.endAsync();
            return 'connected';
          },
          (error: Error) => error.message,
        );

      // Out-of-order seqs (a gap every other seq), then one far ahead: the station is suspended.
      const base = attacker.nextSeq;
      for (let k = 1; k <= 100; k += 1) {
        await attacker.publish(
          'event',
          attacker.billPayment(100, { seq: base + 2 * k, quotaFenAfter: 0 }).bytes,
        );
      }
      await attacker.publish(
        'event',
        attacker.billPayment(100, { seq: base + 10_000_000, quotaFenAfter: 0 }).bytes,
      );
      // Suspended: nothing of it is taken any more, not even a well-formed next event.
      await attacker.publish('event', attacker.billPayment(100, { seq: base, quotaFenAfter: 0 }).bytes);
      return seen;
    };

    phase('HQ process up');
    const [first, seen] = await Promise.all([
      honestWork('A', 6).finally(() => phase('honest round A done')),
      attack().finally(() => phase('attack done')),
    ]);
    t.same(
      first.filter((outcome) => outcome !== ''),
      [],
      'honest business during the attack: every withdrawal posted, every payment accepted',
    );
    t.ok((seen.rateLimited as number) > 0, `the auth flood was rate-limited (${seen.rateLimited} declined)`);
    const bankAsked = authFloodCount - (seen.rateLimited as number);
    t.ok(
      bankAsked <= authBurstMax + Math.ceil((seen.floodMs as number) / authIntervalMs) + 1,
      `at most the burst plus one a second reached the bank (${bankAsked} in ${seen.floodMs} ms)`,
    );
    t.equal(seen.approved, 0, 'nothing of the flood approved');
    t.equal(seen.denied, 4, "publishing on another station's or HQ's topics: not authorised (135)");
    t.notMatch(
      seen.hqLogin,
      /^connected$/,
      `HQ's user name with the station's password: refused (${seen.hqLogin})`,
    );
    const second = await honestWork('B', 4);
    t.same(
      second.filter((outcome) => outcome !== ''),
      [],
      'honest business after the attack',
    );
    t.ok(hq.running, 'the HQ process kept running through the attack');
    phase('honest round B done');

    // HQ restarted (here: stopped, then started in-process on the same store and broker session).
    await hq.stop();
    const gateway = await network.restartHq();
    t.match(
      gateway.pipeline.suspension(HOSTILE),
      { reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD' },
      'after the restart the hostile station is still suspended',
    );
    const quarantinedNow = new Promise<string>((resolve) =>
      gateway.pipeline.on('quarantined', (code: string) => resolve(code)),
    );
    await attacker.publish('event', attacker.billPayment(100, { quotaFenAfter: 0 }).bytes);
    t.equal(await quarantinedNow, 'HQ_STATION_SUSPENDED', 'its next message is refused at the door');
    const third = await honestWork('C', 4);
    t.same(
      third.filter((outcome) => outcome !== ''),
      [],
      'honest business after the restart',
    );

    phase('honest round C done');
    await checkHonest(t, network);
    phase('honest stations checked');
    await gateway.flush();
    const discrepancies = await gateway.store.discrepancies(10_000);
    const hostileCodes = new Set(discrepancies.filter((d) => d.stationId === HOSTILE).map((d) => d.code));
    for (const code of [
      'HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN',
      'HQ_DISCREPANCY_QUOTA_OVERDRAWN',
      'HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED',
    ]) {
      t.ok(hostileCodes.has(code), `hostile: recorded discrepancy ${code}`);
    }
    const quarantine = await gateway.store.quarantine(10_000);
    const hostileRefusals = new Set(
      quarantine.filter((q) => q.stationId === HOSTILE).map((q) => q.reasonCode),
    );
    for (const code of ['HQ_ENVELOPE_DECODE_FAILED', 'HQ_SEQ_TOO_FAR_AHEAD', 'HQ_STATION_SUSPENDED']) {
      t.ok(hostileRefusals.has(code), `hostile: refusal quarantined as ${code}`);
    }
    t.notOk(
      quarantine.some((q) => q.sizeBytes > 65_536),
      'the message over the broker cap never reached HQ',
    );
    const alerts = await gateway.integrity.stationAlerts();
    t.match(
      alerts.find((a) => a.stationId === HOSTILE),
      { suspension: { reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD' } },
      'the suspension is an alert',
    );
    t.same(
      alerts
        .filter((a) => a.stationId !== HOSTILE && (a.suspension !== null || a.discrepancyCount > 0))
        .map((a) => a.stationId),
      [],
      'no alert on an honest station',
    );
    t.equal(gateway.bank.stationBalanceFen(HOSTILE), 0, 'its forged withdrawal never reached the bank');
    t.ok(
      gateway.quotaFenAvailable(HOSTILE) <= 100_000,
      `its forged purchase never became quota (HQ holds ${gateway.quotaFenAvailable(HOSTILE)} fen)`,
    );
    const status = (await gateway.store.loadStatuses()).find((s) => s.stationId === HOSTILE);
    t.match(
      status,
      { online: true, bdSeq: 8 },
      'replayed birth and death changed nothing: session 8 is online',
    );
    t.comment(JSON.stringify({ seen, counters: gateway.pipeline.counters }));
  },
);

/** Exactly-once for the honest stations only (the hostile one has gaps and discrepancies by design). */
async function checkHonest(t: Test, network: Network): Promise<void> {
  const gateway = network.gateway;
  for (const station of network.stations) {
    await waitForStatus(station.kiosk, (s) => s.link === 'online' && s.outboxDepth === 0, 60_000);
  }
  await gateway.flush();
  const discrepancies = await gateway.store.discrepancies(10_000);
  const quarantine = await gateway.store.quarantine(10_000);
  const gaps = await gateway.store.openGaps(10_000);
  for (const station of network.stations) {
    const kiosk = station.kiosk;
    const id = kiosk.stationId;
    const kioskState = await kioskStatus(kiosk);
    const kioskTotals = await kiosk.dayTotals(businessDate);
    const hq = await hqStationView(gateway, id, businessDate);
    t.equal(hq.eventsStored, kioskState.lastEventSeq, `${id}: every journaled event stored at HQ`);
    t.equal(hq.distinctSeqs, hq.eventsStored, `${id}: no event stored twice`);
    t.equal(hq.ackedSeq, kioskState.lastEventSeq, `${id}: HQ acknowledged everything`);
    t.equal(kioskState.openTransactions, 0, `${id}: no withdrawal left open`);
    for (const type of businessTypes) {
      t.same(
        hq.totals[type],
        kioskTotals[type] ?? { count: 0, amountFen: 0, feeFen: 0 },
        `${id}: ${type} totals, HQ = kiosk`,
      );
    }
    const withdrawals = hq.totals.CASH_WITHDRAWAL;
    t.equal(
      gateway.bank.stationBalanceFen(id),
      withdrawals.amountFen + withdrawals.feeFen,
      `${id}: the bank settled exactly its posted withdrawals (amount + fee, R5)`,
    );
    t.same(
      discrepancies.filter((d) => d.stationId === id).map((d) => d.code),
      [],
      `${id}: no discrepancy`,
    );
    t.same(
      quarantine.filter((q) => q.stationId === id).map((q) => q.reasonCode),
      [],
      `${id}: nothing quarantined`,
    );
    t.same(
      gaps.filter((g) => g.stationId === id),
      [],
      `${id}: no open sequence gap`,
    );
    t.equal(gateway.pipeline.suspension(id), null, `${id}: not suspended`);
  }
}
