// R19 repair tickets: HQ helps repair a faulty terminal and the merchant pays. A ticket is opened
// from a faulty peripheral in the kiosk's telemetry (one per peripheral while one is open) or by
// phone, gathers notes, and is closed with its cost in fen (R1), paid by the merchant.
import type { WorkingCalendar } from '@bianmin/core-ledger';
import { repairTargetWorkingDays } from '../../limits.js';
import { assert } from '../assert.js';
import type { PeripheralHealth } from '../types.js';
import { shanghaiDate } from './deadlines.js';
import { type DueItem, workingDayItem } from './due-items.js';
import { type Decision, decide, fieldInvalid, type NetReason } from './refusal.js';

export const REPAIR_KINDS = ['repair-opened', 'repair-noted', 'repair-closed'] as const;
export type RepairKind = (typeof REPAIR_KINDS)[number];
export const REPAIR_SOURCES = ['telemetry', 'phone'] as const;

export interface RepairView {
  readonly ticketId: string;
  readonly version: number;
  readonly stationId: string;
  readonly source: (typeof REPAIR_SOURCES)[number];
  readonly peripheral: string;
  readonly fault: string;
  readonly openedDate: string;
  readonly notes: readonly string[];
  readonly closed?: { readonly date: string; readonly costFen: number; readonly paidBy: 'merchant' };
}

type Payload = Readonly<Record<string, unknown>>;
const text = (value: unknown): value is string =>
  typeof value === 'string' && value.trim().length > 0 && value.length <= 500;

export function decideRepair(
  view: RepairView | undefined,
  kind: RepairKind,
  input: Payload,
): Decision<Record<string, unknown>> {
  const reasons: NetReason[] = [];
  const payload: Record<string, unknown> = {};
  if (kind === 'repair-opened') {
    if (view !== undefined)
      reasons.push({ code: 'HQ_NET_ALREADY_EXISTS', message: `ticket ${view.ticketId} already exists` });
    if (typeof input.stationId !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(input.stationId))
      reasons.push(fieldInvalid('stationId', '1..32 of [A-Za-z0-9_-]'));
    if (!(REPAIR_SOURCES as readonly unknown[]).includes(input.source))
      reasons.push(fieldInvalid('source', REPAIR_SOURCES.join(' | ')));
    if (!text(input.peripheral)) reasons.push(fieldInvalid('peripheral', 'the faulty part'));
    if (!text(input.fault)) reasons.push(fieldInvalid('fault', 'what is wrong'));
    Object.assign(payload, {
      stationId: input.stationId,
      source: input.source,
      peripheral: input.peripheral,
      fault: input.fault,
    });
  } else {
    if (view === undefined) reasons.push({ code: 'HQ_NET_NOT_FOUND', message: 'no such repair ticket' });
    else if (view.closed !== undefined)
      reasons.push({
        code: 'HQ_NET_TRANSITION_ILLEGAL',
        message: `${kind}: the ticket is closed`,
        details: { state: 'closed', step: kind },
      });
    if (kind === 'repair-noted') {
      if (!text(input.note)) reasons.push(fieldInvalid('note', 'text of 1..500 characters'));
      payload.note = input.note;
    } else {
      // R19: the merchant pays; the cost is integer fen (R1), 0 when nothing was charged.
      if (!(Number.isSafeInteger(input.costFen) && (input.costFen as number) >= 0))
        reasons.push(fieldInvalid('costFen', 'integer fen >= 0 (R1)'));
      payload.costFen = input.costFen;
      payload.paidBy = 'merchant';
    }
  }
  return decide(reasons, () => payload);
}

export function applyRepair(
  view: RepairView | undefined,
  ticketId: string,
  record: { kind: string; payload: Payload; atMs: number; version: number },
): RepairView {
  const p = record.payload;
  const date = shanghaiDate(record.atMs);
  if (record.kind === 'repair-opened') {
    assert(view === undefined, 'repair-opened starts a ticket');
    return {
      ticketId,
      version: record.version,
      stationId: p.stationId as string,
      source: p.source as RepairView['source'],
      peripheral: p.peripheral as string,
      fault: p.fault as string,
      openedDate: date,
      notes: [],
    };
  }
  assert(view !== undefined && view.closed === undefined, `${record.kind} needs an open ticket`);
  if (record.kind === 'repair-noted')
    return { ...view, version: record.version, notes: [...view.notes, p.note as string] };
  assert(record.kind === 'repair-closed', 'a repair record kind');
  return {
    ...view,
    version: record.version,
    closed: { date, costFen: p.costFen as number, paidBy: 'merchant' },
  };
}

/** R19: the faulty peripherals in telemetry that have no open ticket yet (one ticket each). */
export function faultsWithoutTicket(
  stationId: string,
  peripherals: readonly PeripheralHealth[],
  tickets: readonly RepairView[],
): PeripheralHealth[] {
  assert(stationId.length > 0, 'a station');
  const open = new Set(
    tickets.filter((t) => t.stationId === stationId && t.closed === undefined).map((t) => t.peripheral),
  );
  return peripherals.filter((p) => !p.ok && !open.has(p.name));
}

export function repairDueItems(view: RepairView, calendar: WorkingCalendar): DueItem[] {
  if (view.closed !== undefined) return [];
  return [
    workingDayItem(
      calendar,
      {
        aggregateId: `repair:${view.ticketId}`,
        subjectId: view.stationId,
        department: 'ecommerce',
        step: `repair ${view.peripheral}`,
        rule: 'HQ',
        startedDate: view.openedDate,
      },
      repairTargetWorkingDays,
    ),
  ];
}
