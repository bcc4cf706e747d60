// Goal: the shared CLI parser lists every flag problem at once under the caller's code, finds
// one- and two-word commands, and prints results, problems and versions in the one style (text by
// default, one JSON line with --json). Method: plain calls with a recording output.
import t from 'tap';
import {
  commonFlags,
  findCommand,
  flagHelp,
  parseFlags,
  printProblems,
  printResult,
  printVersion,
  stringFlag,
} from '../src/index.js';

const specs = {
  ...commonFlags,
  config: { type: 'string', description: 'config file', valueName: 'FILE' },
} as const;

function recorder() {
  const io = {
    outText: '',
    errText: '',
    out(text: string): void {
      io.outText += text;
    },
    err(text: string): void {
      io.errText += text;
    },
  };
  return io;
}

t.test('every flag problem at once, under the caller code', async (t) => {
  const { parsed, problems } = parseFlags(['--nope', '--json=1', '--config'], specs, 'HQ_CLI_USAGE');
  t.equal(parsed, null);
  t.same(
    problems.map((p) => [p.code, p.field]),
    [
      ['HQ_CLI_USAGE', '--nope'],
      ['HQ_CLI_USAGE', '--json'],
      ['HQ_CLI_USAGE', '--config'],
    ],
  );
  const ok = parseFlags(['FILE', '--config', 'a.json', '--json'], specs, 'AGENT_CLI_BAD_FLAG');
  t.same(ok.problems, []);
  t.equal(stringFlag(ok.parsed!, 'config'), 'a.json');
  t.same(ok.parsed?.positionals, ['FILE']);
  t.match(flagHelp(specs), /--config FILE\s+config file/);
  t.throws(() => parseFlags([], specs, ''), 'a usage code is required');
});

t.test('commands by one or two words', async (t) => {
  const commands = [{ name: 'status' }, { name: 'station enrol' }, { name: 'station' }];
  t.same(findCommand(commands, ['station', 'enrol', 'x']), { command: commands[1], rest: ['x'] });
  t.same(findCommand(commands, ['station', 'list']), { command: commands[2], rest: ['list'] });
  t.same(findCommand(commands, ['status', '--json']), { command: commands[0], rest: ['--json'] });
  t.equal(findCommand(commands, ['nothing']), null);
});

t.test('one output style: text or one JSON line; problems on stderr; versions', async (t) => {
  const text = recorder();
  t.equal(printResult(text, { command: 'status', json: false }, { result: 1 }, 'all well'), 0);
  t.equal(text.outText, 'all well\n');
  const json = recorder();
  printResult(json, { command: 'status', json: true }, { result: { a: 1 } }, 'ignored');
  t.same(JSON.parse(json.outText), { ok: true, command: 'status', problems: [], result: { a: 1 } });
  t.equal(json.outText.trim().split('\n').length, 1, 'one line');
  const bad = recorder();
  const problems = [{ code: 'HQ_CLI_USAGE', field: '--fen', message: 'needs a value' }];
  t.equal(printProblems(bad, { cli: 'hq', command: 'quota purchase', json: false }, problems, 2), 2);
  t.equal(bad.errText, 'hq quota purchase: 1 problem\n  HQ_CLI_USAGE  --fen: needs a value\n');
  t.equal(bad.outText, '');
  const badJson = recorder();
  printProblems(badJson, { cli: 'hq', command: 'x', json: true }, problems, 1);
  t.match(JSON.parse(badJson.outText), { ok: false, command: 'x', problems });
  t.throws(() => printProblems(bad, { cli: 'hq', command: 'x', json: false }, [], 1), 'at least one problem');
  const version = recorder();
  printVersion(version, 'hq', '0.1.0', false);
  t.equal(version.outText, 'hq 0.1.0\n');
  t.throws(() => printVersion(version, 'hq', 'dev', false), 'semver only');
});
