// Every open step of the network with its due date, and the overdue list per department: the
// stations' lifecycle steps (R14, R15), R18 oversight, R19 repairs, R23 complaints, R16
// statistics and R10/R11 commission steps. A branch user sees its own branch's items only.
import { commissionDueItems } from '../../domain/network/commission-run.js';
import { complaintDueItems } from '../../domain/network/complaint.js';
import { shanghaiDate } from '../../domain/network/deadlines.js';
import { type Department, type DueItem, overdueByDepartment } from '../../domain/network/due-items.js';
import { oversightDueItems } from '../../domain/network/oversight.js';
import { repairDueItems } from '../../domain/network/repair.js';
import type { StationView } from '../../domain/network/station.js';
import { stationDueItems } from '../../domain/network/station-deadlines.js';
import { statisticsDueItems } from '../../domain/network/statistics.js';
import { allComplaints, allRepairs } from './cases.js';
import { allCommissionRuns, allStatistics } from './commissions.js';
import type { Actor, NetworkDeps } from './deps.js';
import { allBranches, allStations } from './stations.js';

export async function dueItems(
  deps: NetworkDeps,
  actor: Actor,
  today = shanghaiDate(deps.clock.nowMs()),
): Promise<DueItem[]> {
  const stations = await allStations(deps);
  const items: DueItem[] = stations.flatMap((s) => [
    ...stationDueItems(s, deps.calendar),
    ...oversightDueItems(s, today),
  ]);
  items.push(...(await allRepairs(deps)).flatMap((r) => repairDueItems(r, deps.calendar)));
  items.push(...(await allComplaints(deps, actor)).flatMap((c) => complaintDueItems(c, deps.calendar)));
  const submitted = new Set((await allStatistics(deps)).map((s) => `${s.branchId}:${s.month}`));
  items.push(
    ...statisticsDueItems(
      (await allBranches(deps)).map((b) => b.branchId),
      submitted,
      today,
    ),
  );
  items.push(...(await allCommissionRuns(deps)).flatMap(commissionDueItems));
  if (actor.role !== 'branch') return items;
  const own = new Set(stations.filter((s) => s.branchId === actor.branchId).map((s) => s.stationId));
  return items.filter((item) => item.branchId === actor.branchId || own.has(item.subjectId));
}

/** One station's open steps with their due dates (its page): without reading the whole network. */
export function stationDue(
  deps: NetworkDeps,
  view: StationView,
  today = shanghaiDate(deps.clock.nowMs()),
): DueItem[] {
  return [...stationDueItems(view, deps.calendar), ...oversightDueItems(view, today)];
}

export async function overdue(
  deps: NetworkDeps,
  actor: Actor,
  today = shanghaiDate(deps.clock.nowMs()),
): Promise<Record<Department, DueItem[]>> {
  return overdueByDepartment(await dueItems(deps, actor, today), today);
}
