// problem+json (RFC 9457) answers with HQ's stable codes (issue 11): type, title, status, code,
// detail, requestId, and every problem (R21) when there are several. An error without an HQ code
// is HQ_INTERNAL_ERROR and echoes nothing but the code and the request id (the log has the rest).
import { type HqCode, HqError, type HqProblem, hqCodes } from '../../errors.js';

export const problemContentType = 'application/problem+json; charset=utf-8';

/** HTTP status per HQ code; codes not listed are 400 (refused input) unless internal. */
const statusOf: Partial<Record<HqCode, number>> = {
  HQ_HTTP_ROUTE_NOT_FOUND: 404,
  HQ_AUTH_REQUIRED: 401,
  HQ_AUTH_FAILED: 401,
  HQ_FORBIDDEN: 403,
  HQ_LOGIN_RATE_LIMITED: 429,
  HQ_STATION_NOT_FOUND: 404,
  HQ_ALERT_NOT_FOUND: 404,
  HQ_USER_EXISTS: 409,
  HQ_STATION_KEY_CONFLICT: 409,
  HQ_QUOTA_PURCHASE_CONFLICT: 409,
  HQ_STATION_NOT_SUSPENDED: 409,
  HQ_STATION_KEY_REVOKED: 409,
  HQ_QUOTA_PURCHASE_REFUSED: 422,
  HQ_ENROLMENT_SIGNATURE_INVALID: 422,
  HQ_ENROLMENT_PROOF_MISSING: 422,
  HQ_AUDIT_CHAIN_BROKEN: 500,
  HQ_STORE_FAILED: 503,
  HQ_MQTT_FAILED: 503,
  HQ_INTERNAL_ERROR: 500,
  HQ_LIVE_BUSY: 503,
};

export function httpStatusOf(code: HqCode): number {
  return statusOf[code] ?? 400;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly requestId: string;
  readonly problems?: ReadonlyArray<{ code: string; field?: string; message: string }>;
}

export function problemOf(
  code: HqCode,
  detail: string,
  requestId: string,
  problems?: readonly HqProblem[],
): Problem {
  return {
    type: `urn:bianmin:hq:error:${code}`,
    title: hqCodes[code],
    status: httpStatusOf(code),
    code,
    detail,
    requestId,
    ...(problems === undefined ? {} : { problems: problems.map((p) => ({ ...p })) }),
  };
}

/** The answer to any error: an HqError as itself (store and internal errors without details). */
export function problemOfError(error: unknown, requestId: string): Problem {
  if (error instanceof HqError) {
    if (error.code === 'HQ_STORE_FAILED' || error.code === 'HQ_INTERNAL_ERROR')
      return problemOf(error.code, 'see the HQ log for this request id', requestId);
    return problemOf(error.code, error.message, requestId, error.problems);
  }
  return problemOf('HQ_INTERNAL_ERROR', 'see the HQ log for this request id', requestId);
}

/** The JSON schema of a problem (the OpenAPI document's error answer). */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    requestId: { type: 'string' },
    problems: {
      type: 'array',
      items: {
        type: 'object',
        properties: { code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  required: ['type', 'title', 'status', 'code', 'detail', 'requestId'],
} as const;
