// Station lifecycle commands (R4, R12–R15, R18, R22): read the station's records, fold its view,
// decide the step against the other sites (R12) and the free places (R14), append it at the
// version it was decided on. A failed survey (R12/R13 findings only) is recorded too and answers
// with every finding: the station is rejected and its application tracked to its end (R22).
import type { Site } from '../../domain/network/geo.js';
import type { NetRefusal } from '../../domain/network/refusal.js';
import { refuse } from '../../domain/network/refusal.js';
import {
  canTransact,
  decideStation,
  failedSurveyPayload,
  foldStation,
  isSurveyFailure,
  type StationView,
} from '../../domain/network/station.js';
import { FREE_PLACES_TOTAL, isStationKind } from '../../domain/network/station-payloads.js';
import { type BranchView, decideBranch, foldBranch } from '../../domain/network/statistics.js';
import {
  type Actor,
  appendStep,
  idOf,
  type NetworkDeps,
  readGrouped,
  recordsAfter,
  replayOf,
  type StepOptions,
  type StepResult,
} from './deps.js';

const FREE_PLACES_AGGREGATE = 'network:free-places';

export async function stationView(deps: NetworkDeps, stationId: string): Promise<StationView | undefined> {
  return foldStation(stationId, await deps.store.read(`station:${stationId}`));
}

export async function allStations(deps: NetworkDeps): Promise<StationView[]> {
  const groups = await readGrouped(deps.store, 'station:');
  const views: StationView[] = [];
  for (const [aggregateId, records] of groups) {
    const view = foldStation(idOf(aggregateId), records);
    if (view !== undefined) views.push(view);
  }
  return views;
}

export async function allBranches(deps: NetworkDeps): Promise<BranchView[]> {
  const groups = await readGrouped(deps.store, 'branch:');
  return [...groups].flatMap(([aggregateId, records]) => foldBranch(idOf(aggregateId), records) ?? []);
}

/** R12: every branch and every station that still stands (not rejected or closed). */
async function sites(deps: NetworkDeps): Promise<Site[]> {
  const branches = (await allBranches(deps)).map((b) => ({
    kind: 'branch' as const,
    id: b.branchId,
    location: b.location,
  }));
  const stations = (await allStations(deps))
    .filter((s) => s.state !== 'rejected' && s.state !== 'closed')
    .map((s) => ({ kind: 'station' as const, id: s.stationId, location: s.location }));
  return [...branches, ...stations];
}

export async function registerBranch(
  deps: NetworkDeps,
  actor: Actor,
  branchId: string,
  input: Readonly<Record<string, unknown>>,
  options: StepOptions = {},
): Promise<StepResult<BranchView>> {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(branchId))
    return refuse([
      { code: 'HQ_NET_FIELD_INVALID', field: 'branchId', message: 'branchId: 1..32 of [A-Za-z0-9_-]' },
    ]);
  const records = await deps.store.read(`branch:${branchId}`);
  const decision = decideBranch(foldBranch(branchId, records), input);
  if (!decision.ok) return decision;
  const appended = await appendStep(
    deps,
    actor,
    `branch:${branchId}`,
    'branch-registered',
    decision.value,
    records.length,
    options,
  );
  if (!appended.ok) return appended;
  return { ...appended, view: foldBranch(branchId, [appended.record])! };
}

/** R14: take one of the 140 free places for the station (idempotent per station). */
async function takeFreePlace(
  deps: NetworkDeps,
  actor: Actor,
  stationId: string,
): Promise<NetRefusal | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const granted = await deps.store.read(FREE_PLACES_AGGREGATE);
    if (granted.some((r) => r.payload.stationId === stationId)) return undefined;
    if (granted.length >= FREE_PLACES_TOTAL)
      return refuse([
        {
          code: 'HQ_NET_FREE_PLACES_EXHAUSTED',
          field: 'mode',
          message: `R14: all ${FREE_PLACES_TOTAL} free places are taken`,
        },
      ]);
    const outcome = await appendStep(
      deps,
      actor,
      FREE_PLACES_AGGREGATE,
      'free-place-granted',
      { stationId },
      granted.length,
      { idempotencyKey: `free-place:${stationId}` },
    );
    if (outcome.ok) return undefined;
    if (outcome.code !== 'HQ_OPS_VERSION_CONFLICT') return outcome;
  }
  return refuse([
    { code: 'HQ_OPS_VERSION_CONFLICT', message: 'the free places changed three times meanwhile: try again' },
  ]);
}

export async function freePlacesLeft(deps: NetworkDeps): Promise<number> {
  return FREE_PLACES_TOTAL - (await deps.store.read(FREE_PLACES_AGGREGATE)).length;
}

/** One lifecycle step of a station ('proposed' creates it). */
export async function stationStep(
  deps: NetworkDeps,
  actor: Actor,
  stationId: string,
  kind: string,
  input: Readonly<Record<string, unknown>>,
  options: StepOptions = {},
): Promise<StepResult<StationView>> {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(stationId))
    return refuse([
      { code: 'HQ_NET_FIELD_INVALID', field: 'stationId', message: 'stationId: 1..32 of [A-Za-z0-9_-]' },
    ]);
  if (!isStationKind(kind))
    return refuse([
      { code: 'HQ_NET_FIELD_INVALID', field: 'kind', message: `kind: not a station step: ${kind}` },
    ]);
  const records = await deps.store.read(`station:${stationId}`);
  const view = foldStation(stationId, records);
  const replay = replayOf(records, kind, options);
  if (replay !== undefined && view !== undefined) return { ok: true, record: replay, duplicate: true, view };
  const context = { sites: await sites(deps), freePlacesLeft: await freePlacesLeft(deps) };
  // A station that already holds a free place keeps it on a retry.
  const decision = decideStation(view, stationId, kind, input, context);
  let payload: Record<string, unknown>;
  let refusal: NetRefusal | undefined;
  if (decision.ok) payload = decision.value;
  else if (isSurveyFailure(kind, decision.reasons)) {
    payload = failedSurveyPayload(kind, input, decision.reasons);
    refusal = decision;
  } else return decision;
  if (kind === 'fee-settled' && payload.mode === 'free-place') {
    const taken = await takeFreePlace(deps, actor, stationId);
    if (taken !== undefined) return taken;
  }
  const appended = await appendStep(
    deps,
    actor,
    `station:${stationId}`,
    kind,
    payload,
    records.length,
    options,
  );
  if (!appended.ok) return appended;
  if (refusal !== undefined)
    return {
      ...refusal,
      reasons: [
        ...refusal.reasons,
        // Its own code: a client that words each problem by its code must not read this one as
        // one more finding (the console showed it as a second "premises too small").
        {
          code: 'HQ_NET_SURVEY_FAILED_RECORDED',
          message: 'the failed survey is recorded: the station is rejected',
        },
      ],
    };
  return {
    ...appended,
    view: foldStation(stationId, await recordsAfter(deps, `station:${stationId}`, records, appended))!,
  };
}

/** R4 for the gateway: may this station transact (open, with its org code and quota account)? */
export async function stationMayTransact(
  deps: NetworkDeps,
  stationId: string,
): Promise<ReturnType<typeof canTransact>> {
  return canTransact(await stationView(deps, stationId));
}
