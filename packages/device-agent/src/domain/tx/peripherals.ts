// Peripheral health for Birth and Telemetry (proto status.proto): the serial links' states and the
// UK key's state mapped to the wire enums, with a short safe detail (never card or PIN data). Pure.
import { v1 } from '@bianmin/wire';
import type { SignerState } from '../../ports/signer.js';
import { assertIntegerInRange } from '../assert.js';
import type { LinkState } from '../serial/link-state.js';

export interface PeripheralStatusBody {
  readonly kind: number;
  readonly state: number;
  readonly detail: string;
  readonly sinceMs: number;
}

/** A serial device's status from its link state: open = OK, reopening = DISCONNECTED (with why). */
export function serialPeripheralStatus(
  kind: 'card-reader' | 'pin-pad',
  link: LinkState,
): PeripheralStatusBody {
  const wireKind =
    kind === 'card-reader'
      ? v1.PeripheralKind.PERIPHERAL_KIND_CARD_READER
      : v1.PeripheralKind.PERIPHERAL_KIND_PIN_PAD;
  switch (link.kind) {
    case 'open':
      return {
        kind: wireKind,
        state: v1.PeripheralState.PERIPHERAL_STATE_OK,
        detail: 'open',
        sinceMs: link.openedAtMs,
      };
    case 'backoff':
      assertIntegerInRange(link.attemptIndex, 0, Number.MAX_SAFE_INTEGER, 'backoff attemptIndex');
      return {
        kind: wireKind,
        state: v1.PeripheralState.PERIPHERAL_STATE_DISCONNECTED,
        detail: `reopening (attempt ${link.attemptIndex + 1}): ${link.lastErrorCode}`,
        sinceMs: 0,
      };
    case 'opening':
      assertIntegerInRange(link.attemptIndex, 0, Number.MAX_SAFE_INTEGER, 'opening attemptIndex');
      return {
        kind: wireKind,
        state: v1.PeripheralState.PERIPHERAL_STATE_DISCONNECTED,
        detail: `opening (attempt ${link.attemptIndex + 1})`,
        sinceMs: 0,
      };
    default:
      return {
        kind: wireKind,
        state: v1.PeripheralState.PERIPHERAL_STATE_DISCONNECTED,
        detail: link.kind,
        sinceMs: 0,
      };
  }
}

/** The UK key's state on the wire. */
export function tokenStateOf(state: SignerState): number {
  switch (state.kind) {
    case 'ready':
      return v1.TokenState.TOKEN_STATE_READY;
    case 'locked':
    case 'pin-rejected':
      return v1.TokenState.TOKEN_STATE_LOCKED;
    case 'no-key':
    case 'pin-unavailable':
      return v1.TokenState.TOKEN_STATE_ERROR;
    default:
      return v1.TokenState.TOKEN_STATE_ABSENT;
  }
}

/** The UK key as a peripheral line too, so HQ's station view lists all three. */
export function tokenPeripheralStatus(state: SignerState): PeripheralStatusBody {
  return {
    kind: v1.PeripheralKind.PERIPHERAL_KIND_TOKEN,
    state:
      state.kind === 'ready'
        ? v1.PeripheralState.PERIPHERAL_STATE_OK
        : state.kind === 'no-token' || state.kind === 'closed' || state.kind === 'closed-initially'
          ? v1.PeripheralState.PERIPHERAL_STATE_DISCONNECTED
          : v1.PeripheralState.PERIPHERAL_STATE_FAULT,
    detail: state.kind,
    sinceMs: 0,
  };
}
