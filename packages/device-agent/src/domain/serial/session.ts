// Session start (docs/serial-protocol.md §2 "Session"). Every time the host opens the link (first
// open and every reopen) it sends `OPEN nonce=<16 hex>` before any other command and waits for the
// device to echo the nonce. On OPEN the device forgets every remembered request and every frame kept
// for a NAK resend, so a new host session that starts numbering at 00 again is never answered from
// a cache filled by an earlier session (a retransmission cache that outlives the host session turns
// "the same first command again" into a stale replay). The nonce is random per open, so an echo
// proves the answer belongs to this open and not to one before it. Pure: the nonce comes in.

import type { AgentErrorCode } from '../../errors.js';
import { assert } from '../assert.js';
import type { Frame } from './frame.js';

/** The session-start command; its answer carries the same name and the echoed nonce. */
export const sessionCommand = 'OPEN';
/** 8 random bytes as 16 upper-case hex digits: collisions between two opens are negligible. */
export const sessionNonceHexLength = 16;

const noncePattern = /^[0-9A-F]{16}$/;
// One rule, two spellings: the named length and the pattern must agree.
assert(noncePattern.test('0'.repeat(sessionNonceHexLength)), 'session: nonce length and pattern disagree');

/** True when `text` is a well-formed nonce (16 upper-case hex digits). */
export function isSessionNonce(text: string): boolean {
  // The text may come from a device (the simulator checks what it received): a string, any content.
  assert(typeof text === 'string', 'isSessionNonce: text must be a string');
  return noncePattern.test(text);
}

export type SessionEcho =
  | { ok: true }
  | { ok: false; code: Extract<AgentErrorCode, 'AGENT_SERIAL_SESSION_MISMATCH'>; reason: string };

/** Checks the device's answer to OPEN: the same command and exactly our nonce echoed back. */
export function checkSessionEcho(frame: Frame, nonce: string): SessionEcho {
  if (!isSessionNonce(nonce)) throw new RangeError('checkSessionEcho: our own nonce is malformed');
  // Only an answer on a host seq (00–7F) settles our OPEN; a device-started frame never reaches here.
  assert(frame.seq >= 0 && frame.seq <= 0x7f, 'checkSessionEcho: the answer to OPEN carries a host seq');
  if (frame.command !== sessionCommand) {
    return { ok: false, code: 'AGENT_SERIAL_SESSION_MISMATCH', reason: `answer ${frame.command} to OPEN` };
  }
  const echoed = frame.fields.get('nonce');
  if (echoed === undefined) return { ok: false, code: 'AGENT_SERIAL_SESSION_MISMATCH', reason: 'no nonce' };
  if (echoed !== nonce) {
    return { ok: false, code: 'AGENT_SERIAL_SESSION_MISMATCH', reason: 'nonce differs' };
  }
  return { ok: true };
}
