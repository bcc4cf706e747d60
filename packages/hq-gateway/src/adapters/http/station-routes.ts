// Stations (issue 11): the list (filter, paging, stable order), a station's page, enrolment (with
// its branch office), suspend, resume and key revocation. Writes go through the same application
// layer as the CLI (HqOperations, StationControl), take effect in the running gateway at once,
// and are audited.

import { stationStates } from '../../app/station-views.js';
import { branchIdPattern } from '../../app/users.js';
import type { Actor } from '../../domain/roles.js';
import { httpPageSizeDefault, httpPageSizeMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, reasonSchema, stationParams, strictObject } from './route.js';

export const pagingProperties = {
  limit: { type: 'integer', minimum: 1, maximum: httpPageSizeMax, default: httpPageSizeDefault },
  offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
} as const;

const whyBody = strictObject({ reason: reasonSchema }, ['reason']);

export function stationRoutes(deps: ApiDeps): ApiRoute[] {
  const control = (
    url: string,
    summary: string,
    roles: ApiRoute['roles'],
    action: string,
    run: (stationId: string, actor: Actor, reason: string) => Promise<string>,
  ): ApiRoute => ({
    method: 'POST',
    url,
    roles,
    summary,
    tags: ['stations'],
    schema: { params: stationParams, body: whyBody },
    async handler(request, _reply, actor) {
      const { stationId } = request.params as { stationId: string };
      const { reason } = request.body as { reason: string };
      await deps.views.visibleStation(actor, stationId);
      // The change and its audit row: one transaction on PostgreSQL (neither without the other).
      const outcome = await deps.audit.recordWith(actor, action, stationId, async () => {
        const done = await run(stationId, actor, reason);
        return { result: done, detail: { reason, outcome: done } };
      });
      return { stationId, outcome };
    },
  });
  return [
    {
      method: 'GET',
      url: '/api/v1/stations',
      roles: ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance', 'admin'],
      summary: 'stations: filter by state, branch, search (station id or org code); ordered by station id',
      tags: ['stations'],
      schema: {
        querystring: strictObject({
          state: { type: 'string', enum: [...stationStates] },
          branch: { type: 'string', pattern: branchIdPattern },
          search: { type: 'string', minLength: 1, maxLength: 64 },
          ...pagingProperties,
        }),
      },
      async handler(request, _reply, actor) {
        const q = request.query as {
          state?: (typeof stationStates)[number];
          branch?: string;
          search?: string;
          limit: number;
          offset: number;
        };
        const page = await deps.views.list(actor, {
          ...(q.state === undefined ? {} : { state: q.state }),
          ...(q.branch === undefined ? {} : { branchId: q.branch }),
          ...(q.search === undefined ? {} : { search: q.search }),
          limit: q.limit,
          offset: q.offset,
        });
        return { total: page.total, limit: q.limit, offset: q.offset, items: page.items };
      },
    },
    {
      method: 'GET',
      url: '/api/v1/stations/:stationId',
      roles: ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance', 'admin'],
      summary:
        "a station's page: status, config version, fee schedules, quota and purchases, last events, discrepancies",
      tags: ['stations'],
      schema: { params: stationParams },
      async handler(request, _reply, actor) {
        const { stationId } = request.params as { stationId: string };
        return deps.views.page(actor, stationId);
      },
    },
    {
      method: 'POST',
      url: '/api/v1/stations',
      roles: ['market'],
      summary:
        "enrol a station: bind its kiosk's key (the enrolment request kiosk provision prints) in a branch",
      tags: ['stations'],
      schema: {
        body: strictObject(
          {
            branch: { type: 'string', pattern: branchIdPattern },
            // Checked field by field by the enrolment parser (every problem at once, R21).
            request: { type: 'object' },
          },
          ['branch', 'request'],
        ),
      },
      async handler(request, reply, actor) {
        const body = request.body as { branch: string; request: unknown };
        // A revoked key never serves again, under its station or another.
        await deps.control.refuseRevokedKey(deps.operations.checkEnrolment(body.request));
        const { outcome, station } = await deps.operations.enrol(body.request);
        await deps.ops.setStationBranch(station.stationId, body.branch);
        if (outcome === 'enrolled') await deps.control.enrolled(station);
        await deps.audit.record(actor, 'station.enrol', station.stationId, {
          outcome,
          branchId: body.branch,
          fingerprint: station.fingerprint,
        });
        reply.code(outcome === 'enrolled' ? 201 : 200);
        return { outcome, stationId: station.stationId, orgCode: station.orgCode, branchId: body.branch };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/stations/:stationId/reenrol',
      roles: ['market'],
      summary:
        'enrol a new key for a station whose key is revoked (same station id and org code); the old key stays revoked',
      tags: ['stations'],
      schema: {
        params: stationParams,
        body: strictObject({ request: { type: 'object' }, reason: reasonSchema }, ['request', 'reason']),
      },
      async handler(request, _reply, actor) {
        const { stationId } = request.params as { stationId: string };
        const body = request.body as { request: unknown; reason: string };
        const current = await deps.views.visibleStation(actor, stationId);
        const next = deps.operations.checkEnrolment(body.request);
        const outcome = await deps.audit.recordWith(actor, 'station.reenrol', stationId, async () => ({
          result: await deps.control.reenrol(stationId, next, { by: actor.userName, reason: body.reason }),
          detail: {
            reason: body.reason,
            revokedFingerprint: current.fingerprint,
            fingerprint: next.fingerprint,
          },
        }));
        return { stationId, outcome, orgCode: current.orgCode, fingerprint: next.fingerprint };
      },
    },
    control(
      '/api/v1/stations/:stationId/suspend',
      'suspend a station: its messages are quarantined at once (running gateway) until resumed',
      ['market', 'supervision'],
      'station.suspend',
      (stationId, actor, reason) => deps.control.suspend(stationId, { by: actor.userName, reason }),
    ),
    control(
      '/api/v1/stations/:stationId/resume',
      'lift a suspension: the station is served again at once (a revoked key is refused)',
      ['market'],
      'station.resume',
      (stationId, actor, reason) => deps.control.resume(stationId, { by: actor.userName, reason }),
    ),
    control(
      '/api/v1/stations/:stationId/revoke-key',
      "revoke a station's key: its messages are quarantined at once; only a new key serves it again",
      ['market'],
      'station.revoke_key',
      (stationId, actor, reason) => deps.control.revokeKey(stationId, { by: actor.userName, reason }),
    ),
  ];
}
