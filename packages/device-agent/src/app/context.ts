// What the agent's parts share: the station, the ports (journal + outbox, link, clock), the one
// journal writer, the kiosk ledger and the station rules. Built once by the facade
// (app/kiosk-agent.ts); every part takes it and reads only what it needs.
import type { Logger } from 'pino';
import type { KioskLedger } from '../domain/tx/kiosk-ledger.js';
import type { ClockPort } from '../ports/clock.js';
import type { JournalPort } from '../ports/journal.js';
import type { OutboxPort } from '../ports/outbox.js';
import type { PublisherPort } from '../ports/publisher.js';
import type { StoreHealthPort } from '../ports/store-health.js';
import type { HardwareHealth } from './hardware-health.js';
import type { JournalWriter } from './journal-writer.js';
import type { StationRules } from './station-rules.js';

/** The journal and its outbox: one store (the SQLite adapter implements both), and its write health. */
export type AgentJournal = JournalPort & OutboxPort & StoreHealthPort;

export interface AppContext {
  readonly stationId: string;
  readonly clock: ClockPort;
  readonly log: Logger;
  readonly journal: AgentJournal;
  readonly writer: JournalWriter;
  readonly ledger: KioskLedger;
  readonly rules: StationRules;
  /** Disk reserve and clock: refusals before a card or PIN, telemetry, bdSeq (issue 9). */
  readonly health: HardwareHealth;
  readonly link: PublisherPort;
}
