// An opaque per-card key for HQ's withdrawal tally (R5 limits per card per day). The kiosk's card
// token is keyed per kiosk, so HQ derives its own from the PAN of the authorisation request; the
// PAN itself is never kept or logged (R24).
//
// The key is a keyed hash, HMAC-SHA-256, not a plain digest: it is persisted (withdrawal_approvals)
// and a PAN has little entropy (a known BIN, a Luhn digit: ~10^9 candidates), so an unkeyed
// SHA-256 could be brute-forced back to the card number (PCI DSS v4 3.5.1.1). The HMAC key comes
// from HKDF-SHA-256 over a dedicated secret (config `cardKeySecretFile`) or, when none is
// configured, over the HQ signing key's private scalar (docs/decisions/hq-card-key-hmac.md).
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';

const secretText = '[secret]';
// Fixed labels: changing either changes every card key (and so forgets the day's tally).
const hkdfSalt = 'bianmin.v1/card-key';
const hkdfInfo = 'bianmin.v1/card-key/hmac-sha256';
/** HMAC-SHA-256 key size (bytes): the hash's output size (RFC 2104 §3). */
const hmacKeySize = 32;
/** A dedicated secret must hold at least as much entropy as the HMAC key it is stretched into. */
export const cardKeySecretSizeMin = 32;

/** The HMAC key of the card keys. toJSON, toString and util.inspect print "[secret]". */
export class CardKeySecret {
  readonly #hmacKey: KeyObject;

  private constructor(inputKeyMaterial: Uint8Array) {
    const derived = new Uint8Array(hkdfSync('sha256', inputKeyMaterial, hkdfSalt, hkdfInfo, hmacKeySize));
    this.#hmacKey = createSecretKey(derived);
    derived.fill(0);
  }

  /** From a dedicated secret (>= 32 random bytes, e.g. `openssl rand -hex 32`). */
  static fromSecretBytes(secret: Uint8Array): CardKeySecret {
    if (secret.length < cardKeySecretSizeMin) {
      throw new RangeError(`the card-key secret must be at least ${cardKeySecretSizeMin} bytes`);
    }
    return new CardKeySecret(secret);
  }

  /** The default when no dedicated secret is configured: from HQ's P-256 private key. */
  static fromHqPrivateKey(privateKey: KeyObject): CardKeySecret {
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ec') {
      throw new TypeError('the HQ key must be an EC private key');
    }
    const scalar = privateKey.export({ format: 'jwk' }).d;
    if (scalar === undefined) throw new TypeError('the HQ key has no private scalar');
    const bytes = new Uint8Array(Buffer.from(scalar, 'base64url'));
    if (bytes.length !== 32) throw new TypeError('the HQ key must be a P-256 key');
    const secret = new CardKeySecret(bytes);
    bytes.fill(0);
    return secret;
  }

  /** HMAC-SHA-256 of `message` under this secret, hex (64 characters). */
  hmacHex(message: string): string {
    return createHmac('sha256', this.#hmacKey).update(message, 'utf8').digest('hex');
  }

  /**
   * 16 hex digits that change when the secret changes (an HMAC of a fixed label: it tells nothing
   * of the secret). HQ stores it to notice a changed secret at start-up (HQ_CARD_KEY_CHANGED).
   */
  fingerprint(): string {
    return this.hmacHex('bianmin.v1/card-key/fingerprint').slice(0, 16);
  }

  toJSON(): string {
    return secretText;
  }

  toString(): string {
    return secretText;
  }

  [inspect.custom](): string {
    return secretText;
  }
}

/** HQ's card key for `pan` (12-19 digits): 64 hex digits, the same for the same secret and PAN. */
export function cardKeyOf(secret: CardKeySecret, pan: string): string {
  if (!/^\d{12,19}$/.test(pan)) throw new Error('pan must be 12-19 digits');
  const key = secret.hmacHex(pan);
  if (key.length !== 64) throw new Error('card key must be 64 hex digits');
  return key;
}
