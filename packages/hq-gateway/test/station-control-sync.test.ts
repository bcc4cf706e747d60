// Goal: a running gateway picks up station control made by another process on its Clock (issue
// 11): StationControlSync reads the store's station-control version every stationControlPollMs and,
// when it changed, binds new stations, applies stored suspensions and lifts those resumed; a
// suspension the pipeline made itself and has not stored yet is not lifted. Method: real SQLite
// stores in a temp file (two connections: "gateway" and "CLI"), a fake RunningStations, a FakeClock;
// the test awaits each poll's work by waiting on the fake's change log, no sleeps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteIntegrityStore } from '../src/adapters/sqlite/integrity-store.js';
import { SqliteOpsStore } from '../src/adapters/sqlite/ops-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { StationControl, StationControlSync } from '../src/app/station-control.js';
import type { StationRecord } from '../src/domain/types.js';
import { stationControlPollMs } from '../src/limits.js';
import type { Suspension } from '../src/ports/integrity-store.js';
import { silentLog } from '../src/ports/log.js';
import type { NetworkBlock, RunningStations } from '../src/ports/running-stations.js';
import { FakeClock } from './helpers/fake-clock.js';

const record = (stationId: string): StationRecord => ({
  stationId,
  orgCode: `ORG${stationId}`,
  keyId: `k-${stationId}`,
  publicKeyPem: '',
  fingerprint: `f-${stationId}`,
  readerSerial: 'r',
  pinPadSerial: 'p',
  tokenSerial: 't',
  enrolledAtMs: 1,
});

class FakeRunning implements RunningStations {
  readonly held = new Map<string, Suspension | null>();
  readonly changes: string[] = [];
  #waiters: Array<() => void> = [];
  stationIds(): string[] {
    return [...this.held.keys()];
  }
  suspension(stationId: string): Suspension | null | undefined {
    return this.held.get(stationId);
  }
  readonly fingerprints = new Map<string, string>();
  addStation(r: StationRecord): void {
    this.held.set(r.stationId, null);
    this.fingerprints.set(r.stationId, r.fingerprint);
    this.#note(`add ${r.stationId}`);
  }
  rekeyStation(r: StationRecord): void {
    this.fingerprints.set(r.stationId, r.fingerprint);
    this.#note(`rekey ${r.stationId}`);
  }
  stationFingerprint(stationId: string): string | undefined {
    return this.fingerprints.get(stationId);
  }
  applySuspension(s: Suspension): void {
    this.held.set(s.stationId, s);
    this.#note(`suspend ${s.stationId} ${s.reasonCode}`);
  }
  resumeStation(stationId: string): boolean {
    this.held.set(stationId, null);
    this.#note(`resume ${stationId}`);
    return true;
  }
  networkBlock(): NetworkBlock | null {
    return null;
  }
  setNetworkBlock(stationId: string, block: NetworkBlock | null): void {
    this.#note(`block ${stationId} ${block?.state ?? 'none'}`);
  }
  #note(change: string): void {
    this.changes.push(change);
    for (const w of this.#waiters.splice(0)) w();
  }
  async changed(count: number): Promise<void> {
    while (this.changes.length < count) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

t.test('changes by another process reach the running stations at the next poll on the Clock', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hq-sync-'));
  const path = join(dir, 'hq.sqlite');
  const gatewayStore = new SqliteStore({ path });
  const cliStore = new SqliteStore({ path });
  t.teardown(async () => {
    await cliStore.close();
    await gatewayStore.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await gatewayStore.enrolStation(record('P1'));
  const clock = new FakeClock();
  const running = new FakeRunning();
  running.held.set('P1', null);
  running.fingerprints.set('P1', 'f-P1');
  const sync = new StationControlSync(
    {
      store: gatewayStore,
      integrity: new SqliteIntegrityStore(gatewayStore.db),
      ops: new SqliteOpsStore(gatewayStore.db),
      clock,
      running,
    },
    silentLog,
  );
  await sync.start();
  t.teardown(() => sync.stop());
  const cli = new StationControl({
    store: cliStore,
    integrity: new SqliteIntegrityStore(cliStore.db),
    ops: new SqliteOpsStore(cliStore.db),
    clock,
  });

  await cliStore.enrolStation(record('P2'));
  await cli.enrolled(record('P2'));
  await cli.suspend('P1', { by: 'cli:root', reason: 'complaint' });
  t.same(running.changes, [], 'nothing before the poll');
  clock.advance(stationControlPollMs);
  await running.changed(2);
  t.same(running.changes, ['add P2', 'suspend P1 HQ_STATION_SUSPENDED_BY_OPERATOR']);

  // A suspension the pipeline made itself (not yet stored) survives a reconcile.
  running.held.set('P2', {
    stationId: 'P2',
    reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD',
    detail: 'x',
    sinceMs: clock.nowMs(),
  });
  await cli.resume('P1', { by: 'cli:root', reason: 'resolved' });
  clock.advance(stationControlPollMs);
  await running.changed(3);
  t.same(running.changes.slice(2), ['resume P1']);
  t.match(running.suspension('P2'), { reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD' }, 'not lifted');
  t.equal(await sync.poll(), false, 'no change since: nothing done');
});
