// R18 from the ingest store: the monthly fee-compliance check of a station (did it charge anything
// beyond its fee schedule?), recorded on the station as 'fee-check-recorded' with the count of
// overcharges; the overcharging events are listed in the answer.
import type { FeeSchedule } from '@bianmin/core-ledger';
import { isMonth } from '../../domain/network/deadlines.js';
import { feeOvercharges, type Overcharge } from '../../domain/network/fee-compliance.js';
import { refuse } from '../../domain/network/refusal.js';
import type { StationView } from '../../domain/network/station.js';
import { HqError } from '../../errors.js';
import type { Actor, NetworkDeps, StepResult } from './deps.js';
import { stationStep } from './stations.js';

export async function checkFees(
  deps: NetworkDeps,
  actor: Actor,
  stationId: string,
  month: string,
  schedules: readonly FeeSchedule[],
): Promise<{ readonly result: StepResult<StationView>; readonly overcharges: readonly Overcharge[] }> {
  if (!isMonth(month))
    return {
      result: refuse([{ code: 'HQ_NET_FIELD_INVALID', field: 'month', message: 'month: YYYY-MM' }]),
      overcharges: [],
    };
  if (deps.facts === undefined)
    throw new HqError('HQ_CONFIG_INVALID', 'a fee check needs the ingest facts (NetworkFacts)');
  const overcharges = feeOvercharges(await deps.facts.feeEvents(stationId, month), schedules);
  const result = await stationStep(
    deps,
    actor,
    stationId,
    'fee-check-recorded',
    { month, overchargeCount: overcharges.length },
    { idempotencyKey: `fee-check:${stationId}:${month}` },
  );
  return { result, overcharges };
}
