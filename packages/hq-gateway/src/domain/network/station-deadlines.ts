// The open lifecycle step of a station and its deadline (R14, R15): which department must act,
// by when. Steps the Measures give a limit count R14/R15 working days; the others count HQ's own
// target (limits.ts networkStepTargetWorkingDays), marked rule 'HQ'.
import type { WorkingCalendar } from '@bianmin/core-ledger';
import { networkStepTargetWorkingDays } from '../../limits.js';
import { assert } from '../assert.js';
import { WORKING_DAYS } from './deadlines.js';
import { type Department, type DueItem, workingDayItem } from './due-items.js';
import type { StationState, StationView } from './station.js';
import type { StationKind } from './station-payloads.js';

interface NextStep {
  readonly step: string;
  readonly department: Department;
  readonly rule: string;
  readonly workingDays: number;
  /** The step whose date starts the clock. */
  readonly startedBy: StationKind;
}

const target = networkStepTargetWorkingDays;

const NEXT: Readonly<Partial<Record<StationState, NextStep>>> = {
  proposed: {
    step: 'survey',
    department: 'market',
    rule: 'R14',
    workingDays: WORKING_DAYS.survey,
    startedBy: 'proposed',
  },
  surveyed: {
    step: 'application',
    department: 'market',
    rule: 'HQ',
    workingDays: target,
    startedBy: 'surveyed',
  },
  applied: { step: 'agreement', department: 'market', rule: 'HQ', workingDays: target, startedBy: 'applied' },
  'agreement-signed': {
    step: 'platform-fee',
    department: 'finance',
    rule: 'HQ',
    workingDays: target,
    startedBy: 'agreement-signed',
  },
  'fee-settled': {
    step: 'fit-out',
    department: 'market',
    rule: 'HQ',
    workingDays: target,
    startedBy: 'fee-settled',
  },
  'fitted-out': {
    step: 'direct-debit-account',
    department: 'agency-finance',
    rule: 'HQ',
    workingDays: target,
    startedBy: 'fitted-out',
  },
  // The direct-debit account set is the notice for installation, UK key and training.
  'debit-account-set': {
    step: 'installation-uk-key-training',
    department: 'ecommerce',
    rule: 'R14',
    workingDays: WORKING_DAYS.installation,
    startedBy: 'debit-account-set',
  },
  installed: {
    step: 'goods-delivery',
    department: 'branch',
    rule: 'R14',
    workingDays: WORKING_DAYS.goodsDelivery,
    startedBy: 'installed',
  },
  'goods-delivered': {
    step: 'equipment-signature',
    department: 'market',
    rule: 'HQ',
    workingDays: target,
    startedBy: 'goods-delivered',
  },
  'equipment-signed': {
    step: 'opening-org-code-quota-account',
    department: 'ecommerce',
    rule: 'HQ',
    workingDays: target,
    startedBy: 'equipment-signed',
  },
};

/** Every open lifecycle step of the station with its due date. */
export function stationDueItems(view: StationView, calendar: WorkingCalendar): DueItem[] {
  assert(view.stationId.length > 0, 'a station');
  const aggregateId = `station:${view.stationId}`;
  const base = { aggregateId, subjectId: view.stationId, branchId: view.branchId };
  const items: DueItem[] = [];
  const next = NEXT[view.state];
  const started = next === undefined ? undefined : view.stepDates[next.startedBy];
  if (next !== undefined && started !== undefined) {
    items.push(
      workingDayItem(
        calendar,
        { ...base, department: next.department, step: next.step, rule: next.rule, startedDate: started },
        next.workingDays,
      ),
    );
  }
  if (view.state === 'open' || view.state === 'suspended') {
    if (view.followUpDate === undefined && view.openedDate !== undefined)
      items.push(
        workingDayItem(
          calendar,
          {
            ...base,
            department: 'ecommerce',
            step: 'opening-follow-up-visit',
            rule: 'R14',
            startedDate: view.openedDate,
          },
          WORKING_DAYS.openingFollowUp,
        ),
      );
    if (view.pendingChange !== undefined)
      items.push(
        workingDayItem(
          calendar,
          {
            ...base,
            department: 'market',
            step: 'change-approval',
            rule: 'R15',
            startedDate: view.pendingChange.requestedDate,
          },
          WORKING_DAYS.changeApproval,
        ),
      );
    if (view.pendingMove !== undefined)
      items.push(
        workingDayItem(
          calendar,
          {
            ...base,
            department: 'market',
            step: 'move-survey',
            rule: 'R15',
            startedDate: view.pendingMove.requestedDate,
          },
          WORKING_DAYS.survey,
        ),
      );
  }
  return items;
}
