// Business refusals as the operator port returns them (R21: every reason at once), and the one
// mapping from core-ledger refusal codes to the agent codes the counter app knows. Pure.
import { LEDGER_CODES, type LedgerCode } from '@bianmin/core-ledger';
import type { Refusal, RefusalReason } from '../../ports/operator.js';

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

/** Every ledger refusal as an operator reason, in the ledger's precedence order (R21). */
export function ledgerReasons(codes: readonly LedgerCode[]): RefusalReason[] {
  return codes.map((code) => ({
    code: LEDGER_TO_AGENT[code] ?? code,
    message: `${code}: ${LEDGER_CODES[code]}`,
  }));
}

export function refusal(...reasons: RefusalReason[]): Refusal {
  if (reasons.length === 0) throw new Error('assert: a refusal has at least one reason');
  return { ok: false, reasons };
}
