// HQ operator actions shared by the `hq` CLI, the demo and tests: enrol a station (bind its key),
// build and send its HQ-signed configuration (retained on down/config), and record an R3 quota
// purchase (then send the new config). Refusals list every problem at once (R21).
import { createHash } from 'node:crypto';
import {
  QUOTA_PURCHASE_FEN_MIN,
  WITHDRAWAL_FEE_FEN_STANDARD,
  WITHDRAWAL_LIMITS_DEFAULT,
} from '@bianmin/core-ledger';
import {
  channelPublishOptions,
  downTopic,
  fingerprint,
  openEnrolmentRequest,
  type PayloadInput,
  PayloadType,
  toPublicKey,
} from '@bianmin/wire';
import {
  type AmountInput,
  checkReceiptReference,
  parseAmount,
  yuanForPeople,
  yuanText,
} from '../domain/amount.js';
import { describe } from '../domain/codec/envelope.js';
import { type KeyInspection, parseEnrolmentRequest } from '../domain/enrolment.js';
import { feeSchedulesOf, type HqFeeSchedule } from '../domain/fee-check.js';
import { quotaAccountId } from '../domain/ledger-mirror.js';
import type { StationRecord } from '../domain/types.js';
import { HqError, type HqProblem } from '../errors.js';
import { receiptReferenceCharsMax } from '../limits.js';
import type { TimeSource } from '../ports/clock.js';
import type { IntegrityStore } from '../ports/integrity-store.js';
import type { Publisher } from '../ports/publisher.js';
import type { Store } from '../ports/store.js';
import { type HqKey, sealHq } from './seal-hq.js';

/** What HQ puts in every station config unless told otherwise (R5, R6, R20). */
export interface StationDefaults {
  readonly withdrawalFeeFen: number;
  readonly feeScheduleVersion: number;
  /** First business day of the schedule, YYYY-MM-DD (given in writing before business: no notice). */
  readonly feeScheduleEffectiveDate: string;
  /**
   * Every fee schedule version, oldest first (R6 history; a later one announced at least 5 working
   * days before its effective date). Absent: the one schedule the three fields above describe.
   */
  readonly feeSchedules?: readonly HqFeeSchedule[];
  /** Opening and closing, minutes since local midnight; maintenance windows [start, end) (R20). */
  readonly opensAtMinute: number;
  readonly closesAtMinute: number;
  readonly maintenanceMinutes: ReadonlyArray<readonly [number, number]>;
  readonly closedOnHolidays: boolean;
  readonly withdrawalFenMaxPerTransaction: number;
  readonly withdrawalFenMaxPerCardPerDay: number;
  readonly withdrawalFenMaxPerStationPerDay: number;
  readonly authorisationTimeoutMs: number;
  readonly holdExpiryMs: number;
}

export const stationDefaults: StationDefaults = {
  // R5: one set of defaults, core-ledger's (the kiosk falls back to the same when a config has none).
  withdrawalFeeFen: WITHDRAWAL_FEE_FEN_STANDARD,
  feeScheduleVersion: 1,
  feeScheduleEffectiveDate: '2025-01-01',
  opensAtMinute: 8 * 60,
  closesAtMinute: 20 * 60,
  maintenanceMinutes: [[14 * 60, 16 * 60]],
  closedOnHolidays: false,
  withdrawalFenMaxPerTransaction: WITHDRAWAL_LIMITS_DEFAULT.perTransactionFenMax,
  withdrawalFenMaxPerCardPerDay: WITHDRAWAL_LIMITS_DEFAULT.perCardDailyFenMax,
  withdrawalFenMaxPerStationPerDay: WITHDRAWAL_LIMITS_DEFAULT.perStationDailyFenMax,
  authorisationTimeoutMs: 15_000,
  holdExpiryMs: 10 * 60_000,
};

export interface OperationsDeps {
  readonly store: Store;
  readonly hqKey: HqKey;
  readonly clock: TimeSource;
  /** Absent: configs are built and stored but not published (offline CLI use). */
  readonly publisher?: Publisher;
  /** HQ's quota balance of a station and the seq it is computed through. */
  readonly quotaOf: (stationId: string) => Promise<{ quotaFen: number; throughSeq: number }>;
  readonly defaults?: StationDefaults;
  /** Called after a station is enrolled (a running gateway binds its key at once). */
  readonly onEnrolled?: (station: StationRecord) => void;
  /** Called after a quota purchase is recorded (a running gateway's mirror learns its provenance, R3). */
  readonly onQuotaPurchased?: (purchase: {
    readonly purchaseId: string;
    readonly stationId: string;
    readonly amountFen: number;
    readonly recordedAtMs: number;
  }) => void;
  /** Suspensions (issue 8); absent: resumeStation is refused as not available. */
  readonly integrity?: Pick<IntegrityStore, 'resume'>;
  /** Called after a suspension is lifted (a running gateway serves the station again at once). */
  readonly onResumed?: (stationId: string) => void;
  /**
   * R4: the station's network block (its lifecycle exists and is not open), null when it may
   * transact; absent: no lifecycle gate. A quota purchase for a blocked station is refused.
   */
  readonly networkBlock?: (stationId: string) => Promise<{ readonly state: string } | null>;
  /** Called after a config is stored (a running gateway judges hold expiry by it, issue 9). */
  readonly onConfigSent?: (config: {
    readonly stationId: string;
    readonly issuedAtMs: number;
    readonly envelope: Uint8Array;
  }) => void;
}

export function inspectP256Spki(spkiDer: Uint8Array): KeyInspection {
  try {
    const key = toPublicKey(spkiDer);
    return {
      ok: true,
      fingerprint: fingerprint(new Uint8Array(key.export({ format: 'der', type: 'spki' }))),
      publicKeyPem: String(key.export({ format: 'pem', type: 'spki' })),
    };
  } catch (error) {
    return { ok: false, reason: describe(error) };
  }
}

export class HqOperations {
  readonly #deps: OperationsDeps;

  constructor(deps: OperationsDeps) {
    this.#deps = deps;
  }

  /** Bind a kiosk's public key to its station (idempotent for the same key). */
  async enrol(json: unknown): Promise<{ outcome: 'enrolled' | 'unchanged'; station: StationRecord }> {
    const station = this.checkEnrolment(json);
    const outcome = await this.#deps.store.enrolStation(station);
    if (outcome === 'enrolled') this.#deps.onEnrolled?.(station);
    return { outcome, station };
  }

  /** The station an enrolment request enrols (fields and proof of possession checked), not stored. */
  checkEnrolment(json: unknown): StationRecord {
    const parsed = parseEnrolmentRequest(
      json,
      inspectP256Spki,
      (text) => new Uint8Array(Buffer.from(text, 'base64')),
    );
    if (parsed.station === null) {
      throw new HqError('HQ_ENROLMENT_INVALID', 'the enrolment request is invalid', {
        problems: parsed.problems,
      });
    }
    const station: StationRecord = { ...parsed.station, enrolledAtMs: this.#deps.clock.nowMs() };
    checkProof(parsed.proofBase64, station);
    return station;
  }

  async #station(stationId: string): Promise<StationRecord> {
    const station = await this.#deps.store.getStation(stationId);
    if (station === undefined) {
      throw new HqError('HQ_STATION_NOT_FOUND', `station ${stationId} is not enrolled`, {
        problems: [
          { code: 'HQ_STATION_NOT_FOUND', field: 'station', message: `station ${stationId} is not enrolled` },
        ],
      });
    }
    return station;
  }

  /** Build, sign, store and (when connected) publish the station's next config, retained. */
  async sendConfig(stationId: string): Promise<{ version: number; summary: Record<string, unknown> }> {
    const station = await this.#station(stationId);
    const d = this.#deps.defaults ?? stationDefaults;
    const previous = await this.#deps.store.latestConfig(stationId);
    const version = (previous?.version ?? 0) + 1;
    const { quotaFen, throughSeq } = await this.#deps.quotaOf(stationId);
    const purchases = await this.#deps.store.quotaPurchases(stationId);
    const issuedAtMs = this.#deps.clock.nowMs();
    const body: PayloadInput<typeof PayloadType.PAYLOAD_TYPE_STATION_CONFIG> = {
      configVersion: version,
      orgCode: station.orgCode,
      quotaAccountId: quotaAccountId(station),
      // Every version HQ announced (R6 history): the kiosk judges past events by the one in force then.
      feeSchedules: feeSchedulesOf(d).map((f) => ({ ...f })),
      quotaFenBalance: quotaFen,
      quotaBalanceThroughSeq: throughSeq,
      quotaPurchases: purchases.map((p) => ({
        purchaseId: p.purchaseId,
        amountFen: p.amountFen,
        purchasedAtMs: p.recordedAtMs,
      })),
      serviceHours: {
        timeZone: 'Asia/Shanghai',
        opensAtMinute: d.opensAtMinute,
        closesAtMinute: d.closesAtMinute,
        maintenanceWindows: d.maintenanceMinutes.map(([startMinute, endMinute]) => ({
          startMinute,
          endMinute,
        })),
        closedOnHolidays: d.closedOnHolidays,
      },
      limits: {
        withdrawalFenMaxPerTransaction: d.withdrawalFenMaxPerTransaction,
        withdrawalFenMaxPerCardPerDay: d.withdrawalFenMaxPerCardPerDay,
        withdrawalFenMaxPerStationPerDay: d.withdrawalFenMaxPerStationPerDay,
        withdrawalCountMaxPerCardPerDay: 0,
        billPaymentFenMaxPerTransaction: 0,
        topupFenMaxPerTransaction: 0,
        authorisationTimeoutMs: d.authorisationTimeoutMs,
        holdExpiryMs: d.holdExpiryMs,
      },
      issuedAtMs,
    };
    const envelope = sealHq(
      this.#deps.hqKey,
      stationId,
      PayloadType.PAYLOAD_TYPE_STATION_CONFIG,
      body,
      issuedAtMs,
    );
    const summary = {
      configVersion: version,
      quotaFenBalance: quotaFen,
      quotaBalanceThroughSeq: throughSeq,
      quotaPurchases: purchases.length,
      withdrawalFeeFen: d.withdrawalFeeFen,
      feeScheduleVersions: feeSchedulesOf(d).length,
    };
    await this.#deps.store.saveConfig({ stationId, version, issuedAtMs, envelope, summary });
    this.#deps.onConfigSent?.({ stationId, issuedAtMs, envelope });
    if (this.#deps.publisher !== undefined) {
      await this.#deps.publisher.publish(
        downTopic(stationId, 'config'),
        envelope,
        channelPublishOptions.config,
      );
    }
    return { version, summary };
  }

  /**
   * R24: send the station a working key the bank's HSM issued (wrapped under the station's TMK,
   * never clear here) in an HQ-signed command on down/cmd; the kiosk loads it into its PIN pad and
   * answers with a CommandResult carrying the pad's KCV. Valid for `ttlMs` (the kiosk refuses it after).
   */
  async sendWorkingKey(
    stationId: string,
    key: { readonly tpkKeyId: string; readonly tpkUnderTmk: Uint8Array; readonly kcv: string },
    ttlMs: number,
  ): Promise<{ commandId: string; tpkKeyId: string; kcv: string; published: boolean }> {
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new Error('assert: ttlMs > 0');
    if (key.tpkUnderTmk.length !== 16) throw new Error('assert: a wrapped AES-128 key is 16 bytes');
    await this.#station(stationId);
    const nowMs = this.#deps.clock.nowMs();
    const commandId = `key-${createHash('sha256').update(`${stationId}|${key.tpkKeyId}|${nowMs}`).digest('hex').slice(0, 24)}`;
    const envelope = sealHq(
      this.#deps.hqKey,
      stationId,
      PayloadType.PAYLOAD_TYPE_COMMAND,
      { commandId, notAfterMs: nowMs + ttlMs, loadWorkingKey: { ...key } },
      nowMs,
    );
    if (this.#deps.publisher !== undefined)
      await this.#deps.publisher.publish(downTopic(stationId, 'cmd'), envelope, channelPublishOptions.cmd);
    return { commandId, tpkKeyId: key.tpkKeyId, kcv: key.kcv, published: this.#deps.publisher !== undefined };
  }

  /**
   * R3: record a quota purchase of at least 50000 fen, then send the station its new config.
   * `receiptReference` is the outlet's receipt number (R9); it becomes the purchase id, so the
   * action is idempotent: the same reference with the same station and amount again is `exists`
   * (nothing recorded, no config sent), with another station or amount HQ_QUOTA_PURCHASE_CONFLICT.
   * Without one (older callers) HQ makes an id. The amount is fen, or `{ yuan }`; the answer echoes
   * it in yuan.
   */
  async purchaseQuota(
    stationId: string,
    amount: AmountInput,
    receiptReference?: string,
  ): Promise<QuotaPurchaseOutcome> {
    const problems: HqProblem[] = [];
    const parsed = parseAmount(amount, 'HQ_QUOTA_PURCHASE_REFUSED');
    if (!parsed.ok) problems.push(parsed.problem);
    else if (parsed.amountFen < QUOTA_PURCHASE_FEN_MIN) {
      const message = `a quota purchase is at least ${yuanForPeople(QUOTA_PURCHASE_FEN_MIN)} (R3); got ${yuanForPeople(parsed.amountFen)}`;
      problems.push({ code: 'HQ_QUOTA_PURCHASE_REFUSED', field: 'amount', message });
    }
    const badReference =
      receiptReference === undefined
        ? undefined
        : checkReceiptReference(receiptReference, receiptReferenceCharsMax);
    if (badReference !== undefined) {
      problems.push({
        code: 'HQ_QUOTA_PURCHASE_REFUSED',
        field: 'receipt',
        message: `receipt: ${badReference}`,
      });
    }
    if (problems.length > 0 || !parsed.ok) {
      throw new HqError('HQ_QUOTA_PURCHASE_REFUSED', problems.map((p) => p.message).join('; '), { problems });
    }
    const amountFen = parsed.amountFen;
    await this.#station(stationId);
    const block = (await this.#deps.networkBlock?.(stationId)) ?? null;
    if (block !== null) {
      const message = `station ${stationId} is not open (lifecycle state ${block.state}): no quota purchase before it opens (R4)`;
      throw new HqError('HQ_QUOTA_STATION_NOT_OPEN', message, {
        problems: [{ code: 'HQ_QUOTA_STATION_NOT_OPEN', field: 'stationId', message }],
      });
    }
    const recordedAtMs = this.#deps.clock.nowMs();
    const id =
      receiptReference ??
      `qp-${stationId}-${createHash('sha256').update(`${stationId}:${amountFen}:${recordedAtMs}:${Math.random()}`).digest('hex').slice(0, 16)}`;
    const echo = { purchaseId: id, stationId, amountFen, amountYuan: yuanText(amountFen) };
    const existing = (await this.#deps.store.quotaPurchases(stationId)).find((p) => p.purchaseId === id);
    if (existing !== undefined) {
      if (existing.amountFen !== amountFen)
        throw purchaseConflict(id, `recorded with ${yuanForPeople(existing.amountFen)}`);
      const latest = await this.#deps.store.latestConfig(stationId);
      return { outcome: 'exists', ...echo, configVersion: latest?.version ?? 0 };
    }
    const { quotaFen } = await this.#deps.quotaOf(stationId);
    try {
      await this.#deps.store.recordQuotaPurchase({
        purchaseId: id,
        stationId,
        amountFen,
        quotaFenAfter: quotaFen + amountFen,
        recordedAtMs,
      });
    } catch (error) {
      // Not this station's (looked up above): the reference is another station's purchase, or a
      // concurrent call recorded it first. Either way nothing new was recorded.
      throw purchaseConflict(id, 'recorded for another station or concurrently', error);
    }
    this.#deps.onQuotaPurchased?.({ purchaseId: id, stationId, amountFen, recordedAtMs });
    const config = await this.sendConfig(stationId);
    return { outcome: 'recorded', ...echo, configVersion: config.version };
  }
  /**
   * Lift a station's suspension (issue 8): stored first, then the running gateway serves it again.
   * 'resumed', or 'not_suspended' when there was none.
   */
  async resumeStation(
    stationId: string,
    why?: { readonly resumedBy: string; readonly reason: string },
  ): Promise<'resumed' | 'not_suspended'> {
    await this.#station(stationId);
    const integrity = this.#deps.integrity;
    if (integrity === undefined) throw new Error('resumeStation needs the integrity store');
    // Who, when (HQ's clock) and why are recorded with the suspension lifted (station_resumptions).
    const resumed = await integrity.resume(
      stationId,
      why === undefined ? undefined : { ...why, resumedAtMs: this.#deps.clock.nowMs() },
    );
    this.#deps.onResumed?.(stationId);
    return resumed ? 'resumed' : 'not_suspended';
  }
}

export interface QuotaPurchaseOutcome {
  /** 'exists': the receipt reference was recorded before with the same station and amount. */
  readonly outcome: 'recorded' | 'exists';
  readonly purchaseId: string;
  readonly stationId: string;
  readonly amountFen: number;
  /** The amount in yuan, '5000.00'. */
  readonly amountYuan: string;
  readonly configVersion: number;
}

function purchaseConflict(purchaseId: string, why: string, cause?: unknown): HqError {
  const message = `receipt ${purchaseId} is already ${why}`;
  return new HqError('HQ_QUOTA_PURCHASE_CONFLICT', message, {
    cause,
    problems: [{ code: 'HQ_QUOTA_PURCHASE_CONFLICT', field: 'receipt', message }],
  });
}

/**
 * Proof of possession: the proof is an EnrolmentRequest envelope that verifies under the public key
 * it carries (wire openEnrolmentRequest), and that key, key id, station and org code are the ones
 * the request asks HQ to bind. A request whose proof was signed by another key, or that copies a
 * proof made for another station or key, is refused.
 */
function checkProof(proofBase64: string, station: StationRecord): void {
  const fail = (message: string, cause?: unknown): never => {
    throw new HqError('HQ_ENROLMENT_SIGNATURE_INVALID', message, {
      cause,
      problems: [{ code: 'HQ_ENROLMENT_SIGNATURE_INVALID', field: 'proof', message }],
    });
  };
  let proof: ReturnType<typeof openEnrolmentRequest> | undefined;
  try {
    proof = openEnrolmentRequest(new Uint8Array(Buffer.from(proofBase64, 'base64')));
  } catch (error) {
    fail(`proof: ${describe(error)}`, error);
  }
  if (proof === undefined) return;
  const spki = new Uint8Array(proof.publicKey.export({ format: 'der', type: 'spki' }));
  if (fingerprint(spki) !== station.fingerprint) fail('proof: signed by a key other than the one it enrols');
  if (proof.header.keyId !== station.keyId) fail('proof: key id differs from the request');
  if (proof.request.stationId !== station.stationId) fail('proof: station id differs from the request');
  if (proof.request.orgCode !== station.orgCode) fail('proof: org code differs from the request');
}
