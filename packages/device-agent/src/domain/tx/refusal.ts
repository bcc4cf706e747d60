// Business refusals as the operator port returns them (R21: every reason at once), and the one
// mapping from core-ledger refusal codes to the agent codes the counter app knows. Pure.
import { LEDGER_CODES, type LedgerCode } from '@bianmin/core-ledger';
import { agentErrorCodes } from '../../errors.js';
import type { Refusal, RefusalReason } from '../../ports/operator.js';
import { assert } from '../assert.js';

/** Ledger refusals the counter app knows under an agent code; the message keeps the ledger code. */
export const LEDGER_TO_AGENT: Readonly<Partial<Record<LedgerCode, string>>> = {
  LEDGER_QUOTA_INSUFFICIENT: 'AGENT_TX_QUOTA_EXCEEDED',
  LEDGER_OUTSIDE_SERVICE_HOURS: 'AGENT_TX_OUTSIDE_SERVICE_HOURS',
  LEDGER_IN_MAINTENANCE_WINDOW: 'AGENT_TX_OUTSIDE_SERVICE_HOURS',
  LEDGER_STATION_NO_ORG_CODE: 'AGENT_TX_NO_CONFIG',
  LEDGER_STATION_NO_QUOTA_ACCOUNT: 'AGENT_TX_NO_CONFIG',
  LEDGER_WITHDRAWAL_OVER_TRANSACTION_LIMIT: 'AGENT_TX_OVER_LIMIT',
  LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT: 'AGENT_TX_OVER_LIMIT',
  LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT: 'AGENT_TX_OVER_LIMIT',
};
// One mapping, into the one registry: every target is a registered agent code.
assert(
  Object.values(LEDGER_TO_AGENT).every((code) => code !== undefined && code in agentErrorCodes),
  'LEDGER_TO_AGENT: a target is not in src/errors.ts',
);

/** Every ledger refusal as an operator reason, in the ledger's precedence order (R21). */
export function ledgerReasons(codes: readonly LedgerCode[]): RefusalReason[] {
  assert(
    codes.every((code) => code in LEDGER_CODES),
    'ledgerReasons: a code core-ledger does not know',
  );
  const reasons = codes.map((code) => ({
    code: LEDGER_TO_AGENT[code] ?? code,
    message: `${code}: ${LEDGER_CODES[code]}`,
  }));
  assert(reasons.length === codes.length, 'ledgerReasons: every reason kept (R21)');
  return reasons;
}

export function refusal(...reasons: RefusalReason[]): Refusal {
  assert(reasons.length > 0, 'a refusal has at least one reason');
  assert(
    reasons.every((reason) => reason.code.length > 0),
    'refusal: every reason has a code',
  );
  return { ok: false, reasons };
}
