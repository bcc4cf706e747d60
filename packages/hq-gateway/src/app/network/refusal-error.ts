// A network refusal (every reason, R21) as the HqError the CLI prints and the HTTP API answers as
// problem+json: one home, so both show the same codes, fields and messages.
import type { NetRefusal } from '../../domain/network/refusal.js';
import { HqError } from '../../errors.js';

export function refusalError(refusal: NetRefusal): HqError {
  return new HqError(refusal.code, refusal.reasons.map((r) => r.message).join('; '), {
    details: { reasons: refusal.reasons },
    problems: refusal.reasons.map((r) => ({
      code: r.code,
      ...(r.field === undefined ? {} : { field: r.field }),
      message: r.message,
    })),
  });
}
