// What every transaction asks before it starts: the HQ config the kiosk runs under (R4), service
// hours (R20), the per-transaction limits, the fee in force (R6), the quota left (R2) and the
// next receipt number (R9). Holds the running config; the HQ inbox replaces it.
import { checkServiceHours } from '@bianmin/core-ledger';
import { type ActiveConfig, type FeeKind, feeInForce } from '../domain/tx/active-config.js';
import { businessDateOf } from '../domain/tx/business-day.js';
import type { KioskLedger } from '../domain/tx/kiosk-ledger.js';
import { makeReceiptNumber } from '../domain/tx/receipt.js';
import type { ClockPort } from '../ports/clock.js';
import type { JournalPort } from '../ports/journal.js';
import type { RefusalReason } from '../ports/operator.js';

const metaReceiptCounter = (date: string) => `receipt_counter:${date}`;

export class StationRules {
  readonly #stationId: string;
  readonly #clock: ClockPort;
  readonly #ledger: KioskLedger;
  readonly #journal: JournalPort;
  #config: ActiveConfig | null = null;

  constructor(stationId: string, clock: ClockPort, ledger: KioskLedger, journal: JournalPort) {
    this.#stationId = stationId;
    this.#clock = clock;
    this.#ledger = ledger;
    this.#journal = journal;
  }

  /** The verified HQ config the kiosk runs under; null before the first one. */
  config(): ActiveConfig | null {
    return this.#config;
  }

  configVersion(): number {
    return this.#config?.configVersion ?? 0;
  }

  /** Runs under `config` from now on (the ledger too). */
  configure(config: ActiveConfig): void {
    this.#config = config;
    this.#ledger.configure(config);
  }

  /** Today's Shanghai business date on the agent's clock. */
  businessDate(): string {
    return businessDateOf(this.#clock.nowMs());
  }

  /** R4, R20 and the per-transaction limit, all at once (R21). */
  commonChecks(amountFen: number, limitFen: number, checkHours = true): RefusalReason[] {
    const reasons: RefusalReason[] = [];
    const config = this.#config;
    if (config === null || config.orgCode === '' || config.quotaAccountId === '') {
      reasons.push({
        code: 'AGENT_TX_NO_CONFIG',
        message: 'no verified HQ config with org code and quota account (R4)',
      });
      return reasons;
    }
    for (const ledgerCode of checkHours ? checkServiceHours(config.serviceHours, this.#clock.nowMs()) : []) {
      reasons.push({
        code: 'AGENT_TX_OUTSIDE_SERVICE_HOURS',
        message: `${ledgerCode}: outside service hours (R20)`,
      });
    }
    if (limitFen > 0 && amountFen > limitFen) {
      reasons.push({
        code: 'AGENT_TX_OVER_LIMIT',
        message: `amount over the per-transaction limit of ${limitFen} fen`,
      });
    }
    return reasons;
  }

  /** The fee per transaction in force today, and its schedule version (R6). */
  feeFor(kind: FeeKind): { feeFen: number; version: number } {
    return feeInForce(this.#config === null ? [] : this.#ledger.feeSchedules(), kind, this.businessDate());
  }

  /** The station's quota left (R2), from core-ledger; null before the first HQ config. */
  quotaFenAvailable(): number | null {
    return this.#config === null ? null : this.#ledger.quotaFenAvailable();
  }

  /** The next receipt number of `date` (R9) and the counter update to commit with its row. */
  nextReceipt(date: string): { receiptNumber: string; metaUpdates: Record<string, string> } {
    const counter = Number(this.#journal.getMeta(metaReceiptCounter(date)) ?? '0') + 1;
    return {
      receiptNumber: makeReceiptNumber(
        this.#stationId.toUpperCase().replace(/[^A-Z0-9]/g, ''),
        date,
        counter,
      ),
      metaUpdates: { [metaReceiptCounter(date)]: String(counter) },
    };
  }
}
