// R23 complaints: taken orally, by phone or in writing; recorded; kept confidential (only the
// supervision role sees who complained: everyone else gets the redacted view); a written complaint
// gets a written answer (an oral one is answered mainly orally); the outcome goes back to the
// complainant, which ends the complaint.
import type { WorkingCalendar } from '@bianmin/core-ledger';
import { complaintAnswerTargetWorkingDays } from '../../limits.js';
import { assert } from '../assert.js';
import { shanghaiDate } from './deadlines.js';
import { type DueItem, workingDayItem } from './due-items.js';
import { type Decision, decide, fieldInvalid, type NetReason } from './refusal.js';

export const COMPLAINT_KINDS = [
  'complaint-received',
  'complaint-noted',
  'complaint-answered',
  'complaint-outcome-returned',
] as const;
export type ComplaintKind = (typeof COMPLAINT_KINDS)[number];
export const COMPLAINT_CHANNELS = ['oral', 'phone', 'written'] as const;
export type ComplaintChannel = (typeof COMPLAINT_CHANNELS)[number];
/** Shown instead of the complainant to every role but supervision. */
export const CONFIDENTIAL = '[confidential]';

export interface Complainant {
  readonly name: string;
  readonly contact: string;
}

export interface ComplaintView {
  readonly complaintId: string;
  readonly version: number;
  readonly channel: ComplaintChannel;
  readonly stationId?: string;
  readonly complainant: Complainant;
  readonly summary: string;
  readonly receivedDate: string;
  readonly notes: readonly string[];
  readonly answer?: { readonly date: string; readonly channel: ComplaintChannel; readonly text: string };
  readonly outcome?: { readonly date: string; readonly text: string };
}

/** The view a role may see: the complainant only for supervision (R23). */
export function complaintFor(view: ComplaintView, role: string): ComplaintView {
  if (role === 'supervision') return view;
  const redacted = { ...view, complainant: { name: CONFIDENTIAL, contact: CONFIDENTIAL } };
  assert(redacted.complainant.name === CONFIDENTIAL, 'the complainant is hidden');
  return redacted;
}

type Payload = Readonly<Record<string, unknown>>;
const text = (value: unknown): value is string =>
  typeof value === 'string' && value.trim().length > 0 && value.length <= 2000;

function stateReasons(view: ComplaintView | undefined, kind: ComplaintKind): NetReason[] {
  assert(COMPLAINT_KINDS.includes(kind), 'a complaint step kind');
  if (kind === 'complaint-received')
    return view === undefined
      ? []
      : [{ code: 'HQ_NET_ALREADY_EXISTS', message: `complaint ${view.complaintId} already exists` }];
  if (view === undefined) return [{ code: 'HQ_NET_NOT_FOUND', message: 'no such complaint' }];
  const illegal = (message: string): NetReason => ({
    code: 'HQ_NET_TRANSITION_ILLEGAL',
    message,
    details: { step: kind },
  });
  if (view.outcome !== undefined)
    return [illegal(`${kind}: the outcome was returned; the complaint is closed`)];
  if (kind === 'complaint-answered' && view.answer !== undefined)
    return [illegal('the complaint is already answered')];
  if (kind === 'complaint-outcome-returned' && view.answer === undefined)
    return [illegal('answer the complaint before returning the outcome')];
  return [];
}

export function decideComplaint(
  view: ComplaintView | undefined,
  kind: ComplaintKind,
  input: Payload,
): Decision<Record<string, unknown>> {
  const reasons = stateReasons(view, kind);
  const payload: Record<string, unknown> = {};
  switch (kind) {
    case 'complaint-received': {
      if (!(COMPLAINT_CHANNELS as readonly unknown[]).includes(input.channel))
        reasons.push(fieldInvalid('channel', COMPLAINT_CHANNELS.join(' | ')));
      if (
        input.stationId !== undefined &&
        !(typeof input.stationId === 'string' && /^[A-Za-z0-9_-]{1,32}$/.test(input.stationId))
      )
        reasons.push(fieldInvalid('stationId', '1..32 of [A-Za-z0-9_-]'));
      const who = input.complainant as Partial<Complainant> | undefined;
      if (!(typeof who === 'object' && who !== null && text(who.name) && text(who.contact)))
        reasons.push(fieldInvalid('complainant', '{ name, contact }'));
      if (!text(input.summary)) reasons.push(fieldInvalid('summary', 'what the complaint is about'));
      Object.assign(payload, { channel: input.channel, complainant: who, summary: input.summary });
      if (input.stationId !== undefined) payload.stationId = input.stationId;
      break;
    }
    case 'complaint-noted':
      if (!text(input.note)) reasons.push(fieldInvalid('note', 'text'));
      payload.note = input.note;
      break;
    case 'complaint-answered':
      if (!(COMPLAINT_CHANNELS as readonly unknown[]).includes(input.channel))
        reasons.push(fieldInvalid('channel', COMPLAINT_CHANNELS.join(' | ')));
      else if (view?.channel === 'written' && input.channel !== 'written')
        reasons.push({
          code: 'HQ_COMPLAINT_WRITTEN_ANSWER_REQUIRED',
          field: 'channel',
          message: 'R23: a written complaint gets a written answer',
        });
      if (!text(input.text)) reasons.push(fieldInvalid('text', 'the answer'));
      Object.assign(payload, { channel: input.channel, text: input.text });
      break;
    case 'complaint-outcome-returned':
      if (!text(input.text)) reasons.push(fieldInvalid('text', 'the outcome returned to the complainant'));
      payload.text = input.text;
      break;
  }
  return decide(reasons, () => payload);
}

export function applyComplaint(
  view: ComplaintView | undefined,
  complaintId: string,
  record: { kind: string; payload: Payload; atMs: number; version: number },
): ComplaintView {
  const p = record.payload;
  const date = shanghaiDate(record.atMs);
  if (record.kind === 'complaint-received') {
    assert(view === undefined, 'complaint-received starts a complaint');
    return {
      complaintId,
      version: record.version,
      channel: p.channel as ComplaintChannel,
      ...(p.stationId === undefined ? {} : { stationId: p.stationId as string }),
      complainant: p.complainant as Complainant,
      summary: p.summary as string,
      receivedDate: date,
      notes: [],
    };
  }
  assert(view !== undefined && view.outcome === undefined, `${record.kind} needs an open complaint`);
  switch (record.kind) {
    case 'complaint-noted':
      return { ...view, version: record.version, notes: [...view.notes, p.note as string] };
    case 'complaint-answered':
      return {
        ...view,
        version: record.version,
        answer: { date, channel: p.channel as ComplaintChannel, text: p.text as string },
      };
    default:
      assert(record.kind === 'complaint-outcome-returned', 'a complaint record kind');
      return { ...view, version: record.version, outcome: { date, text: p.text as string } };
  }
}

export function complaintDueItems(view: ComplaintView, calendar: WorkingCalendar): DueItem[] {
  if (view.outcome !== undefined) return [];
  const step = view.answer === undefined ? 'answer the complaint' : 'return the outcome';
  return [
    workingDayItem(
      calendar,
      {
        aggregateId: `complaint:${view.complaintId}`,
        subjectId: view.stationId ?? view.complaintId,
        department: 'supervision',
        step,
        rule: 'R23',
        startedDate: view.receivedDate,
      },
      complaintAnswerTargetWorkingDays,
    ),
  ];
}
