// Every named maximum of the wire contract. Sizes are checked BEFORE decoding, so a hostile
// peer cannot make us allocate or parse more than these; lengths after decoding. docs/protocol.md
// ("Size limits") repeats them; change both together.

/** Largest Envelope accepted or produced, in bytes (64 KiB; a daily close is under 2 KiB). */
export const envelopeBytesMax = 64 * 1024;
/** Largest Envelope.signed (the serialized SignedHeader), in bytes. */
export const signedBytesMax = envelopeBytesMax - 128;
/** Largest SignedHeader.body (the serialized payload), in bytes. */
export const bodyBytesMax = signedBytesMax - 1024;
/** Exact size of an ECDSA P-256 signature, raw r||s (IEEE P1363). */
export const signatureBytes = 64;
/** A SHA-256 digest (SignedHeader.prev_envelope_sha256). */
export const sha256Bytes = 32;

/** Station ids: [A-Za-z0-9_-], 1..32 characters (also the MQTT client id and username). */
export const stationIdCharsMax = 32;
/** Client-made ids (event, transaction, request, command, purchase ids) and receipt numbers. */
export const idCharsMax = 64;
/** Key ids (a SHA-256 hex fingerprint is 64). */
export const keyIdCharsMax = 128;
/** Short codes: biller code, carrier, bank response code, rule or error code, version strings. */
export const codeCharsMax = 64;
/** Free-text details (refusal detail, peripheral detail, command result detail). */
export const detailCharsMax = 512;
/** Any other string field, a cap applied to every string in every decoded message. */
export const stringCharsMax = 1024;
/** Any repeated field (totals, refusals, fee schedules, peripherals...). */
export const repeatedItemsMax = 256;
/** Nesting depth of a decoded payload (ours is at most 4). */
export const messageDepthMax = 8;
/** A DER SubjectPublicKeyInfo of a P-256 key is 91 bytes; leave room for other encodings. */
export const publicKeySpkiBytesMax = 256;
/** ISO 9564 format 4 PIN block size. */
export const pinBlockSizeBytes = 16;
/** PAN length bounds (ISO/IEC 7812). */
export const panDigitsMin = 12;
export const panDigitsMax = 19;
/** The longest MQTT topic string this package builds or parses. */
export const topicCharsMax = 128;
/**
 * Largest drawer count a station may declare at a close (R8 账实相符), fen: ¥100,000,000. A
 * convenience-station drawer holds a few thousand yuan; the bound only refuses nonsense.
 */
export const cashFenDeclaredMax = 10_000_000_000;
/** A TLS file of an MQTT link (CA bundle, client certificate or key), at most: kiosk and HQ alike. */
export const tlsFileBytesMax = 256 * 1024;
/**
 * Release bundles (release-manifest.ts): a kiosk bundle holds about 2,000 files (the Node runtime
 * is one 85 MB file); the caps refuse a hostile manifest before it costs memory or disk.
 */
export const releaseManifestBytesMax = 4 * 1024 * 1024;
export const releaseFileCountMax = 20_000;
export const releaseFileSizeBytesMax = 256 * 1024 * 1024;
export const releasePathBytesMax = 512;
export const releaseSignatureFileBytesMax = 1024;

/** Issue 13: an update offer's fetch URL (HQ's release route), characters. */
export const otaFetchUrlCharsMax = 512;
