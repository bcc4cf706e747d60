// What the kiosk facade (app/kiosk-agent.ts) is made of, and how the parts are built and wired to
// each other over the ports: the ports the facade is given (KioskAgentPorts), the shared context
// (app/context.ts) and one instance of each part. Construction only: no part runs here, nothing
// is read or sent. The parts call back into the facade (its stop flag, its daily close, its
// command runner) through FacadeCallbacks, so an operation a subclass overrides stays the one
// every part reaches.

import { createWorkingCalendar, type WorkingCalendar } from '@bianmin/core-ledger';
import type { bianmin } from '@bianmin/wire';
import type { Logger } from 'pino';
import { assert } from '../domain/assert.js';
import type { MemoryBudget, MemorySample } from '../domain/health/memory-pressure.js';
import { KioskLedger } from '../domain/tx/kiosk-ledger.js';
import type { CardReader } from '../ports/card-reader.js';
import type { ClockPort } from '../ports/clock.js';
import type { DailyCloseView, Outcome } from '../ports/operator.js';
import type { PinPad } from '../ports/pin-pad.js';
import type { LinkStatusMessages, PublisherPort } from '../ports/publisher.js';
import type { Signer } from '../ports/signer.js';
import type { AgentJournal, AppContext } from './context.js';
import { DailyCloser } from './daily-close.js';
import { HardwareHealth } from './hardware-health.js';
import { type CommandResult, HqCommands } from './hq-commands.js';
import { HqInbox, type HqPublicKey } from './hq-inbox.js';
import { JournalWriter } from './journal-writer.js';
import { OtaLink, type OtaWiring } from './ota-link.js';
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
  /** The process's memory now (issue 13): new business is refused under pressure; absent = not watched. */
  readonly memorySample?: () => MemorySample;
  /** The marks memorySample is judged against (main.ts: from the cgroup's limit); default the shipped ones. */
  readonly memoryBudget?: MemoryBudget;
  /** Clock skew against HQ beyond which withdrawals are refused (config hq.clockSkewMsMax). */
  readonly clockSkewMsMax?: number;
  /** Issue 13: the OTA runner's ports (state file, release source, slots, health, restart); absent: no OTA. */
  readonly ota?: OtaWiring;
}

/** Makes the link to HQ, given the status messages it publishes on its own. */
export type LinkFactory = (status: LinkStatusMessages) => PublisherPort;

/** What the parts call on the facade. */
export interface FacadeCallbacks {
  /** True once the facade is stopping: withdrawals stop waiting for hardware. */
  stopped(): boolean;
  dailyClose(businessDate?: string): Promise<Outcome<{ close: DailyCloseView }>>;
  runCommand(command: bianmin.v1.ICommand): Promise<CommandResult | null>;
}

/** One of each part, wired to the others; the facade only delegates to them. */
export interface KioskParts {
  /** The agent's child logger (component 'agent', the station id). */
  readonly log: Logger;
  readonly link: PublisherPort;
  readonly writer: JournalWriter;
  readonly rules: StationRules;
  readonly withdrawals: WithdrawalFlow;
  readonly payments: QuotaPayments;
  readonly closer: DailyCloser;
  readonly commands: HqCommands;
  readonly inbox: HqInbox;
  /** Issue 13: update offers and progress; undefined when the agent runs without OTA. */
  readonly ota: OtaLink | undefined;
}

/** Builds the parts over `ports`; the link comes from `makeLink` once telemetry can give it its status messages. */
export function buildKioskParts(
  ports: KioskAgentPorts,
  makeLink: LinkFactory,
  facade: FacadeCallbacks,
): KioskParts {
  const log = ports.logger.child({ component: 'agent', stationId: ports.stationId });
  const ledger = new KioskLedger(ports.stationId);
  const rules = new StationRules(ports.stationId, ports.clock, ledger, ports.db);
  // The writer tells the link about new outbox rows; the link is made after telemetry, below.
  let link: PublisherPort | undefined;
  const writer = new JournalWriter({
    stationId: ports.stationId,
    keyId: ports.keyId,
    journal: ports.db,
    signer: ports.signer,
    clock: ports.clock,
    ledger,
    logger: log,
    outboxChanged: () => {
      assert(link !== undefined, 'kiosk parts: the writer appended before the link was made');
      link.outboxChanged();
    },
  });
  const health = new HardwareHealth({
    store: ports.db,
    clock: ports.clock,
    logger: log,
    ...(ports.diskFreeBytes === undefined ? {} : { diskFreeBytes: ports.diskFreeBytes }),
    ...(ports.diskReserveBytes === undefined ? {} : { diskReserveBytes: ports.diskReserveBytes }),
    ...(ports.memorySample === undefined ? {} : { memorySample: ports.memorySample }),
    ...(ports.memoryBudget === undefined ? {} : { memoryBudget: ports.memoryBudget }),
    ...(ports.clockSkewMsMax === undefined ? {} : { clockSkewMsMax: ports.clockSkewMsMax }),
  });
  const base = {
    stationId: ports.stationId,
    clock: ports.clock,
    log,
    journal: ports.db,
    writer,
    ledger,
    rules,
    health,
  };
  const telemetry = new Telemetry(base, ports);
  link = makeLink(telemetry.statusMessages());
  const context: AppContext = { ...base, link };
  // Built in this order: parts that follow the writer's rows subscribe in it.
  const withdrawals = new WithdrawalFlow(context, { ...ports, stopped: () => facade.stopped() });
  const payments = new QuotaPayments(context);
  const closer = new DailyCloser(context);
  const ota =
    ports.ota === undefined ? undefined : new OtaLink(context, ports.ota, () => withdrawals.openCount());
  const commands = new HqCommands(context, {
    ...(ota === undefined ? {} : { otaOffer: (offer: bianmin.v1.IOtaOffer) => ota.accept(offer) }),
    reloadConfig: () => inbox.loadStoredConfig(),
    dailyClose: (date) => facade.dailyClose(date),
    signedTelemetry: (bdSeq) => telemetry.signedTelemetry(bdSeq),
    loadTpk: (tpkUnderTmk, expectedKcv) => ports.pinPad.loadTpk(tpkUnderTmk, expectedKcv),
  });
  const inbox = new HqInbox(
    context,
    ports.hqPublicKeys,
    {
      authorisation: (response) => withdrawals.answer(response),
      command: (command) => facade.runCommand(command),
    },
    ports.calendar ?? createWorkingCalendar([]),
  );
  link.onDown((message) => inbox.receive(message));
  return { log, link, writer, rules, withdrawals, payments, closer, commands, inbox, ota };
}
