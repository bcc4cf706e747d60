// Options shared by the card reader and PIN pad drivers, and the link they build from them.

import type { BackoffPolicy } from '../../domain/serial/link-state.js';
import type { AgentErrorCode } from '../../errors.js';
import type { Logger } from '../../logging.js';
import type { ClockPort } from '../../ports/clock.js';
import {
  type ChannelOpener,
  defaultSerialPortOptions,
  type SerialPortOptions,
  serialPortOpener,
} from './channel.js';
import { SerialLink } from './serial-link.js';

export interface SerialDriverOptions {
  /** Device path, e.g. /dev/serial/by-id/usb-…-if00 (stable across replugs). Needed unless `opener` is given. */
  readonly path?: string;
  /** Line settings; default 115200 8N1. */
  readonly serialPort?: Partial<Omit<SerialPortOptions, 'path'>>;
  /** Replaces the serialport channel (tests, bench baseline). */
  readonly opener?: ChannelOpener;
  readonly clock?: ClockPort;
  readonly logger?: Logger;
  readonly ackTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  /** Timeout of the session start (OPEN + nonce echo) on every open; default 1000 ms. */
  readonly sessionTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
}

export function buildLink(
  name: string,
  options: SerialDriverOptions,
  deviceErrorCodes: Readonly<Record<string, AgentErrorCode>>,
): SerialLink {
  let opener = options.opener;
  if (opener === undefined) {
    if (options.path === undefined || options.path === '')
      throw new RangeError(`${name}: path or opener is required`);
    opener = serialPortOpener({ ...defaultSerialPortOptions, ...options.serialPort, path: options.path });
  }
  return new SerialLink({
    opener,
    name,
    deviceErrorCodes,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.ackTimeoutMs === undefined ? {} : { ackTimeoutMs: options.ackTimeoutMs }),
    ...(options.heartbeatIntervalMs === undefined
      ? {}
      : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
    ...(options.heartbeatTimeoutMs === undefined ? {} : { heartbeatTimeoutMs: options.heartbeatTimeoutMs }),
    ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
  });
}
