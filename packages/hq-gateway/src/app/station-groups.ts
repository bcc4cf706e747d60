// Saved station groups (issue 13): a named list of stations a rollout can target ("the pilot
// stations", "mountain villages on slow links"), kept on HQ's operations log as the aggregate
// 'station-group:<id>'. Saving again appends a new version (who, when, why); the newest one counts.
import { assert } from '../domain/assert.js';
import { HqError } from '../errors.js';
import { rolloutListPageRecords, stationGroupStationsMax } from '../limits.js';
import type { OperationsStore } from '../ports/operations-store.js';

export interface StationGroup {
  readonly groupId: string;
  readonly name: string;
  readonly stationIds: readonly string[];
  /** How many times it was saved (the operations-log version). */
  readonly version: number;
}

const kind = 'station-group-saved';

function aggregateOf(groupId: string): string {
  return `station-group:${groupId}`;
}

export async function readStationGroup(
  store: OperationsStore,
  groupId: string,
): Promise<StationGroup | undefined> {
  const records = await store.read(aggregateOf(groupId));
  const last = records.at(-1);
  if (last === undefined) return undefined;
  const payload = last.payload as { name: string; stationIds: string[] };
  return { groupId, name: payload.name, stationIds: payload.stationIds, version: last.version };
}

/** Saves (creates or replaces) a group; stations unique, in the order given. */
export async function saveStationGroup(
  store: OperationsStore,
  group: { readonly groupId: string; readonly name: string; readonly stationIds: readonly string[] },
  actor: string,
  reason: string,
  atMs: number,
): Promise<StationGroup> {
  assert(group.stationIds.length <= stationGroupStationsMax, 'the schema caps a group');
  const stationIds = [...new Set(group.stationIds)];
  const records = await store.read(aggregateOf(group.groupId));
  const outcome = await store.append(
    {
      aggregateId: aggregateOf(group.groupId),
      kind,
      payload: { name: group.name, stationIds },
      actor,
      atMs,
      reason,
      idempotencyKey: `${aggregateOf(group.groupId)}:v${records.length + 1}`,
    },
    records.length,
  );
  if (!outcome.ok)
    throw new HqError(outcome.code, `station group ${group.groupId}: saved by someone else meanwhile; retry`);
  return { groupId: group.groupId, name: group.name, stationIds, version: outcome.record.version };
}

/** Every saved group's newest version, by group id, at most `limit`. */
export async function listStationGroups(store: OperationsStore, limit: number): Promise<StationGroup[]> {
  const newest = new Map<string, StationGroup>();
  let afterPosition = 0;
  for (;;) {
    const page = await store.list({
      aggregatePrefix: 'station-group:',
      afterPosition,
      limit: rolloutListPageRecords,
    });
    for (const record of page) {
      const groupId = record.aggregateId.slice('station-group:'.length);
      const payload = record.payload as { name: string; stationIds: string[] };
      newest.set(groupId, {
        groupId,
        name: payload.name,
        stationIds: payload.stationIds,
        version: record.version,
      });
    }
    if (page.length < rolloutListPageRecords) break;
    afterPosition = page[page.length - 1]!.position;
  }
  return [...newest.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : 1)).slice(0, limit);
}
