// Goal: the guided peripheral commands against the simulators: `kiosk test card` shows only the
// masked PAN, `kiosk test pinpad` shows only that a 16-byte block arrived and the digit count,
// `kiosk keys load` loads a TMK from a components file and shows each KCV and the combined KCV —
// and no secret (full PAN, key component) appears in any output. Method: simulators on socat PTYs
// (test/cli/kiosk-setup.ts), the CLI in-process; expected KCVs computed with @bianmin/wire.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { keyCheckValue } from '@bianmin/wire';
import t from 'tap';
import { cardPan, runCli, startKioskSetup } from './kiosk-setup.js';

const setup = await startKioskSetup();
t.teardown(() => setup.close());
const env = { BIANMIN_LOG_DIR: process.env.BIANMIN_LOG_DIR ?? join(setup.dir, 'log') };
const masked = `${cardPan.slice(0, 6)}${'*'.repeat(cardPan.length - 10)}${cardPan.slice(-4)}`;

t.test('kiosk test card: masked PAN only', async (t) => {
  const run = await runCli(['test', 'card', '--config', setup.configPath, '--wait-ms', '10000', '--json'], {
    env,
  });
  t.equal(run.code, 0, run.out + run.err);
  const result = JSON.parse(run.out);
  t.same(
    result.steps.map((step: { step: string; ok: boolean }) => [step.step, step.ok]),
    [
      ['open', true],
      ['identify', true],
      ['heartbeat', true],
      ['wait for card', true],
      ['read', true],
      ['eject', true],
    ],
  );
  t.match(run.out, masked);
  t.notMatch(run.out + run.err, cardPan, 'the full PAN is never shown');
  const text = await runCli(['test', 'card', '--config', setup.configPath, '--wait-ms', '10000'], { env });
  t.match(text.out, `PAN ${masked}`);
  t.match(text.out, /all steps passed/);
});

t.test('kiosk test pinpad: a 16-byte block and the digit count, nothing more', async (t) => {
  const run = await runCli(['test', 'pinpad', '--config', setup.configPath, '--json'], { env });
  t.equal(run.code, 0, run.out + run.err);
  const steps = JSON.parse(run.out).steps as Array<{ step: string; detail: string }>;
  t.equal(steps.at(-1)?.detail, 'a 16-byte PIN block arrived; 4 digits entered');
  t.notMatch(run.out, /2468/, 'the PIN is not shown');
});

t.test('kiosk keys load: component KCVs and the combined KCV; components never shown', async (t) => {
  const one = '0123456789ABCDEFFEDCBA9876543210';
  const two = '1111 2222 3333 4444 5555 6666 7777 8888';
  const path = join(setup.dir, 'components.txt');
  writeFileSync(path, `# TMK components for ST-0042\n${one}\n${two}\n`, { mode: 0o600 });
  const run = await runCli(
    ['keys', 'load', '--config', setup.configPath, '--components-file', path, '--json'],
    { env },
  );
  t.equal(run.code, 0, run.out + run.err);
  const result = JSON.parse(run.out);
  const bytesOne = Buffer.from(one, 'hex');
  const bytesTwo = Buffer.from(two.replace(/ /g, ''), 'hex');
  const tmk = Buffer.alloc(16);
  for (let index = 0; index < 16; index += 1) tmk[index] = bytesOne[index]! ^ bytesTwo[index]!;
  t.same(result.componentKcvs, [
    { component: 1, kcv: keyCheckValue(bytesOne) },
    { component: 2, kcv: keyCheckValue(bytesTwo) },
  ]);
  t.equal(result.tmkKcv, keyCheckValue(tmk));
  t.notMatch(run.out + run.err, /0123456789ABCDEF|1111 2222/, 'no component in the output');

  const text = await runCli(['keys', 'load', '--config', setup.configPath, '--components-file', path], {
    env,
  });
  t.match(text.out, /component 1 of 2: KCV [0-9A-F]{6}/);
  t.match(text.out, /combined KCV [0-9A-F]{6}/);

  t.ok(
    text.out.indexOf('(compare with its mailer)') < text.out.indexOf('combined KCV'),
    'each component KCV is shown before the pad combines them',
  );

  // A typo in component 2: its KCV differs from the mailer's; refused before the pad sees anything.
  const loadsBefore = setup.padSim.statuses.filter((status) => status.command === 'LOAD_KEY').length;
  const typo = join(setup.dir, 'typo-components.txt');
  writeFileSync(typo, `${one}\n${two.replace('1111', '1117')}\n`, { mode: 0o600 });
  const mailers = `${keyCheckValue(bytesOne)},${keyCheckValue(bytesTwo).toLowerCase()}`;
  const refused = await runCli(
    [
      'keys',
      'load',
      '--config',
      setup.configPath,
      '--components-file',
      typo,
      '--expect-kcv',
      mailers,
      '--json',
    ],
    { env },
  );
  t.equal(refused.code, 1);
  const refusal = JSON.parse(refused.out);
  t.same(
    refusal.problems.map((problem: { code: string; key: string }) => `${problem.code} ${problem.key}`),
    ['AGENT_PINPAD_KCV_MISMATCH component 2'],
  );
  t.match(refusal.problems[0].message, /its mailer says [0-9A-F]{6}: retype it \(nothing was loaded\)/);
  t.equal(
    setup.padSim.statuses.filter((status) => status.command === 'LOAD_KEY').length,
    loadsBefore,
    'no LOAD_KEY reached the pad',
  );
  const right = await runCli(
    [
      'keys',
      'load',
      '--config',
      setup.configPath,
      '--components-file',
      path,
      '--expect-kcv',
      mailers,
      '--json',
    ],
    { env },
  );
  t.equal(right.code, 0, "the right components with the mailers' KCVs load");

  const badPath = join(setup.dir, 'bad-components.txt');
  writeFileSync(badPath, `${one}\nnot-a-key\n${one}\n00000000000000000000000000000000\n`);
  const bad = await runCli(
    ['keys', 'load', '--config', setup.configPath, '--components-file', badPath, '--json'],
    { env },
  );
  t.equal(bad.code, 1);
  const problems = JSON.parse(bad.out).problems as Array<{ code: string; key: string }>;
  t.same(
    problems.map((problem) => `${problem.code} ${problem.key}`),
    ['AGENT_PINPAD_BAD_KEY component 2', 'AGENT_PINPAD_BAD_KEY component 4'],
    'every bad line at once',
  );
  t.notMatch(bad.out, /0123456789ABCDEF/);
});

t.test('kiosk keys load at the hidden prompt: nothing typed is echoed', async (t) => {
  // Not the components of the file test: the simulator answers a repeated identical LOAD_KEY line
  // with the same seq from its retransmission cache (see the report on seq reuse across runs).
  const typed = ['FEDCBA98765432100123456789ABCDEF', '0F1E2D3C4B5A69788796A5B4C3D2E1F0'];
  const rawModes: boolean[] = [];
  const stdin = Object.assign(new PassThrough(), {
    isTTY: true,
    setRawMode(mode: boolean) {
      rawModes.push(mode);
      // The technician types once the prompt is up (raw mode on).
      if (mode) setImmediate(() => stdin.write(`${typed[rawModes.filter(Boolean).length - 1]}\r`));
      return stdin;
    },
  });
  const run = await runCli(['keys', 'load', '--config', setup.configPath, '--json'], { env, stdin });
  t.equal(run.code, 0, run.out + run.err);
  t.equal(JSON.parse(run.out).componentKcvs.length, 2);
  t.match(run.err, /key component 1 of 2 \(not shown\)/);
  t.notMatch(run.out + run.err, /FEDCBA9876543210|0F1E2D3C4B5A6978/, 'no component echoed');
  t.same(rawModes, [true, false, true, false], 'raw mode on for each prompt, restored after');
});

t.test('a peripheral that does not answer: AGENT_CLI_PERIPHERAL_FAILED', async (t) => {
  const broken = structuredClone(setup.config);
  broken.serial.cardReader.path = '/dev/serial/by-id/usb-no-such-reader';
  broken.serial.cardReader.commandTimeoutMs = 300;
  const path = setup.writeConfig(broken, join(setup.dir, 'etc', 'no-reader.json'));
  const run = await runCli(['test', 'card', '--config', path, '--json'], { env });
  t.equal(run.code, 1);
  const result = JSON.parse(run.out);
  t.same(
    result.problems.map((problem: { code: string }) => problem.code),
    ['AGENT_CLI_PERIPHERAL_FAILED'],
  );
  t.match(result.problems[0].message, /AGENT_SERIAL_NOT_CONNECTED/);
});
