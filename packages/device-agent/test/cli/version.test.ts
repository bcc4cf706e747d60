// Goal: `kiosk --version` prints the package version in the output style both CLIs share
// (@bianmin/cli-kit: "<cli> <version>" as text, one JSON line with --json), exit 0, like
// `hq --version`. Method: the dispatcher in-process with a capturing io.
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { CliIo } from '../../src/cli/io.js';
import { runKiosk } from '../../src/cli/run.js';

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

function capture(): { io: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: {},
    nowMs: () => 0,
    stdin: null,
  };
  return { io, out, err };
}

t.test('kiosk --version prints "kiosk <version>"', async (t) => {
  const { io, out, err } = capture();
  t.equal(await runKiosk(['--version'], io), 0, 'exit 0');
  t.same(out, [`kiosk ${packageVersion}\n`]);
  t.same(err, [], 'nothing on stderr');
});

t.test('kiosk --version --json prints one JSON line', async (t) => {
  const { io, out } = capture();
  t.equal(await runKiosk(['--version', '--json'], io), 0, 'exit 0');
  t.equal(out.length, 1, 'one line');
  t.same(JSON.parse(out[0] ?? '{}'), {
    ok: true,
    command: 'version',
    problems: [],
    name: 'kiosk',
    version: packageVersion,
  });
});
