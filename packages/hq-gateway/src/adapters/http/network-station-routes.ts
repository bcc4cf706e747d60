// The station network's lifecycle on the HTTP API (issue 11; R4, R12–R15, R18, R22): branches,
// the station list and a station's timeline with its due dates, the proposal (R12: refused with
// every station within 2 km and its distance), the survey (R13: every unmet condition at once;
// a failed survey is recorded and rejects the station, R22), then one route per lifecycle step,
// each with its own body schema and its own roles: the department that must take the step (the
// one its due item names, domain/network/station-deadlines.ts), least privilege. The app layer
// (app/network/stations.ts) decides, exactly as for `hq network …`; every write is audited and a
// station's state change reaches the running gateway at once (R4, StationControl).
import { stationDue } from '../../app/network/overdue.js';
import { checkFees } from '../../app/network/oversight.js';
import {
  allBranches,
  allStations,
  registerBranch,
  stationMayTransact,
  stationStep,
} from '../../app/network/stations.js';
import { stationDefaults } from '../../app/operations.js';
import { feeSchedulesOf } from '../../domain/fee-check.js';
import { isSurveyFailure, STATION_STATES } from '../../domain/network/station.js';
import {
  FEE_MODES,
  INSPECTION_METHODS,
  REQUIRED_DOCUMENTS,
  type StationKind,
} from '../../domain/network/station-payloads.js';
import type { Role } from '../../domain/roles.js';
import { networkListItemsMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import {
  assertOwnBranch,
  geoSchema,
  idempotencyHeaders,
  monthSchema,
  netActor,
  netIdSchema,
  netStationParams,
  ownBranch,
  stepBody,
  stepInput,
  stepOptions,
  textSchema,
  unwrapStep,
  visibleNetStation,
} from './network-common.js';
import type { ApiRoute } from './route.js';
import { strictObject } from './route.js';

const everyone: readonly Role[] = [
  'branch',
  'market',
  'ecommerce',
  'agency_finance',
  'supervision',
  'finance',
  'admin',
];
const notes = { notes: textSchema };
const findingsSchema = strictObject(
  {
    premisesM2: { type: 'number', minimum: 0, maximum: 100_000 },
    terminalSpaceM2: { type: 'number', minimum: 0, maximum: 100_000 },
    signageSpace: { type: 'boolean' },
    communicationLine: { type: 'boolean' },
    tradingMonths: { type: 'integer', minimum: 0, maximum: 2_400 },
  },
  ['premisesM2', 'terminalSpaceM2', 'signageSpace', 'communicationLine', 'tradingMonths'],
);

interface StepSpec {
  readonly kind: Exclude<StationKind, 'proposed' | 'fee-check-recorded'>;
  readonly roles: readonly Role[];
  readonly summary: string;
  readonly body: object;
}

/** Every lifecycle step after the proposal, who may take it, and its fields. */
export const stationStepSpecs: readonly StepSpec[] = [
  {
    kind: 'surveyed',
    roles: ['market'],
    summary: 'R12/R13 site survey (within 3 working days of the proposal); a failure is recorded and rejects',
    body: stepBody({ location: geoSchema, findings: findingsSchema }, ['location', 'findings']),
  },
  {
    kind: 'applied',
    roles: ['market'],
    summary: 'R14/R22 application with its documents (business licence, ID) and receipt number',
    body: stepBody(
      {
        receiptNumber: netIdSchema,
        documents: {
          type: 'array',
          maxItems: 20,
          items: { type: 'string', minLength: 1, maxLength: 64 },
          description: `required: ${REQUIRED_DOCUMENTS.join(', ')}`,
        },
      },
      ['receiptNumber', 'documents'],
    ),
  },
  {
    kind: 'agreement-signed',
    roles: ['market'],
    summary: 'R14 agreement signed in three copies',
    body: stepBody({ agreementNumber: netIdSchema, copies: { type: 'integer', minimum: 0, maximum: 99 } }, [
      'agreementNumber',
      'copies',
    ]),
  },
  {
    kind: 'fee-settled',
    roles: ['finance'],
    summary: 'R14 platform fee paid, one of the 140 free places, or a competitor switch',
    body: stepBody(
      { mode: { type: 'string', enum: [...FEE_MODES] }, platformFeeFen: { type: 'integer', minimum: 1 } },
      ['mode'],
    ),
  },
  { kind: 'fitted-out', roles: ['market'], summary: 'R14 fit-out done', body: stepBody(notes) },
  {
    kind: 'debit-account-set',
    roles: ['agency_finance'],
    summary: 'R14 direct-debit account (masked, R24: first 6 / last 4)',
    body: stepBody({ accountMasked: { type: 'string', pattern: '^\\d{6}\\*+\\d{4}$', maxLength: 32 } }, [
      'accountMasked',
    ]),
  },
  {
    kind: 'installed',
    roles: ['ecommerce'],
    summary: 'R14 installation, UK key and training (within 10 working days of notice)',
    body: stepBody({ ukKeySerial: netIdSchema, trained: { type: 'boolean' } }, ['ukKeySerial', 'trained']),
  },
  {
    kind: 'goods-delivered',
    roles: ['branch'],
    summary: 'R14 goods delivered by the branch (within 3 working days)',
    body: stepBody(notes),
  },
  {
    kind: 'equipment-signed',
    roles: ['market'],
    summary: 'R14 equipment signed for',
    body: stepBody(notes),
  },
  {
    kind: 'opened',
    roles: ['ecommerce'],
    summary: 'R4 open: org code and quota account issued; only now may the kiosk transact',
    body: stepBody({ orgCode: netIdSchema, quotaAccount: netIdSchema }, ['orgCode', 'quotaAccount']),
  },
  {
    kind: 'follow-up-visited',
    roles: ['ecommerce'],
    summary: 'R14 follow-up visit (within 7 working days of opening)',
    body: stepBody(notes),
  },
  {
    kind: 'suspended',
    roles: ['market', 'supervision'],
    summary: 'suspend an open station (R4: it may not transact until reopened)',
    body: stepBody(notes),
  },
  { kind: 'reopened', roles: ['market'], summary: 'reopen a suspended station', body: stepBody(notes) },
  {
    kind: 'closed',
    roles: ['market'],
    summary: 'close a station (kept 6 years, R17)',
    body: stepBody(notes),
  },
  {
    kind: 'change-requested',
    roles: ['branch', 'market'],
    summary: 'R15 ordinary change requested (approved within 1 working day; the org code never changes)',
    body: stepBody({ description: textSchema, orgCode: netIdSchema }, ['description']),
  },
  {
    kind: 'change-approved',
    roles: ['market'],
    summary: 'R15 ordinary change approved',
    body: stepBody(notes),
  },
  {
    kind: 'move-requested',
    roles: ['branch', 'market'],
    summary: 'R15 move requested: needs a new survey and the R12 check',
    body: stepBody({ location: geoSchema }, ['location']),
  },
  {
    kind: 'move-surveyed',
    roles: ['market'],
    summary: 'R15 move surveyed (R12 at the new site, R13 conditions)',
    body: stepBody({ findings: findingsSchema }, ['findings']),
  },
  {
    kind: 'transferred',
    roles: ['market'],
    summary: 'R15 transfer: the agreement is re-signed (three copies); the org code stays',
    body: stepBody(
      {
        agreementNumber: netIdSchema,
        copies: { type: 'integer', minimum: 0, maximum: 99 },
        holderName: textSchema,
        orgCode: netIdSchema,
      },
      ['agreementNumber', 'copies', 'holderName'],
    ),
  },
  {
    kind: 'inspection-recorded',
    roles: ['market', 'supervision'],
    summary: 'R18 on-site inspection or phone follow-up (each at least once a quarter)',
    body: stepBody({ method: { type: 'string', enum: [...INSPECTION_METHODS] }, findings: textSchema }, [
      'method',
      'findings',
    ]),
  },
  {
    kind: 'training-recorded',
    roles: ['ecommerce'],
    summary: 'R18 training given (a phone follow-up is due within 2 weeks)',
    body: stepBody({ topic: textSchema }, ['topic']),
  },
];

function stepRoute(deps: ApiDeps, spec: StepSpec): ApiRoute {
  return {
    method: 'POST',
    url: `/api/v1/network/stations/:stationId/steps/${spec.kind}`,
    roles: spec.roles,
    summary: spec.summary,
    tags: ['network'],
    schema: { params: netStationParams, body: spec.body, headers: idempotencyHeaders },
    async handler(request, _reply, actor) {
      const { stationId } = request.params as { stationId: string };
      await visibleNetStation(deps, actor, stationId);
      const result = await stationStep(
        deps.network,
        netActor(actor),
        stationId,
        spec.kind,
        stepInput(request),
        stepOptions(request),
      );
      if (!result.ok && isSurveyFailure(spec.kind, result.reasons)) {
        // The failed survey is recorded (R22): audited as a write, answered as the refusal.
        await deps.audit.record(
          actor,
          `network.${spec.kind}`,
          stationId,
          { codes: [result.code] },
          'rejected',
        );
        await deps.control.lifecycleChanged(stationId);
      }
      const done = unwrapStep(result);
      if (!done.duplicate) {
        await deps.audit.record(actor, `network.${spec.kind}`, stationId, { version: done.record.version });
        await deps.control.lifecycleChanged(stationId);
      }
      return { station: done.view, record: done.record, duplicate: done.duplicate };
    },
  };
}

export function networkStationRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/network/branches',
      roles: everyone,
      summary: 'postal branches with their sites (R12 counts them)',
      tags: ['network'],
      async handler() {
        return { items: await allBranches(deps.network) };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/network/branches',
      roles: ['market'],
      summary: 'register a postal branch and its site (R12)',
      tags: ['network'],
      schema: {
        body: stepBody({ branchId: netIdSchema, name: textSchema, location: geoSchema }, [
          'branchId',
          'name',
          'location',
        ]),
        headers: idempotencyHeaders,
      },
      async handler(request, reply, actor) {
        const { branchId, ...input } = stepInput(request) as { branchId: string };
        const done = unwrapStep(
          await registerBranch(deps.network, netActor(actor), branchId, input, stepOptions(request)),
        );
        if (!done.duplicate) await deps.audit.record(actor, 'network.branch-registered', branchId);
        reply.code(done.duplicate ? 200 : 201);
        return { branch: done.view, record: done.record, duplicate: done.duplicate };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/network/stations',
      roles: everyone,
      summary: 'stations of the network with their lifecycle state (a branch sees its own)',
      tags: ['network'],
      schema: {
        querystring: strictObject({
          state: { type: 'string', enum: [...STATION_STATES] },
          branch: netIdSchema,
          limit: { type: 'integer', minimum: 1, maximum: networkListItemsMax, default: 100 },
          offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
        }),
      },
      async handler(request, _reply, actor) {
        const q = request.query as { state?: string; branch?: string; limit: number; offset: number };
        const items = (await allStations(deps.network))
          .filter((s) => ownBranch(actor, s.branchId))
          .filter((s) => q.state === undefined || s.state === q.state)
          .filter((s) => q.branch === undefined || s.branchId === q.branch)
          .sort((a, b) => a.stationId.localeCompare(b.stationId));
        return {
          total: items.length,
          limit: q.limit,
          offset: q.offset,
          items: items.slice(q.offset, q.offset + q.limit),
        };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/network/stations/:stationId',
      roles: everyone,
      summary: "a station's lifecycle: state, dates, open steps with due dates, R4 may-transact, timeline",
      tags: ['network'],
      schema: { params: netStationParams },
      async handler(request, _reply, actor) {
        const { stationId } = request.params as { stationId: string };
        const station = await visibleNetStation(deps, actor, stationId);
        const due = stationDue(deps.network, station);
        const mayTransact = await stationMayTransact(deps.network, stationId);
        return {
          station,
          mayTransact: mayTransact.ok,
          ...(mayTransact.ok ? {} : { notOpen: mayTransact.reasons }),
          due,
          timeline: await deps.network.store.read(`station:${stationId}`),
        };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/network/stations',
      roles: ['branch', 'market'],
      summary:
        'propose a station (R12: refused with every branch and station within 2 km and its distance); survey due in 3 working days',
      tags: ['network'],
      schema: {
        body: stepBody(
          { stationId: netIdSchema, branchId: netIdSchema, name: textSchema, location: geoSchema },
          ['stationId', 'branchId', 'name', 'location'],
        ),
        headers: idempotencyHeaders,
      },
      async handler(request, reply, actor) {
        const { stationId, ...input } = stepInput(request) as { stationId: string; branchId: string };
        assertOwnBranch(actor, input.branchId);
        const done = unwrapStep(
          await stationStep(
            deps.network,
            netActor(actor),
            stationId,
            'proposed',
            input,
            stepOptions(request),
          ),
        );
        if (!done.duplicate) {
          await deps.audit.record(actor, 'network.proposed', stationId, { branchId: input.branchId });
          await deps.control.lifecycleChanged(stationId);
        }
        reply.code(done.duplicate ? 200 : 201);
        return { station: done.view, record: done.record, duplicate: done.duplicate };
      },
    },
    ...stationStepSpecs.map((spec) => stepRoute(deps, spec)),
    {
      method: 'POST',
      url: '/api/v1/network/stations/:stationId/fee-check',
      roles: ['ecommerce'],
      summary:
        "R18 the month's fee-compliance check from the ingested events against the announced schedules (R6)",
      tags: ['network'],
      schema: { params: netStationParams, body: strictObject({ month: monthSchema }, ['month']) },
      async handler(request, _reply, actor) {
        const { stationId } = request.params as { stationId: string };
        const { month } = request.body as { month: string };
        await visibleNetStation(deps, actor, stationId);
        const { result, overcharges } = await checkFees(
          deps.network,
          netActor(actor),
          stationId,
          month,
          feeSchedulesOf(stationDefaults),
        );
        const done = unwrapStep(result);
        if (!done.duplicate)
          await deps.audit.record(actor, 'network.fee-check', stationId, {
            month,
            overchargeCount: overcharges.length,
          });
        return { record: done.record, overcharges, duplicate: done.duplicate };
      },
    },
  ];
}
