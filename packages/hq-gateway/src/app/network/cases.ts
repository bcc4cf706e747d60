// R19 repair tickets and R23 complaints: each is its own aggregate ('repair:<id>',
// 'complaint:<id>'), decided by domain/network/repair.ts and complaint.ts. A complaint is shown
// to every role but supervision without the complainant (R23 confidentiality); a ticket can be
// opened for every faulty peripheral a station's telemetry reports (one per open fault).
import {
  applyComplaint,
  type ComplaintKind,
  type ComplaintView,
  complaintFor,
  decideComplaint,
} from '../../domain/network/complaint.js';
import { refuse } from '../../domain/network/refusal.js';
import {
  applyRepair,
  decideRepair,
  faultsWithoutTicket,
  type RepairKind,
  type RepairView,
} from '../../domain/network/repair.js';
import type { PeripheralHealth } from '../../domain/types.js';
import type { OperationRecord } from '../../ports/operations-store.js';
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

const idPattern = /^[A-Za-z0-9_-]{1,40}$/;

function foldRepair(ticketId: string, records: readonly OperationRecord[]): RepairView | undefined {
  return records.reduce<RepairView | undefined>(
    (view, record) => applyRepair(view, ticketId, record),
    undefined,
  );
}

function foldComplaint(complaintId: string, records: readonly OperationRecord[]): ComplaintView | undefined {
  return records.reduce<ComplaintView | undefined>(
    (view, record) => applyComplaint(view, complaintId, record),
    undefined,
  );
}

export async function repairStep(
  deps: NetworkDeps,
  actor: Actor,
  ticketId: string,
  kind: RepairKind,
  input: Readonly<Record<string, unknown>>,
  options: StepOptions = {},
): Promise<StepResult<RepairView>> {
  if (!idPattern.test(ticketId))
    return refuse([
      { code: 'HQ_NET_FIELD_INVALID', field: 'ticketId', message: 'ticketId: 1..40 of [A-Za-z0-9_-]' },
    ]);
  const records = await deps.store.read(`repair:${ticketId}`);
  const replay = replayOf(records, kind, options);
  const before = foldRepair(ticketId, records);
  if (replay !== undefined && before !== undefined)
    return { ok: true, record: replay, duplicate: true, view: before };
  const decision = decideRepair(foldRepair(ticketId, records), kind, input);
  if (!decision.ok) return decision;
  const appended = await appendStep(
    deps,
    actor,
    `repair:${ticketId}`,
    kind,
    decision.value,
    records.length,
    options,
  );
  if (!appended.ok) return appended;
  return {
    ...appended,
    view: foldRepair(ticketId, await recordsAfter(deps, `repair:${ticketId}`, records, appended))!,
  };
}

export async function allRepairs(deps: NetworkDeps): Promise<RepairView[]> {
  const groups = await readGrouped(deps.store, 'repair:');
  return [...groups].flatMap(([id, records]) => foldRepair(idOf(id), records) ?? []);
}

/** R19: one ticket per faulty peripheral in the station's telemetry that has none open. */
export async function openRepairsFromTelemetry(
  deps: NetworkDeps,
  stationId: string,
  peripherals: readonly PeripheralHealth[],
): Promise<StepResult<RepairView>[]> {
  const faults = faultsWithoutTicket(stationId, peripherals, await allRepairs(deps));
  const actor = { name: 'system:telemetry', role: 'ecommerce' };
  const results: StepResult<RepairView>[] = [];
  for (const fault of faults) {
    const day = new Date(deps.clock.nowMs()).toISOString().slice(0, 10).replaceAll('-', '');
    const ticketId = `T-${stationId}-${fault.name}-${day}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
    results.push(
      await repairStep(
        deps,
        actor,
        ticketId,
        'repair-opened',
        { stationId, source: 'telemetry', peripheral: fault.name, fault: fault.detail || 'reported faulty' },
        { idempotencyKey: `repair:${ticketId}:opened` },
      ),
    );
  }
  return results;
}

export async function complaintStep(
  deps: NetworkDeps,
  actor: Actor,
  complaintId: string,
  kind: ComplaintKind,
  input: Readonly<Record<string, unknown>>,
  options: StepOptions = {},
): Promise<StepResult<ComplaintView>> {
  if (!idPattern.test(complaintId))
    return refuse([
      { code: 'HQ_NET_FIELD_INVALID', field: 'complaintId', message: 'complaintId: 1..40 of [A-Za-z0-9_-]' },
    ]);
  const records = await deps.store.read(`complaint:${complaintId}`);
  const decision = decideComplaint(foldComplaint(complaintId, records), kind, input);
  if (!decision.ok) return decision;
  const appended = await appendStep(
    deps,
    actor,
    `complaint:${complaintId}`,
    kind,
    decision.value,
    records.length,
    options,
  );
  if (!appended.ok) return appended;
  // The record itself holds the complainant; the answer carries only what the role may see.
  const view = complaintFor(
    foldComplaint(complaintId, await recordsAfter(deps, `complaint:${complaintId}`, records, appended))!,
    actor.role,
  );
  const record =
    actor.role === 'supervision' || kind !== 'complaint-received'
      ? appended.record
      : { ...appended.record, payload: { ...appended.record.payload, complainant: view.complainant } };
  return { ...appended, record, view };
}

/** A complaint as the actor's role may see it (R23). */
export async function complaintView(
  deps: NetworkDeps,
  actor: Actor,
  complaintId: string,
): Promise<ComplaintView | undefined> {
  const view = foldComplaint(complaintId, await deps.store.read(`complaint:${complaintId}`));
  return view === undefined ? undefined : complaintFor(view, actor.role);
}

export async function allComplaints(deps: NetworkDeps, actor: Actor): Promise<ComplaintView[]> {
  const groups = await readGrouped(deps.store, 'complaint:');
  return [...groups].flatMap(([id, records]) => {
    const view = foldComplaint(idOf(id), records);
    return view === undefined ? [] : [complaintFor(view, actor.role)];
  });
}
