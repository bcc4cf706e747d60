// The daily close (R7): sealed, chained, never skipping an earlier day with business. A handler
// of LedgerImpl.apply.

import { assert } from './assert.js';
import { canonicalJsonLoose } from './canonical-json.js';
import { closeHash, GENESIS_HASH, totalsFromSlots } from './daily-close.js';
import { deepFreeze } from './freeze.js';
import { isIsoDate } from './input-checks.js';
import type { LedgerImpl } from './ledger.js';
import { DAY_NONE, K_CLOSE } from './ledger-store.js';
import { dayNumberFromDate, shanghaiDayNumber } from './time.js';
import type { DailyClose, DailyCloseCommand, LedgerResult } from './types.js';

// ---------------------------------------------------------------- R7: daily close

export function applyClose(ledger: LedgerImpl, command: DailyCloseCommand): LedgerResult {
  const dateValid = isIsoDate(command.businessDate);
  if (!dateValid) ledger.reasons.push('LEDGER_FIELD_INVALID');
  const closeDay = dateValid ? dayNumberFromDate(command.businessDate) : DAY_NONE;
  // A station that never had R4 data may still close (an empty day): only the station must exist.
  const station = ledger.knownStation(command.stationId);
  if (station !== undefined && dateValid && closeDay <= station.closedThroughDay)
    ledger.reasons.push('LEDGER_CLOSE_OUT_OF_ORDER');
  if (dateValid && ledger.atMsValid && closeDay > shanghaiDayNumber(command.atMs)) {
    ledger.reasons.push('LEDGER_CLOSE_DATE_IN_FUTURE');
  }
  // R7: no day is skipped. Refused rather than closing the earlier days implicitly: each close
  // is its own journaled, signed record with its own id and instant, so the service closes the
  // missed days one by one (unclosedBusinessDays) and HQ receives every one of them.
  if (station !== undefined && dateValid && ledger.firstUnclosedBusinessDay(station) < closeDay) {
    ledger.reasons.push('LEDGER_CLOSE_EARLIER_DAY_UNCLOSED');
  }
  if (ledger.reasons.length > 0 || station === undefined) return ledger.refuse(command);
  const previous = station.closes[station.closes.length - 1];
  const unsealed = {
    stationId: station.stationId,
    businessDate: command.businessDate,
    sequence: station.closes.length + 1,
    closedAtMs: command.atMs,
    totals: totalsFromSlots(station.totalsByDay.get(closeDay)),
    holdsPendingCount: station.holdsPendingCount,
    previousHash: previous === undefined ? GENESIS_HASH : previous.hash,
  };
  const close: DailyClose = deepFreeze({ ...unsealed, hash: closeHash(unsealed) });
  // The chain: each sealed close carries two full SHA-256 hex hashes (R7).
  assert(close.hash.length === 64 && close.previousHash.length === 64, 'close hashes are 64 hex digits');
  assert(station.holdsPendingCount >= 0, 'pending holds never below zero');
  const index = ledger.appendEvent(K_CLOSE, command, station.index, 0, 0, closeDay, command.businessDate, '');
  ledger.fingerprints.set(index, canonicalJsonLoose(command));
  station.closes.push(close);
  station.closedThroughDay = closeDay;
  ledger.closesByEvent.set(index, close);
  assert(close.sequence === station.closes.length, 'close sequence numbers count from 1 without gaps');
  return Object.freeze({ ok: true, code: 'LEDGER_OK', eventIndex: index, close });
}
