// Goal: the kiosk's MQTT link reaches the production broker only over TLS with the config keys
// mqtt.tls.{caPath, certPath, keyPath, serverName}, and bad TLS settings are refused with the key
// named (config check, and the files when the link is made). Method: the structural config check
// on table cases; loadMqttTls on missing and non-PEM files; the real KioskAgent link against a
// Mosquitto started from deploy/mosquitto/ (TLS listener only, test CA) with a fake HQ: the kiosk
// comes online and its birth reaches HQ; with the wrong CA it never does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startMosquitto } from '../../../../test/helpers/mosquitto.js';
import { makeTestCa } from '../../../../test/helpers/test-ca.js';
import { loadMqttTls } from '../../src/adapters/mqtt/tls.js';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { KioskAgent, systemClock } from '../../src/agent.js';
import { validateStructure } from '../../src/config/validate.js';
import { AgentError } from '../../src/errors.js';
import { FakeHq } from './fake-hq.js';
import { fakeCardReader, fakePinPad, HqKey, silentLogger, softHsmSigner } from './helpers.js';

const STATION = 'ST0303';
const dir = mkdtempSync(join(tmpdir(), 'kiosk-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('config check: mqtt.url and mqtt.tls agree', async (t) => {
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
  t.same(
    problems({ url: 'mqtts://hq:8883' }),
    ['AGENT_CONFIG_MISSING_KEY mqtt.tls'],
    'mqtts:// needs the CA',
  );
  t.same(
    problems({ url: 'mqtt://hq:1883', tls: { caPath: '/etc/k/ca.crt' } }),
    ['AGENT_CONFIG_BAD_VALUE mqtt.url'],
    'TLS files with a plain URL would be unused',
  );
  t.same(
    problems({ url: 'mqtts://hq:8883', tls: { caPath: '/etc/k/ca.crt', certPath: '/etc/k/k.crt' } }),
    ['AGENT_CONFIG_MISSING_KEY mqtt.tls.keyPath'],
    'a certificate needs its key',
  );
  t.same(problems({ url: 'mqtts://hq:8883', tls: { caPath: '/etc/k/ca.crt', serverName: 'not a name' } }), [
    'AGENT_CONFIG_BAD_VALUE mqtt.tls.serverName',
  ]);
  t.same(
    problems({
      url: 'mqtts://10.0.0.5:8883',
      tls: {
        caPath: '/etc/k/ca.crt',
        certPath: '/etc/k/k.crt',
        keyPath: '/etc/k/k.key',
        serverName: 'mqtt.hq',
      },
    }),
    [],
    'a complete TLS config passes',
  );
});

t.test('TLS files are read when the link is made, naming the key', async (t) => {
  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'not a certificate');
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
      return 'no error';
    } catch (error) {
      return error instanceof AgentError ? `${error.code} ${String(error.details.key)}` : String(error);
    }
  };
  t.equal(
    codeOf(() => loadMqttTls({ caPath: join(dir, 'missing.crt') })),
    'AGENT_CONFIG_PATH_MISSING mqtt.tls.caPath',
  );
  t.equal(
    codeOf(() => loadMqttTls({ caPath: notPem })),
    'AGENT_CONFIG_BAD_VALUE mqtt.tls.caPath',
  );
  t.equal(
    codeOf(() => loadMqttTls({ caPath: notPem, certPath: notPem })),
    'AGENT_CONFIG_MISSING_KEY mqtt.tls',
  );
});

t.test('the kiosk link comes online over TLS; with the wrong CA it does not', async (t) => {
  const broker = await startMosquitto({ stationIds: [STATION], plainListener: false });
  t.teardown(() => broker.close());
  const uk = softHsmSigner('AGENT-TLS');
  t.teardown(() => uk.close());
  const hq = new HqKey();
  const fakeHq = new FakeHq(
    broker.tlsUrl,
    broker.password('hq'),
    hq,
    uk.publicKeyPem,
    broker.tlsOptions('hq'),
  );
  await fakeHq.start();
  t.teardown(() => fakeHq.stop());
  const rogue = makeTestCa(dir, 'rogue');
  const cert = broker.clientCert(STATION);
  const open = async (caPath: string, name: string) => {
    const db = new KioskDb({ path: join(dir, `${name}.db`) });
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
        brokerUrl: broker.tlsUrl,
        username: STATION,
        password: broker.password(STATION),
        tls: { caPath, certPath: cert.certFile, keyPath: cert.keyFile, serverName: 'localhost' },
        backoffMsInitial: 50,
        backoffMsMax: 200,
      },
      autoDailyClose: false,
    });
    return { agent, db };
  };
  // Wrong CA: the kiosk refuses the broker's certificate; the link backs off, never online.
  const wrong = await open(rogue.caFile, 'wrong');
  t.teardown(async () => {
    await wrong.agent.stop();
    wrong.db.close();
  });
  const refused = new Promise<string>((resolve) => {
    wrong.agent.link().onStateChange((state) => {
      if (state.kind === 'online') resolve('online');
      if (state.kind === 'backoff') resolve(state.lastErrorCode);
    });
  });
  wrong.agent.start();
  t.equal(await refused, 'AGENT_LINK_ERROR', 'a broker certificate from another CA: link error, not online');
  await wrong.agent.stop();
  const good = await open(broker.ca.caFile, 'good');
  t.teardown(async () => {
    await good.agent.stop();
    good.db.close();
  });
  const online = new Promise<void>((resolve) => {
    good.agent.link().onStateChange((state) => {
      if (state.kind === 'online') resolve();
    });
  });
  good.agent.start();
  await online;
  await fakeHq.until(() => fakeHq.births > 0);
  t.pass('the kiosk connected over TLS (client certificate + password) and its birth reached HQ');
});
