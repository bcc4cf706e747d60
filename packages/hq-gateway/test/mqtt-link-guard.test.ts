// Goal: HQ's MQTT link works over the production broker's TLS listener with the TLS config keys,
// keeps from ingest what must never reach it (a payload over its own cap, dropped before decoding:
// HQ_MQTT_MESSAGE_OVERSIZED; a retained up-topic message the broker replays on subscribe:
// HQ_MQTT_RETAINED_UP), each counted and logged with its SHA-256, and refuses bad TLS settings
// with the config key named. Method: a real Mosquitto from deploy/mosquitto/ (test/helpers/
// mosquitto.ts, TLS only, test CA), the link with a recording log, a raw station client.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { startMosquitto } from '../../../test/helpers/mosquitto.js';
import { MqttLink } from '../src/adapters/mqtt/mqtt-link.js';
import { loadMqttTls } from '../src/adapters/mqtt/tls.js';
import { checkHqConfig } from '../src/config.js';
import { HqError } from '../src/errors.js';
import { mqttPayloadBytesMax } from '../src/limits.js';
import type { Log } from '../src/ports/log.js';

const STATION = 'G1';
const broker = await startMosquitto({ stationIds: [STATION], plainListener: false });
t.teardown(() => broker.close());
const up = (channel: string) => `bianmin/v1/st/${STATION}/up/${channel}`;

function recordingLog(lines: Record<string, unknown>[]): Log {
  const log: Log = {
    debug() {},
    info() {},
    warn(fields) {
      lines.push(fields as Record<string, unknown>);
    },
    error(fields) {
      lines.push(fields as Record<string, unknown>);
    },
    child: () => log,
  };
  return log;
}

function hqTls() {
  const files = broker.clientCert(broker.hqUser);
  return {
    caFile: broker.ca.caFile,
    certFile: files.certFile,
    keyFile: files.keyFile,
    serverName: 'localhost',
  };
}

async function station() {
  const client = await mqtt.connectAsync(broker.tlsUrl, {
    ...broker.tlsOptions(STATION),
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  t.teardown(() => client.endAsync(true));
  return client;
}

t.test(
  'over TLS: a message over the cap is dropped before decoding; a retained one is ignored',
  async (t) => {
    const sender = await station();
    // A retained death parked by the station before HQ subscribes: the broker replays it on subscribe.
    const stale = Buffer.from('stale death, retained');
    await sender.publishAsync(up('death'), stale, { qos: 1, retain: true });
    const lines: Record<string, unknown>[] = [];
    const link = new MqttLink({
      url: broker.tlsUrl,
      clientId: 'hq-gateway',
      username: broker.hqUser,
      password: broker.password(broker.hqUser),
      tls: hqTls(),
      payloadBytesMax: 1_000,
      log: recordingLog(lines),
    });
    t.teardown(() => link.close());
    const received: { topic: string; size: number }[] = [];
    const waiters: (() => void)[] = [];
    await link.connect((topic, payload) => {
      received.push({ topic, size: payload.byteLength });
      for (const wake of waiters.splice(0)) wake();
      return undefined;
    });
    t.equal(link.state.kind, 'connected', 'connected over TLS with the config keys');
    const big = Buffer.alloc(1_001, 0x42);
    await sender.publishAsync(up('event'), big, { qos: 1 });
    await sender.publishAsync(up('event'), Buffer.alloc(1_000, 0x41), { qos: 1 });
    while (received.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
    t.same(received, [{ topic: up('event'), size: 1_000 }], 'only the message within the cap reached ingest');
    t.same(link.counters, { oversized: 1, retainedUp: 1 }, 'both counted');
    const oversized = lines.find((line) => line.code === 'HQ_MQTT_MESSAGE_OVERSIZED');
    t.same(
      oversized,
      {
        code: 'HQ_MQTT_MESSAGE_OVERSIZED',
        topic: up('event'),
        sizeBytes: 1_001,
        sha256: createHash('sha256').update(big).digest('hex'),
      },
      'logged with code, topic, size and SHA-256 (no payload bytes)',
    );
    const retained = lines.find((line) => line.code === 'HQ_MQTT_RETAINED_UP');
    t.equal(
      retained?.sha256,
      createHash('sha256').update(stale).digest('hex'),
      'retained replay logged by hash',
    );
    await sender.publishAsync(up('death'), '', { qos: 1, retain: true });
  },
);

t.test('the default cap is the wire envelope maximum', async (t) => {
  t.equal(mqttPayloadBytesMax, 65_536);
});

t.test('TLS files are checked before connecting, naming the config key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hq-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'hello');
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
      return 'no error';
    } catch (error) {
      return error instanceof HqError ? `${error.code} ${error.problems[0]?.field}` : String(error);
    }
  };
  t.equal(
    codeOf(() => loadMqttTls({ caFile: join(dir, 'missing.pem') })),
    'HQ_FILE_UNREADABLE mqttCaFile',
  );
  t.equal(
    codeOf(() => loadMqttTls({ caFile: notPem })),
    'HQ_CONFIG_INVALID mqttCaFile',
  );
  t.equal(
    codeOf(() => loadMqttTls({ caFile: broker.ca.caFile, certFile: broker.ca.caFile })),
    'HQ_CONFIG_INVALID mqttCertFile',
  );
  t.equal(
    codeOf(() =>
      loadMqttTls({ caFile: broker.ca.caFile, certFile: broker.ca.caFile, keyFile: broker.ca.caFile }),
    ),
    'HQ_CONFIG_INVALID mqttKeyFile',
    'a certificate is not a private key',
  );
  t.equal(
    codeOf(() => loadMqttTls(hqTls())),
    'no error',
  );
});

t.test('the HQ config: TLS keys agree with the broker URL', async (t) => {
  const base = { dbPath: 'hq.sqlite', clientId: 'hq', hqKeyFile: 'k', calendarDir: 'c' };
  const fieldsOf = (config: Record<string, unknown>) => {
    try {
      checkHqConfig({ ...base, ...config }, '/etc/hq');
      return [];
    } catch (error) {
      return (error as HqError).problems.map((p) => p.field);
    }
  };
  t.same(fieldsOf({ brokerUrl: 'mqtts://broker:8883' }), ['mqttCaFile'], 'mqtts:// needs the CA');
  t.same(
    fieldsOf({ brokerUrl: 'mqtt://broker:1883', mqttCaFile: 'ca.crt' }),
    ['brokerUrl'],
    'TLS files need mqtts://',
  );
  t.same(
    fieldsOf({ brokerUrl: 'mqtts://broker:8883', mqttCaFile: 'ca.crt', mqttCertFile: 'hq.crt' }),
    ['mqttKeyFile'],
    'a certificate needs its key',
  );
  t.same(fieldsOf({ brokerUrl: 'mqtts://broker:8883', mqttCaFile: 'ca.crt', mqttServerName: 'bad name!' }), [
    'mqttServerName',
  ]);
  const config = checkHqConfig(
    {
      ...base,
      brokerUrl: 'mqtts://broker:8883',
      mqttCaFile: 'ca.crt',
      mqttCertFile: 'hq.crt',
      mqttKeyFile: 'hq.key',
      mqttCliUsername: 'hq-cli',
      mqttCliPasswordFile: 'cli.pw',
    },
    '/etc/hq',
  );
  t.equal(config.mqttCaFile, '/etc/hq/ca.crt', 'TLS paths resolve against the config folder');
  t.equal(config.mqttCliPasswordFile, '/etc/hq/cli.pw');
});
