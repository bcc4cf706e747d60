// A swarm process: a few thousand simulated kiosks (kiosk.ts) in one Node process. On `init` it
// makes each station's key, plans its day and seals it ahead of time, and answers `ready` with
// what HQ must know first (enrolment files, quota purchases, bank cards). On `go` every kiosk runs
// its day; the process reports progress, answers `mark` (the first event first published after a
// kill instant that HQ acknowledged: recovery), and sends every kiosk's report once all outboxes
// are empty. `raw` connects a plain publisher per station and `raw-go` republishes every journaled
// envelope once at full speed (the raw-pipe baseline, to a plain subscriber; connects not timed).
// Programmer errors crash the process; the orchestrator fails.
import { newEventId, PayloadType, publicKeySpkiDer, sealEnvelope, upTopic } from '@bianmin/wire';
import mqtt, { type MqttClient } from 'mqtt';
import { luhnPan } from '../../packages/hq-gateway/test/helpers/station-sim.js';
import { Kiosk } from './kiosk.js';
import { drainWaitMsMax, rawConnectAttemptsMax } from './limits.js';
import { planDay } from './plan.js';
import type { FromSwarm, StationSetup, SwarmInit, ToSwarm } from './protocol.js';
import { StationSealer } from './sealer.js';

const kiosks: Kiosk[] = [];
const marks = new Map<string, { atMs: number; kind: 'any' | 'new' }>();
let init: SwarmInit | undefined;
let journaledAcked = 0;
let daysDone = 0;

function send(message: FromSwarm): void {
  process.send?.(message);
}

function serversOf(urls: readonly string[], first: number): { host: string; port: number }[] {
  const servers = urls.map((url) => {
    const parsed = new URL(url);
    return { host: parsed.hostname, port: Number(parsed.port) };
  });
  // Rotate so each kiosk starts on its own node; mqtt.js moves to the next one on reconnect.
  return [...servers.slice(first % servers.length), ...servers.slice(0, first % servers.length)];
}

function onAcked(_stationId: string, count: number, firstPublishedAtMs: number): void {
  journaledAcked += count;
  const nowMs = Date.now();
  for (const [id, { atMs, kind }] of marks) {
    if (nowMs > atMs && (kind === 'any' || firstPublishedAtMs > atMs)) {
      marks.delete(id);
      send({ op: 'recovered', id, atMs: Date.now() });
    }
  }
}

function enrolmentOf(sealer: StationSealer): Record<string, unknown> {
  const spki = publicKeySpkiDer(sealer.publicKeyPem);
  const proof = sealEnvelope(
    {
      stationId: sealer.stationId,
      keyId: sealer.keyId,
      seq: 0,
      eventId: newEventId(),
      createdAtMs: Date.now(),
      type: PayloadType.PAYLOAD_TYPE_ENROLMENT_REQUEST,
      body: {
        stationId: sealer.stationId,
        orgCode: sealer.orgCode,
        keyId: sealer.keyId,
        publicKeySpkiDer: spki,
        tokenSerial: `TK-${sealer.stationId}`,
        tokenLabel: 'kiosk',
        agentVersion: 'fleet-sim',
      },
    },
    sealer.privateKey,
  );
  return {
    kind: 'bianmin.kiosk.enrolment-request',
    version: 1,
    createdAt: new Date().toISOString(),
    station: { id: sealer.stationId, orgCode: sealer.orgCode },
    devices: {
      cardReader: { model: 'SIM-CR', serialNumber: `CR-${sealer.stationId}`, firmwareVersion: '1.0' },
      pinPad: { model: 'SIM-PP', serialNumber: `PP-${sealer.stationId}`, firmwareVersion: '1.0' },
      token: {
        label: 'kiosk',
        serialNumber: `TK-${sealer.stationId}`,
        model: 'simulated token',
        manufacturer: 'fleet',
      },
    },
    signingKey: {
      algorithm: 'ECDSA-P256-SHA256',
      keyLabel: 'station-signing',
      publicKeyPem: sealer.publicKeyPem,
      spkiDerBase64: Buffer.from(spki).toString('base64'),
      fingerprintSha256Hex: sealer.keyId,
    },
    proof: Buffer.from(proof).toString('base64'),
  };
}

function start(message: SwarmInit): void {
  init = message;
  const tpk = new Uint8Array(Buffer.from(message.tpkHex, 'hex'));
  const setups: StationSetup[] = [];
  const sealStartMs = Date.now();
  for (const station of message.stations) {
    const sealer = new StationSealer(station.id);
    const plan = planDay({
      stationId: station.id,
      seed: message.seed * 1_000_003 + station.index,
      transactionCount: message.transactionCount,
      dayMs: message.dayMs,
      offlineShare: message.offlineShare,
    });
    const pan = luhnPan(`622848${String(station.index).padStart(8, '0')}`, 16);
    const pin = '123456';
    const kiosk = new Kiosk(plan, sealer, {
      servers: serversOf(message.brokerUrls, station.index),
      password: station.password,
      tpk,
      pan,
      pin,
      authWaitMs: message.authWaitMs,
      onAcked,
    });
    // Sealed with createdAtMs from now on: the kiosks send them later, never ahead of HQ's clock.
    kiosk.prepare(sealStartMs);
    kiosks.push(kiosk);
    setups.push({
      stationId: station.id,
      enrolment: enrolmentOf(sealer),
      purchaseId: `qp-${station.id}`,
      purchaseFen: plan.purchaseFen,
      pan,
      pin,
    });
  }
  send({ op: 'ready', stations: setups });
}

function progress(): FromSwarm {
  let journaled = 0;
  let outbox = 0;
  let connected = 0;
  let lastConnectedAtMs = 0;
  for (const kiosk of kiosks) {
    journaled += kiosk.lastSeq;
    outbox += kiosk.outboxDepth;
    if (kiosk.firstConnectedAtMs === undefined) continue;
    connected += 1;
    lastConnectedAtMs = Math.max(lastConnectedAtMs, kiosk.firstConnectedAtMs);
  }
  return {
    op: 'progress',
    journaled,
    acked: journaledAcked,
    outbox,
    authPending: 0,
    daysDone,
    connected,
    lastConnectedAtMs,
  };
}

async function go(dayStartMs: number): Promise<void> {
  const reporter = setInterval(() => send(progress()), 500);
  const watchdog = setInterval(() => {
    const nowMs = Date.now();
    for (const kiosk of kiosks) kiosk.checkStall(nowMs);
  }, 1_000);
  await Promise.all(
    kiosks.map(async (kiosk) => {
      await kiosk.run(dayStartMs);
      daysDone += 1;
    }),
  );
  const deadline = Date.now() + drainWaitMsMax;
  while (!kiosks.every((kiosk) => kiosk.drained) && Date.now() < deadline) {
    await new Promise<void>((resolve) => setTimeout(resolve, 200));
  }
  clearInterval(reporter);
  clearInterval(watchdog);
  send(progress());
  send({ op: 'drained', reports: kiosks.map((kiosk) => kiosk.report()) });
}

async function rawConnect(kiosk: Kiosk, index: number): Promise<MqttClient> {
  const urls = init!.brokerUrls;
  const password = init!.stations.find((s) => s.id === kiosk.stationId)!.password;
  let lastError: unknown;
  for (let attempt = 0; attempt < rawConnectAttemptsMax; attempt += 1) {
    try {
      return await mqtt.connectAsync(urls[(index + attempt) % urls.length]!, {
        protocolVersion: 4,
        clientId: `${kiosk.stationId}-raw`,
        username: kiosk.stationId,
        password,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      });
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`raw pipe: ${kiosk.stationId} cannot connect`, { cause: lastError });
}

let rawClients: MqttClient[] = [];

/** The raw-pipe baseline, step 1: the kiosks' sessions end, a plain publisher per station connects. */
async function rawPrepare(): Promise<void> {
  await Promise.all(kiosks.map((kiosk) => kiosk.close()));
  rawClients = await Promise.all(kiosks.map((kiosk, index) => rawConnect(kiosk, index)));
  send({ op: 'raw-connected' });
}

/** Step 2: every journaled envelope once more, QoS 1, as fast as the broker takes it. */
async function rawPublish(): Promise<void> {
  let count = 0;
  await Promise.all(
    kiosks.map(async (kiosk, index) => {
      const client = rawClients[index]!;
      const topic = upTopic(kiosk.stationId, 'event');
      await Promise.all(
        kiosk.journalBytes().map((bytes) => client.publishAsync(topic, Buffer.from(bytes), { qos: 1 })),
      );
      count += kiosk.lastSeq;
    }),
  );
  send({ op: 'raw-published', count });
  await Promise.all(rawClients.map((client) => client.endAsync(true)));
  rawClients = [];
}

process.on('message', (message: ToSwarm) => {
  switch (message.op) {
    case 'init':
      start(message);
      return;
    case 'go':
      void go(message.dayStartMs);
      return;
    case 'mark':
      marks.set(message.id, { atMs: message.atMs, kind: message.kind });
      return;
    case 'raw':
      void rawPrepare();
      return;
    case 'raw-go':
      void rawPublish();
      return;
    case 'stop':
      void Promise.all(kiosks.map((kiosk) => kiosk.close())).finally(() => process.exit(0));
      return;
  }
});
process.on('disconnect', () => process.exit(0));
