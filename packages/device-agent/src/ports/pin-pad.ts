// The PIN pad as the rest of the agent sees it. It has NO method that could return a clear PIN: PIN
// entry yields an opaque ISO 9564 format-4 block enciphered under the TPK inside the pad; progress
// events say that a digit was pressed, never which. Key loading takes wrapped secrets and answers
// with key check values (KCV, 6 hex digits) only.

import type { Pan } from '../domain/pin/pan.js';
import type { PinBlock, SecretKeyBytes } from '../domain/pin/secret.js';
import type { LinkState } from '../domain/serial/link-state.js';
import type { DeviceIdentity } from './card-reader.js';

export type PinPadEvent =
  | { kind: 'pin-progress'; digitCount: number } // digits entered so far (0 after a clear)
  | { kind: 'tamper' } // the pad detected tamper and erased its keys
  | { kind: 'link'; state: LinkState };

export interface KeyComponentLoaded {
  /** KCV of the component just loaded: compare with the one printed on its mailer. */
  readonly componentKcv: string;
  /** KCV of the combined TMK, present once the last component (index === count) is in. */
  readonly tmkKcv?: string;
}

/** Every method rejects with AgentError (AGENT_SERIAL_*, AGENT_PINPAD_*) on failure. */
export interface PinPad {
  start(): void;
  stop(): Promise<void>;
  readonly linkState: LinkState;
  whenOpen(timeoutMs: number): Promise<void>;
  identify(): Promise<DeviceIdentity>;
  heartbeat(): Promise<void>;
  /** Shows a text on the pad's display (UTF-8, at most serialDisplayTextBytesMax bytes). */
  display(text: string): Promise<void>;
  /** Loads TMK component `index` (1-based) of `count` (2–3); the pad XORs them itself. */
  loadTmkComponent(index: number, count: number, component: SecretKeyBytes): Promise<KeyComponentLoaded>;
  /** Loads the TPK enciphered under the TMK; the pad checks it against `expectedKcv` and answers its KCV. */
  loadTpk(tpkUnderTmk: Uint8Array, expectedKcv: string): Promise<{ readonly kcv: string }>;
  /**
   * Asks the customer for the PIN for `amountFen` (integer fen, shown on the pad). Resolves with the
   * block bound to `panForBlock`; AGENT_PINPAD_CANCELLED / _ENTRY_TIMEOUT / _NO_KEY / _TAMPERED.
   */
  startPinEntry(amountFen: number, panForBlock: Pan): Promise<PinBlock>;
  /** Cancels a PIN entry in progress (its promise rejects with AGENT_PINPAD_CANCELLED). */
  cancelPinEntry(): Promise<void>;
  subscribe(listener: (event: PinPadEvent) => void): () => void;
}
