// Goal: every way the MQTT link reports trouble is logged with its stable code and handled:
// AGENT_LINK_ERROR (the broker refuses the login), AGENT_LINK_SIGN_FAILED (the Death cannot be
// signed), AGENT_ACK_TIMEOUT (events in flight, no ack: the window is sent again),
// AGENT_ACK_BEYOND_HEAD, AGENT_LINK_PUBLISH_FAILED (a heartbeat could not be built), AGENT_LINK_OFFLINE
// (the client goes offline) and AGENT_LINK_CLOSED (the broker goes away); after each, the link
// backs off and reconnects. Method: the real MqttLink against a Mosquitto on a free port with
// per-station users; an in-memory outbox; a logger that records each line, and the test waits on
// the code being logged (nothing sleeps).
import mqtt from 'mqtt';
import t from 'tap';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import { MqttLink, type MqttLinkOptions } from '../../src/adapters/mqtt/mqtt-link.js';
import { systemClock } from '../../src/agent.js';
import type { OutboxPort, OutboxRow } from '../../src/ports/outbox.js';
import { recordingLogger } from './helpers.js';

const STATION = 'ST0303';
const broker = await startMosquitto({ stationIds: [STATION] });
t.teardown(() => broker.close());
// The link's timers are unref'd (a timer alone never keeps a kiosk process up). While a test waits
// for the link to notice a stopped broker, nothing else may be open: hold the event loop open for
// the file, or the process can end before the awaited log line ("test unfinished").
const holdOpen = setInterval(() => undefined, 60_000);
t.teardown(() => clearInterval(holdOpen));

class MemoryOutbox implements OutboxPort {
  rows: OutboxRow[] = [
    { seq: 1, eventId: 'e-1', payloadType: 'TEST', envelopeBytes: new Uint8Array([1, 2, 3]) },
  ];
  acked = 0;
  headSeq(): number {
    return this.rows.at(-1)?.seq ?? this.acked;
  }
  ackedThroughSeq(): number {
    return this.acked;
  }
  read(fromSeq: number, toSeq: number): OutboxRow[] {
    return this.rows.filter((row) => row.seq >= fromSeq && row.seq <= toSeq);
  }
  acknowledgeThrough(ackSeq: number): number {
    const before = this.rows.length;
    this.rows = this.rows.filter((row) => row.seq > ackSeq);
    this.acked = Math.max(this.acked, ackSeq);
    return before - this.rows.length;
  }
  depth(): number {
    return this.rows.length;
  }
}

function makeLink(
  t: import('tap').Test,
  overrides: Partial<MqttLinkOptions> & { statusFails?: 'death' | 'telemetry' } = {},
) {
  const log = recordingLogger();
  const signed = async () => new Uint8Array([9]);
  const failing = async (): Promise<Uint8Array> => {
    throw new Error('token pulled');
  };
  let bdSeq = 0;
  const link = new MqttLink({
    brokerUrl: broker.url,
    stationId: STATION,
    username: STATION,
    password: broker.password(STATION),
    topics: {
      event: `bianmin/v1/${STATION}/up/event`,
      birth: `bianmin/v1/${STATION}/up/birth`,
      death: `bianmin/v1/${STATION}/up/death`,
      telemetry: `bianmin/v1/${STATION}/up/telemetry`,
      subscribe: [`bianmin/v1/${STATION}/down/ack`, `bianmin/v1/${STATION}/down/auth-resp`],
      ack: `bianmin/v1/${STATION}/down/ack`,
      authResponse: `bianmin/v1/${STATION}/down/auth-resp`,
    },
    outbox: new MemoryOutbox(),
    status: {
      nextBdSeq: () => ++bdSeq,
      death: overrides.statusFails === 'death' ? failing : signed,
      birth: signed,
      telemetry: overrides.statusFails === 'telemetry' ? failing : signed,
    },
    clock: systemClock,
    logger: log.logger,
    windowMax: 8,
    ackTimeoutMs: 300,
    heartbeatMs: 100,
    backoffMsInitial: 50,
    backoffMsMax: 200,
    connectTimeoutMs: 5_000,
    keepaliveSeconds: 30,
    ackFlushMs: 10,
    downlinkStall: { stallMsInitial: 20_000, stallMsMax: 120_000 },
    downlinkRenewTimeoutMs: 5_000,
    ...overrides,
  });
  t.teardown(() => link.stop());
  return { link, log };
}

function online(link: MqttLink): Promise<void> {
  return new Promise((resolve) => {
    if (link.state().kind === 'online') resolve();
    else link.onStateChange((state) => state.kind === 'online' && resolve());
  });
}

t.test('AGENT_LINK_ERROR: the broker refuses the login; the link backs off and tries again', async (t) => {
  const { link, log } = makeLink(t, { password: 'wrong-password' });
  link.start();
  await log.waitForCode('AGENT_LINK_ERROR');
  t.match(
    log.lines.find((line) => line.code === 'AGENT_LINK_ERROR'),
    { msg: 'link down', attempt: 1 },
  );
  t.equal(link.state().kind, 'backoff');
});

t.test('AGENT_LINK_SIGN_FAILED: no Death can be signed, so no connect; retried', async (t) => {
  const { link, log } = makeLink(t, { statusFails: 'death' });
  link.start();
  await log.waitForCode('AGENT_LINK_SIGN_FAILED');
  t.equal(link.state().kind, 'backoff');
});

t.test(
  'online: AGENT_ACK_TIMEOUT resends, AGENT_ACK_BEYOND_HEAD ignored, AGENT_LINK_PUBLISH_FAILED',
  async (t) => {
    const { link, log } = makeLink(t, { statusFails: 'telemetry' });
    link.start();
    await online(link);
    await log.waitForCode('AGENT_ACK_TIMEOUT');
    t.match(
      log.lines.find((line) => line.code === 'AGENT_ACK_TIMEOUT'),
      { ackedThroughSeq: 0 },
    );
    await log.waitForCode('AGENT_LINK_PUBLISH_FAILED');
    link.acknowledged(99);
    await log.waitForCode('AGENT_ACK_BEYOND_HEAD');
    t.equal(link.window().ackedThroughSeq, 0, 'an ack beyond what was stored moves nothing');
    link.acknowledged(1);
    t.equal(link.window().ackedThroughSeq, 1);
  },
);

t.test(
  'AGENT_LINK_OFFLINE: the client reports offline; the link starts over with a new client',
  async (t) => {
    const clients: mqtt.MqttClient[] = [];
    const { link, log } = makeLink(t, {
      connect: (url, options) => {
        const client = mqtt.connect(url, options);
        clients.push(client);
        return client;
      },
    });
    link.start();
    await online(link);
    clients[0]!.emit('offline');
    await log.waitForCode('AGENT_LINK_OFFLINE');
    await online(link);
    t.equal(clients.length, 2, 'reconnected with a fresh client');
  },
);

t.test('AGENT_LINK_CLOSED: the broker goes away; back online when it returns', async (t) => {
  const { link, log } = makeLink(t);
  link.start();
  await online(link);
  await broker.stop();
  await log.waitForCode('AGENT_LINK_CLOSED');
  await broker.start();
  await online(link);
  t.equal(link.state().kind, 'online');
});
