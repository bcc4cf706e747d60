// How a person handles an alert beyond acknowledging it (issue 12): assign it to a user, close it
// with a reason. The handling is a list of records of the aggregate 'alert:<id>' in the operations
// log (append-only, who/when/why kept: a reassignment never overwrites the first one), folded here
// into the alert's current handling. Pure: the records and the decision inputs come in as values.
import { assert } from './assert.js';

export const ALERT_HANDLING_KINDS = ['alert-assigned', 'alert-closed'] as const;
export type AlertHandlingKind = (typeof ALERT_HANDLING_KINDS)[number];

export interface AlertHandling {
  /** The user the alert is assigned to (the latest assignment); null: nobody. */
  readonly assignedTo: string | null;
  readonly assignedBy: string | null;
  readonly assignedAtMs: number | null;
  readonly closedBy: string | null;
  readonly closedAtMs: number | null;
  readonly closeReason: string | null;
  /** Records of the aggregate (the version the next one is appended at). */
  readonly version: number;
}

export const noHandling: AlertHandling = {
  assignedTo: null,
  assignedBy: null,
  assignedAtMs: null,
  closedBy: null,
  closedAtMs: null,
  closeReason: null,
  version: 0,
};

export function alertAggregateId(alertId: number): string {
  assert(Number.isSafeInteger(alertId) && alertId >= 1, 'an alert id is a positive integer');
  return `alert:${alertId}`;
}

interface HandlingRecord {
  readonly kind: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly actor: string;
  readonly atMs: number;
  readonly reason: string;
  readonly version: number;
}

/** The current handling from the aggregate's records (by version). */
export function foldAlertHandling(records: readonly HandlingRecord[]): AlertHandling {
  let view = noHandling;
  for (const record of records) {
    assert(record.version === view.version + 1, 'alert handling records are consecutive');
    if (record.kind === 'alert-assigned') {
      const to = record.payload.assignee;
      assert(typeof to === 'string' && to.length > 0, 'an assignment names its user');
      view = { ...view, assignedTo: to, assignedBy: record.actor, assignedAtMs: record.atMs };
    } else {
      assert(record.kind === 'alert-closed', `an alert handling kind: ${record.kind}`);
      view = { ...view, closedBy: record.actor, closedAtMs: record.atMs, closeReason: record.reason };
    }
    view = { ...view, version: record.version };
  }
  return view;
}

export type AlertHandlingRefusal =
  | { readonly ok: false; readonly code: 'HQ_ALERT_CLOSED'; readonly message: string }
  | { readonly ok: false; readonly code: 'HQ_ALERT_ASSIGNEE_UNKNOWN'; readonly message: string };

/**
 * May this step be taken? A closed alert takes nothing more; an assignee must exist and see the
 * alert's station (assigneeSees false: another branch's user, or no such user). Every reason at
 * once (R21): a closed alert assigned to an unknown user lists both.
 */
export function decideAlertHandling(
  view: AlertHandling,
  kind: AlertHandlingKind,
  assignee?: { readonly userName: string; readonly sees: boolean },
): AlertHandlingRefusal[] {
  assert(kind !== 'alert-assigned' || assignee !== undefined, 'an assignment names its user');
  const reasons: AlertHandlingRefusal[] = [];
  if (view.closedAtMs !== null)
    reasons.push({
      ok: false,
      code: 'HQ_ALERT_CLOSED',
      message: `the alert was closed by ${view.closedBy ?? '?'}: ${view.closeReason ?? ''}`,
    });
  if (kind === 'alert-assigned' && assignee !== undefined && !assignee.sees)
    reasons.push({
      ok: false,
      code: 'HQ_ALERT_ASSIGNEE_UNKNOWN',
      message: `no user ${assignee.userName} who may see this alert's station`,
    });
  return reasons;
}
