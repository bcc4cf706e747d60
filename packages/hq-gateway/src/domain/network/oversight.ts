// R18 oversight of open stations: at least one on-site inspection and one phone follow-up per
// quarter, a follow-up (phone or on site) within 2 weeks of any training, and a monthly
// fee-compliance check. Each missing one is a DueItem: this quarter's by the quarter's last day,
// a past quarter's (missed) by its own last day, so it shows as overdue. Counted from the opening.

import { oversightQuartersBackMax } from '../../limits.js';
import { assert } from '../assert.js';
import {
  addCalendarDays,
  monthOf,
  nextMonth,
  previousMonth,
  type Quarter,
  quarterOf,
  TRAINING_FOLLOW_UP_DAYS,
} from './deadlines.js';
import type { DueItem } from './due-items.js';
import type { StationView } from './station.js';

function quartersSinceOpening(openedDate: string, today: string): Quarter[] {
  const quarters: Quarter[] = [];
  let quarter = quarterOf(today);
  for (let index = 0; index <= oversightQuartersBackMax; index++) {
    if (quarter.lastDate < openedDate) break;
    quarters.push(quarter);
    quarter = quarterOf(addCalendarDays(quarter.firstDate, -1));
  }
  assert(quarters.length <= oversightQuartersBackMax + 1, 'bounded quarters');
  return quarters;
}

/** The R18 items of one station on `today` (none before it opens or after it closes). */
export function oversightDueItems(view: StationView, today: string): DueItem[] {
  assert(/^\d{4}-\d{2}-\d{2}$/.test(today), 'today is YYYY-MM-DD');
  if (view.openedDate === undefined || (view.state !== 'open' && view.state !== 'suspended')) return [];
  const base = {
    aggregateId: `station:${view.stationId}`,
    subjectId: view.stationId,
    branchId: view.branchId,
  };
  const items: DueItem[] = [];
  for (const quarter of quartersSinceOpening(view.openedDate, today)) {
    const within = view.inspections.filter((i) => i.date >= quarter.firstDate && i.date <= quarter.lastDate);
    const startedDate = [view.openedDate, quarter.firstDate].sort()[1]!;
    for (const method of ['on-site', 'phone'] as const) {
      if (!within.some((i) => i.method === method))
        items.push({
          ...base,
          department: method === 'on-site' ? 'supervision' : 'market',
          step: `${quarter.key} ${method === 'on-site' ? 'on-site inspection' : 'phone follow-up'}`,
          rule: 'R18',
          startedDate,
          dueDate: quarter.lastDate,
        });
    }
  }
  for (const trainingDate of view.trainingDates) {
    if (!view.inspections.some((i) => i.date >= trainingDate))
      items.push({
        ...base,
        department: 'ecommerce',
        step: `follow-up after the training of ${trainingDate}`,
        rule: 'R18',
        startedDate: trainingDate,
        dueDate: addCalendarDays(trainingDate, TRAINING_FOLLOW_UP_DAYS),
      });
  }
  // Monthly fee compliance: each full month since opening, checked by the end of the month after.
  let month = previousMonth(monthOf(today));
  for (let index = 0; index < oversightQuartersBackMax * 3 && month >= monthOf(view.openedDate); index++) {
    if (!view.feeChecks.some((c) => c.month === month)) {
      const checkMonth = nextMonth(month);
      items.push({
        ...base,
        department: 'ecommerce',
        step: `fee-compliance check ${month}`,
        rule: 'R18',
        startedDate: `${checkMonth}-01`,
        dueDate: addCalendarDays(`${nextMonth(checkMonth)}-01`, -1),
      });
    }
    month = previousMonth(month);
  }
  return items;
}
