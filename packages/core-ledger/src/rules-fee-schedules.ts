// Fee schedule history (R6): an announcement of one version, or a merge of a whole set from an HQ
// config (checkFeeScheduleSet). Nothing is rebuilt: past events stay judged as they were.

import { assert } from './assert.js';
import { canonicalJsonLoose } from './canonical-json.js';
import {
  checkFeeScheduleAnnouncement,
  checkFeeScheduleSet,
  type FeeSchedule,
  frozenFeeSchedule,
} from './fee-schedule.js';
import type { LedgerImpl } from './ledger.js';
import { DAY_NONE, K_FEE_ANNOUNCE, K_FEE_MERGE } from './ledger-store.js';
import { LEDGER_LIMITS } from './limits.js';
import type { FeeScheduleAnnounceCommand, FeeSchedulesMergeCommand, LedgerResult } from './types.js';

// ---------------------------------------------------------------- R6: fee schedules

export function applyFeeAnnounce(ledger: LedgerImpl, command: FeeScheduleAnnounceCommand): LedgerResult {
  const day = ledger.commandDay(command.atMs);
  if (day !== DAY_NONE) {
    ledger.reasons.push(
      ...checkFeeScheduleAnnouncement(ledger.schedules, command.schedule, day, ledger.config.calendar),
    );
  }
  if (ledger.schedules.length >= LEDGER_LIMITS.feeScheduleVersionsMax) {
    assert(false, 'feeScheduleVersionsMax reached');
  }
  if (ledger.reasons.length > 0) return ledger.refuse(command);
  const index = ledger.appendEvent(
    K_FEE_ANNOUNCE,
    command,
    -1,
    0,
    0,
    day,
    String(command.schedule.version),
    '',
  );
  ledger.fingerprints.set(index, canonicalJsonLoose(command));
  ledger.schedules.push(frozenFeeSchedule(command.schedule));
  ledger.scheduleCacheDay = DAY_NONE;
  return ledger.accept(index);
}

/** R6 history: adds the versions new to the ledger, after checkFeeScheduleSet; rebuilds nothing. */
export function applyFeeMerge(ledger: LedgerImpl, command: FeeSchedulesMergeCommand): LedgerResult {
  const day = ledger.commandDay(command.atMs);
  let added: readonly FeeSchedule[] = [];
  if (day !== DAY_NONE) {
    const check = checkFeeScheduleSet(ledger.schedules, command.schedules, {
      calendar: ledger.config.calendar,
      receivedAtMs: command.atMs,
    });
    ledger.reasons.push(...check.reasons);
    added = check.added;
  }
  if (ledger.reasons.length > 0) return ledger.refuse(command);
  const index = ledger.appendEvent(K_FEE_MERGE, command, -1, 0, 0, day, String(added.length), '');
  ledger.fingerprints.set(index, canonicalJsonLoose(command));
  for (const schedule of added) ledger.schedules.push(frozenFeeSchedule(schedule));
  if (added.length > 0) ledger.scheduleCacheDay = DAY_NONE;
  return ledger.accept(index);
}
