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
  // The station network (issue 11): a missing record 404, a state or version conflict 409, a
  // business rule (R12, R13, R14, R4, R23) 422, a calendar year missing 500 (HQ's data, not input).
  HQ_NET_NOT_FOUND: 404,
  HQ_NET_ALREADY_EXISTS: 409,
  HQ_NET_TRANSITION_ILLEGAL: 409,
  HQ_OPS_VERSION_CONFLICT: 409,
  HQ_OPS_IDEMPOTENCY_CONFLICT: 409,
  HQ_NET_TOO_CLOSE: 422,
  HQ_NET_PREMISES_TOO_SMALL: 422,
  HQ_NET_TERMINAL_SPACE_TOO_SMALL: 422,
  HQ_NET_SIGNAGE_SPACE_MISSING: 422,
  HQ_NET_COMMUNICATION_LINE_MISSING: 422,
  HQ_NET_TRADING_TOO_SHORT: 422,
  HQ_NET_DOCUMENTS_MISSING: 422,
  HQ_NET_AGREEMENT_COPIES: 422,
  HQ_NET_FREE_PLACES_EXHAUSTED: 422,
  HQ_NET_ORG_CODE_IMMUTABLE: 422,
  HQ_NET_NOT_OPEN: 422,
  HQ_COMPLAINT_WRITTEN_ANSWER_REQUIRED: 422,
  HQ_NET_SURVEY_FAILED_RECORDED: 422,
  HQ_NET_CALENDAR_YEAR_MISSING: 500,
  HQ_AUDIT_CHAIN_BROKEN: 500,
  HQ_STORE_FAILED: 503,
  HQ_MQTT_FAILED: 503,
  HQ_INTERNAL_ERROR: 500,
  HQ_LIVE_BUSY: 503,
  HQ_ALERT_CLOSED: 409,
  HQ_ALERT_ASSIGNEE_UNKNOWN: 422,
  // Releases and rollouts (issue 13).
  HQ_ROLLOUT_NOT_FOUND: 404,
  HQ_ROLLOUT_ALREADY_EXISTS: 409,
  HQ_ROLLOUT_TRANSITION_ILLEGAL: 409,
  HQ_ROLLOUT_FIELD_INVALID: 422,
  HQ_ROLLOUT_RELEASE_UNKNOWN: 422,
  HQ_ROLLOUT_TARGET_UNKNOWN: 422,
  HQ_STATION_GROUP_NOT_FOUND: 404,
  HQ_RELEASE_NOT_CONFIGURED: 503,
  HQ_RELEASE_NOT_FOUND: 404,
  HQ_RELEASE_VERSION_CONFLICT: 409,
  HQ_RELEASE_BUNDLE_UNREADABLE: 422,
  HQ_RELEASE_MANIFEST_INVALID: 422,
  HQ_RELEASE_SIGNATURE_INVALID: 422,
  HQ_RELEASE_KEY_UNKNOWN: 422,
  HQ_RELEASE_FILE_TAMPERED: 422,
  HQ_RELEASE_FILE_MISSING: 422,
  HQ_RELEASE_FILE_UNEXPECTED: 422,
  HQ_QUOTA_STATION_NOT_OPEN: 422,
  HQ_ENROLMENT_KEY_REVOKED: 409,
  HQ_REENROL_REFUSED: 409,
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
  readonly problems?: ReadonlyArray<{
    code: string;
    field?: string;
    message: string;
    /** A network refusal's facts (R12: the site and its distance in metres). */
    details?: Readonly<Record<string, unknown>>;
  }>;
}

export function problemOf(
  code: HqCode,
  detail: string,
  requestId: string,
  problems?: readonly (HqProblem & { readonly details?: Readonly<Record<string, unknown>> })[],
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
    // A network refusal (app/network/refusal-error.ts) carries its reasons with their details.
    const reasons = error.details.reasons;
    return problemOf(
      error.code,
      error.message,
      requestId,
      Array.isArray(reasons) ? (reasons as HqProblem[]) : error.problems,
    );
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
        properties: {
          code: { type: 'string' },
          field: { type: 'string' },
          message: { type: 'string' },
          details: { type: 'object' },
        },
      },
    },
  },
  required: ['type', 'title', 'status', 'code', 'detail', 'requestId'],
} as const;
