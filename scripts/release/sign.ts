// Signs a bundle's manifest.json with the HQ release key on a PKCS#11 token (SoftHSM in tests, a
// USB key or HSM at HQ). The private key never leaves the token: the token signs the SHA-256
// digest of the manifest's exact bytes (CKM_ECDSA, raw r||s), through the same PKCS#11 signer
// the kiosk uses for its UK key (@bianmin/device-agent Pkcs11Signer). The signature is verified
// with the token's public key before it is written, so a broken token never yields a bundle.
import { Pkcs11Signer } from '@bianmin/device-agent';
import {
  encodeReleaseSignature,
  releaseManifestDigest,
  releaseSignatureAlgorithm,
  releaseSignatureFormat,
  verifyReleaseSignature,
} from '@bianmin/wire';
import pino from 'pino';
import { ReleaseBuildError } from './errors.ts';

export interface ReleaseTokenOptions {
  /** PKCS#11 module (.so), e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly keyLabel: string;
  /** File holding the token's user PIN (mode 0600). */
  readonly pinFile: string;
}

/** Returns the bytes of manifest.sig for `manifestBytes`, and the signing key's id. */
export async function signManifest(
  manifestBytes: Uint8Array,
  token: ReleaseTokenOptions,
): Promise<{ signatureFile: Uint8Array; keyId: string; publicKeyPem: string }> {
  const signer = new Pkcs11Signer({
    modulePath: token.modulePath,
    token: { label: token.tokenLabel },
    keyLabel: token.keyLabel,
    pin: { file: token.pinFile },
    logger: pino({ level: 'silent' }),
    signCall: 'blocking',
    probe: { enabled: false },
  });
  try {
    const publicKey = await signer.publicKey();
    const signature = await signer.signDigest(releaseManifestDigest(manifestBytes));
    const signatureFile = encodeReleaseSignature({
      format: releaseSignatureFormat,
      algorithm: releaseSignatureAlgorithm,
      keyId: publicKey.fingerprintSha256Hex,
      signature,
    });
    const keyId = verifyReleaseSignature(manifestBytes, signatureFile, [publicKey.pem]);
    return { signatureFile, keyId, publicKeyPem: publicKey.pem };
  } catch (error) {
    throw new ReleaseBuildError(
      'RELEASE_SIGNING_FAILED',
      `the release key "${token.keyLabel}" on token "${token.tokenLabel}" did not sign`,
      { reason: String((error as Error).message).slice(0, 300) },
      error,
    );
  } finally {
    await signer.close();
  }
}
