// Goal: deploy/kiosk/ota-switch.sh, the root half of the kiosk's OTA switch (docs/ota.md), installs
// only a staged release that the INSTALLED verifier accepts under the root-owned keys, switches
// `previous`/`current` by rename, writes an outcome the agent reads and restarts the agent; every
// bad request is refused with its code and changes nothing but the outcome; a rollback swaps the
// links once and never loops. Method: the script run as root in a temp root laid out as install.sh
// leaves a kiosk (test/helpers/ota-switch-root.ts: real files, this Node as the installed
// bin/node, a fake systemctl on PATH recording its calls), each case in a fresh root.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { releaseErrorCodes } from '../../scripts/release/errors.ts';
import {
  linkOf,
  outcomeOf,
  releaseFilesOf,
  removeSwitchRoots,
  runSwitch,
  slotOf,
  stage,
  switchRoot,
  systemctlCalls,
  writeBundle,
  writeRequest,
} from '../helpers/ota-switch-root.js';

t.teardown(removeSwitchRoots);
const good = slotOf('1.0.0');
const next = slotOf('1.1.0');

/** Everything a refusal must leave as it was: the links, the releases, no restart. */
function snapshot(at: ReturnType<typeof switchRoot>) {
  return {
    current: linkOf(at, 'current'),
    previous: linkOf(at, 'previous'),
    releases: readdirSync(join(at.kiosk, 'releases')).sort(),
    systemctl: systemctlCalls(at),
  };
}

t.test(
  'switch: verified, installed root-owned, links switched, outcome written, agent restarted',
  async (t) => {
    const at = switchRoot();
    const staged = stage(at, next);
    const run = runSwitch(at, 'switch');
    t.equal(run.status, 0, run.stderr);
    t.equal(linkOf(at, 'current'), `releases/${next}`);
    t.equal(linkOf(at, 'previous'), `releases/${good}`);
    const installed = join(at.kiosk, 'releases', next);
    t.equal(readFileSync(join(installed, 'app/agent.js'), 'utf8'), releaseFilesOf(next)['app/agent.js']);
    t.equal(lstatSync(installed).uid, 0, 'root-owned');
    t.equal(lstatSync(join(installed, 'bin/kiosk-agent')).mode & 0o777, 0o755, 'modes from the manifest');
    t.equal(lstatSync(join(installed, 'app/agent.js')).mode & 0o777, 0o644);
    const outcome = outcomeOf(at);
    t.match(outcome, {
      id: `req-${next}`,
      action: 'switch',
      ok: '1',
      code: '',
      version: next,
      current: next,
      previous: good,
    });
    t.equal(lstatSync(join(at.state, 'switch-outcome')).mode & 0o777, 0o640, 'outcome 0640');
    t.notOk(existsSync(join(at.state, 'switch-request')), 'request removed');
    t.ok(existsSync(staged), 'the staged folder is left to the agent (root never deletes there)');
    t.same(systemctlCalls(at), [
      'reset-failed bianmin-kiosk.service',
      'restart --no-block bianmin-kiosk.service',
    ]);
    t.same(
      readdirSync(join(at.kiosk, 'releases')).filter((name) => name.startsWith('.')),
      [],
      'no incoming folder left',
    );
  },
);

t.test('switch again after a crash before the outcome: finishes, changes nothing', async (t) => {
  const at = switchRoot([next, good]);
  writeRequest(at, { id: 'again', action: 'switch', version: next, staged: join(at.staging, next) });
  mkdirSync(join(at.staging, next));
  const run = runSwitch(at, 'switch');
  t.equal(run.status, 0, run.stderr);
  t.match(outcomeOf(at), { ok: '1', detail: 'already current', current: next });
  t.equal(systemctlCalls(at).length, 2, 'restarted');
});

interface Refusal {
  readonly name: string;
  readonly prepare: (at: ReturnType<typeof switchRoot>) => void;
  readonly code: string;
}

const refusals: Refusal[] = [
  { name: 'missing request', prepare: () => {}, code: 'RELEASE_OTA_SWITCH_NO_REQUEST' },
  {
    name: 'request is a symlink',
    prepare: (at) => {
      // A link to a file the agent should not be able to name: the script must not follow it.
      stage(at, next);
      const request = join(at.state, 'switch-request');
      renameSync(request, join(at.root, 'elsewhere'));
      symlinkSync(join(at.root, 'elsewhere'), request);
    },
    code: 'RELEASE_OTA_SWITCH_NO_REQUEST',
  },
  {
    name: 'unknown line',
    prepare: (at) =>
      stage(at, next, { request: { id: 'x', action: 'switch', version: next, shell: 'rm -rf /' } }),
    code: 'RELEASE_OTA_SWITCH_BAD_REQUEST',
  },
  {
    name: 'oversized request',
    prepare: (at) => stage(at, next, { request: { id: 'x'.repeat(5000) } }),
    code: 'RELEASE_OTA_SWITCH_BAD_REQUEST',
  },
  {
    name: 'unknown action',
    prepare: (at) => stage(at, next, { request: { id: 'x', action: 'install', version: next } }),
    code: 'RELEASE_OTA_SWITCH_BAD_REQUEST',
  },
  {
    name: 'version is not a slot name',
    prepare: (at) =>
      stage(at, next, { request: { id: 'x', action: 'switch', version: '../current', staged: '' } }),
    code: 'RELEASE_OTA_SWITCH_BAD_VERSION',
  },
  {
    name: 'staged path outside the staging folder',
    prepare: (at) => {
      stage(at, next);
      writeRequest(at, {
        id: 'x',
        action: 'switch',
        version: next,
        staged: join(at.staging, '..', '..', next),
      });
    },
    code: 'RELEASE_OTA_SWITCH_PATH_ESCAPE',
  },
  {
    name: 'staged folder is a symlink out of the staging folder',
    prepare: (at) => {
      const outside = join(at.root, 'outside');
      writeBundle(outside, '1.1.0', at.key, releaseFilesOf(next));
      symlinkSync(outside, join(at.staging, next));
      writeRequest(at, { id: 'x', action: 'switch', version: next, staged: join(at.staging, next) });
    },
    code: 'RELEASE_OTA_SWITCH_PATH_ESCAPE',
  },
  {
    name: 'the staging folder itself is a symlink',
    prepare: (at) => {
      const outside = join(at.root, 'outside');
      writeBundle(join(outside, next), '1.1.0', at.key, releaseFilesOf(next));
      rmSync(at.staging, { recursive: true });
      symlinkSync(outside, at.staging);
      writeRequest(at, { id: 'x', action: 'switch', version: next, staged: join(at.staging, next) });
    },
    code: 'RELEASE_OTA_SWITCH_PATH_ESCAPE',
  },
  {
    name: 'a staged file changed after signing',
    prepare: (at) => {
      const staged = stage(at, next);
      writeFileSync(join(staged, 'app/agent.js'), "export const version = 'evil';\n");
    },
    code: 'RELEASE_BUNDLE_MISMATCH',
  },
  {
    name: 'signed by a key the kiosk does not trust',
    prepare: (at) => {
      stage(at, next, { key: switchRoot([]).key });
    },
    code: 'WIRE_RELEASE_KEY_UNKNOWN',
  },
  {
    name: 'the verified manifest is another version than the request',
    prepare: (at) => {
      stage(at, next, { manifestVersion: '1.2.0' });
    },
    code: 'RELEASE_OTA_SWITCH_VERSION_MISMATCH',
  },
  {
    name: 'no trusted key installed',
    prepare: (at) => {
      stage(at, next);
      rmSync(join(at.keysDir, 'release-2026.pem'));
    },
    code: 'RELEASE_OTA_SWITCH_NO_KEY',
  },
  {
    name: 'no installed verifier',
    prepare: (at) => {
      stage(at, next);
      rmSync(join(at.kiosk, 'releases', good, 'bin/verify-bundle.mjs'));
    },
    code: 'RELEASE_OTA_SWITCH_NO_VERIFIER',
  },
  {
    name: 'another build of the version is installed',
    prepare: (at) => {
      stage(at, next);
      mkdirSync(join(at.kiosk, 'releases', next));
      writeFileSync(join(at.kiosk, 'releases', next, 'manifest.json'), '{"other":"build"}\n');
    },
    code: 'RELEASE_OTA_SWITCH_VERSION_CONFLICT',
  },
];

for (const refusal of refusals) {
  t.test(`refused with ${refusal.code}: ${refusal.name}; nothing changed`, async (t) => {
    const at = switchRoot();
    refusal.prepare(at);
    const before = snapshot(at);
    const run = runSwitch(at, 'switch');
    t.equal(run.status, 1, 'exit 1');
    t.match(run.stderr, new RegExp(`^ota-switch: ${refusal.code}: `));
    t.match(outcomeOf(at), { ok: '0', code: refusal.code, current: good });
    t.same(snapshot(at), before, 'links, releases and systemd untouched');
    t.notOk(
      existsSync(join(at.state, 'switch-request')),
      'request removed: the path unit does not fire again',
    );
  });
}

t.test('rollback: previous back to current, once; a second rollback is refused (no loop)', async (t) => {
  const at = switchRoot();
  stage(at, next);
  t.equal(runSwitch(at, 'switch').status, 0);
  const run = runSwitch(at, 'rollback');
  t.equal(run.status, 0, run.stderr);
  t.equal(linkOf(at, 'current'), `releases/${good}`);
  t.equal(linkOf(at, 'previous'), `releases/${next}`, 'swapped');
  t.match(outcomeOf(at), {
    id: 'on-failure',
    action: 'rollback',
    ok: '1',
    version: good,
    current: good,
    previous: next,
  });
  t.equal(systemctlCalls(at).length, 4, 'restarted again');

  const again = runSwitch(at, 'rollback');
  t.equal(again.status, 1);
  t.match(outcomeOf(at), { ok: '0', code: 'RELEASE_OTA_SWITCH_ROLLBACK_LOOP' });
  t.equal(linkOf(at, 'current'), `releases/${good}`, 'not back to the release it rolled back from');
  t.equal(systemctlCalls(at).length, 4, 'no restart');
});

t.test('rollback asked by the agent through the request file', async (t) => {
  const at = switchRoot();
  stage(at, next);
  t.equal(runSwitch(at, 'switch').status, 0);
  writeRequest(at, { id: 'trial-failed', action: 'rollback', version: good });
  const run = runSwitch(at, 'switch');
  t.equal(run.status, 0, run.stderr);
  t.equal(linkOf(at, 'current'), `releases/${good}`);
  t.match(outcomeOf(at), { id: 'trial-failed', action: 'rollback', ok: '1' });
  t.notOk(existsSync(join(at.state, 'switch-request')));
});

t.test('a new switch after a rollback clears the loop guard', async (t) => {
  const at = switchRoot();
  stage(at, next);
  runSwitch(at, 'switch');
  runSwitch(at, 'rollback');
  const newer = slotOf('1.2.0');
  stage(at, newer);
  t.equal(runSwitch(at, 'switch').status, 0);
  t.equal(runSwitch(at, 'rollback').status, 0, 'the new release can be rolled back');
  t.equal(linkOf(at, 'current'), `releases/${good}`);
});

t.test('rollback refused: no previous, or previous equals current; nothing changed', async (t) => {
  for (const [name, prepare] of [
    ['no previous', () => {}],
    [
      'previous = current',
      (at: ReturnType<typeof switchRoot>) => symlinkSync(`releases/${good}`, join(at.kiosk, 'previous')),
    ],
    [
      'a request naming another release than previous',
      (at: ReturnType<typeof switchRoot>) => {
        symlinkSync(`releases/${next}`, join(at.kiosk, 'previous'));
        mkdirSync(join(at.kiosk, 'releases', next));
        writeRequest(at, { id: 'x', action: 'rollback', version: slotOf('0.9.0') });
      },
    ],
  ] as const) {
    const at = switchRoot();
    prepare(at);
    const before = snapshot(at);
    const viaRequest = existsSync(join(at.state, 'switch-request'));
    const run = runSwitch(at, viaRequest ? 'switch' : 'rollback');
    t.equal(run.status, 1, name);
    t.match(outcomeOf(at), {
      ok: '0',
      code: viaRequest ? 'RELEASE_OTA_SWITCH_BAD_VERSION' : 'RELEASE_OTA_SWITCH_NO_PREVIOUS',
    });
    t.same(snapshot(at), before, `${name}: unchanged`);
  }
});

t.test('usage: an unknown command exits 2; every code it prints is registered', async (t) => {
  const at = switchRoot();
  const run = runSwitch(at, 'install');
  t.equal(run.status, 2);
  t.match(run.stderr, /RELEASE_OTA_SWITCH_USAGE/);
  const script = readFileSync(join(import.meta.dirname, '../../deploy/kiosk/ota-switch.sh'), 'utf8');
  const printed = new Set(script.match(/RELEASE_OTA_SWITCH_[A-Z_]+/g));
  t.same(
    [...printed].filter((code) => !(code in releaseErrorCodes)),
    [],
    'registered in scripts/release/errors.ts',
  );
});
