// Station control (issue 11): suspend, resume and revoke a station's key, shared by the HTTP API and
// the CLI. Each change is stored first (the integrity store's suspensions), then the store's
// station-control version is bumped, then a running gateway in this process is told at once
// (RunningStations). A gateway in another process notices the version change on its Clock
// (StationControlSync.poll every stationControlPollMs) and reconciles: new stations bound,
// suspensions applied, lifted ones served again.

import assert from 'node:assert/strict';
import { canTransact, foldStation, type StationView } from '../domain/network/station.js';
import type { StationRecord } from '../domain/types.js';
import { HqError, type HqProblem } from '../errors.js';
import { stationControlPollMs } from '../limits.js';
import type { Clock, TimerHandle, TimeSource } from '../ports/clock.js';
import type { IntegrityStore, Suspension } from '../ports/integrity-store.js';
import type { Log } from '../ports/log.js';
import type { OperationsStore } from '../ports/operations-store.js';
import type { OpsStore } from '../ports/ops-store.js';
import type { NetworkBlock, RunningStations } from '../ports/running-stations.js';
import type { StationKeyStore } from '../ports/station-keys.js';
import type { StationStore } from '../ports/store.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import type { NetworkDeps } from './network/deps.js';
import { allStations, stationView } from './network/stations.js';

export interface StationControlDeps {
  readonly store: Pick<StationStore, 'getStation' | 'listStations'>;
  readonly integrity: Pick<IntegrityStore, 'suspend' | 'resume' | 'suspensions' | 'resumptions'>;
  readonly ops: Pick<OpsStore, 'bumpStationControlVersion' | 'stationControlVersion'>;
  readonly clock: TimeSource;
  /** The gateway in this process, when there is one. */
  readonly running?: RunningStations;
  /** The station network's lifecycle (R4); absent: no lifecycle gate. */
  readonly network?: NetworkDeps;
  /** The running gateway is told only once the unit (the change and its audit row) commits. */
  readonly unitOfWork?: UnitOfWork;
  /** Revoked keys (kept forever) and re-enrolment; absent: neither is available. */
  readonly keys?: StationKeyStore;
}

/**
 * R4: the block a lifecycle view puts on a station. No lifecycle record (a station enrolled
 * directly, as in the demo): none, it keeps working (docs/hq.md, a decision for the product
 * owner). A record that is not open with its org code and quota account: blocked.
 */
export function networkBlockOf(view: StationView | undefined): NetworkBlock | null {
  if (view === undefined || canTransact(view).ok) return null;
  return { code: 'HQ_NET_NOT_OPEN', state: view.state };
}

/** R4: the block the operations log puts on a station now (null: it may transact). */
export async function networkBlockFor(
  operations: Pick<OperationsStore, 'read'>,
  stationId: string,
): Promise<NetworkBlock | null> {
  return networkBlockOf(foldStation(stationId, await operations.read(`station:${stationId}`)));
}

function sameBlock(a: NetworkBlock | null | undefined, b: NetworkBlock | null): boolean {
  return (a ?? null)?.state === b?.state;
}

export interface Why {
  readonly by: string;
  readonly reason: string;
}

function notFound(stationId: string): HqError {
  const message = `station ${stationId} is not enrolled`;
  return new HqError('HQ_STATION_NOT_FOUND', message, {
    problems: [{ code: 'HQ_STATION_NOT_FOUND', field: 'stationId', message }],
  });
}

export class StationControl {
  readonly #deps: StationControlDeps;

  constructor(deps: StationControlDeps) {
    this.#deps = deps;
  }

  /** Tell the running gateway in this process, after the unit in progress commits. */
  #tell(effect: (running: RunningStations) => void): void {
    const running = this.#deps.running;
    if (running === undefined) return;
    if (this.#deps.unitOfWork === undefined) effect(running);
    else this.#deps.unitOfWork.afterCommit(() => effect(running));
  }

  async #current(stationId: string): Promise<Suspension | undefined> {
    if ((await this.#deps.store.getStation(stationId)) === undefined) throw notFound(stationId);
    return (await this.#deps.integrity.suspensions()).find((s) => s.stationId === stationId);
  }

  /** A newly enrolled station (HqOperations.enrol stored it): bound at once, others told. */
  async enrolled(station: StationRecord): Promise<void> {
    await this.#deps.ops.bumpStationControlVersion();
    this.#tell((running) => running.addStation(station));
  }

  /**
   * A lifecycle step was recorded for the station (R4): other processes are told (the version)
   * and the running gateway applies the station's block at once. Returns the block in force.
   */
  async lifecycleChanged(stationId: string): Promise<NetworkBlock | null> {
    if (this.#deps.network === undefined) return null;
    const block = networkBlockOf(await stationView(this.#deps.network, stationId));
    await this.#deps.ops.bumpStationControlVersion();
    const running = this.#deps.running;
    if (running !== undefined && !sameBlock(running.networkBlock(stationId), block))
      running.setNetworkBlock(stationId, block);
    return block;
  }

  /** 'suspended', or 'already' (a suspension held keeps its first reason). */
  async suspend(stationId: string, why: Why): Promise<'suspended' | 'already'> {
    if ((await this.#current(stationId)) !== undefined) return 'already';
    const suspension: Suspension = {
      stationId,
      reasonCode: 'HQ_STATION_SUSPENDED_BY_OPERATOR',
      detail: `by ${why.by}: ${why.reason}`,
      sinceMs: this.#deps.clock.nowMs(),
    };
    await this.#deps.integrity.suspend(suspension);
    await this.#deps.ops.bumpStationControlVersion();
    this.#tell((running) => running.applySuspension(suspension));
    return 'suspended';
  }

  /** Serve the station again; a revoked key is refused (HQ_STATION_KEY_REVOKED), none held HQ_STATION_NOT_SUSPENDED. */
  async resume(stationId: string, why: Why): Promise<'resumed'> {
    const current = await this.#current(stationId);
    if (current?.reasonCode === 'HQ_STATION_KEY_REVOKED') {
      const message = `station ${stationId}'s key is revoked: enrol a new key, a resume cannot serve it`;
      throw new HqError('HQ_STATION_KEY_REVOKED', message, {
        problems: [{ code: 'HQ_STATION_KEY_REVOKED', field: 'stationId', message }],
      });
    }
    const resumed =
      current !== undefined &&
      (await this.#deps.integrity.resume(stationId, {
        resumedBy: why.by,
        reason: why.reason,
        resumedAtMs: this.#deps.clock.nowMs(),
      }));
    if (!resumed) {
      const message = `station ${stationId} is not suspended`;
      throw new HqError('HQ_STATION_NOT_SUSPENDED', message, {
        problems: [{ code: 'HQ_STATION_NOT_SUSPENDED', field: 'stationId', message }],
      });
    }
    await this.#deps.ops.bumpStationControlVersion();
    this.#tell((running) => running.resumeStation(stationId));
    return 'resumed';
  }

  /**
   * Revoke the station's enrolled key: its messages are quarantined from now on and a resume is
   * refused. A suspension held is lifted first (recorded) so the revocation is the one in force.
   */
  async revokeKey(stationId: string, why: Why): Promise<'revoked' | 'already'> {
    const current = await this.#current(stationId);
    if (current?.reasonCode === 'HQ_STATION_KEY_REVOKED') return 'already';
    const nowMs = this.#deps.clock.nowMs();
    if (current !== undefined) {
      await this.#deps.integrity.resume(stationId, {
        resumedBy: why.by,
        reason: `superseded by key revocation: ${why.reason}`,
        resumedAtMs: nowMs,
      });
    }
    const suspension: Suspension = {
      stationId,
      reasonCode: 'HQ_STATION_KEY_REVOKED',
      detail: `by ${why.by}: ${why.reason}`,
      sinceMs: nowMs,
    };
    const station = await this.#deps.store.getStation(stationId);
    if (station !== undefined) await this.#recordRevoked(station, nowMs, why);
    await this.#deps.integrity.suspend(suspension);
    await this.#deps.ops.bumpStationControlVersion();
    this.#tell((running) => running.applySuspension(suspension));
    return 'revoked';
  }

  async #recordRevoked(station: StationRecord, atMs: number, why: Why): Promise<void> {
    await this.#deps.keys?.recordRevokedKey({
      stationId: station.stationId,
      keyId: station.keyId,
      fingerprint: station.fingerprint,
      revokedAtMs: atMs,
      revokedBy: why.by,
      reason: why.reason,
    });
  }

  /** A revoked key never serves again: an enrolment naming one is refused (HQ_ENROLMENT_KEY_REVOKED). */
  async refuseRevokedKey(station: StationRecord): Promise<void> {
    const revoked = await this.#deps.keys?.revokedKey(station.fingerprint);
    if (revoked === undefined) return;
    const message = `this key was revoked for station ${revoked.stationId}: a revoked key never serves again`;
    throw new HqError('HQ_ENROLMENT_KEY_REVOKED', message, {
      problems: [{ code: 'HQ_ENROLMENT_KEY_REVOKED', field: 'request.publicKey', message }],
    });
  }

  /**
   * Re-enrol a station whose key is revoked with a new key (a new enrolment: who and why kept as
   * a resumption, the audit row by the caller). The old key stays revoked forever; the station id
   * and org code stay (R15). Refused with every reason at once (R21).
   */
  async reenrol(stationId: string, next: StationRecord, why: Why): Promise<'reenrolled'> {
    const keys = this.#deps.keys;
    assert(keys !== undefined, 'reenrol: StationControl was built without a StationKeyStore');
    const current = await this.#deps.store.getStation(stationId);
    if (current === undefined) throw notFound(stationId);
    const held = await this.#current(stationId);
    const problems: HqProblem[] = [];
    const refuse = (field: string, message: string) =>
      problems.push({ code: 'HQ_REENROL_REFUSED', field, message });
    if (held?.reasonCode !== 'HQ_STATION_KEY_REVOKED')
      refuse(
        'stationId',
        `station ${stationId}'s key is not revoked: revoke it first (a re-enrolment replaces a revoked key)`,
      );
    if (next.stationId !== stationId)
      refuse('request.stationId', `the request enrols ${next.stationId}, not ${stationId}`);
    if (next.orgCode !== current.orgCode)
      refuse('request.orgCode', `the org code never changes (R15): ${current.orgCode}, not ${next.orgCode}`);
    const revoked = await keys.revokedKey(next.fingerprint);
    if (revoked !== undefined || next.fingerprint === current.fingerprint)
      problems.push({
        code: 'HQ_ENROLMENT_KEY_REVOKED',
        field: 'request.publicKey',
        message: 'this key was revoked: a re-enrolment needs a new key',
      });
    const first = problems[0];
    if (first !== undefined)
      throw new HqError(first.code, problems.map((p) => p.message).join('; '), { problems });
    const nowMs = this.#deps.clock.nowMs();
    await this.#recordRevoked(current, held?.sinceMs ?? nowMs, {
      by: why.by,
      reason: 'revoked before re-enrolment',
    });
    const replaced = await keys.replaceRevokedKey(
      { ...next, orgCode: current.orgCode, enrolledAtMs: nowMs },
      { resumedBy: why.by, reason: `re-enrolled with a new key: ${why.reason}`, resumedAtMs: nowMs },
    );
    assert(replaced, 'reenrol: the revocation checked above is held');
    await this.#deps.ops.bumpStationControlVersion();
    const record = { ...next, orgCode: current.orgCode, enrolledAtMs: nowMs };
    this.#tell((running) => {
      running.rekeyStation(record);
      running.resumeStation(stationId);
    });
    return 'reenrolled';
  }
}

/**
 * A running gateway's view of changes made by another process (the CLI): every
 * stationControlPollMs on the Clock it reads the store's station-control version, and when it
 * changed reconciles its stations with the store.
 */
export class StationControlSync {
  readonly #deps: StationControlDeps & { readonly running: RunningStations; readonly clock: Clock };
  readonly #log: Log;
  #version: string | undefined;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(
    deps: StationControlDeps & { readonly running: RunningStations; readonly clock: Clock },
    log: Log,
  ) {
    this.#deps = deps;
    this.#log = log;
  }

  /**
   * Remember the version at start (the pipeline has just loaded everything), apply the lifecycle
   * blocks (R4) and start polling.
   */
  async start(): Promise<void> {
    this.#version = await this.#deps.ops.stationControlVersion();
    await this.applyNetworkBlocks();
    this.#arm();
  }

  /** R4: every running station's lifecycle block as the operations log has it now. */
  async applyNetworkBlocks(): Promise<void> {
    if (this.#deps.network === undefined) return;
    const running = this.#deps.running;
    const views = new Map((await allStations(this.#deps.network)).map((v) => [v.stationId, v]));
    for (const stationId of running.stationIds()) {
      const block = networkBlockOf(views.get(stationId));
      if (!sameBlock(running.networkBlock(stationId), block)) running.setNetworkBlock(stationId, block);
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#deps.clock.clearTimeout(this.#timer);
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = this.#deps.clock.setTimeout(
      () => {
        this.poll().then(
          () => this.#arm(),
          (error: unknown) => {
            this.#log.error({ code: 'HQ_STORE_FAILED', err: error }, 'station control poll failed');
            this.#arm();
          },
        );
      },
      stationControlPollMs,
      { background: true },
    );
  }

  /** One poll: reconcile when the version changed. Returns whether it did. */
  async poll(): Promise<boolean> {
    const version = await this.#deps.ops.stationControlVersion();
    if (version === this.#version) return false;
    this.#version = version;
    await this.reconcile();
    return true;
  }

  async reconcile(): Promise<void> {
    const running = this.#deps.running;
    const known = new Set(running.stationIds());
    for (const station of await this.#deps.store.listStations()) {
      if (!known.has(station.stationId)) running.addStation(station);
      // Re-enrolled elsewhere: the new key from now on, the revoked one no longer verifies.
      else if (running.stationFingerprint(station.stationId) !== station.fingerprint)
        running.rekeyStation(station);
    }
    const stored = new Map((await this.#deps.integrity.suspensions()).map((s) => [s.stationId, s]));
    for (const stationId of running.stationIds()) {
      const held = running.suspension(stationId);
      const wanted = stored.get(stationId);
      if (
        wanted !== undefined &&
        (held === null || held === undefined || held.reasonCode !== wanted.reasonCode)
      ) {
        running.applySuspension(wanted);
      } else if (wanted === undefined && held !== null && held !== undefined) {
        // Lifted in the store; but a suspension the pipeline made a moment ago may not be stored
        // yet: lift only when a resumption newer than the one held is recorded.
        const lifted = (await this.#deps.integrity.resumptions(stationId)).at(-1);
        if (lifted !== undefined && lifted.resumedAtMs >= held.sinceMs) running.resumeStation(stationId);
      }
    }
    await this.applyNetworkBlocks();
  }
}
