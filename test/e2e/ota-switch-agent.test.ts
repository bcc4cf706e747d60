// Goal: the agent's OTA under the shipped unit (ota.switchVia "unit", docs/ota.md) works with the
// real root helper: the agent stages into /var/lib/bianmin/ota/staging and writes a request,
// never touching /opt/bianmin/kiosk; deploy/kiosk/ota-switch.sh verifies, switches and restarts;
// the restarted agent judges its trial (healthy, or a rollback asked of root); a refusal by root
// comes back as FAILED with root's code; a trial whose switch is not done yet waits. Method: the
// OtaRunner on real files with PrivilegedSwitchSlots (the agent's adapter) in a temp root laid out
// as install.sh leaves a kiosk (test/helpers/ota-switch-root.ts), the helper run as root between
// the agent's passes as the path unit would, fakes only for the download source, lock, health
// check and report.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { PrivilegedSwitchSlots } from '../../packages/device-agent/src/adapters/ota/privileged-switch.js';
import { FsReleaseSlots } from '../../packages/device-agent/src/adapters/ota/release-slots.js';
import { OtaStateFile } from '../../packages/device-agent/src/adapters/ota/state-file.js';
import { OtaRunner } from '../../packages/device-agent/src/app/ota-runner.js';
import type { OtaOffer, OtaProgress } from '../../packages/device-agent/src/domain/ota/ota-machine.js';
import { encodePack } from '../../packages/device-agent/src/domain/ota/release-pack.js';
import { otaSwitchOutcomeBytesMax } from '../../packages/device-agent/src/limits.js';
import {
  linkOf,
  outcomeOf,
  releaseFilesOf,
  removeSwitchRoots,
  runSwitch,
  type SwitchRoot,
  signedManifest,
  slotOf,
  switchRoot,
  systemctlCalls,
} from '../helpers/ota-switch-root.js';

t.teardown(removeSwitchRoots);
const good = slotOf('1.0.0');
const next = slotOf('1.1.0');

interface Kiosk {
  readonly at: SwitchRoot;
  readonly reports: { progress: OtaProgress; reason: string }[];
  readonly broken: Set<string>;
  healthRuns: number;
  nowMs: number;
}

function kiosk(): Kiosk {
  return {
    at: switchRoot(),
    reports: [],
    broken: new Set(),
    healthRuns: 0,
    nowMs: Date.UTC(2026, 11, 6, 6, 0),
  };
}

function packOf(at: SwitchRoot, slot: string): Uint8Array {
  const files = releaseFilesOf(slot);
  const { manifestBytes, signatureBytes } = signedManifest(
    slot.replace(/-linux-[a-z0-9]+$/, ''),
    at.key,
    files,
  );
  const paths = Object.keys(files).sort();
  return encodePack(
    manifestBytes,
    signatureBytes,
    paths.map((path) => Buffer.from(files[path] ?? '')),
  );
}

/** The agent as main.ts wires it for switchVia "unit": a new one per process start. */
function agent(k: Kiosk, pack: Uint8Array): OtaRunner {
  const backupJournal = (to: string) => writeFileSync(to, 'journal copy\n');
  const staging = new FsReleaseSlots({
    root: k.at.kiosk,
    slotsDir: join(k.at.state, 'staging'),
    otaDir: k.at.state,
    releaseKeys: [k.at.key.publicKey],
    backupJournal,
    nowMs: () => k.nowMs,
  });
  const slots = new PrivilegedSwitchSlots({
    kioskDir: k.at.kiosk,
    stateDir: k.at.state,
    staging,
    backupJournal,
  });
  return new OtaRunner({
    store: new OtaStateFile(join(k.at.state, 'state.json')),
    source: {
      fetch: async (_offer, fromByte, sizeBytesMax) => pack.subarray(fromByte, fromByte + sizeBytesMax),
    },
    slots,
    switchOutcomes: slots,
    lock: { reasons: () => [] },
    health: {
      run: async () => {
        k.healthRuns += 1;
        return k.broken.has(slots.current())
          ? { ok: false, reason: 'broker: refused' }
          : { ok: true, reason: '' };
      },
    },
    restarter: { restart: () => undefined },
    reporter: { report: async (_rollout, progress, reason) => void k.reports.push({ progress, reason }) },
    nowMs: () => k.nowMs,
    timings: { trialMs: 600_000 },
  });
}

const offerOf = (pack: Uint8Array): OtaOffer => ({
  rolloutId: 'R7',
  version: next,
  downloadBytes: pack.length,
});
const request = (k: Kiosk) => readFileSync(join(k.at.state, 'switch-request'), 'utf8');

t.test('healthy: staged, requested, switched by root, judged after the restart', async (t) => {
  const k = kiosk();
  const pack = packOf(k.at, next);
  const first = agent(k, pack);
  await first.offer(offerOf(pack));
  t.equal(linkOf(k.at, 'current'), `releases/${good}`, 'the agent did not switch');
  t.notOk(first.restarted, 'and did not restart itself');
  t.equal(
    request(k),
    `id=switch-${next}\naction=switch\nversion=${next}\nstaged=${join(k.at.staging, next)}\n`,
  );
  t.equal(statSync(join(k.at.state, 'switch-request')).mode & 0o777, 0o640);
  t.ok(existsSync(join(k.at.staging, next, 'manifest.json')), 'the staged slot carries its signed manifest');
  t.equal(first.state.phase.name, 'trial');

  const root = runSwitch(k.at, 'switch');
  t.equal(root.status, 0, root.stderr);
  t.equal(linkOf(k.at, 'current'), `releases/${next}`);
  t.same(
    systemctlCalls(k.at).slice(-1),
    ['restart --no-block bianmin-kiosk.service'],
    'root restarts the agent',
  );

  const restarted = agent(k, pack);
  await restarted.boot();
  t.same(restarted.state, { goodVersion: next, phase: { name: 'idle' } });
  t.notOk(existsSync(join(k.at.staging, next)), 'the agent removed its staged copy');
  t.same(
    k.reports.map((r) => r.progress),
    ['downloading', 'installed', 'healthy'],
  );
});

t.test(
  'refused by root (a staged file changed): FAILED with root code, still on the good release',
  async (t) => {
    const k = kiosk();
    const pack = packOf(k.at, next);
    const runner = agent(k, pack);
    await runner.offer(offerOf(pack));
    writeFileSync(join(k.at.staging, next, 'app/agent.js'), 'tampered\n');
    t.equal(runSwitch(k.at, 'switch').status, 1);
    t.match(outcomeOf(k.at), { ok: '0', code: 'RELEASE_BUNDLE_MISMATCH' });
    await runner.tick(); // root does not restart the agent after a refusal: the running one reads it
    t.same(runner.state, { goodVersion: good, phase: { name: 'idle' } });
    t.same(k.reports.at(-1), { progress: 'failed', reason: 'RELEASE_BUNDLE_MISMATCH' });
    t.equal(k.healthRuns, 0, 'the old release is never judged as the new one');
    t.notOk(existsSync(join(k.at.staging, next)), 'the staged copy is discarded');
    t.equal(linkOf(k.at, 'current'), `releases/${good}`);
  },
);

t.test('a broken release: the restarted agent asks root for the rollback and reports it', async (t) => {
  const k = kiosk();
  k.broken.add(next);
  const pack = packOf(k.at, next);
  await agent(k, pack).offer(offerOf(pack));
  t.equal(runSwitch(k.at, 'switch').status, 0);
  const restarted = agent(k, pack);
  await restarted.boot();
  t.equal(request(k), `id=rollback-${good}\naction=rollback\nversion=${good}\n`);
  t.same(k.reports.at(-1), { progress: 'rolled-back', reason: 'broker: refused' });
  const root = runSwitch(k.at, 'switch');
  t.equal(root.status, 0, root.stderr);
  t.equal(linkOf(k.at, 'current'), `releases/${good}`);
  t.match(outcomeOf(k.at), { id: `rollback-${good}`, action: 'rollback', ok: '1' });
  const back = agent(k, pack);
  await back.boot();
  t.same(back.state, { goodVersion: good, phase: { name: 'idle' } });
});

t.test(
  'a trial whose switch is not done yet waits; an oversized outcome ends it with its code',
  async (t) => {
    const k = kiosk();
    const pack = packOf(k.at, next);
    await agent(k, pack).offer(offerOf(pack));
    const waiting = agent(k, pack); // restarted by something else before the path unit fired
    await waiting.boot();
    t.equal(waiting.state.phase.name, 'trial', 'still on trial');
    t.equal(k.healthRuns, 0, 'nothing judged');
    t.equal(k.reports.length, 2, 'nothing reported');
    writeFileSync(
      join(k.at.state, 'switch-outcome'),
      `id=switch-${next}\n${'x'.repeat(otaSwitchOutcomeBytesMax)}\n`,
    );
    await waiting.tick();
    t.same(k.reports.at(-1), { progress: 'failed', reason: 'AGENT_OTA_SWITCH_OUTCOME_INVALID' });
  },
);
