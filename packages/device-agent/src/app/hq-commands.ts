// HQ's commands (down/cmd), each carried out at most once by command_id and answered with a signed
// CommandResult event: resend_from, reload_config, request_daily_close, send_telemetry,
// ota_offer (issue 13, app/ota-link.ts), load_working_key (R24: a new TPK, enciphered under the pad's TMK, goes to the PIN pad as it came;
// the pad checks its KCV; the new key id is committed with the answer and named by later PIN blocks).
import { type bianmin, PayloadType, upTopic, v1 } from '@bianmin/wire';
import { isAgentError } from '../errors.js';
import { downDetailCharsMax } from '../limits.js';
import type { DailyCloseView, Outcome } from '../ports/operator.js';
import type { AppContext } from './context.js';

const metaCommand = (commandId: string) => `hq_command:${commandId}`;
/** The key id of the TPK HQ last loaded into the PIN pad; absent: the config's serial.pinPad.tpkKeyId. */
export const META_PINPAD_TPK_KEY_ID = 'pinpad_tpk_key_id';

export interface CommandTargets {
  /** Reloads and verifies the stored config; false when none verifies. */
  readonly reloadConfig: () => boolean;
  readonly dailyClose: (businessDate?: string) => Promise<Outcome<{ close: DailyCloseView }>>;
  readonly signedTelemetry: (bdSeq: number) => Promise<Uint8Array>;
  /** Hands the enciphered TPK to the PIN pad, which checks `expectedKcv`; resolves with the pad's KCV. */
  readonly loadTpk: (tpkUnderTmk: Uint8Array, expectedKcv: string) => Promise<{ readonly kcv: string }>;
  /** Issue 13: judges an update offer and starts the OTA runner (app/ota-link.ts); absent: no OTA. */
  readonly otaOffer?: (offer: bianmin.v1.IOtaOffer) => CommandResult;
}

export interface CommandResult {
  readonly outcome: number;
  readonly detail: string;
  /** Journal meta committed with the answer (the new TPK key id). */
  readonly meta?: Readonly<Record<string, string>>;
}

const DONE = v1.CommandOutcome.COMMAND_OUTCOME_DONE;
const REFUSED = v1.CommandOutcome.COMMAND_OUTCOME_REFUSED;
const FAILED = v1.CommandOutcome.COMMAND_OUTCOME_FAILED;

export class HqCommands {
  readonly #c: AppContext;
  readonly #targets: CommandTargets;

  constructor(context: AppContext, targets: CommandTargets) {
    this.#c = context;
    this.#targets = targets;
  }

  /** Runs one verified command once; null when it was answered before. */
  async run(command: bianmin.v1.ICommand): Promise<CommandResult | null> {
    const c = this.#c;
    const commandId = command.commandId ?? '';
    if (commandId === '') throw new Error('assert: command id');
    if (c.journal.getMeta(metaCommand(commandId)) !== null) {
      c.log.info({ commandId }, 'HQ command already answered; ignored');
      return null;
    }
    const result = await this.#carryOut(command);
    c.log[result.outcome === DONE ? 'info' : 'warn'](
      {
        code:
          result.outcome === REFUSED
            ? 'AGENT_CMD_REFUSED'
            : result.outcome === FAILED
              ? 'AGENT_CMD_FAILED'
              : undefined,
        commandId,
        detail: result.detail,
      },
      'HQ command answered',
    );
    await c.writer.serially(async () => {
      if (c.journal.getMeta(metaCommand(commandId)) !== null) return;
      const detail = result.detail.slice(0, downDetailCharsMax);
      await c.writer.append(
        'command.result',
        `cmd-${commandId}`,
        { commandId, outcome: result.outcome, detail },
        {
          type: PayloadType.PAYLOAD_TYPE_COMMAND_RESULT,
          body: { commandId, outcome: result.outcome, detail, finishedAtMs: c.clock.nowMs() },
        },
        { ...result.meta, [metaCommand(commandId)]: String(result.outcome) },
      );
    });
    return result;
  }

  #carryOut(command: bianmin.v1.ICommand): Promise<CommandResult> | CommandResult {
    const notAfterMs = Number(command.notAfterMs ?? 0);
    if (notAfterMs > 0 && this.#c.clock.nowMs() > notAfterMs)
      return { outcome: REFUSED, detail: `AGENT_CMD_REFUSED: expired at ${notAfterMs}` };
    if (command.resendFrom !== null && command.resendFrom !== undefined)
      return this.#resendFrom(Number(command.resendFrom.fromSeq ?? 0));
    if (command.reloadConfig !== null && command.reloadConfig !== undefined) return this.#reloadConfig();
    if (command.requestDailyClose !== null && command.requestDailyClose !== undefined)
      return this.#dailyClose(command.requestDailyClose.businessDate ?? '');
    if (command.sendTelemetry !== null && command.sendTelemetry !== undefined) return this.#sendTelemetry();
    if (command.loadWorkingKey !== null && command.loadWorkingKey !== undefined)
      return this.#loadWorkingKey(command.loadWorkingKey);
    if (command.otaOffer !== null && command.otaOffer !== undefined) {
      const accept = this.#targets.otaOffer;
      if (accept === undefined)
        return { outcome: REFUSED, detail: 'AGENT_OTA_OFFER_UNSUPPORTED: this agent runs without OTA' };
      return accept(command.otaOffer);
    }
    return { outcome: REFUSED, detail: 'AGENT_CMD_REFUSED: command not supported by this agent' };
  }

  #resendFrom(fromSeq: number): CommandResult {
    const journal = this.#c.journal;
    const ackedSeq = journal.ackedThroughSeq();
    const headSeq = journal.headSeq();
    const held = headSeq > ackedSeq ? `${ackedSeq + 1}..${headSeq}` : 'none';
    if (headSeq > ackedSeq) this.#c.link.resendUnacked?.();
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

  async #reloadConfig(): Promise<CommandResult> {
    const rules = this.#c.rules;
    const before = rules.configVersion();
    const reloaded = await this.#c.writer.serially(async () => this.#targets.reloadConfig());
    if (!reloaded)
      return {
        outcome: FAILED,
        detail: `AGENT_CMD_FAILED: no stored config verifies; running version ${before}`,
      };
    return { outcome: DONE, detail: `config version ${rules.configVersion()} reloaded and verified` };
  }

  async #dailyClose(date: string): Promise<CommandResult> {
    const close = await this.#targets.dailyClose(date === '' ? undefined : date);
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

  async #sendTelemetry(): Promise<CommandResult> {
    const state = this.#c.link.state();
    if (state.kind !== 'online')
      return { outcome: FAILED, detail: `AGENT_CMD_FAILED: link is ${state.kind}` };
    const payload = await this.#targets.signedTelemetry(state.bdSeq);
    const sent = await this.#c.link.sendDirect(upTopic(this.#c.stationId, 'telemetry'), payload);
    return sent
      ? { outcome: DONE, detail: 'telemetry sent' }
      : { outcome: FAILED, detail: 'AGENT_CMD_FAILED: not sent' };
  }

  /**
   * R24: the TPK arrives enciphered under the TMK (the wire checked its shape) and goes to the pad
   * as it came: the kiosk never holds it in clear. The pad deciphers it, checks the KCV HQ sent and
   * answers its own; only a matching KCV moves PIN blocks to the new key id, committed with the answer.
   */
  async #loadWorkingKey(key: bianmin.v1.ILoadWorkingKey): Promise<CommandResult> {
    const keyId = key.tpkKeyId ?? '';
    const expectedKcv = key.kcv ?? '';
    try {
      const loaded = await this.#targets.loadTpk(key.tpkUnderTmk ?? new Uint8Array(), expectedKcv);
      if (loaded.kcv.toUpperCase() !== expectedKcv)
        return {
          outcome: FAILED,
          detail: `AGENT_PINPAD_KCV_MISMATCH: the pad reports KCV ${loaded.kcv}, HQ sent ${expectedKcv}`,
        };
      this.#c.log.info({ tpkKeyId: keyId, kcv: loaded.kcv }, 'working key loaded into the PIN pad');
      return {
        outcome: DONE,
        detail: `TPK ${keyId} loaded, KCV ${loaded.kcv}`,
        meta: { [META_PINPAD_TPK_KEY_ID]: keyId },
      };
    } catch (error) {
      const code = isAgentError(error) ? error.code : 'AGENT_CMD_FAILED';
      return {
        outcome: FAILED,
        detail: `${code}: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
}
