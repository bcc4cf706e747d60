// Quota purchases (R3, issue 11): idempotent by the outlet's receipt reference (the same reference
// again: 200 'exists'; with another amount or station: 409 HQ_QUOTA_PURCHASE_CONFLICT). The new
// config goes to the station through the running gateway.
import { receiptReferenceCharsMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, stationParams, strictObject } from './route.js';

export function quotaRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'POST',
      url: '/api/v1/stations/:stationId/quota-purchases',
      roles: ['ecommerce'],
      summary: 'record a quota purchase (R3: at least 500.00 yuan), idempotent by receipt reference',
      tags: ['quota'],
      schema: {
        params: stationParams,
        body: strictObject(
          {
            // Yuan as text (two decimals at most) so no float reaches money (R1).
            amountYuan: { type: 'string', pattern: '^[0-9]{1,13}(\\.[0-9]{1,2})?$' },
            receipt: { type: 'string', minLength: 1, maxLength: receiptReferenceCharsMax },
          },
          ['amountYuan', 'receipt'],
        ),
      },
      async handler(request, reply, actor) {
        const { stationId } = request.params as { stationId: string };
        const body = request.body as { amountYuan: string; receipt: string };
        await deps.views.visibleStation(actor, stationId);
        const outcome = await deps.operations.purchaseQuota(
          stationId,
          { yuan: body.amountYuan },
          body.receipt,
        );
        await deps.audit.record(actor, 'quota.purchase', stationId, {
          receipt: outcome.purchaseId,
          amountFen: outcome.amountFen,
          outcome: outcome.outcome,
        });
        reply.code(outcome.outcome === 'recorded' ? 201 : 200);
        return outcome;
      },
    },
  ];
}
