// `hq key generate`: a new HQ P-256 signing key (PEM, mode 0600); prints the public key.
import { writeFileSync } from 'node:fs';
import { generateHqKeyPem, readHqKey } from '../../adapters/crypto/hq-key.js';
import { type HqCommand, usageError } from '../command.js';

export const keyGenerateCommand: HqCommand = {
  name: 'key generate',
  summary: 'write a new HQ P-256 signing key (PEM) and print its public key for the kiosks to pin',
  usage: 'hq key generate --out FILE',
  flags: {
    out: { type: 'string', valueName: 'FILE', description: 'where to write the private key (mode 0600)' },
  },
  positionals: 0,
  async run(parsed) {
    const out = parsed.values.out;
    if (typeof out !== 'string') {
      throw usageError([{ code: 'HQ_CLI_USAGE', field: '--out', message: '--out FILE is required' }]);
    }
    const { privateKeyPem, publicKeyPem } = generateHqKeyPem();
    writeFileSync(out, privateKeyPem, { mode: 0o600, flag: 'wx' });
    const key = readHqKey(out);
    return { data: { keyFile: out, keyId: key.keyId, publicKeyPem }, text: publicKeyPem };
  },
};
