import { connect } from 'nats';
import t from 'tap';
import type { Kiosk } from '../../scripts/demo/lib/kiosk.js';
import { kioskStatus, waitForStatus } from '../../scripts/demo/lib/network.js';
import { prng } from '../../scripts/demo/lib/prng.js';
import { httpJson } from '../../scripts/nats/cluster.js';
import { checkExactlyOnce, quotaTx } from './helpers/e2e.js';
import { startNatsNetwork } from './helpers/nats-network.js';

const SEED = Number(process.env.E2E_SEED ?? 1415);
const stationIds = ['NR-001', 'NR-002'];
const partitions = 2;
const paymentsBefore = 3;
const paymentsAfter = 5;
/** Fresh placements tried before giving up (each kiosk's ack consumer is on its own node with p = 1/3). */
const placementRoundsMax = 8;
/** Bound of the wait for the acks after the kill (see the header: 1-2.5 min expected, 2 shared cores). */
const recoveryMsMax = 300_000;
/** Bound of every other polled condition. */
const pollMsMax = 120_000;

t.test(
  'NATS consumer R1: the node of a kiosk ack consumer killed, the agent renews and every event is acked once',
  async (t) => {
    t.comment(`seed ${SEED}`);
    const random = prng(SEED);
    const { cluster, network, nats } = await startNatsNetwork(t, {
      stationIds,
      partitions,
      random,
      dirPrefix: 'bianmin-e2e-renew-',
      mqttConsumerReplicas: 1,
    });
    await network.restartHq({ clientId: 'hq-renew', nats });
    const nc = await connect({
      servers: [...cluster.natsUrls],
      user: cluster.hq.user,
      pass: cluster.hq.password,
    });
    t.teardown(() => nc.close());
    const jsm = await nc.jetstreamManager({ timeout: 10_000 });
    const randoms = network.stations.map(() => prng(Math.floor(random() * 2 ** 31)));
    let payments = 0;
    const pay = async (kiosk: Kiosk, index: number): Promise<void> => {
      const outcome = await quotaTx(
        kiosk,
        randoms[index]!,
        `${kiosk.stationId}-N${String(payments).padStart(4, '0')}`,
      );
      payments += 1;
      if (!outcome.ok) throw new Error(`${kiosk.stationId}: payment refused: ${JSON.stringify(outcome)}`);
    };
    const drained = (kiosk: Kiosk, boundMs = pollMsMax) =>
      waitForStatus(
        kiosk,
        (s) => s.link === 'online' && s.outboxDepth === 0 && s.ackedThroughSeq === s.lastEventSeq,
        boundMs,
      );
    /** Node (0-based) leading the station's ack consumer, from JetStream; undefined while unknown. */
    const ackConsumerNode = async (stationId: string): Promise<number | undefined> => {
      const filter = `$MQTT.msgs.bianmin.v1.st.${stationId}.down.ack`;
      for await (const info of await jsm.consumers.list('$MQTT_msgs')) {
        if (info.config.filter_subject !== filter) continue;
        const leader = info.cluster?.leader;
        return leader === undefined ? undefined : Number(leader.slice(1)) - 1;
      }
      return undefined;
    };
    /** Node (0-based) the station's MQTT connection is on, from each node's /connz. */
    const connectedNode = async (stationId: string): Promise<number | undefined> => {
      for (const [index, url] of cluster.monitorUrls.entries()) {
        if (!cluster.running(index)) continue;
        const connz = await httpJson(`${url}/connz?limit=1024`, 2_000);
        const connections = (connz?.connections ?? []) as { mqtt_client?: string }[];
        if (connections.some((connection) => connection.mqtt_client === stationId)) return index;
      }
      return undefined;
    };

    // Every kiosk pays a little and is acknowledged: the downlink works before the kill.
    for (const [index, station] of network.stations.entries()) {
      for (let n = 0; n < paymentsBefore; n += 1) await pay(station.kiosk, index);
      await drained(station.kiosk);
    }

    // A kiosk whose ack consumer is on another node than its connection.
    let victim: { index: number; consumerNode: number; kioskNode: number } | undefined;
    for (let round = 0; round < placementRoundsMax && victim === undefined; round += 1) {
      for (const [index, station] of network.stations.entries()) {
        const consumerNode = await ackConsumerNode(station.kiosk.stationId);
        const kioskNode = await connectedNode(station.kiosk.stationId);
        t.comment(
          `round ${round}: ${station.kiosk.stationId} on node ${kioskNode}, ack consumer on node ${consumerNode}`,
        );
        if (consumerNode !== undefined && kioskNode !== undefined && consumerNode !== kioskNode) {
          victim = { index, consumerNode, kioskNode };
          break;
        }
      }
      if (victim !== undefined) break;
      // Each connect (clean session) places the kiosks' consumers afresh.
      for (const station of network.stations) {
        await station.kiosk.stop();
        await station.kiosk.start();
        await waitForStatus(station.kiosk, (s) => s.link === 'online');
      }
    }
    if (victim === undefined)
      throw new Error(`no kiosk had its ack consumer off its node in ${placementRoundsMax} rounds`);
    const kiosk = network.stations[victim.index]!.kiosk;
    const before = await kioskStatus(kiosk);
    t.equal(before.downlinkRenewals, 0, 'no renewal before the kill');

    await cluster.kill(victim.consumerNode);
    const killedAtMs = Date.now();
    for (let n = 0; n < paymentsAfter; n += 1) await pay(kiosk, victim.index);
    const after = await drained(kiosk, recoveryMsMax);
    const recoveryMs = Date.now() - killedAtMs;
    t.equal(after.lastEventSeq, before.lastEventSeq + paymentsAfter, 'the new payments were journaled');
    const nodeAfter = await connectedNode(kiosk.stationId);
    if (nodeAfter === victim.kioskNode) {
      t.ok(after.downlinkRenewals >= 1, 'the agent renewed its down subscriptions (no reconnect)');
    } else {
      // Seen once in CI: nats-server dropped the kiosk's connection on a surviving node too; a
      // reconnect re-subscribes, so the renewal path was not exercised. The exactly-once checks
      // below still hold; say so rather than fail on NATS's choice.
      t.comment(`the kiosk reconnected (node ${victim.kioskNode} -> ${nodeAfter}): renewal not exercised`);
      t.pass('acked again after a reconnect instead of a renewal');
    }

    // The other kiosk(s) too, whatever the kill did to them (moved off the node, or renewed).
    for (const [index, station] of network.stations.entries()) {
      if (index === victim.index) continue;
      await pay(station.kiosk, index);
      await drained(station.kiosk, recoveryMsMax);
    }
    const reports = await checkExactlyOnce(t, network);
    for (const station of network.stations) {
      const status = await kioskStatus(station.kiosk);
      const stored = await network.gateway.store.eventsOfStation(station.kiosk.stationId);
      t.same(
        stored.map((e) => e.seq),
        Array.from({ length: status.lastEventSeq }, (_, i) => i + 1),
        `${station.kiosk.stationId}: stored once each, seqs 1..N in order`,
      );
    }
    t.comment(
      JSON.stringify({
        victim: kiosk.stationId,
        killedNode: victim.consumerNode + 1,
        kioskNode: victim.kioskNode + 1,
        recoveryMs,
        renewals: after.downlinkRenewals,
        renewalsRefused: after.downlinkRenewalsRefused,
        reports,
      }),
    );
  },
);
