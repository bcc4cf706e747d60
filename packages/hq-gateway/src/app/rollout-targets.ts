// A rollout's target as an operator names it (issue 13, hawkBit target filters / AWS IoT thing
// groups): a list of stations, branch offices (every enrolled station of the branch, by station
// id), saved station groups (app/station-groups.ts), or any mix, resolved once, at creation, into
// the ordered station list the rollout's record keeps: explicit stations first, then branches, then
// groups, each station once. A later change to a branch or a group does not change a running
// rollout (its groups were split when it was created). Every unknown name comes back at once (R21).
import { assert } from '../domain/assert.js';
import type { HqProblem } from '../errors.js';
import type { OperationsStore } from '../ports/operations-store.js';
import { readStationGroup } from './station-groups.js';

export interface RolloutTarget {
  readonly stationIds?: readonly string[];
  readonly branchIds?: readonly string[];
  readonly groupIds?: readonly string[];
}

export interface TargetSources {
  readonly operations: OperationsStore;
  /** Every enrolled station id. */
  knownStations(): Promise<ReadonlySet<string>>;
  /** station id -> branch id. */
  stationBranches(): Promise<ReadonlyMap<string, string>>;
}

export type ResolvedTarget =
  | { readonly ok: true; readonly stationIds: readonly string[] }
  | { readonly ok: false; readonly problems: readonly HqProblem[] };

export async function resolveRolloutTarget(
  sources: TargetSources,
  target: RolloutTarget,
): Promise<ResolvedTarget> {
  const known = await sources.knownStations();
  const problems: HqProblem[] = [];
  const unknown = (field: string, message: string) =>
    problems.push({ code: 'HQ_ROLLOUT_TARGET_UNKNOWN', field, message });
  const ordered: string[] = [];
  for (const stationId of target.stationIds ?? []) {
    if (known.has(stationId)) ordered.push(stationId);
    else unknown('target.stationIds', `no enrolled station ${stationId}`);
  }
  if ((target.branchIds ?? []).length > 0) {
    const branches = await sources.stationBranches();
    for (const branchId of target.branchIds ?? []) {
      const members = [...branches]
        .filter(([, b]) => b === branchId)
        .map(([s]) => s)
        .sort();
      if (members.length === 0) unknown('target.branchIds', `branch ${branchId} has no enrolled station`);
      ordered.push(...members);
    }
  }
  for (const groupId of target.groupIds ?? []) {
    const group = await readStationGroup(sources.operations, groupId);
    if (group === undefined) {
      unknown('target.groupIds', `no saved station group ${groupId}`);
      continue;
    }
    for (const stationId of group.stationIds) {
      if (known.has(stationId)) ordered.push(stationId);
      else unknown('target.groupIds', `group ${groupId} names ${stationId}, which is not enrolled`);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const stationIds = [...new Set(ordered)];
  assert(
    stationIds.every((s) => known.has(s)),
    'every resolved station is enrolled',
  );
  return { ok: true, stationIds };
}
