// Everything HQ sends down, verified and dispatched: acks (to the link), authorisation answers (to
// the withdrawal flow), station configs (the running config, fee schedules, hours, limits, quota
// purchases R3) and commands (app/hq-commands.ts). A message that does not verify is refused with
// its code; a config that cannot be used is answered with a signed ConfigApplied{accepted: false}
// and the last good config stays.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { LedgerCommand, WorkingCalendar } from '@bianmin/core-ledger';
import { type bianmin, openEnvelope, PayloadType } from '@bianmin/wire';
import { type ActiveConfig, toActiveConfig } from '../domain/tx/active-config.js';
import { businessDateOf } from '../domain/tx/business-day.js';
import { openHqEnvelope } from '../domain/tx/envelope.js';
import { checkFeeScheduleChange, mergeFeeSchedules, parseStoredSchedules } from '../domain/tx/fee-history.js';
import { isAgentError } from '../errors.js';
import { downDetailCharsMax, downMessageBytesMax } from '../limits.js';
import type { DownMessage } from '../ports/publisher.js';
import type { AppContext } from './context.js';

export interface HqPublicKey {
  readonly keyId: string;
  /** PEM or DER SubjectPublicKeyInfo of an HQ P-256 key. */
  readonly publicKey: string | Uint8Array;
}

/** Where verified messages go besides the inbox itself. */
export interface InboxHandlers {
  /** An authorisation answer; false when no request waits for it. */
  readonly authorisation: (response: bianmin.v1.AuthorisationResponse) => boolean;
  readonly command: (command: bianmin.v1.ICommand) => Promise<unknown>;
}

const META_HQ_CONFIG = 'hq_config_envelope_b64';
/** SHA-256 of the last refused config envelope: a retained bad config is reported once. */
const META_CONFIG_REFUSED = 'hq_config_refused_sha256';
const metaPurchase = (purchaseId: string) => `quota_purchase:${purchaseId}`;
/** Every fee schedule version the kiosk was given (JSON), committed with each applied config (R6 history). */
const META_FEE_SCHEDULES = 'fee_schedules_known';

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

function hqKeyObjects(keys: readonly HqPublicKey[]): Map<string, KeyObject> {
  return new Map(
    keys.map((key) => [
      key.keyId,
      typeof key.publicKey === 'string'
        ? createPublicKey(key.publicKey)
        : createPublicKey({ key: Buffer.from(key.publicKey), format: 'der', type: 'spki' }),
    ]),
  );
}

export class HqInbox {
  readonly #c: AppContext;
  readonly #hqKeys: Map<string, KeyObject>;
  readonly #handlers: InboxHandlers;
  readonly #calendar: WorkingCalendar;

  constructor(
    context: AppContext,
    hqPublicKeys: readonly HqPublicKey[],
    handlers: InboxHandlers,
    calendar: WorkingCalendar,
  ) {
    this.#c = context;
    this.#hqKeys = hqKeyObjects(hqPublicKeys);
    this.#handlers = handlers;
    this.#calendar = calendar;
  }

  /** One raw message from a down topic. Never throws: bad input is refused and logged. */
  receive(message: DownMessage): void {
    const log = this.#c.log;
    if (message.payload.length > downMessageBytesMax) {
      log.warn(
        { code: 'AGENT_DOWN_MALFORMED', sizeBytes: message.payload.length },
        'oversized message from HQ',
      );
      return;
    }
    const opened = openHqEnvelope(message.payload, this.#hqKeys, this.#c.stationId);
    if (!opened.ok) {
      log.warn({ code: opened.code, topic: message.topic, detail: opened.detail }, 'message from HQ refused');
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
      case PayloadType.PAYLOAD_TYPE_ACK: {
        const ackSeq = Number(envelope.body.handledThroughSeq);
        // HQ stamped the ack after event ackSeq was made: a bound on the clock offset (issue 9).
        this.#c.health.hqAnsweredEvent(this.#c.journal, ackSeq, envelope.header.createdAtMs);
        this.#c.link.acknowledged(ackSeq);
        return;
      }
      case PayloadType.PAYLOAD_TYPE_AUTHORISATION_RESPONSE:
        if (!this.#handlers.authorisation(envelope.body))
          log.warn(
            { requestId: envelope.body.requestId },
            'authorisation answer for no pending request (late?)',
          );
        return;
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
          log.error(
            { code: isAgentError(error) ? error.code : undefined, err: String(error) },
            'config apply failed',
          ),
        );
        return;
      }
      case PayloadType.PAYLOAD_TYPE_COMMAND:
        void this.#handlers
          .command(envelope.body)
          .catch((error: unknown) =>
            log.error(
              { code: isAgentError(error) ? error.code : 'AGENT_CMD_FAILED', err: String(error) },
              'HQ command failed',
            ),
          );
        return;
      default:
        log.info({ type: envelope.type }, 'HQ message type not handled');
    }
  }

  /** (Re)loads the last good HQ config from the journal's meta, verified again. False if none verifies. */
  loadStoredConfig(): boolean {
    const stored = this.#c.journal.getMeta(META_HQ_CONFIG);
    if (stored === null) return false;
    const opened = openHqEnvelope(Buffer.from(stored, 'base64'), this.#hqKeys, this.#c.stationId);
    if (!opened.ok || opened.opened.type !== PayloadType.PAYLOAD_TYPE_STATION_CONFIG) {
      this.#c.log.error({ code: 'AGENT_HQ_CONFIG_REFUSED' }, 'stored HQ config no longer verifies; ignored');
      return false;
    }
    const history = this.#c.journal.getMeta(META_FEE_SCHEDULES);
    if (history !== null) this.#c.ledger.learnSchedules(parseStoredSchedules(history));
    this.#c.rules.configure(toActiveConfig(opened.opened.body));
    return true;
  }

  /** A verified HQ config: newer versions only; persisted as the last good one; purchases applied once. */
  applyConfig(envelopeBytes: Uint8Array, config: ActiveConfig): Promise<boolean> {
    const c = this.#c;
    return c.writer.serially(async () => {
      const current = c.rules.configVersion();
      if (config.configVersion <= current) {
        const stored = c.journal.getMeta(META_HQ_CONFIG);
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
      // R6: a schedule version the kiosk knows comes unchanged; a new one with its notice.
      const known = c.ledger.feeSchedules();
      // (A config built in code may lack the list; one decoded from the wire always has it.)
      const incoming = config.feeSchedules ?? [];
      const problems = checkFeeScheduleChange(known, incoming, this.#calendar, c.clock.nowMs());
      if (problems.length > 0) {
        const detail = problems.map((problem) => `version ${problem.version}: ${problem.code}`).join('; ');
        c.log.warn(
          { code: 'AGENT_FEE_SCHEDULE_REFUSED', configVersion: config.configVersion, problems },
          'HQ config changes the fee schedule against R6; refused',
        );
        await this.#appendConfigRefused(
          envelopeBytes,
          config.configVersion,
          `AGENT_FEE_SCHEDULE_REFUSED: ${detail}`,
        );
        return false;
      }
      const schedules = JSON.stringify(mergeFeeSchedules(known, incoming));
      const body = {
        configVersion: config.configVersion,
        accepted: true,
        detail: '',
        appliedAtMs: c.clock.nowMs(),
      };
      await c.writer.append(
        'config.applied',
        `config-${config.configVersion}`,
        { configVersion: config.configVersion },
        { type: PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED, body },
        { [META_HQ_CONFIG]: Buffer.from(envelopeBytes).toString('base64'), [META_FEE_SCHEDULES]: schedules },
      );
      c.rules.configure(config);
      for (const purchase of config.quotaPurchases) await this.#applyPurchase(purchase, config.configVersion);
      return true;
    });
  }

  /** An HQ config that cannot be used: the last good one stays; HQ hears why (ConfigApplied false). */
  #refuseConfig(envelopeBytes: Uint8Array, claimedVersion: number, reason: string): void {
    void this.#c.writer
      .serially(() => this.#appendConfigRefused(envelopeBytes, claimedVersion, reason))
      .catch((error: unknown) =>
        this.#c.log.error(
          { code: isAgentError(error) ? error.code : undefined, err: String(error) },
          'config refusal not sent',
        ),
      );
  }

  /** Journals a signed ConfigApplied{accepted: false}, once per refused envelope. Inside `serially`. */
  async #appendConfigRefused(
    envelopeBytes: Uint8Array,
    claimedVersion: number,
    reason: string,
  ): Promise<void> {
    const c = this.#c;
    const digest = createHash('sha256').update(envelopeBytes).digest('hex');
    c.log.warn(
      { code: 'AGENT_HQ_CONFIG_REFUSED', claimedVersion, reason },
      'HQ config refused; the last good one stays',
    );
    if (c.journal.getMeta(META_CONFIG_REFUSED) === digest) return; // the same retained message again
    const configVersion = Math.max(1, Number.isSafeInteger(claimedVersion) ? claimedVersion : 0);
    const detail = `AGENT_HQ_CONFIG_REFUSED: ${reason}`.slice(0, downDetailCharsMax);
    await c.writer.append(
      'config.refused',
      `config-refused-${digest.slice(0, 16)}`,
      { configVersion, reason: detail },
      {
        type: PayloadType.PAYLOAD_TYPE_CONFIG_APPLIED,
        body: { configVersion, accepted: false, detail, appliedAtMs: c.clock.nowMs() },
      },
      { [META_CONFIG_REFUSED]: digest },
    );
  }

  /** R3: a purchase HQ recorded, applied once (by purchase id) through core-ledger. Inside `serially`. */
  async #applyPurchase(
    purchase: { purchaseId: string; amountFen: number },
    configVersion: number,
  ): Promise<void> {
    const c = this.#c;
    const amountFen = purchase.amountFen;
    if (c.journal.getMeta(metaPurchase(purchase.purchaseId)) !== null) return;
    const now = c.clock.nowMs();
    const command: LedgerCommand = {
      type: 'quota-purchase',
      id: `purchase:${purchase.purchaseId}`,
      atMs: now,
      stationId: c.stationId,
      amountFen,
    };
    const result = c.ledger.apply(command); // R3: at least 50000 fen, decided by core-ledger
    if (!result.ok) {
      c.log.warn(
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
    const quotaFenAfter = c.ledger.quotaFenAvailable();
    const businessDate = businessDateOf(now);
    const body = {
      purchaseId: purchase.purchaseId,
      amountFen,
      quotaFenAfter,
      configVersion,
      appliedAtMs: now,
      businessDate,
    };
    await c.writer
      .append(
        'quota.purchase_applied',
        `purchase-${purchase.purchaseId}`,
        {
          purchaseId: purchase.purchaseId,
          amountFen,
          quotaFenAfter,
          businessType: 'QUOTA_PURCHASE',
          businessDate,
        },
        { type: PayloadType.PAYLOAD_TYPE_QUOTA_PURCHASE_APPLIED, body },
        { [metaPurchase(purchase.purchaseId)]: '1' },
        { command, alreadyApplied: true },
      )
      .catch((error: unknown) => {
        c.ledger.undo(command.id);
        throw error;
      });
  }
}
