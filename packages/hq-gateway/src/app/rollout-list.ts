// Read side of rollouts for the HTTP API (issue 13): which rollouts exist (their ids, in the
// order they were created) and one rollout's summary with a tally per group and each station's
// progress. The state itself is app/rollouts.ts's fold of the operations log.
import { groupTally, type RolloutState } from '../domain/rollout/rollout.js';
import { rolloutListPageRecords } from '../limits.js';
import type { OperationsStore } from '../ports/operations-store.js';

/** Rollout ids in creation order, at most `limit`. */
export async function listRolloutIds(store: OperationsStore, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let afterPosition = 0;
  for (;;) {
    const page = await store.list({
      aggregatePrefix: 'rollout:',
      afterPosition,
      limit: rolloutListPageRecords,
    });
    for (const record of page) {
      if (record.kind !== 'create') continue;
      ids.push(record.aggregateId.slice('rollout:'.length));
      if (ids.length === limit) return ids;
    }
    if (page.length < rolloutListPageRecords) return ids;
    afterPosition = page[page.length - 1]!.position;
  }
}

/** A rollout as the API shows it: spec, status, a tally per group, each station's progress. */
export function rolloutSummary(state: RolloutState) {
  return {
    rolloutId: state.spec.rolloutId,
    release: state.spec.releaseVersion,
    status: state.status,
    groupSize: state.spec.groupSize,
    successThresholdPercent: state.spec.successThresholdPercent,
    errorThresholdPercent: state.spec.errorThresholdPercent,
    stationTimeoutMs: state.spec.stationTimeoutMs,
    /** The newest started group, 0-based; -1 before start. */
    groupIndex: state.groupIndex,
    groups: state.groups.map((stationIds, index) => ({ index, ...groupTally(state, index), stationIds })),
    stations: [...state.stations].map(([stationId, s]) => ({
      stationId,
      groupIndex: s.groupIndex,
      progress: s.progress,
      reason: s.reason,
      offeredAtMs: s.offeredAtMs,
    })),
  };
}
