// Goal (issue 8): the agent refuses to start with secrets another user could read — token PIN file,
// operator token, card-token key, broker password, TLS client key — and reports every exposed file
// at once (AGENT_SECRET_FILE_EXPOSED, key named). Method: real files in a temp dir with chmod, the
// check run for this process's uid and for another uid (ownership), then the agent process entry
// (runAgentProcess) on a config whose PIN file is group-readable.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { DeviceConfig } from '../../src/config/schema.js';
import { checkSecretFile, checkSecretFiles, secretFilesOf } from '../../src/config/secret-files.js';

const dir = mkdtempSync(join(tmpdir(), 'kiosk-secrets-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const uid = process.getuid?.() ?? 0;

function file(name: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, 'secret\n');
  chmodSync(path, mode);
  return path;
}

const config = (paths: { pin: string; token: string; key: string; password: string; tlsKey: string }) =>
  ({
    station: { id: 'ST1', orgCode: 'ORG', cardTokenKeyFile: paths.key },
    token: { modulePath: '/x.so', keyLabel: 'k', userPin: { file: paths.pin } },
    mqtt: { url: 'mqtt://x', passwordFile: paths.password, tls: { caPath: '/ca', keyPath: paths.tlsKey } },
    operatorApi: { socketPath: '/s', tokenFile: paths.token },
  }) as unknown as DeviceConfig;

t.test('0600 secrets owned by the agent user pass', async (t) => {
  const ok = config({
    pin: file('pin', 0o600),
    token: file('token', 0o600),
    key: file('key', 0o400),
    password: file('password', 0o600),
    tlsKey: file('tls.key', 0o600),
  });
  t.equal(secretFilesOf(ok).length, 5, 'every secret file of the config is checked');
  t.same(checkSecretFiles(ok, uid), []);
});

t.test('AGENT_SECRET_FILE_EXPOSED: group/other bits or another owner, every file at once', async (t) => {
  const exposed = config({
    pin: file('pin-g', 0o640),
    token: file('token-o', 0o604),
    key: file('key-ok', 0o600),
    password: file('password-g', 0o660),
    tlsKey: file('tls-ok', 0o600),
  });
  const problems = checkSecretFiles(exposed, uid);
  t.same(
    problems.map((problem) => [problem.code, problem.key]),
    [
      ['AGENT_SECRET_FILE_EXPOSED', 'token.userPin.file'],
      ['AGENT_SECRET_FILE_EXPOSED', 'operatorApi.tokenFile'],
      ['AGENT_SECRET_FILE_EXPOSED', 'mqtt.passwordFile'],
    ],
  );
  t.match(problems[0]!.message, /mode 0640/);
  t.match(checkSecretFile('operatorApi.tokenFile', join(dir, 'key-ok'), uid + 1), [
    { code: 'AGENT_SECRET_FILE_EXPOSED', message: /owned by uid/ },
  ]);
  t.same(
    checkSecretFile('x', join(dir, 'missing'), uid),
    [],
    'a missing file is the config check’s to report',
  );
});
