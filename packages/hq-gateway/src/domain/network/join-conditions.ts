// R13: the joining conditions, checked on the survey's findings as one checklist that names every
// unmet condition at once (R21). The thresholds are the Measures' own numbers.

import { assert } from '../assert.js';
import type { NetReason } from './refusal.js';
import { fieldInvalid } from './refusal.js';

/** R13 thresholds. */
export const PREMISES_M2_MIN = 10;
export const TERMINAL_SPACE_M2_MIN = 1;
export const TRADING_MONTHS_MIN = 6;

/** What the surveyor found on site. */
export interface SurveyFindings {
  readonly premisesM2: number;
  readonly terminalSpaceM2: number;
  readonly signageSpace: boolean;
  readonly communicationLine: boolean;
  /** Months the shop has traded lawfully (from its business licence). */
  readonly tradingMonths: number;
}

function nonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Bad input first (a field named), then every unmet R13 condition. Empty: all met. */
export function joinConditionReasons(findings: Partial<Record<keyof SurveyFindings, unknown>>): NetReason[] {
  assert(typeof findings === 'object' && findings !== null, 'findings is an object');
  const reasons: NetReason[] = [];
  const { premisesM2, terminalSpaceM2, signageSpace, communicationLine, tradingMonths } = findings;
  if (!nonNegative(premisesM2)) reasons.push(fieldInvalid('premisesM2', 'square metres, a number >= 0'));
  else if (premisesM2 < PREMISES_M2_MIN)
    reasons.push({
      code: 'HQ_NET_PREMISES_TOO_SMALL',
      field: 'premisesM2',
      message: `R13: premises ${premisesM2} m² (at least ${PREMISES_M2_MIN} m²)`,
    });
  if (!nonNegative(terminalSpaceM2))
    reasons.push(fieldInvalid('terminalSpaceM2', 'square metres, a number >= 0'));
  else if (terminalSpaceM2 < TERMINAL_SPACE_M2_MIN)
    reasons.push({
      code: 'HQ_NET_TERMINAL_SPACE_TOO_SMALL',
      field: 'terminalSpaceM2',
      message: `R13: ${terminalSpaceM2} m² for the terminal (at least ${TERMINAL_SPACE_M2_MIN} m²)`,
    });
  if (typeof signageSpace !== 'boolean') reasons.push(fieldInvalid('signageSpace', 'true or false'));
  else if (!signageSpace)
    reasons.push({
      code: 'HQ_NET_SIGNAGE_SPACE_MISSING',
      field: 'signageSpace',
      message: 'R13: no outdoor signage space',
    });
  if (typeof communicationLine !== 'boolean')
    reasons.push(fieldInvalid('communicationLine', 'true or false'));
  else if (!communicationLine)
    reasons.push({
      code: 'HQ_NET_COMMUNICATION_LINE_MISSING',
      field: 'communicationLine',
      message: 'R13: no working communication line',
    });
  if (!(Number.isInteger(tradingMonths) && (tradingMonths as number) >= 0))
    reasons.push(fieldInvalid('tradingMonths', 'whole months >= 0'));
  else if ((tradingMonths as number) < TRADING_MONTHS_MIN)
    reasons.push({
      code: 'HQ_NET_TRADING_TOO_SHORT',
      field: 'tradingMonths',
      message: `R13: trading for ${String(tradingMonths)} months (at least ${TRADING_MONTHS_MIN})`,
    });
  return reasons;
}
