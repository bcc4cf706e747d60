// Goal: `hq station resume STATION-ID --reason TEXT` lifts a suspension (issue 8) and records the
// suspension lifted with who, when and why; it refuses an unknown station (HQ_STATION_NOT_FOUND),
// one not suspended (HQ_STATION_NOT_SUSPENDED) and a missing reason (HQ_CLI_USAGE); `hq status`
// shows a suspension in full before and none after. Method: runHq in-process with captured output
// against a temp config and SQLite store seeded directly; the command publishes nothing, so no
// broker is started.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteIntegrityStore } from '../src/adapters/sqlite/integrity-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { runHq } from '../src/cli/run.js';
import { type HqFiles, writeHqConfig } from './helpers/hq-process.js';

let dir: string;
let files: HqFiles;

t.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hq-resume-'));
  files = writeHqConfig(dir, 'mqtt://127.0.0.1:1', 'unused');
  const store = new SqliteStore({ path: files.dbPath });
  for (const stationId of ['R1', 'R2']) {
    await store.enrolStation({
      stationId,
      orgCode: `ORG-${stationId}`,
      keyId: `k-${stationId}`,
      publicKeyPem: '',
      fingerprint: `k-${stationId}`,
      readerSerial: 'r',
      pinPadSerial: 'p',
      tokenSerial: 't',
      enrolledAtMs: 1,
    });
  }
  await new SqliteIntegrityStore(store.db).suspend({
    stationId: 'R1',
    reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD',
    detail: 'seq 99999999 above ack point 0',
    sinceMs: Date.UTC(2026, 11, 1),
  });
  await store.close();
});
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

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

t.test('status shows the suspension in full', async (t) => {
  const status = await hq('status', '--config', files.configPath, '--json');
  t.equal(status.code, 0);
  t.match(status.json.result.stations, [
    {
      stationId: 'R1',
      suspended: 'HQ_SEQ_TOO_FAR_AHEAD',
      suspension: {
        reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD',
        detail: /seq 99999999/,
        sinceMs: Date.UTC(2026, 11, 1),
      },
    },
    { stationId: 'R2', suspended: null, suspension: null },
  ]);
  const text = await hq('status', '--config', files.configPath);
  t.match(
    text.out,
    'ALERT R1: suspended since 2026-12-01T00:00:00.000Z (HQ_SEQ_TOO_FAR_AHEAD: seq 99999999 above ack point 0; lift: hq station resume R1 --reason TEXT)',
  );
});

t.test('refusals: no reason, unknown station, not suspended; nothing changes', async (t) => {
  const noReason = await hq('station', 'resume', 'R1', '--config', files.configPath, '--json');
  t.equal(noReason.code, 2);
  t.match(noReason.json.problems, [{ code: 'HQ_CLI_USAGE', field: '--reason' }]);
  const blank = await hq('station', 'resume', 'R1', '--reason', '  ', '--config', files.configPath);
  t.equal(blank.code, 2);
  t.match(blank.err, /HQ_CLI_USAGE {2}--reason: --reason TEXT is required/);
  const unknown = await hq(
    'station',
    'resume',
    'NOPE',
    '--reason',
    'x',
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(unknown.code, 1);
  t.match(unknown.json.problems, [{ code: 'HQ_STATION_NOT_FOUND' }]);
  const notSuspended = await hq('station', 'resume', 'R2', '--reason', 'x', '--config', files.configPath);
  t.equal(notSuspended.code, 1);
  t.match(notSuspended.err, /HQ_STATION_NOT_SUSPENDED {2}station-id: station R2 is not suspended/);
  const status = await hq('status', '--config', files.configPath, '--json');
  t.equal(status.json.result.stations[0].suspended, 'HQ_SEQ_TOO_FAR_AHEAD', 'R1 still suspended');
});

t.test('resume lifts the suspension and records who, when and why', async (t) => {
  const before = Date.now();
  const resumed = await hq(
    'station',
    'resume',
    'R1',
    '--reason',
    'kiosk reflashed, ticket 4711',
    '--config',
    files.configPath,
    '--json',
  );
  t.equal(resumed.code, 0, resumed.err);
  t.match(resumed.json, {
    ok: true,
    command: 'station resume',
    result: {
      outcome: 'resumed',
      stationId: 'R1',
      reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD',
      sinceMs: Date.UTC(2026, 11, 1),
      reason: 'kiosk reflashed, ticket 4711',
      resumedBy: /./,
    },
  });
  t.ok(resumed.json.result.resumedAtMs >= before, "HQ's clock at the resume");
  const store = new SqliteStore({ path: files.dbPath });
  const integrity = new SqliteIntegrityStore(store.db);
  t.same(await integrity.suspensions(), []);
  t.match(await integrity.resumptions('R1'), [{ reason: 'kiosk reflashed, ticket 4711' }]);
  await store.close();
  const status = await hq('status', '--config', files.configPath);
  t.notMatch(status.out, /ALERT R1/);
  const again = await hq(
    'station',
    'resume',
    'R1',
    '--reason',
    'again',
    '--config',
    files.configPath,
    '--json',
  );
  t.match(again.json.problems, [{ code: 'HQ_STATION_NOT_SUSPENDED' }]);
  const text = await hq('station', 'resume', 'R1', '--help');
  t.match(text.out, /--reason TEXT/);
});
