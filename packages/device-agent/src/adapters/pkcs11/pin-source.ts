// Reads the token's user PIN from where the config says: a file (mode 0600, root-owned on a kiosk)
// or an environment variable. Never from a CLI argument, never logged: it comes back wrapped.
import { readFileSync, statSync } from 'node:fs';
import { AgentError } from '../../errors.js';
import { tokenPinFileSizeBytesMax } from '../../limits.js';
import { Secret } from '../../logging.js';

export type UserPinSource = { readonly file: string } | { readonly env: string };

export function describePinSource(source: UserPinSource): string {
  return 'file' in source ? `file ${source.file}` : `env ${source.env}`;
}

export function readUserPin(source: UserPinSource, env: NodeJS.ProcessEnv = process.env): Secret<string> {
  let text: string | undefined;
  if ('file' in source) {
    try {
      const sizeBytes = statSync(source.file).size;
      if (sizeBytes > tokenPinFileSizeBytesMax) {
        throw new AgentError('AGENT_TOKEN_PIN_UNAVAILABLE', `PIN file ${source.file} is ${sizeBytes} bytes`, {
          details: { file: source.file, sizeBytes },
        });
      }
      text = readFileSync(source.file, 'utf8');
    } catch (cause) {
      if (cause instanceof AgentError) throw cause;
      throw new AgentError('AGENT_TOKEN_PIN_UNAVAILABLE', `cannot read PIN file ${source.file}`, {
        cause,
        details: { file: source.file },
      });
    }
  } else {
    text = env[source.env];
    if (text === undefined) {
      throw new AgentError('AGENT_TOKEN_PIN_UNAVAILABLE', `environment variable ${source.env} is not set`, {
        details: { env: source.env },
      });
    }
  }
  // A trailing newline from `echo PIN > file` is not part of the PIN.
  const pin = text.replace(/\r?\n$/u, '');
  if (pin.length === 0) {
    throw new AgentError('AGENT_TOKEN_PIN_UNAVAILABLE', `the PIN from ${describePinSource(source)} is empty`);
  }
  return new Secret(pin);
}
