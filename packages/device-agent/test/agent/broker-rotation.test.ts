// Goal: a kiosk configured with several brokers (mqtt.urls, issue 14) connects to the first and,
// on a failed connect or a lost connection, moves to the next (wrapping round) after its usual
// backoff, logging which broker it is on; the config takes exactly one of mqtt.url and mqtt.urls
// (AGENT_CONFIG_MQTT_BROKERS) with 1..8 distinct mqtt(s) URLs of one kind; doctor checks each URL.
// Method: the real MqttLink with an injected connect that hands out fake clients (EventEmitters
// the test makes succeed or fail) and a manual clock; validateStructure on plain objects; doctor's
// checkBroker against a local TCP listener and a closed port. No broker, no sleeps.
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import pino from 'pino';
import t from 'tap';
import { MqttLink, type MqttLinkOptions } from '../../src/adapters/mqtt/mqtt-link.js';
import { checkBroker } from '../../src/cli/doctor/checks.js';
import type { DeviceConfig } from '../../src/config/schema.js';
import { validateStructure } from '../../src/config/validate.js';
import { nextBrokerIndex } from '../../src/domain/outbox/broker-rotation.js';
import { mqttBrokerUrlsMax } from '../../src/limits.js';
import type { ClockPort, TimerHandle } from '../../src/ports/clock.js';
import type { OutboxPort } from '../../src/ports/outbox.js';

type MqttClient = ReturnType<NonNullable<MqttLinkOptions['connect']>>;

/** Timers fire only when the test advances the clock (this file stays in the unit layer). */
class StepClock implements ClockPort {
  #nowMs = 1_800_000_000_000;
  #timers: { atMs: number; callback: () => void; cancelled: boolean }[] = [];
  nowMs(): number {
    return this.#nowMs;
  }
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer = { atMs: this.#nowMs + delayMs, callback, cancelled: false };
    this.#timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  random01(): number {
    return 0.5;
  }
  advance(ms: number): void {
    this.#nowMs += ms;
    const due = this.#timers.filter((timer) => !timer.cancelled && timer.atMs <= this.#nowMs);
    this.#timers = this.#timers.filter((timer) => !due.includes(timer));
    for (const timer of due.sort((a, b) => a.atMs - b.atMs)) timer.callback();
  }
}

/** A pino logger that keeps each line. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (text: string) => lines.push(JSON.parse(text)) });
  return { logger, lines };
}

/** What the link uses of an mqtt.js client; the test emits connect / error / close on it. */
class FakeClient extends EventEmitter {
  ended = false;
  constructor(readonly url: string) {
    super();
  }
  async subscribeAsync(): Promise<void> {}
  async publishAsync(): Promise<void> {}
  publish(_topic: string, _payload: Buffer, _options: unknown, callback?: (error?: Error) => void): void {
    callback?.();
  }
  end(): void {
    this.ended = true;
  }
  async endAsync(): Promise<void> {
    this.ended = true;
  }
}

const emptyOutbox: OutboxPort = {
  headSeq: () => 0,
  ackedThroughSeq: () => 0,
  read: () => [],
  acknowledgeThrough: () => 0,
  depth: () => 0,
};

/** Let the link's promise chains run (bounded): a connect attempt awaits the signed Death first. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

t.test('the link rotates through the brokers on failed connects and lost connections', async (t) => {
  const urls = ['mqtt://node-a:1883', 'mqtt://node-b:1883', 'mqtt://node-c:1883'];
  const clients: FakeClient[] = [];
  const clock = new StepClock();
  const log = recordingLogger();
  let bdSeq = 0;
  const signed = async () => new Uint8Array([9]);
  const link = new MqttLink({
    brokerUrl: urls[0]!,
    brokerUrls: urls,
    stationId: 'ST0404',
    topics: {
      event: 'e',
      birth: 'b',
      death: 'd',
      telemetry: 'tm',
      subscribe: ['ack', 'auth-resp'],
      ack: 'ack',
      authResponse: 'auth-resp',
    },
    outbox: emptyOutbox,
    status: { nextBdSeq: () => ++bdSeq, death: signed, birth: signed, telemetry: signed },
    clock,
    logger: log.logger,
    windowMax: 8,
    ackTimeoutMs: 1_000,
    heartbeatMs: 60_000,
    backoffMsInitial: 100,
    backoffMsMax: 1_000,
    connectTimeoutMs: 5_000,
    keepaliveSeconds: 30,
    ackFlushMs: 10,
    downlinkStall: { stallMsInitial: 20_000, stallMsMax: 120_000 },
    downlinkRenewTimeoutMs: 5_000,
    connect: (url) => {
      const client = new FakeClient(url);
      clients.push(client);
      return client as unknown as MqttClient;
    },
  });
  link.start();
  await settle();
  t.same(
    clients.map((c) => c.url),
    [urls[0]],
    'the first broker first',
  );

  clients[0]!.emit('error', new Error('connect ECONNREFUSED'));
  t.equal(link.state().kind, 'backoff', 'a failed connect backs off');
  t.equal(link.brokerUrl(), urls[1], 'the next attempt goes to the second broker');
  await settle();
  t.equal(clients.length, 1, 'no attempt before the backoff runs out');
  clock.advance(1_000);
  await settle();
  t.equal(clients[1]?.url, urls[1]);

  clients[1]!.emit('connect');
  await settle();
  t.equal(link.state().kind, 'online');
  t.ok(
    log.lines.some((line) => line.msg === 'link online' && line.brokerUrl === urls[1]),
    'the log says which broker the link is on',
  );

  // The node dies under an online link: the next broker, after the backoff.
  clients[1]!.emit('close');
  t.equal(link.state().kind, 'backoff');
  clock.advance(1_000);
  await settle();
  t.equal(clients[2]?.url, urls[2]);
  clients[2]!.emit('error', new Error('connect timeout'));
  clock.advance(1_000);
  await settle();
  t.same(
    clients.map((c) => c.url),
    [urls[0], urls[1], urls[2], urls[0]],
    'wraps round to the first',
  );
  t.ok(
    clients.slice(0, 3).every((c) => c.ended),
    'every abandoned client is ended',
  );
  t.equal(
    log.lines.filter((line) => line.msg === 'moving to the next broker').length,
    3,
    'each move is logged',
  );
  await link.stop();
});

t.test('one broker: the link stays on it (mqtt.url)', async (t) => {
  t.equal(nextBrokerIndex(0, 1), 0);
  t.equal(nextBrokerIndex(2, 3), 0);
  t.throws(() => nextBrokerIndex(3, 3), /assert/);
});

t.test('config: exactly one of mqtt.url and mqtt.urls; 1..8 distinct URLs of one kind', async (t) => {
  const base = {
    station: { id: 'ST-0001', orgCode: '3301000001' },
    serial: { cardReader: { path: '/dev/null' }, pinPad: { path: '/dev/null' } },
    token: { modulePath: '/lib/p11.so', serial: 'abc', keyLabel: 'k', userPin: { env: 'PIN' } },
    journal: { path: '/var/lib/k/kiosk.db' },
    operatorApi: { socketPath: '/run/k/op.sock' },
    hq: { configPublicKeyPath: '/etc/k/hq.pem' },
    log: { dir: '/var/log/k' },
  };
  const problems = (mqtt: unknown) =>
    validateStructure({ ...base, mqtt }).problems.map((p) => `${p.code} ${p.key}`);
  t.same(problems({ urls: ['mqtt://a:1883', 'mqtt://b:1883', 'mqtt://c:1883'] }), [], 'a list is fine');
  t.same(problems({ url: 'mqtt://a:1883' }), [], 'one URL is fine');
  t.same(problems({}), ['AGENT_CONFIG_MQTT_BROKERS mqtt.url'], 'neither');
  t.same(
    problems({ url: 'mqtt://a:1883', urls: ['mqtt://b:1883'] }),
    ['AGENT_CONFIG_MQTT_BROKERS mqtt.url'],
    'both',
  );
  t.same(problems({ urls: [] }), ['AGENT_CONFIG_BAD_VALUE mqtt.urls'], 'an empty list');
  const nine = Array.from({ length: mqttBrokerUrlsMax + 1 }, (_, i) => `mqtt://n${i}:1883`);
  t.same(problems({ urls: nine }), ['AGENT_CONFIG_BAD_VALUE mqtt.urls'], 'more than 8');
  t.same(problems({ urls: 'mqtt://a:1883' }), ['AGENT_CONFIG_BAD_TYPE mqtt.urls'], 'not an array');
  t.same(
    problems({ urls: ['mqtt://a:1883', 7, 'http://b', 'mqtt://a:1883'] }),
    [
      'AGENT_CONFIG_BAD_TYPE mqtt.urls[1]',
      'AGENT_CONFIG_BAD_VALUE mqtt.urls[2]',
      'AGENT_CONFIG_BAD_VALUE mqtt.urls',
    ],
    'each item is named; a URL twice',
  );
  t.same(
    problems({ urls: ['mqtts://a:8883', 'mqtt://b:1883'], tls: { caPath: '/etc/k/ca.crt' } }),
    ['AGENT_CONFIG_BAD_VALUE mqtt.urls'],
    'TLS and plain brokers mixed',
  );
  t.same(problems({ urls: ['mqtts://a:8883', 'mqtts://b:8883'] }), ['AGENT_CONFIG_MISSING_KEY mqtt.tls']);
  const valid = validateStructure({ ...base, mqtt: { urls: ['mqtt://a:1883', 'mqtt://b:1883'] } });
  t.same(valid.config?.mqtt.urls, ['mqtt://a:1883', 'mqtt://b:1883'], 'the list reaches the config');
});

t.test('doctor checks every broker: PASS, WARN when some answer, FAIL when none', async (t) => {
  const listening: Server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  t.teardown(() => listening.close());
  const openPort = (listening.address() as { port: number }).port;
  // A port that was just free: nothing listens there.
  const closed: Server = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const up = `mqtt://127.0.0.1:${openPort}`;
  const down = `mqtt://127.0.0.1:${closedPort}`;
  const config = (urls: string[]) => ({ mqtt: { urls } }) as unknown as DeviceConfig;
  const pass = await checkBroker(config([up, up.replace('127.0.0.1', 'localhost')]), 2_000);
  t.equal(pass.status, 'PASS');
  const warn = await checkBroker(config([down, up]), 2_000);
  t.same([warn.status, warn.code], ['WARN', 'AGENT_DOCTOR_BROKER_UNREACHABLE']);
  t.match(warn.detail, /1 of 2 brokers failed/);
  const fail = await checkBroker(config([down, down.replace('127.0.0.1', 'localhost')]), 2_000);
  t.same([fail.status, fail.code], ['FAIL', 'AGENT_DOCTOR_BROKER_UNREACHABLE']);
});
