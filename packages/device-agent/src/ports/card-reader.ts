// The card reader as the rest of the agent sees it (STYLE.md "ports"). The serial driver
// (src/adapters/serial/card-reader-driver.ts) implements it; so can a fake. Track data never
// crosses this interface: only the PAN (wrapped, masked when printed), expiry and service code.

import type { Pan } from '../domain/pin/pan.js';
import type { LinkState } from '../domain/serial/link-state.js';

export interface DeviceIdentity {
  readonly model: string;
  readonly serialNumber: string;
  readonly firmwareVersion: string;
}

export interface CardData {
  readonly pan: Pan;
  /** Expiry as printed on the card, YYMM. */
  readonly expiryYymm: string;
  /** The 3-digit service code (e.g. "220": international, IC, PIN required). */
  readonly serviceCode: string;
}

export type CardReaderEvent =
  | { kind: 'card-inserted' }
  | { kind: 'card-removed' }
  | { kind: 'link'; state: LinkState };

/** Every method rejects with AgentError (AGENT_SERIAL_*, AGENT_CARD_*) on failure. */
export interface CardReader {
  /** Starts opening the device and keeping it open (heartbeat + reopen). Returns at once. */
  start(): void;
  /** Stops for good: pending commands reject with AGENT_SERIAL_STOPPED, the port is closed. */
  stop(): Promise<void>;
  readonly linkState: LinkState;
  /** Resolves when the link is open (or rejects when stopped / after `timeoutMs`). */
  whenOpen(timeoutMs: number): Promise<void>;
  identify(): Promise<DeviceIdentity>;
  heartbeat(): Promise<void>;
  /** Resolves when a card is in the reader (at once if one is); AGENT_CARD_WAIT_TIMEOUT after waitMs. */
  waitForCard(waitMs: number): Promise<void>;
  readCard(): Promise<CardData>;
  eject(): Promise<void>;
  /** Unsolicited events and link changes; returns the unsubscribe function. */
  subscribe(listener: (event: CardReaderEvent) => void): () => void;
}
