// A station's lifecycle (R4, R12–R15, R18, R22) as a state machine over its operation records:
// decideStation judges a step against the current view (every reason at once, R21) and gives the
// payload to record; foldStation rebuilds the view from the records, so the current state is never
// stored, only derived (R17). The org code, once issued, never changes (R15).
//
//   proposed → surveyed → applied → agreement-signed → fee-settled → fitted-out →
//   debit-account-set → installed → goods-delivered → equipment-signed → open ⇄ suspended
//   (a failed survey: rejected; closed from any state but rejected/closed)
import { assert } from '../assert.js';
import { shanghaiDate } from './deadlines.js';
import { type GeoPoint, type Site, spacingReasons } from './geo.js';
import { joinConditionReasons, type SurveyFindings } from './join-conditions.js';
import { type Decision, decide, type NetReason } from './refusal.js';
import {
  AGREEMENT_COPIES,
  checkStationPayload,
  type FeeMode,
  REQUIRED_DOCUMENTS,
  type StationKind,
} from './station-payloads.js';

export const STATION_STATES = [
  'proposed',
  'surveyed',
  'rejected',
  'applied',
  'agreement-signed',
  'fee-settled',
  'fitted-out',
  'debit-account-set',
  'installed',
  'goods-delivered',
  'equipment-signed',
  'open',
  'suspended',
  'closed',
] as const;
export type StationState = (typeof STATION_STATES)[number];

const live: readonly StationState[] = ['open', 'suspended'];
const notEnded = STATION_STATES.filter((s) => s !== 'rejected' && s !== 'closed');

/** The states each step may start from ('new': only on a station with no record yet). */
export const STEP_FROM: Readonly<Record<StationKind, readonly StationState[] | 'new'>> = {
  proposed: 'new',
  surveyed: ['proposed'],
  applied: ['surveyed'],
  'agreement-signed': ['applied'],
  'fee-settled': ['agreement-signed'],
  'fitted-out': ['fee-settled'],
  'debit-account-set': ['fitted-out'],
  installed: ['debit-account-set'],
  'goods-delivered': ['installed'],
  'equipment-signed': ['goods-delivered'],
  opened: ['equipment-signed'],
  'follow-up-visited': live,
  suspended: ['open'],
  reopened: ['suspended'],
  closed: notEnded,
  'change-requested': live,
  'change-approved': live,
  'move-requested': live,
  'move-surveyed': live,
  transferred: live,
  'inspection-recorded': live,
  'training-recorded': live,
  'fee-check-recorded': [...live, 'closed'],
};

export interface StationView {
  readonly stationId: string;
  readonly version: number;
  readonly state: StationState;
  readonly branchId: string;
  readonly name: string;
  readonly location: GeoPoint;
  /** Business date (Asia/Shanghai) each step was last taken on. */
  readonly stepDates: Readonly<Partial<Record<StationKind, string>>>;
  /** R22: the application's receipt number, tracked to its end (agreement signed, rejected or closed). */
  readonly application?: {
    readonly receiptNumber: string;
    readonly appliedDate: string;
    readonly endedDate?: string;
  };
  readonly agreementNumber?: string;
  readonly holderName?: string;
  readonly feeMode?: FeeMode;
  readonly orgCode?: string;
  readonly quotaAccount?: string;
  readonly openedDate?: string;
  readonly followUpDate?: string;
  readonly pendingChange?: { readonly requestedDate: string; readonly description: string };
  readonly pendingMove?: { readonly requestedDate: string; readonly location: GeoPoint };
  readonly inspections: readonly { readonly date: string; readonly method: 'on-site' | 'phone' }[];
  /** Training dates: the installation's and every later one (R18: a follow-up within 2 weeks). */
  readonly trainingDates: readonly string[];
  readonly feeChecks: readonly { readonly month: string; readonly overchargeCount: number }[];
}

/** What a step is judged against besides the station itself. */
export interface StationContext {
  /** Every postal branch and every other station with its location (R12). */
  readonly sites: readonly Site[];
  /** Free places left of the 140 (R14); only read for fee-settled with mode free-place. */
  readonly freePlacesLeft: number;
}

type Payload = Readonly<Record<string, unknown>>;

function surveyReasons(
  location: GeoPoint,
  findings: unknown,
  context: StationContext,
  selfId: string,
): NetReason[] {
  assert(selfId.length > 0, 'the station surveyed');
  return [
    ...spacingReasons(location, context.sites, selfId),
    ...joinConditionReasons((findings ?? {}) as Partial<Record<keyof SurveyFindings, unknown>>),
  ];
}

/** The business rules of one step beyond its fields and its starting state. */
function ruleReasons(
  view: StationView | undefined,
  kind: StationKind,
  payload: Payload,
  context: StationContext,
  stationId: string,
): NetReason[] {
  assert(view === undefined || view.stationId === stationId, 'the view is of this station');
  switch (kind) {
    case 'proposed':
      return payload.location === undefined
        ? []
        : spacingReasons(payload.location as GeoPoint, context.sites, stationId);
    case 'surveyed':
      return payload.location === undefined
        ? []
        : surveyReasons(payload.location as GeoPoint, payload.findings, context, stationId);
    case 'move-surveyed':
      return view?.pendingMove === undefined
        ? []
        : surveyReasons(view.pendingMove.location, payload.findings, context, stationId);
    case 'applied': {
      const documents = (payload.documents ?? []) as string[];
      return REQUIRED_DOCUMENTS.filter((d) => !documents.includes(d)).map((d) => ({
        code: 'HQ_NET_DOCUMENTS_MISSING',
        field: 'documents',
        message: `R14: the application lacks the ${d}`,
        details: { document: d },
      }));
    }
    case 'agreement-signed':
    case 'transferred': {
      const reasons: NetReason[] = [];
      if (payload.copies !== undefined && payload.copies !== AGREEMENT_COPIES)
        reasons.push({
          code: 'HQ_NET_AGREEMENT_COPIES',
          field: 'copies',
          message: `R14: signed in ${String(payload.copies)} copies (three)`,
        });
      if (kind === 'transferred') reasons.push(...orgCodeReasons(view, payload));
      return reasons;
    }
    case 'change-requested':
      return orgCodeReasons(view, payload);
    case 'fee-settled':
      return payload.mode === 'free-place' && context.freePlacesLeft <= 0
        ? [
            {
              code: 'HQ_NET_FREE_PLACES_EXHAUSTED',
              field: 'mode',
              message: 'R14: all 140 free places are taken',
            },
          ]
        : [];
    default:
      return [];
  }
}

function orgCodeReasons(view: StationView | undefined, payload: Payload): NetReason[] {
  assert(typeof payload === 'object', 'a payload');
  if (payload.orgCode === undefined || view?.orgCode === undefined || payload.orgCode === view.orgCode)
    return [];
  return [
    {
      code: 'HQ_NET_ORG_CODE_IMMUTABLE',
      field: 'orgCode',
      message: `R15: the org code stays ${view.orgCode}`,
    },
  ];
}

function stateReasons(view: StationView | undefined, kind: StationKind): NetReason[] {
  assert(STEP_FROM[kind] !== undefined, 'a known step');
  const from = STEP_FROM[kind];
  if (from === 'new')
    return view === undefined
      ? []
      : [{ code: 'HQ_NET_ALREADY_EXISTS', message: `station ${view.stationId} already exists` }];
  if (view === undefined) return [{ code: 'HQ_NET_NOT_FOUND', message: 'no such station' }];
  const reasons: NetReason[] = [];
  if (!from.includes(view.state))
    reasons.push({
      code: 'HQ_NET_TRANSITION_ILLEGAL',
      message: `${kind} is not allowed from ${view.state} (allowed from: ${from.join(', ')})`,
      details: { state: view.state, step: kind, allowedFrom: from },
    });
  const pending = (what: string, present: boolean, wanted: boolean): void => {
    if (present !== wanted)
      reasons.push({
        code: 'HQ_NET_TRANSITION_ILLEGAL',
        message: wanted ? `${kind}: no ${what} is pending` : `${kind}: a ${what} is already pending`,
        details: { state: view.state, step: kind },
      });
  };
  if (kind === 'change-requested') pending('change', view.pendingChange !== undefined, false);
  if (kind === 'change-approved') pending('change', view.pendingChange !== undefined, true);
  if (kind === 'move-requested') pending('move', view.pendingMove !== undefined, false);
  if (kind === 'move-surveyed') pending('move', view.pendingMove !== undefined, true);
  if (kind === 'follow-up-visited' && view.followUpDate !== undefined)
    reasons.push({
      code: 'HQ_NET_TRANSITION_ILLEGAL',
      message: 'the opening follow-up visit is already recorded',
    });
  return reasons;
}

/** Judges one step: the payload to record, or every reason it is refused (R21). */
export function decideStation(
  view: StationView | undefined,
  stationId: string,
  kind: StationKind,
  input: Payload,
  context: StationContext,
): Decision<Record<string, unknown>> {
  assert(view === undefined || view.stationId === stationId, 'the view is of this station');
  const checked = checkStationPayload(kind, input);
  const reasons = [...stateReasons(view, kind), ...checked.reasons];
  // A move's survey in a failed state still lists its R12/R13 findings: one answer with everything.
  reasons.push(...ruleReasons(view, kind, checked.payload, context, stationId));
  return decide(reasons, () => checked.payload);
}

/** A survey whose only reasons are R12/R13 findings is still recorded (the station is rejected). */
export function isSurveyFailure(kind: StationKind, reasons: readonly NetReason[]): boolean {
  const findingCodes = new Set([
    'HQ_NET_TOO_CLOSE',
    'HQ_NET_PREMISES_TOO_SMALL',
    'HQ_NET_TERMINAL_SPACE_TOO_SMALL',
    'HQ_NET_SIGNAGE_SPACE_MISSING',
    'HQ_NET_COMMUNICATION_LINE_MISSING',
    'HQ_NET_TRADING_TOO_SHORT',
  ]);
  return (
    (kind === 'surveyed' || kind === 'move-surveyed') &&
    reasons.length > 0 &&
    reasons.every((r) => findingCodes.has(r.code))
  );
}

export interface StationRecordLike {
  readonly kind: string;
  readonly payload: Payload;
  readonly atMs: number;
  readonly version: number;
}

/** Applies one recorded step to the view (records are valid: they passed decideStation). */
export function applyStation(
  view: StationView | undefined,
  stationId: string,
  record: StationRecordLike,
): StationView {
  const kind = record.kind as StationKind;
  const p = record.payload;
  const date = shanghaiDate(record.atMs);
  if (kind === 'proposed') {
    assert(view === undefined, 'proposed starts a station');
    return {
      stationId,
      version: record.version,
      state: 'proposed',
      branchId: p.branchId as string,
      name: p.name as string,
      location: p.location as GeoPoint,
      stepDates: { proposed: date },
      inspections: [],
      trainingDates: [],
      feeChecks: [],
    };
  }
  assert(view !== undefined, `${kind} needs a proposed station`);
  const failed = p.failed === true;
  let next: StationView = {
    ...view,
    version: record.version,
    stepDates: { ...view.stepDates, [kind]: date },
  };
  const endApplication = (): void => {
    if (next.application !== undefined && next.application.endedDate === undefined)
      next = { ...next, application: { ...next.application, endedDate: date } };
  };
  switch (kind) {
    case 'surveyed':
      next = { ...next, state: failed ? 'rejected' : 'surveyed', location: p.location as GeoPoint };
      break;
    case 'applied':
      next = {
        ...next,
        state: 'applied',
        application: { receiptNumber: p.receiptNumber as string, appliedDate: date },
      };
      break;
    case 'agreement-signed':
      next = { ...next, state: 'agreement-signed', agreementNumber: p.agreementNumber as string };
      endApplication();
      break;
    case 'fee-settled':
      next = { ...next, state: 'fee-settled', feeMode: p.mode as FeeMode };
      break;
    case 'fitted-out':
    case 'debit-account-set':
    case 'goods-delivered':
    case 'equipment-signed':
      next = { ...next, state: kind };
      break;
    case 'installed':
      next = { ...next, state: 'installed', trainingDates: [...next.trainingDates, date] };
      break;
    case 'opened':
      next = {
        ...next,
        state: 'open',
        orgCode: p.orgCode as string,
        quotaAccount: p.quotaAccount as string,
        openedDate: date,
      };
      break;
    case 'follow-up-visited':
      next = { ...next, followUpDate: date };
      break;
    case 'suspended':
      next = { ...next, state: 'suspended' };
      break;
    case 'reopened':
      next = { ...next, state: 'open' };
      break;
    case 'closed':
      next = { ...next, state: 'closed' };
      endApplication();
      break;
    case 'change-requested':
      next = { ...next, pendingChange: { requestedDate: date, description: p.description as string } };
      break;
    case 'change-approved': {
      const { pendingChange: _done, ...rest } = next;
      next = rest;
      break;
    }
    case 'move-requested':
      next = { ...next, pendingMove: { requestedDate: date, location: p.location as GeoPoint } };
      break;
    case 'move-surveyed': {
      const { pendingMove, ...rest } = next;
      assert(pendingMove !== undefined, 'a move survey follows a move request');
      // A failed move survey closes the request; the station stays where it was.
      next = failed ? rest : { ...rest, location: pendingMove.location };
      break;
    }
    case 'transferred':
      next = { ...next, agreementNumber: p.agreementNumber as string, holderName: p.holderName as string };
      break;
    case 'inspection-recorded':
      next = {
        ...next,
        inspections: [...next.inspections, { date, method: p.method as 'on-site' | 'phone' }],
      };
      break;
    case 'training-recorded':
      next = { ...next, trainingDates: [...next.trainingDates, date] };
      break;
    case 'fee-check-recorded':
      next = {
        ...next,
        feeChecks: [
          ...next.feeChecks,
          { month: p.month as string, overchargeCount: p.overchargeCount as number },
        ],
      };
      break;
  }
  if (next.state === 'rejected') endApplication();
  assert(
    next.orgCode === undefined || view.orgCode === undefined || next.orgCode === view.orgCode,
    'R15: the org code never changes',
  );
  return next;
}

/** The station's current view from its records in version order (undefined: no record). */
export function foldStation(
  stationId: string,
  records: readonly StationRecordLike[],
): StationView | undefined {
  let view: StationView | undefined;
  records.forEach((record, index) => {
    assert(record.version === index + 1, 'records come in version order, none missing');
    view = applyStation(view, stationId, record);
  });
  return view;
}

/** R4: only an open station with its org code and quota account may transact. */
export function canTransact(
  view: StationView | undefined,
): Decision<{ readonly orgCode: string; readonly quotaAccount: string }> {
  if (view?.state === 'open' && view.orgCode !== undefined && view.quotaAccount !== undefined) {
    const { orgCode, quotaAccount } = view;
    return { ok: true, value: { orgCode, quotaAccount } };
  }
  return decide(
    [
      {
        code: 'HQ_NET_NOT_OPEN',
        message: `R4: station is ${view === undefined ? 'unknown' : view.state}, not open with an org code and quota account`,
      },
    ],
    () => ({ orgCode: '', quotaAccount: '' }),
  ) as Decision<{ readonly orgCode: string; readonly quotaAccount: string }>;
}

/** The payload of a failed survey: recorded with its findings, so the application is tracked to its end (R22). */
export function failedSurveyPayload(
  kind: StationKind,
  input: Payload,
  reasons: readonly NetReason[],
): Record<string, unknown> {
  assert(isSurveyFailure(kind, reasons), 'only a survey failure is recorded');
  return {
    ...checkStationPayload(kind, input).payload,
    failed: true,
    findingsUnmet: reasons.map((r) => ({ code: r.code, message: r.message })),
  };
}
