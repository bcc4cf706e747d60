// Goal: the `hq` dispatcher over commands/<name>.ts speaks the shared CLI style: --version, help
// listing every command, an unknown command or bad flags refused with every problem at once
// (HQ_CLI_USAGE, exit 2), text by default and one JSON line with --json. Method: runHq in-process
// with captured output; no config, store or broker is needed for these paths.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { commands, hqVersion, runHq } from '../src/cli/run.js';

async function hq(...args: string[]) {
  let out = '';
  let err = '';
  const code = await runHq(args, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

t.test('--version prints the package version, as text or JSON', async (t) => {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  t.equal(hqVersion(), manifest.version);
  t.same(await hq('--version'), { code: 0, out: `hq ${manifest.version}\n`, err: '' });
  t.match(JSON.parse((await hq('--version', '--json')).out), {
    ok: true,
    name: 'hq',
    version: manifest.version,
  });
});

t.test('help lists every command; each command has its own help', async (t) => {
  const help = await hq('--help');
  t.equal(help.code, 0);
  for (const command of commands) t.match(help.out, command.name, `lists ${command.name}`);
  const one = await hq('quota', 'purchase', '--help');
  t.equal(one.code, 0);
  t.match(one.out, /--fen N/);
  t.equal((await hq()).code, 2, 'no command: usage, exit 2');
});

t.test('an unknown command and bad flags: every problem at once, exit 2', async (t) => {
  const unknown = await hq('frobnicate', '--json');
  t.equal(unknown.code, 2);
  t.match(JSON.parse(unknown.out), { ok: false, command: 'hq', problems: [{ code: 'HQ_CLI_USAGE' }] });
  const flags = await hq('quota', 'purchase', '--nope', '--station=X', 'extra', '--fen');
  t.equal(flags.code, 2);
  t.match(flags.err, /^hq quota purchase: 2 problems\n/);
  t.match(flags.err, /HQ_CLI_USAGE {2}--nope: unknown flag --nope/);
  t.match(flags.err, /HQ_CLI_USAGE {2}--fen: --fen needs a value/);
  t.equal(flags.out, '', 'problems go to stderr in text mode');
  const missing = await hq('quota', 'purchase', '--json');
  t.equal(missing.code, 2);
  t.same(
    JSON.parse(missing.out)
      .problems.map((p: { field: string }) => p.field)
      .sort(),
    ['--receipt', '--station', '--yuan'],
    'every missing flag reported together (R21)',
  );
  t.equal(missing.out.trim().split('\n').length, 1, 'one JSON line');
});
