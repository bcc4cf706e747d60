// Parses the IDENTIFY answer, common to both devices.

import { type Frame, field } from '../../domain/serial/frame.js';
import { AgentError } from '../../errors.js';
import type { DeviceIdentity } from '../../ports/card-reader.js';

export function requireField(frame: Frame, key: string, pattern: RegExp): string {
  const value = field(frame, key);
  if (value === undefined || !pattern.test(value)) {
    throw new AgentError('AGENT_SERIAL_BAD_RESPONSE', `${frame.command}: field ${key} missing or invalid`, {
      details: { command: frame.command, field: key },
    });
  }
  return value;
}

const printable = /^[\x20-\x7e]{1,64}$/;

export function parseIdentity(frame: Frame): DeviceIdentity {
  return {
    model: requireField(frame, 'model', printable),
    serialNumber: requireField(frame, 'serial', printable),
    firmwareVersion: requireField(frame, 'firmware', printable),
  };
}
