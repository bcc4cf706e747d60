// The one place that turns the device config's `token` section into the UK key signer's options
// (the agent, `kiosk doctor` and any other command that signs use it; none builds its own).
import type { Pkcs11SignerOptions } from '../adapters/pkcs11/pkcs11-signer.js';
import type { Logger } from '../logging.js';
import type { DeviceConfig } from './schema.js';

/** Which module, token, key and PIN source: what opening the token needs (provision uses it alone). */
export type TokenAccess = Pick<Pkcs11SignerOptions, 'modulePath' | 'token' | 'keyLabel' | 'pin'>;

export function tokenAccessOf(config: DeviceConfig): TokenAccess {
  return {
    modulePath: config.token.modulePath,
    token: {
      ...(config.token.label === undefined ? {} : { label: config.token.label }),
      ...(config.token.serial === undefined ? {} : { serial: config.token.serial }),
    },
    keyLabel: config.token.keyLabel,
    pin: config.token.userPin,
  };
}

/** Signer options from `config.token`; `extra` adds what only one caller needs (doctor: no probe). */
export function signerOptionsOf(
  config: DeviceConfig,
  logger: Logger,
  extra: Partial<Pick<Pkcs11SignerOptions, 'probe' | 'signCall' | 'createBinding'>> = {},
): Pkcs11SignerOptions {
  return { ...tokenAccessOf(config), logger, ...extra };
}
