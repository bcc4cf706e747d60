// The operator's drawer count at the end of a business day (R8 账实相符): the cash counted (and
// the float the day opened with), declared once per day, signed and journaled like any event.
// Made with the close it travels in that close (DailyClose.cash_declared); a day already closed
// without one (the automatic close after midnight) gets its own CashDeclared event naming the
// sealed close, which it never changes. A second declaration for a day is refused
// (AGENT_CASH_ALREADY_DECLARED). HQ compares the count with the cash the day should have left
// (core-ledger expectedCash). Runs inside the journal writer's `serially` (daily-close.ts).
import { PayloadType, limits as wireLimits } from '@bianmin/wire';
import { refusal } from '../domain/tx/refusal.js';
import type { CashCount, CashDeclarationView, Refusal } from '../ports/operator.js';
import type { AppContext } from './context.js';

export const metaCashDeclared = (date: string) => `cash_declared:${date}`;

/** The wire CashDeclaration of a count made now. */
export function cashDeclarationBody(
  cash: CashCount,
  declaredAtMs: number,
): { cashFenCounted: number; floatFenOpening: number; declaredAtMs: number } {
  return { cashFenCounted: cash.cashFenCounted, floatFenOpening: cash.floatFenOpening ?? 0, declaredAtMs };
}

/** A count from outside (operator API, CLI) is checked here too: a refusal with a code, never a crash. */
export function checkCashCount(c: AppContext, date: string, cash: CashCount): Refusal | undefined {
  const bad = (fen: number | undefined) =>
    fen !== undefined && !(Number.isSafeInteger(fen) && fen >= 0 && fen <= wireLimits.cashFenDeclaredMax);
  if (bad(cash.cashFenCounted) || bad(cash.floatFenOpening)) {
    return refusal({
      code: 'AGENT_CASH_COUNT_INVALID',
      message: `a drawer count is whole fen from 0 to ${wireLimits.cashFenDeclaredMax} (R1)`,
    });
  }
  const earlier = c.journal.getMeta(metaCashDeclared(date));
  if (earlier !== null) {
    return refusal({
      code: 'AGENT_CASH_ALREADY_DECLARED',
      message: `the cash of business day ${date} was already declared (seq ${earlier}); a count is never changed`,
    });
  }
  return undefined;
}

/**
 * A count for a day already closed without one: a CashDeclared event naming the close's hash.
 * Inside `serially`; the caller checked the count (checkCashCount).
 */
export async function declareAfterClose(
  c: AppContext,
  date: string,
  closeHash: string,
  cash: CashCount,
): Promise<CashDeclarationView> {
  const declaration = cashDeclarationBody(cash, c.clock.nowMs());
  const seq = c.journal.nextEventSeq();
  await c.writer.append(
    'cash.declared',
    `cash-${date}`,
    { businessDate: date, closeHash, ...declaration },
    { type: PayloadType.PAYLOAD_TYPE_CASH_DECLARED, body: { businessDate: date, closeHash, declaration } },
    { [metaCashDeclared(date)]: String(seq) },
  );
  c.log.info({ businessDate: date, seq }, 'drawer count declared after the close (R8)');
  return { cashFenCounted: declaration.cashFenCounted, floatFenOpening: declaration.floatFenOpening, seq };
}
