// Goal: an OTA switch puts the NEW release's own root half in force (its systemd units and the
// successor of the root helper), and a rollback the previous release's, taken only from the
// verified, root-owned release folder under releases/ (never from the agent's staging folder); a
// release that brings any other unit is refused before anything is switched; site drop-ins stay.
// Method: deploy/kiosk/ota-switch.sh run as root in a temp root laid out as install.sh leaves a
// kiosk (test/helpers/ota-switch-root.ts: a fake systemctl on PATH recording its calls, the units
// folder and helper path inside the temp root), each case in a fresh root.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  linkOf,
  outcomeOf,
  removeSwitchRoots,
  runSwitch,
  type SwitchRoot,
  slotOf,
  stage,
  switchRoot,
  systemctlCalls,
  writeRequest,
} from '../helpers/ota-switch-root.js';

t.teardown(removeSwitchRoots);
const good = slotOf('1.0.0');
const next = slotOf('1.1.0');

/** A release's root half: the kiosk unit with its MemoryMax, the path unit, and its helper. */
function rootHalfOf(version: string, memoryMax: string): Record<string, string> {
  return {
    'systemd/bianmin-kiosk.service': `[Service]\nEnvironment=RELEASE=${version}\nMemoryMax=${memoryMax}\n`,
    'systemd/bianmin-ota-switch.path': `[Path]\n# ${version}\nPathExists=/var/lib/bianmin/ota/switch-request\n`,
    'bin/ota-switch.sh': `#!/bin/sh\n# helper of ${version}\n`,
  };
}

const unit = (at: SwitchRoot, name: string) => readFileSync(join(at.unitsDir, name), 'utf8');
const reloads = (at: SwitchRoot) => systemctlCalls(at).filter((call) => call === 'daemon-reload').length;

t.test(
  "switch: the new release's units and helper in force, root-owned, reloaded before the restart",
  async (t) => {
    const at = switchRoot();
    mkdirSync(join(at.unitsDir, 'bianmin-kiosk.service.d'));
    writeFileSync(join(at.unitsDir, 'bianmin-kiosk.service.d/site.conf'), '[Service]\nDeviceAllow=x\n');
    const files = rootHalfOf(next, '150M');
    stage(at, next, { files });
    const run = runSwitch(at, 'switch');
    t.equal(run.status, 0, run.stderr);
    t.equal(linkOf(at, 'current'), `releases/${next}`);
    t.equal(unit(at, 'bianmin-kiosk.service'), files['systemd/bianmin-kiosk.service']);
    t.equal(unit(at, 'bianmin-ota-switch.path'), files['systemd/bianmin-ota-switch.path']);
    t.equal(readFileSync(at.helper, 'utf8'), files['bin/ota-switch.sh'], 'the successor helper');
    t.match(lstatSync(at.helper), { uid: 0, gid: 0, mode: 0o100755 }, 'helper root 0755');
    t.match(
      lstatSync(join(at.unitsDir, 'bianmin-kiosk.service')),
      { uid: 0, mode: 0o100644 },
      'unit root 0644',
    );
    t.same(
      systemctlCalls(at),
      ['daemon-reload', 'reset-failed bianmin-kiosk.service', 'restart --no-block bianmin-kiosk.service'],
      'reloaded once, before the agent is restarted under the new unit',
    );
    t.equal(
      readFileSync(join(at.unitsDir, 'bianmin-kiosk.service.d/site.conf'), 'utf8'),
      '[Service]\nDeviceAllow=x\n',
      'the site drop-in is kept',
    );
    t.same(
      readdirSync(at.unitsDir).filter((name) => name.endsWith('.new')),
      [],
      'no temp file left',
    );
    t.match(run.stdout, /unit bianmin-kiosk\.service from 1\.1\.0/);
  },
);

t.test("rollback (on-failure and by request): the previous release's units and helper back", async (t) => {
  for (const via of ['on-failure', 'request'] as const) {
    const at = switchRoot();
    // The installed release's root half, as install.sh put it in force.
    const before = rootHalfOf(good, '160M');
    for (const [path, text] of Object.entries(before)) {
      mkdirSync(join(at.kiosk, 'releases', good, 'systemd'), { recursive: true });
      writeFileSync(join(at.kiosk, 'releases', good, path), text);
    }
    writeFileSync(join(at.unitsDir, 'bianmin-kiosk.service'), before['systemd/bianmin-kiosk.service'] ?? '');
    writeFileSync(at.helper, before['bin/ota-switch.sh'] ?? '');
    stage(at, next, { files: rootHalfOf(next, '140M') });
    t.equal(runSwitch(at, 'switch').status, 0);
    t.match(unit(at, 'bianmin-kiosk.service'), /MemoryMax=140M/, `${via}: the new unit was in force`);
    if (via === 'request') writeRequest(at, { id: 'trial-failed', action: 'rollback', version: good });
    const run = runSwitch(at, via === 'request' ? 'switch' : 'rollback');
    t.equal(run.status, 0, run.stderr);
    t.equal(linkOf(at, 'current'), `releases/${good}`);
    t.equal(unit(at, 'bianmin-kiosk.service'), before['systemd/bianmin-kiosk.service'], `${via}: old unit`);
    t.equal(unit(at, 'bianmin-ota-switch.path'), before['systemd/bianmin-ota-switch.path']);
    t.equal(readFileSync(at.helper, 'utf8'), before['bin/ota-switch.sh'], `${via}: old helper`);
    t.equal(reloads(at), 2, 'one reload for the switch, one for the rollback');
    t.same(systemctlCalls(at).slice(-3), [
      'daemon-reload',
      'reset-failed bianmin-kiosk.service',
      'restart --no-block bianmin-kiosk.service',
    ]);
  }
});

t.test('a release that brings another unit: refused before anything is switched', async (t) => {
  for (const [name, extra] of [
    ['a foreign unit', { 'systemd/ssh.service': '[Service]\nExecStart=/bin/sh\n' }],
    ['a drop-in folder', { 'systemd/bianmin-kiosk.service.d/x.conf': '[Service]\nUser=root\n' }],
  ] as const) {
    const at = switchRoot();
    stage(at, next, { files: { ...rootHalfOf(next, '150M'), ...extra } });
    const run = runSwitch(at, 'switch');
    t.equal(run.status, 1, name);
    t.match(outcomeOf(at), { ok: '0', code: 'RELEASE_OTA_SWITCH_UNIT_UNKNOWN', current: good });
    t.equal(linkOf(at, 'current'), `releases/${good}`, `${name}: not switched`);
    t.same(readdirSync(at.unitsDir), [], `${name}: no unit installed`);
    t.notOk(existsSync(at.helper), `${name}: no helper installed`);
    t.notOk(existsSync(join(at.kiosk, 'releases', next)), `${name}: not installed`);
    t.same(systemctlCalls(at), [], 'no reload, no restart');
  }
});

t.test(
  'a unit changed in the staging folder after signing: refused by the verifier, nothing installed',
  async (t) => {
    const at = switchRoot();
    const staged = stage(at, next, { files: rootHalfOf(next, '150M') });
    writeFileSync(join(staged, 'systemd/bianmin-kiosk.service'), '[Service]\nUser=root\n');
    t.equal(runSwitch(at, 'switch').status, 1);
    t.match(outcomeOf(at), { ok: '0', code: 'RELEASE_BUNDLE_MISMATCH' });
    t.same(readdirSync(at.unitsDir), [], 'the agent-writable copy never reaches /etc/systemd/system');
    t.notOk(existsSync(at.helper));
  },
);

t.test('a switch re-run after a crash ("already current") puts the root half in force', async (t) => {
  const at = switchRoot();
  const files = rootHalfOf(next, '150M');
  const staged = stage(at, next, { files });
  t.equal(runSwitch(at, 'switch').status, 0);
  // As if the power went after the links but before the units: the old unit back, request again.
  writeFileSync(join(at.unitsDir, 'bianmin-kiosk.service'), '[Service]\nMemoryMax=160M\n');
  writeRequest(at, { id: `req-${next}`, action: 'switch', version: next, staged });
  const run = runSwitch(at, 'switch');
  t.equal(run.status, 0, run.stderr);
  t.match(outcomeOf(at), { ok: '1', detail: 'already current' });
  t.equal(unit(at, 'bianmin-kiosk.service'), files['systemd/bianmin-kiosk.service'], 'repaired');
  t.equal(reloads(at), 2);
});

t.test('a release without systemd/ or helper keeps the installed ones; nothing reloaded', async (t) => {
  const at = switchRoot();
  writeFileSync(join(at.unitsDir, 'bianmin-kiosk.service'), '[Service]\nMemoryMax=160M\n');
  stage(at, next);
  t.equal(runSwitch(at, 'switch').status, 0);
  t.equal(unit(at, 'bianmin-kiosk.service'), '[Service]\nMemoryMax=160M\n');
  t.equal(reloads(at), 0);
});
