// AuthorisationRequest carries the full PAN and the PIN block (R24): they must never reach a log.
// The generated class would print them through toJSON (pino, JSON.stringify) and util.inspect
// (console.log); both are replaced here so those fields print "[secret]" and the PAN prints
// masked. pino `redact` in the services stays the second line of defence.

import { inspect } from 'node:util';
import type { bianmin } from '../generated/bianmin.js';

type AuthorisationRequestClass = typeof bianmin.v1.AuthorisationRequest;

const secretText = '[secret]';

function safeView(message: bianmin.v1.AuthorisationRequest): Record<string, unknown> {
  return {
    requestId: message.requestId,
    transactionId: message.transactionId,
    pan: secretText,
    pinBlock: secretText,
    pinBlockFormat: message.pinBlockFormat,
    tpkKeyId: message.tpkKeyId,
    card: message.card ? { maskedPan: message.card.maskedPan, cardToken: message.card.cardToken } : null,
    amountFen: message.amountFen,
    feeFen: message.feeFen,
    feeScheduleVersion: message.feeScheduleVersion,
    expiresAtMs: message.expiresAtMs,
  };
}

/** Makes every AuthorisationRequest instance print its PAN and PIN block as "[secret]". */
export function redactAuthorisationRequest(messageClass: AuthorisationRequestClass): void {
  const prototype = messageClass.prototype as unknown as Record<string | symbol, unknown>;
  Object.defineProperty(prototype, 'toJSON', {
    value(this: bianmin.v1.AuthorisationRequest) {
      return safeView(this);
    },
    writable: false,
    configurable: false,
  });
  Object.defineProperty(prototype, inspect.custom, {
    value(this: bianmin.v1.AuthorisationRequest) {
      return `AuthorisationRequest ${inspect(safeView(this))}`;
    },
    writable: false,
    configurable: false,
  });
}
