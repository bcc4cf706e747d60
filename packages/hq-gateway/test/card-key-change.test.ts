// Goal: HQ notices at start-up that its card-key secret changed since the last run (the day's
// per-card R5 tally can then not match its earlier approvals) and logs HQ_CARD_KEY_CHANGED, once;
// the same secret again is quiet. Method: the gateway in-process on one SQLite file, started three
// times (secret A, secret B, secret B) against a real Mosquitto, with a log that records codes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startMosquitto } from '../../../test/helpers/mosquitto.js';
import { generateHqKeyPem } from '../src/adapters/crypto/hq-key.js';
import { CardKeySecret } from '../src/app/card-key.js';
import { startGateway } from '../src/main.js';
import type { Log } from '../src/ports/log.js';

function recordingLog(codes: string[]): Log {
  const record = (fields: object): void => {
    const code = (fields as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  };
  const log: Log = { debug: record, info: record, warn: record, error: record, child: () => log };
  return log;
}

t.test('a changed card-key secret is noticed at start-up (HQ_CARD_KEY_CHANGED)', async (t) => {
  const broker = await startMosquitto({ stationIds: ['K1'] });
  const dir = mkdtempSync(join(tmpdir(), 'hq-card-key-'));
  t.teardown(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const { privateKeyPem } = generateHqKeyPem();
  const run = async (secret: CardKeySecret): Promise<string[]> => {
    const codes: string[] = [];
    const gateway = await startGateway({
      dbPath: join(dir, 'hq.sqlite'),
      brokerUrl: broker.url,
      mqttUsername: 'hq',
      mqttPassword: broker.password('hq'),
      hqKeyPem: privateKeyPem,
      tpk: new Uint8Array(16),
      resendOnStart: false,
      cardKeySecret: secret,
      log: recordingLog(codes),
    });
    await gateway.stop();
    return codes;
  };
  const a = CardKeySecret.fromSecretBytes(new Uint8Array(randomBytes(32)));
  const b = CardKeySecret.fromSecretBytes(new Uint8Array(randomBytes(32)));
  t.notOk((await run(a)).includes('HQ_CARD_KEY_CHANGED'), 'first run: nothing to compare');
  t.ok((await run(b)).includes('HQ_CARD_KEY_CHANGED'), 'another secret: noticed');
  t.notOk((await run(b)).includes('HQ_CARD_KEY_CHANGED'), 'the same secret again: quiet');
  t.not(a.fingerprint(), b.fingerprint());
  t.notMatch(a.fingerprint(), /secret/);
});
