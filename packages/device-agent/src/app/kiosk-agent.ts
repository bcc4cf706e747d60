// The kiosk agent's facade: builds the named parts over the ports and implements the operator
// port the local API serves. Each part is a file a newcomer can read alone:
//
//   journal-writer.ts   serial appends: row + signed event + meta in one commit, then absorbed
//   station-rules.ts    the running HQ config, R4/R20/limits checks, fee in force, receipts
//   withdrawal-flow.ts  start → authorise → authorised/declined/reversed → confirm/void; recovery
//   quota-payments.ts   bill payment and top-up from one table
//   daily-close.ts      R7 close, the midnight timer, day totals
//   hq-inbox.ts         verified messages from HQ: acks, answers, configs, purchases
//   hq-commands.ts      HQ commands, answered once each
//   telemetry.ts        Birth, Death, Telemetry and the bdSeq counter
//
// Order of every step: journal row committed (with its signed event in the outbox, same commit)
// → only then anything external. The facade depends on ports only (journal + outbox, link, clock,
// signer, card reader, PIN pad); src/agent.ts wires the real MQTT link in.
import { createWorkingCalendar, type WorkingCalendar } from '@bianmin/core-ledger';
import type { bianmin } from '@bianmin/wire';
import type { Logger } from 'pino';
import type { Pan } from '../domain/pin/pan.js';
import type { ActiveConfig } from '../domain/tx/active-config.js';
import { KioskLedger } from '../domain/tx/kiosk-ledger.js';
import { isAgentError } from '../errors.js';
import type { CardReader } from '../ports/card-reader.js';
import type { ClockPort } from '../ports/clock.js';
import type {
  AgentStatusView,
  BillPaymentInput,
  CashCount,
  DailyCloseView,
  OperatorPort,
  Outcome,
  PaymentView,
  TopupInput,
  WithdrawalInput,
  WithdrawalView,
} from '../ports/operator.js';
import type { PinPad } from '../ports/pin-pad.js';
import type { LinkStatusMessages, PublisherPort } from '../ports/publisher.js';
import type { Signer } from '../ports/signer.js';
import type { AgentJournal, AppContext } from './context.js';
import { DailyCloser, type DayTotalsView } from './daily-close.js';
import { HardwareHealth } from './hardware-health.js';
import { type CommandResult, HqCommands } from './hq-commands.js';
import { HqInbox, type HqPublicKey } from './hq-inbox.js';
import { JournalWriter } from './journal-writer.js';
import { QuotaPayments } from './quota-payments.js';
import { StationRules } from './station-rules.js';
import { Telemetry } from './telemetry.js';
import { WithdrawalFlow } from './withdrawal-flow.js';

export interface KioskAgentPorts {
  readonly stationId: string;
  /** key_id of the station's signing key as enrolled at HQ (its SPKI SHA-256 fingerprint). */
  readonly keyId: string;
  /** The journal and its outbox (the SQLite adapter in production). */
  readonly db: AgentJournal;
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
  /** How long a withdrawal waits for a card. Default 60 s. */
  readonly cardWaitMs?: number;
  /** Close each business day automatically at Shanghai midnight (R7). Default true. */
  readonly autoDailyClose?: boolean;
  readonly agentVersion?: string;
  /** Free bytes on the journal's file system, for telemetry (main.ts: fs.statfs). Default: not reported (0). */
  readonly diskFreeBytes?: () => number;
  /** Working days for R6 notice (data/calendar). Default: none, so every fee-schedule change is refused. */
  readonly calendar?: WorkingCalendar;
  /** Free bytes kept on the journal's file system (config journal.diskReserveBytes). Default diskReserveBytesDefault. */
  readonly diskReserveBytes?: number;
  /** Clock skew against HQ beyond which withdrawals are refused (config hq.clockSkewMsMax). */
  readonly clockSkewMsMax?: number;
}

/** Makes the link to HQ, given the status messages it publishes on its own. */
export type LinkFactory = (status: LinkStatusMessages) => PublisherPort;

export class KioskAgentCore implements OperatorPort {
  readonly #o: KioskAgentPorts;
  readonly #link: PublisherPort;
  readonly #writer: JournalWriter;
  readonly #rules: StationRules;
  readonly #withdrawals: WithdrawalFlow;
  readonly #payments: QuotaPayments;
  readonly #closer: DailyCloser;
  readonly #inbox: HqInbox;
  readonly #commands: HqCommands;
  #stopped = false;
  #caughtUp: Promise<string[]> = Promise.resolve([]);

  protected constructor(options: KioskAgentPorts, makeLink: LinkFactory) {
    this.#o = options;
    const log = options.logger.child({ component: 'agent', stationId: options.stationId });
    const ledger = new KioskLedger(options.stationId);
    const rules = new StationRules(options.stationId, options.clock, ledger, options.db);
    const writer = new JournalWriter({
      stationId: options.stationId,
      keyId: options.keyId,
      journal: options.db,
      signer: options.signer,
      clock: options.clock,
      ledger,
      logger: log,
      outboxChanged: () => this.#link.outboxChanged(),
    });
    const health = new HardwareHealth({
      store: options.db,
      clock: options.clock,
      logger: log,
      ...(options.diskFreeBytes === undefined ? {} : { diskFreeBytes: options.diskFreeBytes }),
      ...(options.diskReserveBytes === undefined ? {} : { diskReserveBytes: options.diskReserveBytes }),
      ...(options.clockSkewMsMax === undefined ? {} : { clockSkewMsMax: options.clockSkewMsMax }),
    });
    const base = {
      stationId: options.stationId,
      clock: options.clock,
      log,
      journal: options.db,
      writer,
      ledger,
      rules,
      health,
    };
    const telemetry = new Telemetry(base, options);
    this.#link = makeLink(telemetry.statusMessages());
    const context: AppContext = { ...base, link: this.#link };
    this.#writer = writer;
    this.#rules = rules;
    this.#withdrawals = new WithdrawalFlow(context, { ...options, stopped: () => this.#stopped });
    this.#payments = new QuotaPayments(context);
    this.#closer = new DailyCloser(context);
    this.#commands = new HqCommands(context, {
      reloadConfig: () => this.#inbox.loadStoredConfig(),
      dailyClose: (date) => this.dailyClose(date),
      signedTelemetry: (bdSeq) => telemetry.signedTelemetry(bdSeq),
    });
    this.#inbox = new HqInbox(
      context,
      options.hqPublicKeys,
      {
        authorisation: (response) => this.#withdrawals.answer(response),
        command: (command) => this.runCommand(command),
      },
      options.calendar ?? createWorkingCalendar([]),
    );
    this.#link.onDown((message) => this.#inbox.receive(message));
  }

  /**
   * Start-up, before `start`: loads the last good HQ config, replays the journal, settles every
   * withdrawal a previous process died in. Does not connect.
   */
  protected async init(): Promise<void> {
    this.#inbox.loadStoredConfig();
    this.#writer.replay();
    const db = this.#o.db;
    this.#o.logger
      .child({ component: 'agent', stationId: this.#o.stationId })
      .info(
        { rows: db.rowCount(), lastEventSeq: db.headSeq(), outboxDepth: db.depth() },
        'journal verified and replayed',
      );
    await this.#withdrawals.recover();
  }

  /**
   * Connects to the broker and starts the automatic daily close, which first closes every day
   * missed while the kiosk was off (R7).
   */
  start(): void {
    this.#link.start();
    if (this.#o.autoDailyClose === false) return;
    this.#caughtUp = this.#closer.catchUp();
    this.#caughtUp.catch((error: unknown) =>
      this.#o.logger.error(
        { code: isAgentError(error) ? error.code : undefined, err: String(error) },
        'catch-up close failed',
      ),
    );
    this.#closer.arm();
  }

  /** Stops without settling withdrawals in flight: the next start settles them from the journal. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#closer.disarm();
    this.#withdrawals.abandonWaits();
    await this.#writer.drained();
    await this.#link.stop();
  }

  /** The business days the start-up catch-up closed (R7), once it is done. */
  caughtUp(): Promise<string[]> {
    return this.#caughtUp;
  }

  link(): PublisherPort {
    return this.#link;
  }

  startWithdrawal(input: WithdrawalInput): Promise<Outcome<{ withdrawal: WithdrawalView }>> {
    return this.#withdrawals.start(input);
  }

  /** From the PIN block to an answer. Public for the latency bench (PIN block received → durable). */
  authorise(
    txId: string,
    pan: Pan,
    pinBlockBytes: Uint8Array,
  ): Promise<Outcome<{ withdrawal: WithdrawalView }>> {
    return this.#withdrawals.authorise(txId, pan, pinBlockBytes);
  }

  confirmCash(txId: string): Promise<Outcome<{ withdrawal: WithdrawalView }>> {
    return this.#withdrawals.confirmCash(txId);
  }

  voidWithdrawal(txId: string): Promise<Outcome<{ withdrawal: WithdrawalView }>> {
    return this.#withdrawals.voidByOperator(txId);
  }

  withdrawal(txId: string): WithdrawalView | null {
    return this.#withdrawals.view(txId);
  }

  payBill(input: BillPaymentInput): Promise<Outcome<{ payment: PaymentView }>> {
    return this.#payments.payBill(input);
  }

  topUp(input: TopupInput): Promise<Outcome<{ payment: PaymentView }>> {
    return this.#payments.topUp(input);
  }

  /** R7: closes a business day (today's by default); with `cash`, the drawer count too (R8). */
  dailyClose(businessDate?: string, cash?: CashCount): Promise<Outcome<{ close: DailyCloseView }>> {
    return this.#closer.close(businessDate, cash);
  }

  /** Totals of one business day as the journal has them (tests and the demo compare with HQ). */
  dayTotals(businessDate: string): DayTotalsView {
    return this.#closer.dayTotals(businessDate);
  }

  /** A verified HQ config (public for tests and the demo; HQ reaches it through down/config). */
  applyConfig(envelopeBytes: Uint8Array, config: ActiveConfig): Promise<boolean> {
    return this.#inbox.applyConfig(envelopeBytes, config);
  }

  /** A verified HQ command, run at most once (public for tests and the demo; HQ uses down/cmd). */
  runCommand(command: bianmin.v1.ICommand): Promise<CommandResult | null> {
    return this.#commands.run(command);
  }

  /** The station's quota left (R2); null before the first HQ config. */
  quotaFenAvailable(): number | null {
    return this.#rules.quotaFenAvailable();
  }

  status(): AgentStatusView {
    const db = this.#o.db;
    return {
      stationId: this.#o.stationId,
      link: this.#link.state().kind,
      outboxDepth: db.depth(),
      lastEventSeq: db.headSeq(),
      ackedThroughSeq: db.ackedThroughSeq(),
      quotaFenAvailable: this.quotaFenAvailable(),
      configVersion: this.#rules.configVersion(),
      openTransactions: this.#withdrawals.openCount(),
    };
  }
}
