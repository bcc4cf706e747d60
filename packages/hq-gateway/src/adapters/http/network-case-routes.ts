// R19 repair tickets and R23 complaints on the HTTP API (issue 11). A ticket is opened for a
// station the caller may see (a branch: its own), noted and closed with its cost in fen (the
// merchant pays). A complaint is confidential: only supervision sees the complainant (the app
// layer redacts for every other role), and every read of a complaint is written to the audit log
// with whether the complainant was shown. app/network/cases.ts decides, as for the CLI.
import {
  allComplaints,
  allRepairs,
  complaintStep,
  complaintView,
  repairStep,
} from '../../app/network/cases.js';
import { stationView } from '../../app/network/stations.js';
import { COMPLAINT_CHANNELS, type ComplaintKind } from '../../domain/network/complaint.js';
import { REPAIR_SOURCES, type RepairKind } from '../../domain/network/repair.js';
import type { Actor, Role } from '../../domain/roles.js';
import { networkListItemsMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import {
  caseIdSchema,
  fenSchema,
  idempotencyHeaders,
  netActor,
  netIdSchema,
  netNotFound,
  ownBranch,
  stepBody,
  stepInput,
  stepOptions,
  textSchema,
  unwrapStep,
} from './network-common.js';
import { type ApiRoute, strictObject } from './route.js';

const repairParams = strictObject({ ticketId: caseIdSchema }, ['ticketId']);
const complaintParams = strictObject({ complaintId: caseIdSchema }, ['complaintId']);
const listQuery = strictObject({
  state: { type: 'string', enum: ['open', 'closed', 'all'], default: 'all' },
  limit: { type: 'integer', minimum: 1, maximum: networkListItemsMax, default: 100 },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
});

/** The branch of a station: its lifecycle record's, else the enrolment's; undefined: no such station. */
async function branchOfStation(deps: ApiDeps, stationId: string): Promise<string | null | undefined> {
  const view = await stationView(deps.network, stationId);
  if (view !== undefined) return view.branchId;
  if ((await deps.store.getStation(stationId)) === undefined) return undefined;
  return (await deps.ops.stationBranches()).get(stationId) ?? null;
}

/** The station exists and the caller may see it (a branch user: its own), else HQ_NET_NOT_FOUND. */
async function assertVisibleStation(deps: ApiDeps, actor: Actor, stationId: string): Promise<void> {
  const branchId = await branchOfStation(deps, stationId);
  if (branchId === undefined || (actor.role === 'branch' && !ownBranch(actor, branchId ?? '')))
    throw netNotFound(`station ${stationId}`, 'stationId');
}

function repairStepRoute(
  deps: ApiDeps,
  url: string,
  kind: Exclude<RepairKind, 'repair-opened'>,
  roles: readonly Role[],
  summary: string,
  body: object,
): ApiRoute {
  return {
    method: 'POST',
    url,
    roles,
    summary,
    tags: ['repairs'],
    schema: { params: repairParams, body, headers: idempotencyHeaders },
    async handler(request, _reply, actor) {
      const { ticketId } = request.params as { ticketId: string };
      const ticket = (await allRepairs(deps.network)).find((r) => r.ticketId === ticketId);
      if (ticket === undefined) throw netNotFound(`repair ticket ${ticketId}`, 'ticketId');
      await assertVisibleStation(deps, actor, ticket.stationId);
      const done = unwrapStep(
        await repairStep(
          deps.network,
          netActor(actor),
          ticketId,
          kind,
          stepInput(request),
          stepOptions(request),
        ),
      );
      if (!done.duplicate)
        await deps.audit.record(actor, `network.${kind}`, ticketId, { stationId: ticket.stationId });
      return { ticket: done.view, record: done.record, duplicate: done.duplicate };
    },
  };
}

function complaintStepRoute(
  deps: ApiDeps,
  url: string,
  kind: Exclude<ComplaintKind, 'complaint-received'>,
  roles: readonly Role[],
  summary: string,
  body: object,
): ApiRoute {
  return {
    method: 'POST',
    url,
    roles,
    summary,
    tags: ['complaints'],
    schema: { params: complaintParams, body, headers: idempotencyHeaders },
    async handler(request, _reply, actor) {
      const { complaintId } = request.params as { complaintId: string };
      const done = unwrapStep(
        await complaintStep(
          deps.network,
          netActor(actor),
          complaintId,
          kind,
          stepInput(request),
          stepOptions(request),
        ),
      );
      if (!done.duplicate) await deps.audit.record(actor, `network.${kind}`, complaintId);
      return { complaint: done.view, record: done.record, duplicate: done.duplicate };
    },
  };
}

export function networkCaseRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/network/repairs',
      roles: ['branch', 'market', 'ecommerce', 'supervision'],
      summary: 'R19 repair tickets (a branch sees its own stations), ordered by ticket id',
      tags: ['repairs'],
      schema: { querystring: listQuery },
      async handler(request, _reply, actor) {
        const q = request.query as { state: 'open' | 'closed' | 'all'; limit: number; offset: number };
        const visible = [];
        for (const ticket of await allRepairs(deps.network)) {
          if (q.state === 'open' && ticket.closed !== undefined) continue;
          if (q.state === 'closed' && ticket.closed === undefined) continue;
          if (
            actor.role === 'branch' &&
            !ownBranch(actor, (await branchOfStation(deps, ticket.stationId)) ?? '')
          )
            continue;
          visible.push(ticket);
        }
        visible.sort((a, b) => a.ticketId.localeCompare(b.ticketId));
        return { total: visible.length, items: visible.slice(q.offset, q.offset + q.limit) };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/network/repairs',
      roles: ['branch', 'market', 'ecommerce'],
      summary: 'R19 open a repair ticket (by phone; telemetry faults open their own); the merchant pays',
      tags: ['repairs'],
      schema: {
        body: stepBody(
          {
            ticketId: caseIdSchema,
            stationId: netIdSchema,
            peripheral: { type: 'string', minLength: 1, maxLength: 64 },
            fault: textSchema,
            source: { type: 'string', enum: [...REPAIR_SOURCES], default: 'phone' },
          },
          ['ticketId', 'stationId', 'peripheral', 'fault'],
        ),
        headers: idempotencyHeaders,
      },
      async handler(request, reply, actor) {
        const { ticketId, ...input } = stepInput(request) as { ticketId: string; stationId: string };
        await assertVisibleStation(deps, actor, input.stationId);
        const done = unwrapStep(
          await repairStep(
            deps.network,
            netActor(actor),
            ticketId,
            'repair-opened',
            input,
            stepOptions(request),
          ),
        );
        if (!done.duplicate)
          await deps.audit.record(actor, 'network.repair-opened', ticketId, { stationId: input.stationId });
        reply.code(done.duplicate ? 200 : 201);
        return { ticket: done.view, record: done.record, duplicate: done.duplicate };
      },
    },
    repairStepRoute(
      deps,
      '/api/v1/network/repairs/:ticketId/notes',
      'repair-noted',
      ['ecommerce'],
      'R19 add a note to an open ticket',
      stepBody({ note: textSchema }, ['note']),
    ),
    repairStepRoute(
      deps,
      '/api/v1/network/repairs/:ticketId/close',
      'repair-closed',
      ['ecommerce'],
      'R19 close a ticket with its cost in integer fen (the merchant pays)',
      stepBody({ costFen: fenSchema }, ['costFen']),
    ),
    {
      method: 'GET',
      url: '/api/v1/network/complaints',
      roles: ['market', 'supervision'],
      summary: 'R23 complaints (the complainant for supervision only); every read is audited',
      tags: ['complaints'],
      schema: { querystring: listQuery },
      async handler(request, _reply, actor) {
        const q = request.query as { state: 'open' | 'closed' | 'all'; limit: number; offset: number };
        const items = (await allComplaints(deps.network, netActor(actor)))
          .filter((c) => q.state === 'all' || (q.state === 'open') === (c.outcome === undefined))
          .sort((a, b) => a.complaintId.localeCompare(b.complaintId))
          .slice(q.offset, q.offset + q.limit);
        await deps.audit.record(actor, 'complaint.read', '', {
          complaintIds: items.map((c) => c.complaintId),
          complainantShown: actor.role === 'supervision',
        });
        return { items };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/network/complaints/:complaintId',
      roles: ['market', 'supervision'],
      summary: 'R23 one complaint (the complainant for supervision only); the read is audited',
      tags: ['complaints'],
      schema: { params: complaintParams },
      async handler(request, _reply, actor) {
        const { complaintId } = request.params as { complaintId: string };
        const view = await complaintView(deps.network, netActor(actor), complaintId);
        if (view === undefined) throw netNotFound(`complaint ${complaintId}`, 'complaintId');
        await deps.audit.record(actor, 'complaint.read', complaintId, {
          complainantShown: actor.role === 'supervision',
        });
        return view;
      },
    },
    {
      method: 'POST',
      url: '/api/v1/network/complaints',
      roles: ['branch', 'market', 'supervision'],
      summary: 'R23 receive a complaint (oral, phone, written); confidential: only supervision sees who',
      tags: ['complaints'],
      schema: {
        body: stepBody(
          {
            complaintId: caseIdSchema,
            channel: { type: 'string', enum: [...COMPLAINT_CHANNELS] },
            complainant: strictObject({ name: textSchema, contact: textSchema }, ['name', 'contact']),
            summary: textSchema,
            stationId: netIdSchema,
          },
          ['complaintId', 'channel', 'complainant', 'summary'],
        ),
        headers: idempotencyHeaders,
      },
      async handler(request, reply, actor) {
        const { complaintId, ...input } = stepInput(request) as { complaintId: string; stationId?: string };
        if (input.stationId !== undefined) await assertVisibleStation(deps, actor, input.stationId);
        const done = unwrapStep(
          await complaintStep(
            deps.network,
            netActor(actor),
            complaintId,
            'complaint-received',
            input,
            stepOptions(request),
          ),
        );
        if (!done.duplicate)
          await deps.audit.record(actor, 'network.complaint-received', complaintId, {
            ...(input.stationId === undefined ? {} : { stationId: input.stationId }),
          });
        reply.code(done.duplicate ? 200 : 201);
        return { complaint: done.view, record: done.record, duplicate: done.duplicate };
      },
    },
    complaintStepRoute(
      deps,
      '/api/v1/network/complaints/:complaintId/notes',
      'complaint-noted',
      ['market', 'supervision'],
      'R23 note the handling of a complaint',
      stepBody({ note: textSchema }, ['note']),
    ),
    complaintStepRoute(
      deps,
      '/api/v1/network/complaints/:complaintId/answer',
      'complaint-answered',
      ['supervision'],
      'R23 answer a complaint (a written complaint gets a written answer)',
      stepBody({ channel: { type: 'string', enum: [...COMPLAINT_CHANNELS] }, text: textSchema }, [
        'channel',
        'text',
      ]),
    ),
    complaintStepRoute(
      deps,
      '/api/v1/network/complaints/:complaintId/outcome',
      'complaint-outcome-returned',
      ['supervision'],
      'R23 the outcome returned to the complainant',
      stepBody({ text: textSchema }, ['text']),
    ),
  ];
}
