// Alerts as data (issue 11): a scan on the Clock turns the store's state into alert candidates
// (domain/alert-rules.ts), each opened at most once per (kind, station) while open; a person
// acknowledges one (who, when); each new alert is delivered to the configured webhook with capped
// exponential backoff with jitter on the Clock, its delivery state recorded (pending, delivered,
// failed after alertDeliveryAttemptsMax: HQ_ALERT_DELIVERY_FAILED).
import { type AlertCandidate, alertsFor, type StationSnapshot } from '../domain/alert-rules.js';
import { HqError } from '../errors.js';
import {
  alertDeliveryAttemptsMax,
  alertDeliveryBackoffMsBase,
  alertDeliveryBackoffMsMax,
  alertDeliveryBatchMax,
  alertScanMs,
  quarantineSpikeCountMin,
  quotaLowFenDefault,
} from '../limits.js';
import type { Clock, TimerHandle } from '../ports/clock.js';
import type { Log } from '../ports/log.js';
import type { AlertRecord, OpsStore } from '../ports/ops-store.js';
import type { ReportStore } from '../ports/store.js';
import type { Webhook } from '../ports/webhook.js';

export interface AlertServiceDeps {
  readonly ops: OpsStore;
  readonly store: Pick<ReportStore, 'listStations' | 'loadStatuses' | 'stationAlerts' | 'counts'>;
  /** A station's quota in fen; null when another gateway owns the station (its owner raises the alert). */
  readonly quotaOf: (stationId: string) => number | null;
  readonly clock: Clock;
  readonly log: Log;
  /** Absent: alerts are kept (delivery state 'none'), nothing is sent. */
  readonly webhook?: Webhook;
  readonly quotaLowFen?: number;
  /** Jitter source in [0, 1); tests pass a fixed one. */
  readonly random?: () => number;
}

/** Capped exponential backoff with jitter: attempt 1 waits about base, each next twice as long. */
export function deliveryBackoffMs(attempt: number, random: () => number): number {
  const ceilingMs = Math.min(
    alertDeliveryBackoffMsMax,
    alertDeliveryBackoffMsBase * 2 ** Math.min(attempt - 1, 20),
  );
  return Math.round(ceilingMs / 2 + random() * (ceilingMs / 2));
}

export class AlertService {
  readonly #deps: AlertServiceDeps;
  #quarantinedAtLastScan: number | undefined;
  #scanTimer: TimerHandle | undefined;
  #deliveryTimer: TimerHandle | undefined;
  #delivering = false;
  #stopped = false;

  constructor(deps: AlertServiceDeps) {
    this.#deps = deps;
  }

  /** Scan every alertScanMs and deliver what is due (both on the Clock). */
  start(): void {
    const arm = (): void => {
      if (this.#stopped) return;
      this.#scanTimer = this.#deps.clock.setTimeout(
        () => {
          this.scan().then(arm, (error: unknown) => {
            this.#deps.log.error({ code: 'HQ_STORE_FAILED', err: error }, 'alert scan failed');
            arm();
          });
        },
        alertScanMs,
        { background: true },
      );
    };
    arm();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#scanTimer !== undefined) this.#deps.clock.clearTimeout(this.#scanTimer);
    if (this.#deliveryTimer !== undefined) this.#deps.clock.clearTimeout(this.#deliveryTimer);
  }

  /** One pass of the rules: returns the alerts newly opened. */
  async scan(): Promise<AlertRecord[]> {
    const { store, ops } = this.#deps;
    const statuses = new Map((await store.loadStatuses()).map((s) => [s.stationId, s]));
    const integrity = new Map((await store.stationAlerts()).map((a) => [a.stationId, a]));
    const snapshots: StationSnapshot[] = (await store.listStations()).map((station) => {
      const status = statuses.get(station.stationId);
      return {
        stationId: station.stationId,
        online: status?.online ?? false,
        everSeen: (status?.lastSeenMs ?? 0) > 0,
        offlineReason: status?.offlineReason ?? null,
        peripheralsFaulty: (status?.peripherals ?? []).filter((p) => !p.ok).map((p) => p.name),
        quotaFen: this.#deps.quotaOf(station.stationId),
        discrepancyCount: integrity.get(station.stationId)?.discrepancyCount ?? 0,
      };
    });
    const quarantined = Object.values((await store.counts()).quarantinedByReason).reduce((a, b) => a + b, 0);
    const since =
      this.#quarantinedAtLastScan === undefined ? 0 : Math.max(0, quarantined - this.#quarantinedAtLastScan);
    this.#quarantinedAtLastScan = quarantined;
    const candidates = alertsFor(snapshots, await ops.discrepanciesAlerted(), since, {
      quotaLowFen: this.#deps.quotaLowFen ?? quotaLowFenDefault,
      quarantineSpikeCountMin,
    });
    const opened: AlertRecord[] = [];
    for (const candidate of candidates) {
      const alert = await this.raise(candidate);
      if (alert === undefined) continue;
      opened.push(alert);
      // Counted as alerted only when an alert opened: while one is open, newer discrepancies
      // wait for the next alert after its acknowledgement.
      if (candidate.kind === 'HQ_ALERT_DISCREPANCY') {
        const count = snapshots.find((s) => s.stationId === candidate.stationId)?.discrepancyCount ?? 0;
        await ops.setDiscrepanciesAlerted(candidate.stationId, count);
      }
    }
    if (opened.length > 0) this.deliverSoon(0);
    return opened;
  }

  /** Open an alert unless one of its kind is open for the station; the new one, or undefined. */
  async raise(candidate: AlertCandidate): Promise<AlertRecord | undefined> {
    const { outcome, alert } = await this.#deps.ops.openAlert({
      ...candidate,
      openedAtMs: this.#deps.clock.nowMs(),
      deliveryState: this.#deps.webhook === undefined ? 'none' : 'pending',
    });
    if (outcome === 'exists') return undefined;
    this.#deps.log.warn(
      { code: alert.kind, stationId: alert.stationId, alertId: alert.alertId, alert: true },
      alert.detail,
    );
    return alert;
  }

  /** A person acknowledges an open alert: 'acked' or 'already'; an unknown id is HQ_ALERT_NOT_FOUND. */
  async acknowledge(alertId: number, by: string): Promise<'acked' | 'already'> {
    const outcome = await this.#deps.ops.acknowledgeAlert(alertId, by, this.#deps.clock.nowMs());
    if (outcome === 'unknown') throw alertNotFound(alertId);
    return outcome;
  }

  /** Run a delivery pass after `delayMs` on the Clock (one timer at a time). */
  deliverSoon(delayMs: number): void {
    if (this.#stopped || this.#deps.webhook === undefined) return;
    if (this.#deliveryTimer !== undefined) this.#deps.clock.clearTimeout(this.#deliveryTimer);
    this.#deliveryTimer = this.#deps.clock.setTimeout(() => {
      this.#deliveryTimer = undefined;
      this.deliver().catch((error: unknown) =>
        this.#deps.log.error({ code: 'HQ_STORE_FAILED', err: error }, 'alert delivery pass failed'),
      );
    }, delayMs);
  }

  /** One delivery pass: POST each due alert; reschedules itself for the next due retry. */
  async deliver(): Promise<{ delivered: number; failed: number; retrying: number }> {
    const webhook = this.#deps.webhook;
    const out = { delivered: 0, failed: 0, retrying: 0 };
    if (webhook === undefined || this.#delivering) return out;
    this.#delivering = true;
    const { ops, clock } = this.#deps;
    let nextDueMs = Number.POSITIVE_INFINITY;
    try {
      for (const alert of await ops.alertsToDeliver(clock.nowMs(), alertDeliveryBatchMax)) {
        const attempts = alert.deliveryAttempts + 1;
        let error = '';
        try {
          const status = await webhook.post(alertPayload(alert));
          if (status < 200 || status >= 300) error = `HTTP ${status}`;
        } catch (cause) {
          error = cause instanceof Error ? cause.name : 'error';
        }
        if (error === '') {
          await ops.recordDelivery(alert.alertId, 'delivered', attempts, 0, '');
          out.delivered += 1;
        } else if (attempts >= alertDeliveryAttemptsMax) {
          await ops.recordDelivery(alert.alertId, 'failed', attempts, 0, error);
          this.#deps.log.error(
            { code: 'HQ_ALERT_DELIVERY_FAILED', alertId: alert.alertId, attempts, lastError: error },
            'alert not delivered',
          );
          out.failed += 1;
        } else {
          const dueMs = clock.nowMs() + deliveryBackoffMs(attempts, this.#deps.random ?? Math.random);
          await ops.recordDelivery(alert.alertId, 'pending', attempts, dueMs, error);
          nextDueMs = Math.min(nextDueMs, dueMs);
          out.retrying += 1;
        }
      }
    } finally {
      this.#delivering = false;
    }
    if (Number.isFinite(nextDueMs)) this.deliverSoon(Math.max(0, nextDueMs - clock.nowMs()));
    return out;
  }
}

export function alertNotFound(alertId: number): HqError {
  const message = `alert ${alertId} does not exist`;
  return new HqError('HQ_ALERT_NOT_FOUND', message, {
    problems: [{ code: 'HQ_ALERT_NOT_FOUND', field: 'alertId', message }],
  });
}

/** What the webhook receives: the alert without its delivery bookkeeping. */
export function alertPayload(alert: AlertRecord): Record<string, unknown> {
  return {
    alertId: alert.alertId,
    kind: alert.kind,
    stationId: alert.stationId,
    detail: alert.detail,
    openedAtMs: alert.openedAtMs,
  };
}
