// Goal: the pure transaction rules: receipt numbers are unique and checkable offline (R9), the
// withdrawal state machine allows only its legal steps, and restart recovery settles every
// non-terminal phase. Method: table-driven cases and exhaustive single-character mutation.
import t from 'tap';
import { businessDateOf, isWithinServiceHours, minuteOfDay } from '../../src/domain/tx/business-day.js';
import { makeReceiptNumber, verifyReceiptNumber } from '../../src/domain/tx/receipt.js';
import {
  applyWithdrawalEvent,
  canApply,
  recoveryAction,
  type WithdrawalState,
} from '../../src/domain/tx/withdrawal.js';

t.test('R9 receipt numbers: round trip, and every single-character change is caught', async (t) => {
  const receipt = makeReceiptNumber('ST0001', '2026-11-28', 42);
  t.match(receipt, /^ST0001-20261128-000042-\d{2}$/);
  t.same(verifyReceiptNumber(receipt), { stationId: 'ST0001', businessDate: '2026-11-28', counter: 42 });
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let caught = 0;
  let tried = 0;
  for (let index = 0; index < receipt.length; index += 1) {
    if (receipt[index] === '-') continue;
    const isDigit = /\d/.test(receipt[index] ?? '');
    for (const char of alphabet) {
      // Same class only: a letter stands for two digits (ISO 13616), so cross-class swaps change length.
      if (char === receipt[index] || /\d/.test(char) !== isDigit) continue;
      const mutated = receipt.slice(0, index) + char + receipt.slice(index + 1);
      tried += 1;
      if (verifyReceiptNumber(mutated) === null) caught += 1;
    }
  }
  t.equal(caught, tried, 'ISO 7064 MOD 97-10 catches every same-class single substitution');
  t.not(makeReceiptNumber('ST0001', '2026-11-28', 1), makeReceiptNumber('ST0001', '2026-11-28', 2));
});

t.test('withdrawal state machine: legal steps only', async (t) => {
  let state: WithdrawalState | null = null;
  const txId = 'wd-1';
  state = applyWithdrawalEvent(txId, state, {
    kind: 'withdrawal.card_read',
    amountFen: 10_000,
    maskedPan: '622202******7890',
    cardToken: 'tok',
  });
  t.notOk(
    canApply(state, { kind: 'withdrawal.posted', receiptNumber: 'x' }),
    'no posting before authorisation',
  );
  state = applyWithdrawalEvent(txId, state, {
    kind: 'withdrawal.auth_requested',
    requestId: 'r',
    deadlineAtMs: 1,
  });
  t.equal(recoveryAction(state).kind, 'reverse');
  state = applyWithdrawalEvent(txId, state, { kind: 'withdrawal.authorised', authCode: 'A', feeFen: 100 });
  t.equal(recoveryAction(state).kind, 'void');
  t.throws(() => applyWithdrawalEvent(txId, state, { kind: 'withdrawal.reversed', reasonCode: 'x' }));
  state = applyWithdrawalEvent(txId, state, { kind: 'withdrawal.posted', receiptNumber: 'R' });
  t.equal(recoveryAction(state).kind, 'none');
  t.equal(state.phase, 'posted');
  const fresh = applyWithdrawalEvent('wd-2', null, {
    kind: 'withdrawal.card_read',
    amountFen: 1,
    maskedPan: 'm',
    cardToken: 't',
  });
  t.same(recoveryAction(fresh), { kind: 'abandon', reasonCode: 'AGENT_RECOVERY_ABANDONED' });
});

t.test('R20 service hours in Asia/Shanghai', async (t) => {
  const hours = {
    open: [{ startMinute: 480, endMinute: 1200 }],
    maintenance: [{ startMinute: 840, endMinute: 960 }],
  };
  const at = (h: number, m = 0) => Date.UTC(2026, 10, 28, h - 8, m);
  t.equal(businessDateOf(at(7)), '2026-11-28');
  t.equal(minuteOfDay(at(9, 30)), 570);
  t.ok(isWithinServiceHours(hours, at(9)));
  t.notOk(isWithinServiceHours(hours, at(7, 59)));
  t.notOk(isWithinServiceHours(hours, at(14, 30)), 'maintenance window');
  t.notOk(isWithinServiceHours(hours, at(20)));
});

t.test('withdrawal limits from HQ config: 0 means the default, a huge "no limit" is clamped', async (t) => {
  const { withdrawalLimitsOf } = await import('../../src/domain/tx/kiosk-ledger.js');
  const { LEDGER_LIMITS, WITHDRAWAL_LIMITS_DEFAULT } = await import('@bianmin/core-ledger');
  const limits = withdrawalLimitsOf({
    withdrawalFenMaxPerTransaction: Number.MAX_SAFE_INTEGER,
    withdrawalFenMaxPerCardPerDay: 0,
    withdrawalFenMaxPerStationPerDay: 250_000,
  } as Parameters<typeof withdrawalLimitsOf>[0]);
  t.equal(limits.perTransactionFenMax, LEDGER_LIMITS.amountFenMax);
  t.equal(limits.perCardDailyFenMax, WITHDRAWAL_LIMITS_DEFAULT.perCardDailyFenMax);
  t.equal(limits.perStationDailyFenMax, 250_000);
});
