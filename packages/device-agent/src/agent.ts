// The kiosk agent: wires the journal (SQLite), the UK key (Signer), the card reader and PIN pad,
// and the MQTT link into the transaction core, and implements the operator port the local API
// serves. Usable in-process (demo, tests) and by src/main.ts.
//
// Order of every step: journal row committed (with its signed event in the outbox, same commit)
// → only then anything external (an authorisation request leaves, the shopkeeper is told to hand
// out cash, the link publishes). All appends run one at a time through #writer, so seq numbers
// are contiguous although signing is asynchronous.
import { createHash, createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { checkServiceHours, LEDGER_CODES, type LedgerCode, type LedgerCommand } from '@bianmin/core-ledger';
import { type bianmin, downTopic, newEventId, openEnvelope, PayloadType, upTopic, v1 } from '@bianmin/wire';
import type { Logger } from 'pino';
import { MqttLink, type MqttLinkOptions } from './adapters/mqtt/mqtt-link.js';
import type { MqttTlsFiles } from './adapters/mqtt/tls.js';
import { checkOpenDb } from './adapters/sqlite/integrity.js';
import type { KioskDb } from './adapters/sqlite/kiosk-db.js';
import { cardToken } from './domain/journal/card.js';
import type { JournalRow } from './domain/journal/chain.js';
import type { Pan } from './domain/pin/pan.js';
import {
  type ActiveConfig,
  type FeeKind,
  feeInForce,
  holdExpiresAtMsOf,
  toActiveConfig,
} from './domain/tx/active-config.js';
import {
  addToDay,
  BUSINESS_TYPES,
  type BusinessTypeName,
  businessDateOf,
  type DayTotals,
  emptyDay,
  msUntilNextMidnight,
} from './domain/tx/business-day.js';
import { openHqEnvelope, signEnvelope, type WirePayload } from './domain/tx/envelope.js';
import { KioskLedger } from './domain/tx/kiosk-ledger.js';
import { serialPeripheralStatus, tokenPeripheralStatus, tokenStateOf } from './domain/tx/peripherals.js';
import { makeReceiptNumber } from './domain/tx/receipt.js';
import {
  applyWithdrawalEvent,
  canApply,
  isTerminal,
  recoveryAction,
  type WithdrawalEvent,
  type WithdrawalState,
} from './domain/tx/withdrawal.js';
import { AgentError, isAgentError } from './errors.js';
import {
  authorisationTimeoutMsDefault,
  downMessageBytesMax,
  linkBackoffMsInitial,
  linkBackoffMsMax,
  linkConnectTimeoutMs,
  linkHeartbeatMs,
  linkKeepaliveSeconds,
  outboxAckFlushMs,
  outboxAckTimeoutMs,
  outboxInFlightCountMax,
} from './limits.js';
import type { CardReader } from './ports/card-reader.js';
import type { ClockPort, TimerHandle } from './ports/clock.js';
import type {
  AgentStatusView,
  BillPaymentInput,
  DailyCloseView,
  OperatorPort,
  Outcome,
  PaymentView,
  Refusal,
  RefusalReason,
  TopupInput,
  WithdrawalInput,
  WithdrawalView,
} from './ports/operator.js';
import type { PinPad } from './ports/pin-pad.js';
import type { DownMessage, PublisherPort } from './ports/publisher.js';
import type { Signer } from './ports/signer.js';

export interface HqPublicKey {
  readonly keyId: string;
  /** PEM or DER SubjectPublicKeyInfo of an HQ P-256 key. */
  readonly publicKey: string | Uint8Array;
}

export interface KioskAgentOptions {
  readonly stationId: string;
  /** key_id of the station's signing key as enrolled at HQ (its SPKI SHA-256 fingerprint). */
  readonly keyId: string;
  readonly db: KioskDb;
  readonly signer: Signer;
  readonly cardReader: CardReader;
  readonly pinPad: PinPad;
  readonly clock: ClockPort;
  readonly logger: Logger;
  readonly hqPublicKeys: readonly HqPublicKey[];
  /** Station secret for card tokens (HMAC key, >= 16 bytes). */
  readonly cardTokenKey: Uint8Array;
  /** key id of the TPK the PIN pad enciphers under, sent with the PIN block. */
  readonly tpkKeyId: string;
  readonly mqtt: {
    readonly brokerUrl: string;
    readonly username?: string;
    readonly password?: string;
    /** TLS files of the broker link (config mqtt.tls). */
    readonly tls?: MqttTlsFiles;
    readonly windowMax?: number;
    readonly ackTimeoutMs?: number;
    readonly heartbeatMs?: number;
    readonly backoffMsInitial?: number;
    readonly backoffMsMax?: number;
  };
  /** How long a withdrawal waits for a card. Default 60 s. */
  readonly cardWaitMs?: number;
  /** Close each business day automatically at Shanghai midnight (R7). Default true. */
  readonly autoDailyClose?: boolean;
  readonly agentVersion?: string;
  /** Free bytes on the journal's file system, for telemetry (main.ts: fs.statfs). Default: not reported (0). */
  readonly diskFreeBytes?: () => number;
  /** Replaces the MQTT link (tests). */
  readonly makeLink?: (options: MqttLinkOptions) => PublisherPort;
}

/** Ledger refusals the counter app knows under an agent code; the message keeps the ledger code. */
const LEDGER_TO_AGENT: Partial<Record<LedgerCode, string>> = {
  LEDGER_QUOTA_INSUFFICIENT: 'AGENT_TX_QUOTA_EXCEEDED',
  LEDGER_OUTSIDE_SERVICE_HOURS: 'AGENT_TX_OUTSIDE_SERVICE_HOURS',
  LEDGER_IN_MAINTENANCE_WINDOW: 'AGENT_TX_OUTSIDE_SERVICE_HOURS',
  LEDGER_STATION_NO_ORG_CODE: 'AGENT_TX_NO_CONFIG',
  LEDGER_STATION_NO_QUOTA_ACCOUNT: 'AGENT_TX_NO_CONFIG',
  LEDGER_WITHDRAWAL_OVER_TRANSACTION_LIMIT: 'AGENT_TX_OVER_LIMIT',
  LEDGER_WITHDRAWAL_OVER_CARD_DAILY_LIMIT: 'AGENT_TX_OVER_LIMIT',
  LEDGER_WITHDRAWAL_OVER_STATION_DAILY_LIMIT: 'AGENT_TX_OVER_LIMIT',
};

/** Every ledger refusal as an operator reason, in the ledger's precedence order (R21). */
function ledgerReasons(codes: readonly LedgerCode[]): RefusalReason[] {
  return codes.map((code) => ({
    code: LEDGER_TO_AGENT[code] ?? code,
    message: `${code}: ${LEDGER_CODES[code]}`,
  }));
}

const META_HQ_CONFIG = 'hq_config_envelope_b64';
const META_BD_SEQ = 'bd_seq';
/** SHA-256 of the last refused config envelope: a retained bad config is reported once. */
const META_CONFIG_REFUSED = 'hq_config_refused_sha256';
const metaCommand = (commandId: string) => `hq_command:${commandId}`;
/** proto detail fields: at most this many characters (the wire checks it). */
const downDetailCharsMax = 500;

/** The version a config claims before it is verified (for the refusal report only; never trusted). */
function claimedConfigVersion(bytes: Uint8Array): number {
  try {
    const opened = openEnvelope(bytes);
    return opened.type === PayloadType.PAYLOAD_TYPE_STATION_CONFIG
      ? Number(opened.body.configVersion ?? 0)
      : 0;
  } catch {
    return 0;
  }
}
const metaReceiptCounter = (date: string) => `receipt_counter:${date}`;
const metaPurchase = (purchaseId: string) => `quota_purchase:${purchaseId}`;
const metaClose = (date: string) => `daily_close:${date}`;

const TOTALS_KIND_WIRE: Record<BusinessTypeName, number> = {
  CASH_WITHDRAWAL: v1.TotalsKind.TOTALS_KIND_CASH_WITHDRAWAL,
  BILL_PAYMENT: v1.TotalsKind.TOTALS_KIND_BILL_PAYMENT,
  MOBILE_TOPUP: v1.TotalsKind.TOTALS_KIND_MOBILE_TOPUP,
  REVERSAL: v1.TotalsKind.TOTALS_KIND_REVERSAL,
  QUOTA_PURCHASE: v1.TotalsKind.TOTALS_KIND_QUOTA_PURCHASE,
};

interface PendingAuth {
  readonly txId: string;
  readonly resolve: (response: bianmin.v1.AuthorisationResponse | null) => void;
}

function refusal(...reasons: RefusalReason[]): Refusal {
  if (reasons.length === 0) throw new Error('assert: a refusal has at least one reason');
  return { ok: false, reasons };
}

export class KioskAgent implements OperatorPort {
  readonly #o: KioskAgentOptions;
  readonly #db: KioskDb;
  readonly #log: Logger;
  readonly #link: PublisherPort;
  readonly #hqKeys: Map<string, KeyObject>;
  readonly #withdrawals = new Map<string, WithdrawalState>();
  readonly #pendingAuth = new Map<string, PendingAuth>();
  /** (seq, quota delta) of every quota-moving event, for the balance since HQ's last count. */
  readonly #ledger: KioskLedger;
  #replaying = false;
  readonly #days = new Map<string, DayTotals>();
  #config: ActiveConfig | null = null;
  #writer: Promise<unknown> = Promise.resolve();
  #withdrawalBusy = false;
  #stopped = false;
  #closeTimer: TimerHandle | null = null;
  readonly #bootedAtMs: number;

  private constructor(options: KioskAgentOptions) {
    this.#o = options;
    this.#db = options.db;
    this.#log = options.logger.child({ component: 'agent', stationId: options.stationId });
    this.#bootedAtMs = options.clock.nowMs();
    this.#ledger = new KioskLedger(options.stationId);
    this.#hqKeys = new Map(
      options.hqPublicKeys.map((key) => [
        key.keyId,
        typeof key.publicKey === 'string'
          ? createPublicKey(key.publicKey)
          : createPublicKey({ key: Buffer.from(key.publicKey), format: 'der', type: 'spki' }),
      ]),
    );
    const st = options.stationId;
    const linkOptions: MqttLinkOptions = {
      brokerUrl: options.mqtt.brokerUrl,
      stationId: st,
      ...(options.mqtt.username === undefined ? {} : { username: options.mqtt.username }),
      ...(options.mqtt.password === undefined ? {} : { password: options.mqtt.password }),
      ...(options.mqtt.tls === undefined ? {} : { tls: options.mqtt.tls }),
      topics: {
        event: upTopic(st, 'event'),
        birth: upTopic(st, 'birth'),
        death: upTopic(st, 'death'),
        telemetry: upTopic(st, 'telemetry'),
        subscribe: [
          downTopic(st, 'ack'),
          downTopic(st, 'auth-resp'),
          downTopic(st, 'config'),
          downTopic(st, 'cmd'),
        ],
      },
      outbox: options.db,
      status: {
        nextBdSeq: () => {
          const next = Number(this.#db.getMeta(META_BD_SEQ) ?? '0') + 1;
          this.#db.setMeta(META_BD_SEQ, String(next));
          return next;
        },
        death: (bdSeq) => this.#signStatus({ type: PayloadType.PAYLOAD_TYPE_DEATH, body: { bdSeq } }),
        birth: (bdSeq) =>
          this.#signStatus({ type: PayloadType.PAYLOAD_TYPE_BIRTH, body: this.#birthBody(bdSeq) }),
        telemetry: (bdSeq) =>
          this.#signStatus({ type: PayloadType.PAYLOAD_TYPE_TELEMETRY, body: this.#telemetryBody(bdSeq) }),
      },
      clock: options.clock,
      logger: options.logger,
      windowMax: options.mqtt.windowMax ?? outboxInFlightCountMax,
      ackTimeoutMs: options.mqtt.ackTimeoutMs ?? outboxAckTimeoutMs,
      heartbeatMs: options.mqtt.heartbeatMs ?? linkHeartbeatMs,
      backoffMsInitial: options.mqtt.backoffMsInitial ?? linkBackoffMsInitial,
      backoffMsMax: options.mqtt.backoffMsMax ?? linkBackoffMsMax,
      connectTimeoutMs: linkConnectTimeoutMs,
      keepaliveSeconds: linkKeepaliveSeconds,
      ackFlushMs: outboxAckFlushMs,
    };
    this.#link = options.makeLink === undefined ? new MqttLink(linkOptions) : options.makeLink(linkOptions);
    this.#link.onDown((message) => this.#onDown(message));
  }

  /**
   * Opens the agent: verifies the journal's hash chain and the outbox (throws
   * AGENT_JOURNAL_CHAIN_BROKEN / AGENT_OUTBOX_GAP), rebuilds state from the journal, loads the last
   * good HQ config, and settles every withdrawal a previous process died in. Does not connect.
   */
  static async open(options: KioskAgentOptions): Promise<KioskAgent> {
    const integrity = checkOpenDb(options.db, 'kiosk.db');
    if (integrity.status === 'corrupt') {
      throw new AgentError(integrity.code, integrity.detail, {
        details: { badIndex: integrity.badIndex ?? -1 },
      });
    }
    const agent = new KioskAgent(options);
    agent.#loadConfig();
    agent.#replay();
    await agent.#recover();
    return agent;
  }

  /** Connects to the broker and starts the automatic daily close. */
  start(): void {
    this.#link.start();
    if (this.#o.autoDailyClose !== false) this.#armDailyClose();
  }

  /** Stops without settling withdrawals in flight: the next start settles them from the journal. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#closeTimer?.cancel();
    for (const pending of this.#pendingAuth.values()) pending.resolve(null);
    await this.#writer.catch(() => undefined);
    await this.#link.stop();
  }

  link(): PublisherPort {
    return this.#link;
  }

  // ---------------------------------------------------------------- start-up

  #replay(): void {
    this.#replaying = true;
    this.#ledger.beginReplay();
    for (const row of this.#db.rows(0)) this.#absorb(row);
    this.#ledger.endReplay();
    this.#replaying = false;
    this.#log.info(
      { rows: this.#db.rowCount(), lastEventSeq: this.#db.headSeq(), outboxDepth: this.#db.depth() },
      'journal verified and replayed',
    );
  }

  /** Folds one committed row into memory (at start-up and after each append). */
  #absorb(row: JournalRow): void {
    const payload = JSON.parse(row.payloadJson) as Record<string, unknown>;
    if (row.kind.startsWith('withdrawal.')) {
      const event = { kind: row.kind, ...payload } as WithdrawalEvent;
      const state = this.#withdrawals.get(row.txId) ?? null;
      this.#withdrawals.set(row.txId, applyWithdrawalEvent(row.txId, state, event));
    }
    // Start-up replays the ledger commands the rows carry; live, the caller already applied them.
    if (this.#replaying && payload.ledger !== undefined) {
      const result = this.#ledger.replay(payload.ledger as LedgerCommand);
      if (!result.ok)
        this.#log.warn({ code: result.code, index: row.index }, 'journaled ledger command refused on replay');
    }
    const type = payload.businessType as BusinessTypeName | undefined;
    if (type !== undefined && row.eventSeq !== null && typeof payload.businessDate === 'string') {
      const day = this.#days.get(payload.businessDate) ?? emptyDay();
      addToDay(day, type, row.eventSeq, {
        amountFen: payload.amountFen as number,
        feeFen: (payload.feeFen as number | undefined) ?? 0,
        quotaFenConsumed:
          type === 'BILL_PAYMENT' || type === 'MOBILE_TOPUP' ? (payload.amountFen as number) : 0,
      });
      this.#days.set(payload.businessDate, day);
    }
  }

  /** (Re)loads the last good HQ config from the journal's meta, verified again. False if none verifies. */
  #loadConfig(): boolean {
    const stored = this.#db.getMeta(META_HQ_CONFIG);
    if (stored === null) return false;
    const opened = openHqEnvelope(Buffer.from(stored, 'base64'), this.#hqKeys, this.#o.stationId);
    if (!opened.ok || opened.opened.type !== PayloadType.PAYLOAD_TYPE_STATION_CONFIG) {
      this.#log.error({ code: 'AGENT_HQ_CONFIG_REFUSED' }, 'stored HQ config no longer verifies; ignored');
      return false;
    }
    this.#config = toActiveConfig(opened.opened.body);
    this.#ledger.configure(this.#config);
    return true;
  }

  async #recover(): Promise<void> {
    for (const state of [...this.#withdrawals.values()]) {
      if (isTerminal(state.phase)) continue;
      const action = recoveryAction(state);
      this.#log.warn(
        {
          code: action.kind === 'none' ? undefined : action.reasonCode,
          txId: state.txId,
          phase: state.phase,
        },
        'settling withdrawal left in flight',
      );
      if (action.kind === 'abandon')
        await this.#step(state.txId, { kind: 'withdrawal.abandoned', reasonCode: action.reasonCode });
      if (action.kind === 'reverse')
        await this.#reverse(state, v1.ReversalReason.REVERSAL_REASON_RECOVERY, action.reasonCode);
      if (action.kind === 'void')
        await this.#void(state, v1.VoidReason.VOID_REASON_CASH_NOT_HANDED_OUT, action.reasonCode);
    }
  }

  // ---------------------------------------------------------------- writing

  /** Runs `work` after every earlier append finished: one writer, contiguous seqs. */
  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writer.then(work, work);
    this.#writer = run.catch(() => undefined);
    return run;
  }

  /** Signs a message that is not journaled (seq 0): status, authorisation request. */
  async #signStatus(payload: WirePayload): Promise<Uint8Array> {
    const header = {
      stationId: this.#o.stationId,
      keyId: this.#o.keyId,
      seq: 0,
      eventId: newEventId(Date.now()),
      createdAtMs: this.#o.clock.nowMs(),
    };
    return signEnvelope(this.#o.signer, header, payload);
  }

  /**
   * Appends one journal row; with `wire`, also signs the event (next seq) and stores it in the
   * outbox in the same commit, then nudges the link. Must run inside #serially.
   */
  async #append(
    kind: string,
    txId: string,
    payload: Record<string, unknown>,
    wire?: WirePayload,
    metaUpdates?: Record<string, string>,
    ledger?: { readonly command: LedgerCommand; readonly alreadyApplied: boolean },
  ): Promise<JournalRow> {
    const createdAtMs = this.#o.clock.nowMs();
    if (ledger !== undefined) payload = { ...payload, ledger: ledger.command };
    let event: { seq: number; eventId: string; payloadType: string; envelopeBytes: Uint8Array } | undefined;
    if (wire !== undefined) {
      const seq = this.#db.nextEventSeq();
      // UUIDv7 on the wall clock (not the business clock, which tests may freeze): ids made later
      // sort later, so HQ's index on them grows at its right edge.
      const eventId = newEventId(Date.now());
      let envelopeBytes: Uint8Array;
      try {
        // Chained to the previous event's envelope (HQ then checks a run of events at its newest
        // signature, docs/protocol.md); none for seq 1 or after a journal from before chaining.
        const prev = seq > 1 ? this.#db.lastEventEnvelopeSha256() : null;
        const header = {
          stationId: this.#o.stationId,
          keyId: this.#o.keyId,
          seq,
          eventId,
          createdAtMs,
          ...(prev === null ? {} : { prevEnvelopeSha256: prev }),
        };
        envelopeBytes = await signEnvelope(this.#o.signer, header, wire);
      } catch (error) {
        throw new AgentError('AGENT_TX_SIGNER_UNAVAILABLE', 'the UK key could not sign the event', {
          cause: error,
        });
      }
      event = { seq, eventId, payloadType: String(PayloadType[wire.type]), envelopeBytes };
    }
    const row = this.#db.append({
      kind,
      txId,
      createdAtMs,
      payload,
      ...(event === undefined ? {} : { event }),
      ...(metaUpdates === undefined ? {} : { metaUpdates }),
    });
    this.#absorb(row);
    if (ledger !== undefined && !ledger.alreadyApplied) this.#applyLedger(ledger.command);
    if (event !== undefined) this.#link.outboxChanged();
    return row;
  }

  /** A journal-only withdrawal step (no wire event). */
  #step(txId: string, event: WithdrawalEvent): Promise<JournalRow> {
    return this.#serially(() => {
      const state = this.#withdrawals.get(txId) ?? null;
      if (!canApply(state, event)) throw new Error(`assert: ${event.kind} from ${state?.phase ?? 'nothing'}`);
      const { kind, ...payload } = event;
      return this.#append(kind, txId, payload);
    });
  }

  // ---------------------------------------------------------------- rules

  #businessDate(): string {
    return businessDateOf(this.#o.clock.nowMs());
  }

  /** R4, R20 and the per-transaction limit, all at once (R21). */
  #commonChecks(amountFen: number, limitFen: number, checkHours = true): RefusalReason[] {
    const reasons: RefusalReason[] = [];
    const config = this.#config;
    if (config === null || config.orgCode === '' || config.quotaAccountId === '') {
      reasons.push({
        code: 'AGENT_TX_NO_CONFIG',
        message: 'no verified HQ config with org code and quota account (R4)',
      });
      return reasons;
    }
    const hours = config.serviceHours;
    for (const ledgerCode of checkHours ? checkServiceHours(hours, this.#o.clock.nowMs()) : []) {
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

  /** The station's quota left (R2), from core-ledger; null before the first HQ config. */
  quotaFenAvailable(): number | null {
    return this.#config === null ? null : this.#ledger.quotaFenAvailable();
  }

  /** Applies a ledger command for a step that already happened (bank answer, cash handed out). */
  #applyLedger(command: LedgerCommand): void {
    const result = this.#ledger.apply(command);
    if (!result.ok) {
      this.#log.warn(
        { code: result.code, reasons: result.reasons, id: command.id },
        'ledger refused a step that happened',
      );
    }
  }

  #feeFor(kind: FeeKind): { feeFen: number; version: number } {
    return feeInForce(this.#config, kind, this.#businessDate());
  }

  #nextReceipt(date: string): { receiptNumber: string; metaUpdates: Record<string, string> } {
    const counter = Number(this.#db.getMeta(metaReceiptCounter(date)) ?? '0') + 1;
    return {
      receiptNumber: makeReceiptNumber(
        this.#o.stationId.toUpperCase().replace(/[^A-Z0-9]/g, ''),
        date,
        counter,
      ),
      metaUpdates: { [metaReceiptCounter(date)]: String(counter) },
    };
  }

  // ---------------------------------------------------------------- withdrawal

  async startWithdrawal(input: WithdrawalInput): Promise<Outcome<{ withdrawal: WithdrawalView }>> {
    if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0)
      throw new Error('assert: amountFen > 0');
    const txId = input.txId ?? `wd-${randomUUID()}`;
    const existing = this.#withdrawals.get(txId);
    if (existing !== undefined) {
      if (existing.amountFen !== input.amountFen) {
        return refusal({ code: 'AGENT_TX_DUPLICATE_ID', message: `transaction id ${txId} already used` });
      }
      return { ok: true, withdrawal: this.#view(existing) };
    }
    const limit = this.#config?.limits.withdrawalFenMaxPerTransaction ?? 0;
    const reasons = this.#commonChecks(input.amountFen, limit);
    if (this.#withdrawalBusy)
      reasons.push({ code: 'AGENT_TX_BUSY', message: 'another withdrawal is in progress' });
    if (reasons.length > 0) return refusal(...reasons);
    this.#withdrawalBusy = true;
    try {
      return await this.#runWithdrawal(txId, input.amountFen);
    } finally {
      this.#withdrawalBusy = false;
    }
  }

  async #runWithdrawal(txId: string, amountFen: number): Promise<Outcome<{ withdrawal: WithdrawalView }>> {
    let pan: Pan;
    try {
      await this.#o.cardReader.waitForCard(this.#o.cardWaitMs ?? 60_000);
      pan = (await this.#o.cardReader.readCard()).pan;
    } catch (error) {
      return refusal({
        code: 'AGENT_TX_CARD_FAILED',
        message: isAgentError(error) ? error.code : 'card read failed',
      });
    }
    const token = cardToken(pan, this.#o.cardTokenKey);
    await this.#step(txId, {
      kind: 'withdrawal.card_read',
      amountFen,
      maskedPan: pan.masked,
      cardToken: token,
    });
    // R5 limits (per transaction, per card and per station per day) and R20, before the customer
    // types a PIN and before the bank is asked: a dry run of the hold through core-ledger.
    const limitReasons = await this.#checkHold(txId, token, amountFen);
    if (limitReasons.length > 0) {
      await this.#step(txId, { kind: 'withdrawal.abandoned', reasonCode: limitReasons[0]!.code });
      return refusal(...limitReasons);
    }
    let pinBlockBytes: Uint8Array;
    try {
      const pinBlock = await this.#o.pinPad.startPinEntry(amountFen, pan);
      pinBlockBytes = pinBlock.exposeBytes();
      pinBlock.wipe();
    } catch (error) {
      const code = isAgentError(error) ? error.code : 'AGENT_TX_PIN_FAILED';
      await this.#step(txId, { kind: 'withdrawal.abandoned', reasonCode: code });
      return refusal({ code: 'AGENT_TX_PIN_FAILED', message: code });
    }
    return this.authorise(txId, pan, pinBlockBytes);
  }

  /** The reasons core-ledger would refuse this withdrawal's hold for; [] when it would accept it. */
  #checkHold(txId: string, cardTokenText: string, amountFen: number): Promise<RefusalReason[]> {
    return this.#serially(async () => {
      const now = this.#o.clock.nowMs();
      const codes = this.#ledger.check({
        type: 'withdrawal-hold',
        id: `${txId}:check:${now}`,
        atMs: now,
        stationId: this.#o.stationId,
        cardToken: cardTokenText,
        amountFen,
        feeFen: this.#feeFor('CASH_WITHDRAWAL').feeFen,
      });
      return ledgerReasons(codes);
    });
  }

  /**
   * From the PIN block to an answer: journals the request (durable) before it leaves, sends it,
   * waits for HQ or the timeout. Public for the latency bench (PIN block received → durable).
   */
  async authorise(
    txId: string,
    pan: Pan,
    pinBlockBytes: Uint8Array,
  ): Promise<Outcome<{ withdrawal: WithdrawalView }>> {
    const state = this.#withdrawals.get(txId);
    if (state === undefined) throw new Error('assert: authorise after card_read');
    const requestId = randomUUID();
    const timeoutMs = (this.#config?.limits.authorisationTimeoutMs ?? 0) || authorisationTimeoutMsDefault;
    const deadlineAtMs = this.#o.clock.nowMs() + timeoutMs;
    const fee = this.#feeFor('CASH_WITHDRAWAL');
    const request = {
      requestId,
      transactionId: txId,
      pan: pan.digits(),
      pinBlock: pinBlockBytes,
      pinBlockFormat: 4,
      tpkKeyId: this.#o.tpkKeyId,
      card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
      amountFen: state.amountFen,
      feeFen: fee.feeFen,
      feeScheduleVersion: fee.version,
      expiresAtMs: deadlineAtMs,
    };
    // The UK key signs (on libuv's thread pool, C_SignAsync) while the journal commit below waits
    // for its fsync: the request leaves after both, so the latency is the slower of the two, not
    // their sum. The PIN block is encoded into the signed bytes before the first await inside,
    // so it is wiped at once.
    const signing = this.#signStatus({ type: PayloadType.PAYLOAD_TYPE_AUTHORISATION_REQUEST, body: request });
    signing.catch(() => undefined); // awaited below, after the journal step
    pinBlockBytes.fill(0);
    const answer = new Promise<bianmin.v1.AuthorisationResponse | null>((resolve) => {
      this.#pendingAuth.set(requestId, { txId, resolve });
    });
    try {
      await this.#step(txId, { kind: 'withdrawal.auth_requested', requestId, deadlineAtMs });
    } catch (error) {
      this.#pendingAuth.delete(requestId);
      throw error;
    }
    let envelope: Uint8Array;
    try {
      envelope = await signing;
    } catch (error) {
      // Journaled but never signed, so never sent: the bank cannot have seen it. The withdrawal
      // ends here, journal only (a reversal would need the same UK key that just failed).
      this.#pendingAuth.delete(requestId);
      this.#log.error(
        { code: 'AGENT_TX_SIGNER_UNAVAILABLE', txId, error: (error as Error).message },
        'the UK key could not sign the authorisation request; withdrawal abandoned',
      );
      await this.#step(txId, { kind: 'withdrawal.abandoned', reasonCode: 'AGENT_TX_SIGNER_UNAVAILABLE' });
      return { ok: true, withdrawal: this.#view(this.#withdrawals.get(txId)!) };
    }
    const timer = this.#o.clock.setTimer(timeoutMs, () => this.#pendingAuth.get(requestId)?.resolve(null));
    // Offline: the request never left, so waiting out the timeout only keeps the customer standing;
    // settle at once (the reversal is harmless for a request HQ never saw).
    void this.#link.sendDirect(upTopic(this.#o.stationId, 'auth-req'), envelope).then((sent) => {
      if (!sent) this.#pendingAuth.get(requestId)?.resolve(null);
    });
    const response = await answer;
    timer.cancel();
    this.#pendingAuth.delete(requestId);
    const current = this.#withdrawals.get(txId)!;
    if (current.phase !== 'auth_requested' || this.#stopped)
      return { ok: true, withdrawal: this.#view(current) };
    if (response === null) {
      await this.#reverse(current, v1.ReversalReason.REVERSAL_REASON_TIMEOUT, 'AGENT_AUTH_TIMEOUT');
    } else if (response.decision === v1.AuthorisationDecision.AUTHORISATION_DECISION_APPROVED) {
      await this.#authorised(current, response, fee.version);
    } else {
      await this.#declined(current, response);
    }
    return { ok: true, withdrawal: this.#view(this.#withdrawals.get(txId)!) };
  }

  #authorised(
    state: WithdrawalState,
    response: bianmin.v1.AuthorisationResponse,
    feeVersion: number,
  ): Promise<JournalRow> {
    return this.#serially(() => {
      const now = this.#o.clock.nowMs();
      const feeFen = Number(response.feeFen);
      const body = {
        transactionId: state.txId,
        requestId: state.requestId ?? '',
        card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
        amountFen: state.amountFen,
        feeFen,
        bankReference: response.bankReference,
        feeScheduleVersion: feeVersion,
        authorisedAtMs: now,
        // What the proto says: the instant the hold lapses under the configured hold expiry (0 = none).
        holdExpiresAtMs: holdExpiresAtMsOf(now, this.#config?.limits.holdExpiryMs ?? 0),
        businessDate: businessDateOf(now),
      };
      const command: LedgerCommand = {
        type: 'withdrawal-hold',
        id: state.txId,
        atMs: now,
        stationId: this.#o.stationId,
        cardToken: state.cardToken,
        amountFen: state.amountFen,
        feeFen,
      };
      const held = this.#ledger.apply(command);
      if (!held.ok) {
        // Checked before the request left, so only a race gets here (a config with lower limits
        // arrived meanwhile): the bank holds the money, so reverse at once (store-and-forward).
        this.#log.warn(
          { code: 'AGENT_TX_HOLD_REFUSED', reasons: held.reasons, txId: state.txId },
          'bank approved but the ledger refused the hold; reversing',
        );
        return this.#appendReversal(
          state,
          v1.ReversalReason.REVERSAL_REASON_UNUSABLE_RESPONSE,
          'AGENT_TX_HOLD_REFUSED',
          response.bankReference,
        );
      }
      return this.#append(
        'withdrawal.authorised',
        state.txId,
        { authCode: response.bankReference, feeFen },
        { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_AUTHORISED, body },
        undefined,
        { command, alreadyApplied: true },
      ).catch((error: unknown) => {
        this.#ledger.undo(command.id);
        throw error;
      });
    });
  }

  #declined(state: WithdrawalState, response: bianmin.v1.AuthorisationResponse): Promise<JournalRow> {
    return this.#serially(() => {
      const now = this.#o.clock.nowMs();
      const reasonName = v1.DeclineReason[response.declineReason] ?? 'DECLINE_REASON_UNSPECIFIED';
      const body = {
        transactionId: state.txId,
        requestId: state.requestId ?? '',
        card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
        amountFen: state.amountFen,
        declineReason: response.declineReason,
        bankResponseCode: response.bankResponseCode,
        declinedAtMs: now,
        businessDate: businessDateOf(now),
      };
      return this.#append(
        'withdrawal.declined',
        state.txId,
        { reasonCode: String(reasonName) },
        { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_DECLINED, body },
      );
    });
  }

  #reverse(state: WithdrawalState, reason: number, reasonCode: string): Promise<JournalRow> {
    return this.#serially(() => this.#appendReversal(state, reason, reasonCode, ''));
  }

  /** The reversal row and its signed event (store-and-forward until HQ acks). Inside #serially. */
  #appendReversal(
    state: WithdrawalState,
    reason: number,
    reasonCode: string,
    bankReference: string,
  ): Promise<JournalRow> {
    const now = this.#o.clock.nowMs();
    const body = {
      transactionId: state.txId,
      requestId: state.requestId ?? '',
      card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
      amountFen: state.amountFen,
      feeFen: this.#feeFor('CASH_WITHDRAWAL').feeFen,
      bankReference,
      reason,
      reversedAtMs: now,
      businessDate: businessDateOf(now),
    };
    return this.#append(
      'withdrawal.reversed',
      state.txId,
      // R7 REVERSAL line: the kiosk held nothing for a request it never saw answered.
      { reasonCode, businessType: 'REVERSAL', businessDate: businessDateOf(now), amountFen: 0, feeFen: 0 },
      { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_REVERSED, body },
      undefined,
      {
        command: {
          type: 'withdrawal-reverse',
          id: `${state.txId}:reverse`,
          atMs: now,
          stationId: this.#o.stationId,
          holdId: state.txId,
        },
        alreadyApplied: false,
      },
    );
  }

  #void(state: WithdrawalState, reason: number, reasonCode: string): Promise<JournalRow> {
    return this.#serially(() => {
      const now = this.#o.clock.nowMs();
      const body = {
        transactionId: state.txId,
        requestId: state.requestId ?? '',
        amountFen: state.amountFen,
        feeFen: state.feeFen,
        bankReference: state.authCode ?? '',
        reason,
        voidedAtMs: now,
        businessDate: businessDateOf(now),
      };
      return this.#append(
        'withdrawal.voided',
        state.txId,
        { reasonCode },
        { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_VOIDED, body },
        undefined,
        {
          command: { type: 'withdrawal-void', id: `${state.txId}:void`, atMs: now, holdId: state.txId },
          alreadyApplied: false,
        },
      );
    });
  }

  async confirmCash(txId: string): Promise<Outcome<{ withdrawal: WithdrawalView }>> {
    const known = this.#withdrawals.get(txId);
    if (known === undefined)
      return refusal({ code: 'AGENT_OPERATOR_NOT_FOUND', message: `no withdrawal ${txId}` });
    if (known.phase === 'posted') return { ok: true, withdrawal: this.#view(known) };
    await this.#serially(async () => {
      const state = this.#withdrawals.get(txId)!;
      if (state.phase !== 'authorised') return;
      const now = this.#o.clock.nowMs();
      const businessDate = businessDateOf(now);
      const receipt = this.#nextReceipt(businessDate);
      const body = {
        transactionId: txId,
        requestId: state.requestId ?? '',
        card: { maskedPan: state.maskedPan, cardToken: state.cardToken },
        amountFen: state.amountFen,
        feeFen: state.feeFen,
        bankReference: state.authCode ?? '',
        receiptNumber: receipt.receiptNumber,
        postedAtMs: now,
        businessDate,
      };
      await this.#append(
        'withdrawal.posted',
        txId,
        {
          receiptNumber: receipt.receiptNumber,
          businessType: 'CASH_WITHDRAWAL',
          businessDate,
          amountFen: state.amountFen,
          feeFen: state.feeFen,
        },
        { type: PayloadType.PAYLOAD_TYPE_WITHDRAWAL_POSTED, body },
        receipt.metaUpdates,
        {
          command: { type: 'withdrawal-post', id: `${txId}:post`, atMs: now, holdId: txId },
          alreadyApplied: false,
        },
      );
    });
    const after = this.#withdrawals.get(txId)!;
    if (after.phase !== 'posted') {
      return refusal({
        code: 'AGENT_TX_WRONG_PHASE',
        message: `withdrawal is ${after.phase}, not authorised`,
      });
    }
    return { ok: true, withdrawal: this.#view(after) };
  }

  async voidWithdrawal(txId: string): Promise<Outcome<{ withdrawal: WithdrawalView }>> {
    const state = this.#withdrawals.get(txId);
    if (state === undefined)
      return refusal({ code: 'AGENT_OPERATOR_NOT_FOUND', message: `no withdrawal ${txId}` });
    if (state.phase === 'voided') return { ok: true, withdrawal: this.#view(state) };
    if (state.phase !== 'authorised') {
      return refusal({
        code: 'AGENT_TX_WRONG_PHASE',
        message: `withdrawal is ${state.phase}, not authorised`,
      });
    }
    await this.#void(state, v1.VoidReason.VOID_REASON_OPERATOR, 'OPERATOR');
    return { ok: true, withdrawal: this.#view(this.#withdrawals.get(txId)!) };
  }

  withdrawal(txId: string): WithdrawalView | null {
    const state = this.#withdrawals.get(txId);
    return state === undefined ? null : this.#view(state);
  }

  #view(state: WithdrawalState): WithdrawalView {
    return {
      txId: state.txId,
      phase: state.phase,
      amountFen: state.amountFen,
      feeFen: state.feeFen,
      maskedPan: state.maskedPan,
      receiptNumber: state.receiptNumber,
      reasonCode: state.reasonCode,
    };
  }

  // ---------------------------------------------------------------- quota payments

  payBill(input: BillPaymentInput): Promise<Outcome<{ payment: PaymentView }>> {
    return this.#quotaPayment(
      'bill.paid',
      'BILL_PAYMENT',
      input.txId ?? `bp-${randomUUID()}`,
      input.amountFen,
      { billerKind: input.billerKind, billerCode: input.billerCode, accountNumber: input.accountNumber },
      this.#config?.limits.billPaymentFenMaxPerTransaction ?? 0,
      (txId, quotaFenAfter, receiptNumber, now, fee) => ({
        type: PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
        body: {
          transactionId: txId,
          billerKind: v1.BillerKind[`BILLER_KIND_${input.billerKind}`],
          billerCode: input.billerCode,
          accountNumber: input.accountNumber,
          amountFen: input.amountFen,
          quotaFenAfter,
          receiptNumber,
          paidAtMs: now,
          businessDate: businessDateOf(now),
          feeFen: fee.feeFen,
          feeScheduleVersion: fee.version,
        },
      }),
    );
  }

  topUp(input: TopupInput): Promise<Outcome<{ payment: PaymentView }>> {
    return this.#quotaPayment(
      'topup.done',
      'MOBILE_TOPUP',
      input.txId ?? `tu-${randomUUID()}`,
      input.amountFen,
      { phoneNumber: input.phoneNumber, carrier: input.carrier },
      this.#config?.limits.topupFenMaxPerTransaction ?? 0,
      (txId, quotaFenAfter, receiptNumber, now, fee) => ({
        type: PayloadType.PAYLOAD_TYPE_MOBILE_TOPUP,
        body: {
          transactionId: txId,
          phoneNumber: input.phoneNumber,
          carrier: input.carrier,
          amountFen: input.amountFen,
          quotaFenAfter,
          receiptNumber,
          toppedUpAtMs: now,
          businessDate: businessDateOf(now),
          feeFen: fee.feeFen,
          feeScheduleVersion: fee.version,
        },
      }),
    );
  }

  /** Bill payment and top-up: every check at once (R21), quota consumed atomically (R2). */
  #quotaPayment(
    kind: string,
    businessType: BusinessTypeName,
    txId: string,
    amountFen: number,
    details: Record<string, string>,
    limitFen: number,
    makeBody: (
      txId: string,
      quotaFenAfter: number,
      receiptNumber: string,
      nowMs: number,
      fee: { feeFen: number; version: number },
    ) => WirePayload,
  ): Promise<Outcome<{ payment: PaymentView }>> {
    if (!Number.isSafeInteger(amountFen) || amountFen <= 0) throw new Error('assert: amountFen > 0 (R1)');
    return this.#serially(async () => {
      const previous = this.#db.rowsOfTx(txId);
      if (previous.length > 0) return this.#replayPayment(previous, kind, amountFen, details);
      // R4 and the per-transaction limit here; R2 (quota), R6 (fee) and R20 (hours) by core-ledger.
      const reasons = this.#commonChecks(amountFen, limitFen, false);
      if (reasons.some((reason) => reason.code === 'AGENT_TX_NO_CONFIG')) return refusal(...reasons);
      const now = this.#o.clock.nowMs();
      const businessDate = businessDateOf(now);
      const fee = this.#feeFor(businessType as FeeKind);
      const command: LedgerCommand =
        businessType === 'BILL_PAYMENT'
          ? {
              type: 'bill-payment',
              id: txId,
              atMs: now,
              stationId: this.#o.stationId,
              amountFen,
              feeFen: fee.feeFen,
              billerCode: details.billerCode ?? '',
              billAccountNo: details.accountNumber ?? '',
            }
          : {
              type: 'mobile-topup',
              id: txId,
              atMs: now,
              stationId: this.#o.stationId,
              amountFen,
              feeFen: fee.feeFen,
              phoneNumber: details.phoneNumber ?? '',
            };
      const result = this.#ledger.apply(command);
      if (!result.ok) {
        for (const code of result.reasons) {
          reasons.push({ code: LEDGER_TO_AGENT[code] ?? code, message: `${code}: ${LEDGER_CODES[code]}` });
        }
      }
      if (reasons.length > 0) {
        if (result.ok) this.#ledger.undo(command.id);
        return refusal(...reasons);
      }
      const receipt = this.#nextReceipt(businessDate);
      const quotaFenAfter = this.#ledger.quotaFenAvailable();
      let row: JournalRow;
      try {
        row = await this.#append(
          kind,
          txId,
          {
            ...details,
            businessType,
            businessDate,
            amountFen,
            feeFen: fee.feeFen,
            quotaFenAfter,
            receiptNumber: receipt.receiptNumber,
          },
          makeBody(txId, quotaFenAfter, receipt.receiptNumber, now, fee),
          receipt.metaUpdates,
          { command, alreadyApplied: true },
        );
      } catch (error) {
        this.#ledger.undo(command.id);
        throw error;
      }
      return {
        ok: true,
        payment: {
          txId,
          receiptNumber: receipt.receiptNumber,
          amountFen,
          quotaFenAfter,
          seq: row.eventSeq ?? 0,
        },
      };
    });
  }

  /** Idempotency by client-made id: same content → the first result; different → refused. */
  #replayPayment(
    rows: JournalRow[],
    kind: string,
    amountFen: number,
    details: Record<string, string>,
  ): Outcome<{ payment: PaymentView }> {
    const first = rows[0]!;
    const payload = JSON.parse(first.payloadJson) as Record<string, unknown>;
    const same =
      first.kind === kind &&
      payload.amountFen === amountFen &&
      Object.entries(details).every(([key, value]) => payload[key] === value);
    if (!same)
      return refusal({ code: 'AGENT_TX_DUPLICATE_ID', message: `transaction id ${first.txId} already used` });
    return {
      ok: true,
      payment: {
        txId: first.txId,
        receiptNumber: payload.receiptNumber as string,
        amountFen,
        quotaFenAfter: payload.quotaFenAfter as number,
        seq: first.eventSeq ?? 0,
      },
    };
  }

  // ---------------------------------------------------------------- daily close (R7)

  /** R7: closes a business day through core-ledger (totals, sequence, hash chained to the last close). */
  async dailyClose(businessDate?: string): Promise<Outcome<{ close: DailyCloseView }>> {
    const date = businessDate ?? this.#businessDate();
    return this.#serially(async () => {
      const done = this.#db.getMeta(metaClose(date));
      if (done !== null) {
        return refusal({
          code: 'AGENT_CLOSE_NOTHING_NEW',
          message: `business day ${date} already closed (seq ${done})`,
        });
      }
      const now = this.#o.clock.nowMs();
      const command: LedgerCommand = {
        type: 'daily-close',
        id: `close:${date}`,
        atMs: now,
        stationId: this.#o.stationId,
        businessDate: date,
      };
      const result = this.#ledger.apply(command);
      if (!result.ok || result.close === undefined) {
        const codes = result.ok ? ['LEDGER_OK'] : result.reasons;
        return refusal(
          ...codes.map((code) => ({ code, message: `daily close of ${date} refused by the ledger` })),
        );
      }
      const close = result.close;
      const day = this.#days.get(date) ?? emptyDay();
      const quotaClosing = this.#ledger.quotaFenAvailable();
      const totals = close.totals;
      const body = {
        businessDate: date,
        totals: BUSINESS_TYPES.map((kind) => ({
          kind: TOTALS_KIND_WIRE[kind],
          count: totals[kind].count,
          amountFen: totals[kind].amountFen,
          feeFen: totals[kind].feeFen,
          quotaFenConsumed: totals[kind].quotaConsumedFen,
        })),
        closeHash: close.hash,
        previousCloseHash: close.previousHash,
        firstSeq: day.firstSeq,
        lastSeq: day.lastSeq,
        quotaFenOpening: Math.max(
          0,
          quotaClosing +
            totals.BILL_PAYMENT.quotaConsumedFen +
            totals.MOBILE_TOPUP.quotaConsumedFen -
            totals.QUOTA_PURCHASE.amountFen,
        ),
        quotaFenClosing: quotaClosing,
        closedAtMs: close.closedAtMs,
        closeSequence: close.sequence,
        holdsPendingCount: close.holdsPendingCount,
      };
      const seq = this.#db.nextEventSeq();
      try {
        await this.#append(
          'day.closed',
          `close-${date}`,
          {
            businessDate: date,
            closeHash: close.hash,
            previousCloseHash: close.previousHash,
            sequence: close.sequence,
          },
          { type: PayloadType.PAYLOAD_TYPE_DAILY_CLOSE, body },
          { [metaClose(date)]: String(seq) },
          { command, alreadyApplied: true },
        );
      } catch (error) {
        this.#ledger.undo(command.id);
        throw error;
      }
      return {
        ok: true,
        close: {
          businessDate: date,
          seq,
          closeHash: close.hash,
          totals: BUSINESS_TYPES.map((kind) => ({
            businessType: kind,
            count: totals[kind].count,
            amountFen: totals[kind].amountFen,
            feeFen: totals[kind].feeFen,
          })),
        },
      };
    });
  }

  #armDailyClose(): void {
    const delayMs = msUntilNextMidnight(this.#o.clock.nowMs()) + 1000;
    this.#closeTimer = this.#o.clock.setTimer(delayMs, () => {
      const yesterday = businessDateOf(this.#o.clock.nowMs() - 2000);
      void this.dailyClose(yesterday)
        .catch((error: unknown) =>
          this.#log.error(
            { code: isAgentError(error) ? error.code : undefined, err: String(error) },
            'daily close failed',
          ),
        )
        .finally(() => this.#armDailyClose());
    });
  }

  // ---------------------------------------------------------------- from HQ

  #onDown(message: DownMessage): void {
    if (message.payload.length > downMessageBytesMax) {
      this.#log.warn(
        { code: 'AGENT_DOWN_MALFORMED', sizeBytes: message.payload.length },
        'oversized message from HQ',
      );
      return;
    }
    const opened = openHqEnvelope(message.payload, this.#hqKeys, this.#o.stationId);
    if (!opened.ok) {
      this.#log.warn(
        { code: opened.code, topic: message.topic, detail: opened.detail },
        'message from HQ refused',
      );
      if (message.topic.endsWith('/config'))
        this.#refuseConfig(
          message.payload,
          claimedConfigVersion(message.payload),
          `${opened.code}: ${opened.detail}`,
        );
      return;
    }
    const envelope = opened.opened;
    switch (envelope.type) {
      case PayloadType.PAYLOAD_TYPE_ACK:
        this.#link.acknowledged(Number(envelope.body.handledThroughSeq));
        return;
      case PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE: {
        const response = envelope.body;
        const pending = this.#pendingAuth.get(response.requestId);
        if (pending === undefined || pending.txId !== response.transactionId) {
          this.#log.warn(
            { requestId: response.requestId },
            'authorisation answer for no pending request (late?)',
          );
          return;
        }
        pending.resolve(response);
        return;
      }
      case PayloadType.PAYLOAD_TYPE_STATION_CONFIG: {
        let config: ActiveConfig;
        try {
          config = toActiveConfig(envelope.body);
        } catch (error) {
          this.#refuseConfig(
            message.payload,
            Number(envelope.body.configVersion ?? 0),
            `malformed: ${String(error)}`,
          );
          return;
        }
        void this.applyConfig(message.payload, config).catch((error: unknown) =>
          this.#log.error(
            { code: isAgentError(error) ? error.code : undefined, err: String(error) },
            'config apply failed',
          ),
        );
        return;
      }
      case PayloadType.PAYLOAD_TYPE_COMMAND:
        void this.runCommand(envelope.body).catch((error: unknown) =>
          this.#log.error(
            { code: isAgentError(error) ? error.code : 'AGENT_CMD_FAILED', err: String(error) },
            'HQ command failed',
          ),
        );
        return;
      default:
        this.#log.info({ type: envelope.type }, 'HQ message type not handled');
    }
  }

  /** A verified HQ config: newer versions only; persisted as the last good one; purchases applied once. */
  async applyConfig(envelopeBytes: Uint8Array, config: ActiveConfig): Promise<boolean> {
    return this.#serially(async () => {
      const current = this.#config?.configVersion ?? 0;
      if (config.configVersion <= current) {
        const stored = this.#db.getMeta(META_HQ_CONFIG);
        // The retained config comes again on every reconnect: the one we run is no news.
        if (config.configVersion === current && stored === Buffer.from(envelopeBytes).toString('base64'))
          return false;
        await this.#appendConfigRefused(
          envelopeBytes,
          config.configVersion,
          `version ${config.configVersion} is not newer than the running version ${current}`,
        );
        return false;
      }
      const now = this.#o.clock.nowMs();
      const body = {
        configVersion: config.configVersion,
        accepted: true,
        detail: '',
        appliedAtMs: now,
      };
      await this.#append(
        'config.applied',
        `config-${config.configVersion}`,
        { configVersion: config.configVersion },
        { type: PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED, body },
        { [META_HQ_CONFIG]: Buffer.from(envelopeBytes).toString('base64') },
      );
      this.#config = config;
      this.#ledger.configure(config);
      for (const purchase of config.quotaPurchases) await this.#applyPurchase(purchase, config.configVersion);
      return true;
    });
  }

  /** An HQ config that cannot be used: the last good one stays; HQ hears why (ConfigApplied false). */
  #refuseConfig(envelopeBytes: Uint8Array, claimedVersion: number, reason: string): void {
    void this.#serially(() => this.#appendConfigRefused(envelopeBytes, claimedVersion, reason)).catch(
      (error: unknown) =>
        this.#log.error(
          { code: isAgentError(error) ? error.code : undefined, err: String(error) },
          'config refusal not sent',
        ),
    );
  }

  /** Journals a signed ConfigApplied{accepted: false}, once per refused envelope. Inside #serially. */
  async #appendConfigRefused(
    envelopeBytes: Uint8Array,
    claimedVersion: number,
    reason: string,
  ): Promise<void> {
    const digest = createHash('sha256').update(envelopeBytes).digest('hex');
    this.#log.warn(
      { code: 'AGENT_HQ_CONFIG_REFUSED', claimedVersion, reason },
      'HQ config refused; the last good one stays',
    );
    if (this.#db.getMeta(META_CONFIG_REFUSED) === digest) return; // the same retained message again
    const now = this.#o.clock.nowMs();
    const configVersion = Math.max(1, Number.isSafeInteger(claimedVersion) ? claimedVersion : 0);
    const detail = `AGENT_HQ_CONFIG_REFUSED: ${reason}`.slice(0, downDetailCharsMax);
    await this.#append(
      'config.refused',
      `config-refused-${digest.slice(0, 16)}`,
      { configVersion, reason: detail },
      {
        type: PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED,
        body: { configVersion, accepted: false, detail, appliedAtMs: now },
      },
      { [META_CONFIG_REFUSED]: digest },
    );
  }

  // ---------------------------------------------------------------- HQ commands (down/cmd)

  /**
   * Runs one verified HQ command at most once (by command_id) and answers with a signed
   * CommandResult event: resend_from, reload_config, request_daily_close, send_telemetry.
   * Public for tests and the demo; HQ reaches it through down/cmd.
   */
  async runCommand(command: bianmin.v1.ICommand): Promise<{ outcome: number; detail: string } | null> {
    const commandId = command.commandId ?? '';
    if (commandId === '') throw new Error('assert: command id');
    if (this.#db.getMeta(metaCommand(commandId)) !== null) {
      this.#log.info({ commandId }, 'HQ command already answered; ignored');
      return null;
    }
    const result = await this.#carryOut(command);
    this.#log[result.outcome === v1.CommandOutcome.COMMAND_OUTCOME_DONE ? 'info' : 'warn'](
      {
        code:
          result.outcome === v1.CommandOutcome.COMMAND_OUTCOME_REFUSED
            ? 'AGENT_CMD_REFUSED'
            : result.outcome === v1.CommandOutcome.COMMAND_OUTCOME_FAILED
              ? 'AGENT_CMD_FAILED'
              : undefined,
        commandId,
        detail: result.detail,
      },
      'HQ command answered',
    );
    await this.#serially(async () => {
      if (this.#db.getMeta(metaCommand(commandId)) !== null) return;
      const now = this.#o.clock.nowMs();
      const detail = result.detail.slice(0, downDetailCharsMax);
      await this.#append(
        'command.result',
        `cmd-${commandId}`,
        { commandId, outcome: result.outcome, detail },
        {
          type: PayloadType.PAYLOAD_TYPE_COMMAND_RESULT,
          body: { commandId, outcome: result.outcome, detail, finishedAtMs: now },
        },
        { [metaCommand(commandId)]: String(result.outcome) },
      );
    });
    return result;
  }

  async #carryOut(command: bianmin.v1.ICommand): Promise<{ outcome: number; detail: string }> {
    const DONE = v1.CommandOutcome.COMMAND_OUTCOME_DONE;
    const REFUSED = v1.CommandOutcome.COMMAND_OUTCOME_REFUSED;
    const FAILED = v1.CommandOutcome.COMMAND_OUTCOME_FAILED;
    const notAfterMs = Number(command.notAfterMs ?? 0);
    if (notAfterMs > 0 && this.#o.clock.nowMs() > notAfterMs)
      return { outcome: REFUSED, detail: `AGENT_CMD_REFUSED: expired at ${notAfterMs}` };
    if (command.resendFrom !== null && command.resendFrom !== undefined) {
      const fromSeq = Number(command.resendFrom.fromSeq ?? 0);
      const ackedSeq = this.#db.ackedThroughSeq();
      const headSeq = this.#db.headSeq();
      const held = headSeq > ackedSeq ? `${ackedSeq + 1}..${headSeq}` : 'none';
      if (headSeq > ackedSeq) this.#link.resendUnacked?.();
      if (fromSeq <= ackedSeq) {
        return {
          outcome: REFUSED,
          detail: `AGENT_CMD_REFUSED: seq ${fromSeq}..${ackedSeq} were acknowledged by HQ and deleted; outbox holds ${held}`,
        };
      }
      if (fromSeq > headSeq)
        return { outcome: DONE, detail: `nothing from seq ${fromSeq}: last seq is ${headSeq}` };
      return { outcome: DONE, detail: `resending ${held}` };
    }
    if (command.reloadConfig !== null && command.reloadConfig !== undefined) {
      const before = this.#config?.configVersion ?? 0;
      const reloaded = await this.#serially(async () => this.#loadConfig());
      if (!reloaded)
        return {
          outcome: FAILED,
          detail: `AGENT_CMD_FAILED: no stored config verifies; running version ${before}`,
        };
      return {
        outcome: DONE,
        detail: `config version ${this.#config?.configVersion ?? 0} reloaded and verified`,
      };
    }
    if (command.requestDailyClose !== null && command.requestDailyClose !== undefined) {
      const date = command.requestDailyClose.businessDate ?? '';
      const close = await this.dailyClose(date === '' ? undefined : date);
      if (close.ok)
        return {
          outcome: DONE,
          detail: `business day ${close.close.businessDate} closed at seq ${close.close.seq}`,
        };
      return {
        outcome: REFUSED,
        detail: `AGENT_CMD_REFUSED: ${close.reasons.map((reason) => `${reason.code}: ${reason.message}`).join('; ')}`,
      };
    }
    if (command.sendTelemetry !== null && command.sendTelemetry !== undefined) {
      const state = this.#link.state();
      if (state.kind !== 'online')
        return { outcome: FAILED, detail: `AGENT_CMD_FAILED: link is ${state.kind}` };
      const payload = await this.#signStatus({
        type: PayloadType.PAYLOAD_TYPE_TELEMETRY,
        body: this.#telemetryBody(state.bdSeq),
      });
      const sent = await this.#link.sendDirect(upTopic(this.#o.stationId, 'telemetry'), payload);
      return sent
        ? { outcome: DONE, detail: 'telemetry sent' }
        : { outcome: FAILED, detail: 'AGENT_CMD_FAILED: not sent' };
    }
    return { outcome: REFUSED, detail: 'AGENT_CMD_REFUSED: command not supported by this agent' };
  }

  async #applyPurchase(
    purchase: { purchaseId: string; amountFen: number },
    configVersion: number,
  ): Promise<void> {
    const amountFen = purchase.amountFen;
    if (this.#db.getMeta(metaPurchase(purchase.purchaseId)) !== null) return;
    const now = this.#o.clock.nowMs();
    const command: LedgerCommand = {
      type: 'quota-purchase',
      id: `purchase:${purchase.purchaseId}`,
      atMs: now,
      stationId: this.#o.stationId,
      amountFen,
    };
    const result = this.#ledger.apply(command); // R3: at least 50000 fen, decided by core-ledger
    if (!result.ok) {
      this.#log.warn(
        {
          code: 'AGENT_HQ_CONFIG_REFUSED',
          reasons: result.reasons,
          purchaseId: purchase.purchaseId,
          amountFen,
        },
        'quota purchase refused by the ledger; not applied',
      );
      return;
    }
    const quotaFenAfter = this.#ledger.quotaFenAvailable();
    const body = {
      purchaseId: purchase.purchaseId,
      amountFen,
      quotaFenAfter,
      configVersion,
      appliedAtMs: now,
      businessDate: businessDateOf(now),
    };
    await this.#append(
      'quota.purchase_applied',
      `purchase-${purchase.purchaseId}`,
      {
        purchaseId: purchase.purchaseId,
        amountFen,
        quotaFenAfter,
        businessType: 'QUOTA_PURCHASE',
        businessDate: businessDateOf(now),
      },
      { type: PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED, body },
      { [metaPurchase(purchase.purchaseId)]: '1' },
      { command, alreadyApplied: true },
    ).catch((error: unknown) => {
      this.#ledger.undo(command.id);
      throw error;
    });
  }

  // ---------------------------------------------------------------- status

  status(): AgentStatusView {
    let open = 0;
    for (const state of this.#withdrawals.values()) if (!isTerminal(state.phase)) open += 1;
    return {
      stationId: this.#o.stationId,
      link: this.#link.state().kind,
      outboxDepth: this.#db.depth(),
      lastEventSeq: this.#db.headSeq(),
      ackedThroughSeq: this.#db.ackedThroughSeq(),
      quotaFenAvailable: this.quotaFenAvailable(),
      configVersion: this.#config?.configVersion ?? 0,
      openTransactions: open,
    };
  }

  /** Totals of one business day as the journal has them (tests and the demo compare with HQ). */
  dayTotals(
    businessDate: string,
  ): Record<BusinessTypeName, { count: number; amountFen: number; feeFen: number }> {
    const totals = this.#ledger.dayTotals(businessDate);
    const out = {} as Record<BusinessTypeName, { count: number; amountFen: number; feeFen: number }>;
    for (const kind of BUSINESS_TYPES) {
      out[kind] = {
        count: totals[kind].count,
        amountFen: totals[kind].amountFen,
        feeFen: totals[kind].feeFen,
      };
    }
    return out;
  }

  #birthBody(bdSeq: number) {
    return {
      bdSeq,
      agentVersion: this.#o.agentVersion ?? '0.1.0',
      orgCode: this.#config?.orgCode ?? '',
      configVersionApplied: this.#config?.configVersion ?? 0,
      lastJournalSeq: this.#db.headSeq(),
      oldestUnackedSeq: this.#db.depth() === 0 ? 0 : this.#db.ackedThroughSeq() + 1,
      outboxDepth: this.#db.depth(),
      bootedAtMs: this.#bootedAtMs,
      peripherals: this.#peripherals(),
      tokenState: tokenStateOf(this.#o.signer.state()),
    };
  }

  #telemetryBody(bdSeq: number) {
    return {
      bdSeq,
      peripherals: this.#peripherals(),
      tokenState: tokenStateOf(this.#o.signer.state()),
      outboxDepth: this.#db.depth(),
      oldestUnackedSeq: this.#db.depth() === 0 ? 0 : this.#db.ackedThroughSeq() + 1,
      lastJournalSeq: this.#db.headSeq(),
      quotaFenAvailable: this.quotaFenAvailable() ?? 0,
      uptimeMs: this.#o.clock.nowMs() - this.#bootedAtMs,
      agentVersion: this.#o.agentVersion ?? '0.1.0',
      configVersionApplied: this.#config?.configVersion ?? 0,
      memoryRssBytes: process.memoryUsage.rss(),
      diskFreeBytes: this.#diskFreeBytes(),
    };
  }

  #peripherals() {
    return [
      serialPeripheralStatus('card-reader', this.#o.cardReader.linkState),
      serialPeripheralStatus('pin-pad', this.#o.pinPad.linkState),
      tokenPeripheralStatus(this.#o.signer.state()),
    ];
  }

  #diskFreeBytes(): number {
    if (this.#o.diskFreeBytes === undefined) return 0;
    try {
      return Math.max(0, Math.floor(this.#o.diskFreeBytes()));
    } catch (error) {
      this.#log.warn({ err: String(error) }, 'disk free space unknown');
      return 0;
    }
  }
}

/** The real clock: wall time, Node timers (unref'd so a timer alone never keeps a process up), Math.random. */
export const systemClock: ClockPort = {
  nowMs: () => Date.now(),
  setTimer: (delayMs, callback) => {
    const handle = setTimeout(callback, delayMs);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
  random01: () => Math.random(),
};
