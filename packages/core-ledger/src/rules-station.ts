// Station registration (R4, R15, R20, R5 limits): org code and quota account once given never
// change; service hours and limits are kept as frozen copies. A handler of LedgerImpl.apply.

import { assert } from './assert.js';
import { canonicalJsonLoose } from './canonical-json.js';
import { TOTALS_SLOTS } from './daily-close.js';
import { DailyUsage } from './daily-usage.js';
import { deepFreeze, plainCopy } from './freeze.js';
import { isId, isServiceHours, isWithdrawalLimits } from './input-checks.js';
import type { LedgerImpl } from './ledger.js';
import { DAY_NONE, K_REGISTER } from './ledger-store.js';
import { SERVICE_HOURS_ALWAYS } from './service-hours.js';
import type { LedgerResult, StationRegisterCommand } from './types.js';

// ---------------------------------------------------------------- R4: stations

export function applyRegister(ledger: LedgerImpl, command: StationRegisterCommand): LedgerResult {
  const fieldsValid =
    isId(command.stationId) &&
    (command.orgCode === null || isId(command.orgCode)) &&
    (command.quotaAccountNo === null || isId(command.quotaAccountNo)) &&
    (command.serviceHours === undefined || isServiceHours(command.serviceHours)) &&
    (command.withdrawalLimits === undefined || isWithdrawalLimits(command.withdrawalLimits));
  if (!fieldsValid) ledger.reasons.push('LEDGER_FIELD_INVALID');
  if (ledger.reasons.length > 0) return ledger.refuse(command);
  let station = ledger.stationsById.get(command.stationId);
  if (station !== undefined) {
    if (station.orgCode !== null && command.orgCode !== station.orgCode) {
      ledger.reasons.push('LEDGER_STATION_ORG_CODE_IMMUTABLE');
    }
    if (station.quotaAccountNo !== null && command.quotaAccountNo !== station.quotaAccountNo) {
      ledger.reasons.push('LEDGER_STATION_QUOTA_ACCOUNT_IMMUTABLE');
    }
    if (ledger.reasons.length > 0) return ledger.refuse(command);
  } else {
    station = {
      index: ledger.stations.length,
      stationId: command.stationId,
      orgCode: null,
      quotaAccountNo: null,
      serviceHours: SERVICE_HOURS_ALWAYS,
      limits: ledger.config.withdrawalLimits,
      settlementAccount: ledger.addAccount(`station:${command.stationId}:settlement`),
      quotaAccount: ledger.addAccount(`station:${command.stationId}:quota`),
      closedThroughDay: DAY_NONE,
      closes: [],
      totalsDay: DAY_NONE,
      totals: new Float64Array(TOTALS_SLOTS),
      totalsByDay: new Map(),
      withdrawn: new DailyUsage(DAY_NONE),
      holdsPendingCount: 0,
    };
    ledger.stations.push(station);
    ledger.stationsById.set(command.stationId, station);
  }
  station.orgCode = command.orgCode;
  station.quotaAccountNo = command.quotaAccountNo;
  // Copies: a caller that changes the object it registered with changes nothing here.
  station.serviceHours =
    command.serviceHours === undefined ? SERVICE_HOURS_ALWAYS : deepFreeze(plainCopy(command.serviceHours));
  station.limits =
    command.withdrawalLimits === undefined
      ? ledger.config.withdrawalLimits
      : deepFreeze(plainCopy(command.withdrawalLimits));
  // Sealed means immutable: the copies the station keeps cannot be changed by the caller.
  assert(
    Object.isFrozen(station.limits) &&
      (station.serviceHours === SERVICE_HOURS_ALWAYS || Object.isFrozen(station.serviceHours)),
    'station settings are frozen copies',
  );
  assert(ledger.stations[station.index] === station, 'station list and map agree');
  const day = ledger.commandDay(command.atMs);
  const index = ledger.appendEvent(K_REGISTER, command, station.index, 0, 0, day, '', '');
  ledger.fingerprints.set(index, canonicalJsonLoose(command));
  return ledger.accept(index);
}
