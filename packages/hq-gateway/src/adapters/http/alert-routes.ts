// Alerts (issue 11): the list (open or acknowledged; issue 12: closed or not yet closed; a branch
// user's own stations) and the
// acknowledgement by a person (who, when; audited); issue 12: assignment to a user and closure
// with a reason (app/alert-handling.ts, kept in the operations log, audited), each alert listed
// with its handling.

import {
  type AlertHandlingDeps,
  assignAlert,
  closeAlert,
  closedAlertIds,
  withHandling,
} from '../../app/alert-handling.js';
import { alertNotFound } from '../../app/alerts.js';
import { seesBranch } from '../../domain/roles.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, reasonSchema, strictObject } from './route.js';
import { pagingProperties } from './station-routes.js';

/** What the list shows: 'open' is not acknowledged; 'unclosed' is open or acknowledged, not closed. */
type AlertListState = 'open' | 'acknowledged' | 'closed' | 'unclosed' | 'all';

const alertParams = strictObject({ alertId: { type: 'integer', minimum: 1 } }, ['alertId']);

export function alertRoutes(deps: ApiDeps): ApiRoute[] {
  const handling: AlertHandlingDeps = { ops: deps.ops, log: deps.network.store, clock: deps.clock };
  return [
    {
      method: 'GET',
      url: '/api/v1/alerts',
      roles: ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance', 'admin'],
      summary:
        'alerts, newest first: open (default: not acknowledged), acknowledged, closed (with a reason), unclosed (not yet closed: open or acknowledged only) or all',
      tags: ['alerts'],
      schema: {
        querystring: strictObject({
          state: {
            type: 'string',
            enum: ['open', 'acknowledged', 'closed', 'unclosed', 'all'],
            default: 'open',
          },
          ...pagingProperties,
        }),
      },
      async handler(request, _reply, actor) {
        const q = request.query as { state: AlertListState; limit: number; offset: number };
        // A branch user sees its own stations' alerts only (a branch user without a branch: none).
        const own = actor.role === 'branch' ? (actor.branchId ?? '') : undefined;
        // A closure acknowledges too: a closed alert is never 'open'.
        const closed = q.state === 'closed' || q.state === 'unclosed' ? await closedAlertIds(handling) : [];
        const items = await deps.ops.alerts({
          ...(q.state === 'open' ? { open: true } : {}),
          ...(q.state === 'acknowledged' || q.state === 'closed' ? { open: false } : {}),
          ...(q.state === 'closed' ? { alertIds: closed } : {}),
          ...(q.state === 'unclosed' ? { alertIdsNot: closed } : {}),
          ...(own === undefined ? {} : { branchId: own }),
          limit: q.limit,
          offset: q.offset,
        });
        return { limit: q.limit, offset: q.offset, items: await withHandling(handling, items) };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/alerts/:alertId/ack',
      roles: ['branch', 'market', 'supervision'],
      summary: 'acknowledge an alert (who and when are recorded); acknowledged before: unchanged',
      tags: ['alerts'],
      schema: { params: alertParams },
      async handler(request, _reply, actor) {
        const { alertId } = request.params as { alertId: number };
        const alert = await deps.ops.getAlert(alertId);
        if (alert === undefined) throw alertNotFound(alertId);
        const branchId = (await deps.ops.stationBranches()).get(alert.stationId) ?? null;
        if (!seesBranch(actor, branchId)) throw alertNotFound(alertId);
        const outcome = await deps.alerts.acknowledge(alertId, actor.userName);
        await deps.audit.record(actor, 'alert.acknowledge', String(alertId), { kind: alert.kind, outcome });
        return { alertId, outcome, alert: await deps.ops.getAlert(alertId) };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/alerts/:alertId/assign',
      roles: ['market', 'supervision'],
      summary:
        "assign (or reassign) an alert to a user who may see its station; a closed alert: HQ_ALERT_CLOSED; no such user (or another branch's): HQ_ALERT_ASSIGNEE_UNKNOWN",
      tags: ['alerts'],
      schema: {
        params: alertParams,
        body: strictObject(
          { assignee: { type: 'string', minLength: 1, maxLength: 64 }, reason: reasonSchema },
          ['assignee'],
        ),
      },
      async handler(request, _reply, actor) {
        const { alertId } = request.params as { alertId: number };
        const body = request.body as { assignee: string; reason?: string };
        const alert = await assignAlert(handling, actor, alertId, body.assignee, body.reason ?? '');
        await deps.audit.record(actor, 'alert.assign', String(alertId), {
          kind: alert.kind,
          assignee: body.assignee,
        });
        return { alert };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/alerts/:alertId/close',
      roles: ['branch', 'market', 'supervision'],
      summary:
        'close an alert with the reason why (acknowledged too when open; who, when, why recorded); closed before: HQ_ALERT_CLOSED',
      tags: ['alerts'],
      schema: { params: alertParams, body: strictObject({ reason: reasonSchema }, ['reason']) },
      async handler(request, _reply, actor) {
        const { alertId } = request.params as { alertId: number };
        const { reason } = request.body as { reason: string };
        const alert = await closeAlert(handling, actor, alertId, reason);
        await deps.audit.record(actor, 'alert.close', String(alertId), { kind: alert.kind, reason });
        return { alert };
      },
    },
  ];
}
