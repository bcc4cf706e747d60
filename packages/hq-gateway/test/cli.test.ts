// Goal: the `hq` CLI for operators: enrol a kiosk from its enrolment request, send configs and
// record quota purchases (R3), show status and the daily report, and refuse bad input listing
// every problem at once with stable codes (R21). Method: runHq in-process with captured output
// against a temp config, a temp SQLite store and a real Mosquitto.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyCheckValue, PayloadType, sealEnvelope, unwrapKeyAesEcb } from '@bianmin/wire';
import t from 'tap';
import { type MosquittoBroker, startMosquitto } from '../../../test/helpers/mosquitto.js';
import { runHq } from '../src/cli/hq.js';
import { type HqFiles, writeHqConfig } from './helpers/hq-process.js';
import { SimStation } from './helpers/station-sim.js';

let broker: MosquittoBroker;
let dir: string;
let files: HqFiles;
const station = new SimStation('C1');

t.before(async () => {
  broker = await startMosquitto({ stationIds: ['C1'] });
  dir = mkdtempSync(join(tmpdir(), 'hq-cli-'));
  files = writeHqConfig(dir, broker.url, broker.password('hq'));
});
t.teardown(async () => {
  await station.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: the test reads the CLI's JSON output loosely.
type Json = any;

async function hq(...args: string[]): Promise<{ code: number; out: string; err: string; json: Json }> {
  let out = '';
  let err = '';
  const code = await runHq(args, { out: (s) => (out += s), err: (s) => (err += s) });
  let json: Json;
  try {
    json = JSON.parse(out.trim().split('\n').at(-1) ?? '');
  } catch {
    json = undefined;
  }
  return { code, out, err, json };
}

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

t.test('help for the CLI and for each command', async (t) => {
  const top = await hq('--help');
  t.equal(top.code, 0);
  t.match(top.out, /station enrol/);
  const one = await hq('quota', 'purchase', '--help');
  t.equal(one.code, 0);
  t.match(one.out, /--fen/);
});

t.test(
  'station enrol binds the key; the same request again is unchanged; another key conflicts',
  async (t) => {
    const request = writeJson('enrol.json', station.enrolmentRequest());
    const first = await hq('station', 'enrol', request, '--config', files.configPath, '--json');
    t.equal(first.code, 0, first.err);
    t.same([first.json.result.outcome, first.json.result.stationId], ['enrolled', 'C1']);
    const again = await hq('station', 'enrol', request, '--config', files.configPath, '--json');
    t.equal(again.json.result.outcome, 'unchanged');
    const impostor = new SimStation('C1');
    const conflict = await hq(
      'station',
      'enrol',
      writeJson('impostor.json', impostor.enrolmentRequest()),
      '--config',
      files.configPath,
      '--json',
    );
    t.equal(conflict.code, 1);
    t.equal(conflict.json.problems[0].code, 'HQ_STATION_KEY_CONFLICT');
  },
);

t.test('a bad enrolment request lists every problem at once (HQ_ENROLMENT_INVALID)', async (t) => {
  const bad = { ...station.enrolmentRequest(), station: { id: 'bad id!', orgCode: '' } } as Record<
    string,
    unknown
  >;
  (bad.signingKey as Record<string, unknown>).fingerprintSha256Hex = '00';
  const result = await hq(
    'station',
    'enrol',
    writeJson('bad.json', bad),
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(result.code, 1);
  const fields = result.json.problems.map((p: { field: string }) => p.field);
  t.ok(result.json.problems.every((p: { code: string }) => p.code === 'HQ_ENROLMENT_INVALID'));
  t.same(fields, ['station.id', 'station.orgCode', 'signingKey.fingerprintSha256Hex']);
});

t.test('a proof not signed by the enrolled key is refused (HQ_ENROLMENT_SIGNATURE_INVALID)', async (t) => {
  const other = new SimStation('C2');
  const proof = sealEnvelope(
    {
      stationId: 'C2',
      keyId: other.keyId,
      seq: 0,
      eventId: 'enrol-1',
      createdAtMs: Date.now(),
      type: PayloadType.PAYLOAD_TYPE_ENROLMENT_REQUEST,
      body: {
        stationId: 'C2',
        orgCode: other.orgCode,
        keyId: other.keyId,
        publicKeySpkiDer: new Uint8Array(
          Buffer.from(
            String(
              other.enrolmentRequest().signingKey &&
                (other.enrolmentRequest().signingKey as { spkiDerBase64: string }).spkiDerBase64,
            ),
            'base64',
          ),
        ),
        tokenSerial: 'TK',
        tokenLabel: 'kiosk',
        agentVersion: '1.0.0',
      },
    },
    station.privateKey,
  );
  const request = { ...other.enrolmentRequest(), proof: Buffer.from(proof).toString('base64') };
  const result = await hq(
    'station',
    'enrol',
    writeJson('proof.json', request),
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(result.code, 1);
  t.equal(result.json.problems[0].code, 'HQ_ENROLMENT_SIGNATURE_INVALID');
});

t.test('quota purchase records R3 purchases and publishes the signed config, retained', async (t) => {
  const refused = await hq(
    'quota',
    'purchase',
    '--station',
    'C1',
    '--fen',
    '49999',
    '--receipt',
    'OUT-C1-0',
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(refused.code, 1);
  t.equal(refused.json.problems[0].code, 'HQ_QUOTA_PURCHASE_REFUSED');
  const bought = await hq(
    'quota',
    'purchase',
    '--station',
    'C1',
    '--yuan',
    '500.00',
    '--receipt',
    'OUT-C1-1',
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(bought.code, 0, bought.err);
  t.equal(bought.json.result.configVersion, 1);
  t.same(
    [bought.json.result.outcome, bought.json.result.amountYuan],
    ['recorded', '500.00'],
    'echoed in yuan',
  );
  const again = await hq(
    'quota',
    'purchase',
    '--station',
    'C1',
    '--fen',
    '50000',
    '--receipt',
    'OUT-C1-1',
    '--config',
    files.configPath,
    '--json',
  );
  t.same([again.code, again.json.result.outcome], [0, 'exists'], 'the same receipt again is exists');
  await station.connect(broker.url, broker.password('C1'), files.hqPublicKeyPem);
  await station.waitForConfig(1);
  t.same(
    station.configs[0]?.purchases,
    [bought.json.result.purchaseId],
    'the retained config reaches the kiosk later',
  );
  const sent = await hq('config', 'send', '--station', 'C1', '--config', files.configPath, '--json');
  t.equal(sent.json.result.version, 2);
  await station.waitForConfig(2);
  const missing = await hq('config', 'send', '--station', 'NOPE', '--config', files.configPath, '--json');
  t.equal(missing.json.problems[0].code, 'HQ_STATION_NOT_FOUND');
});

t.test(
  'R24: hq key tmk records the TMK; hq key load sends a TPK only wrapped under it, signed',
  async (t) => {
    const noTmk = await hq(
      'key',
      'load',
      '--station',
      'C1',
      '--key-id',
      'TPK-C1-1',
      '--config',
      files.configPath,
      '--json',
    );
    t.equal(noTmk.code, 1);
    t.equal(noTmk.json.problems[0].code, 'HQ_KEY_NO_TMK');
    const one = '0123456789ABCDEFFEDCBA9876543210';
    const two = '1111 2222 3333 4444 5555 6666 7777 8888';
    const bad = writeJson('bad-components.txt', 'x');
    writeFileSync(bad, `${one}\n${one}\n`);
    const refused = await hq(
      'key',
      'tmk',
      '--station',
      'C1',
      '--components-file',
      bad,
      '--config',
      files.configPath,
      '--json',
    );
    t.equal(refused.json.problems[0].code, 'HQ_KEY_COMPONENTS_INVALID', 'two equal components');
    const good = join(dir, 'components.txt');
    writeFileSync(good, `# C1 TMK\n${one}\n${two}\n`);
    const tmk = Buffer.from(one, 'hex');
    const second = Buffer.from(two.replace(/ /g, ''), 'hex');
    for (let index = 0; index < 16; index += 1) tmk[index]! ^= second[index]!;
    const recorded = await hq(
      'key',
      'tmk',
      '--station',
      'C1',
      '--components-file',
      good,
      '--config',
      files.configPath,
      '--json',
    );
    t.equal(recorded.code, 0, recorded.err);
    t.equal(recorded.json.result.tmkKcv, keyCheckValue(tmk), 'the KCV the pad shows after kiosk keys load');
    t.notMatch(recorded.out + recorded.err, /0123456789ABCDEF|1111/i, 'no component printed');

    const sent = await hq(
      'key',
      'load',
      '--station',
      'C1',
      '--key-id',
      'TPK-C1-1',
      '--config',
      files.configPath,
      '--json',
    );
    t.equal(sent.code, 0, sent.err);
    t.match(sent.json.result, { tpkKeyId: 'TPK-C1-1', kcv: /^[0-9A-F]{6}$/, published: true });
    await station.waitForWorkingKey(1);
    const received = station.workingKeys[0]!;
    t.equal(received.tpkKeyId, 'TPK-C1-1');
    const inPad = unwrapKeyAesEcb(tmk, received.tpkUnderTmk);
    t.equal(
      keyCheckValue(inPad),
      sent.json.result.kcv,
      'what the pad deciphers with its TMK has the KCV HQ sent',
    );
    t.notMatch(sent.out, new RegExp(Buffer.from(inPad).toString('hex'), 'i'), 'the clear TPK is not printed');
  },
);

t.test('status and daily report', async (t) => {
  const status = await hq('status', '--config', files.configPath, '--json');
  t.equal(status.code, 0);
  t.equal(status.json.result.stations[0].stationId, 'C1');
  const text = await hq('status', '--config', files.configPath);
  t.match(text.out, /C1/);
  const report = await hq('report', 'daily', '--date', '2026-11-28', '--config', files.configPath);
  t.equal(report.code, 0);
  t.match(report.out, /business day 2026-11-28/);
  const key = await hq('key', 'generate', '--out', join(dir, 'new-key.pem'), '--json');
  t.equal(key.code, 0);
  t.equal(key.json.result.keyId.length, 64);
});

t.test('usage problems are listed together, exit 2 (HQ_CLI_USAGE)', async (t) => {
  const result = await hq(
    'quota',
    'purchase',
    '--fen',
    'ten',
    '--bogus',
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(result.code, 2);
  t.same(
    result.json.problems.map((p: { field: string }) => p.field).sort(),
    ['--bogus'],
    'flag problems first',
  );
  const values = await hq('quota', 'purchase', '--fen', 'ten', '--config', files.configPath, '--json');
  t.same(
    values.json.problems.map((p: { field: string }) => p.field),
    ['--station', '--fen', '--receipt'],
    'every value problem',
  );
  const unknown = await hq('frobnicate');
  t.equal(unknown.code, 2);
  t.match(unknown.err, /HQ_CLI_USAGE/);
});

t.test('config problems: invalid config, unreadable files, bad key, broker down', async (t) => {
  const invalid = writeJson('bad-config.json', {
    dbPath: 1,
    brokerUrl: 'http://x',
    extra: true,
    verifyEverySignature: 'yes',
  });
  const result = await hq('status', '--config', invalid, '--json');
  t.equal(result.code, 1);
  t.ok(result.json.problems.every((p: { code: string }) => p.code === 'HQ_CONFIG_INVALID'));
  t.ok(result.json.problems.length >= 6, 'every problem at once');
  t.ok(
    result.json.problems.some((p: { field: string }) => p.field === 'verifyEverySignature'),
    'verifyEverySignature must be a boolean',
  );
  const missing = await hq('status', '--config', join(dir, 'nope.json'), '--json');
  t.equal(missing.json.problems[0].code, 'HQ_FILE_UNREADABLE');
  writeFileSync(join(dir, 'garbage-key.pem'), 'not a key');
  const badKey = writeHqConfigVariant({ hqKeyFile: 'garbage-key.pem' });
  const keyResult = await hq('config', 'send', '--station', 'C1', '--config', badKey, '--json');
  t.equal(keyResult.json.problems[0].code, 'HQ_KEY_INVALID');
  const down = writeHqConfigVariant({ brokerUrl: 'mqtt://127.0.0.1:1' });
  const downResult = await hq('config', 'send', '--station', 'C1', '--config', down, '--json');
  t.equal(downResult.json.problems[0].code, 'HQ_MQTT_FAILED');
});

function writeHqConfigVariant(change: Record<string, unknown>): string {
  const base = JSON.parse(readFileSync(files.configPath, 'utf8')) as Record<string, unknown>;
  return writeJson(`variant-${Object.keys(change).join('-')}.json`, { ...base, ...change });
}
