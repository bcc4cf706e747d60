// @bianmin/wire: the kiosk <-> HQ wire contract. Generated protobuf classes (proto/bianmin/v1),
// the signed envelope, payload codecs that treat every byte as hostile, MQTT topics, signing
// helpers and the ISO 9564 format 4 PIN-block codec. docs/protocol.md is the full description.
//
// Usage (kiosk: sign the digest with the PKCS#11 token; HQ: sealEnvelope with a node key):
//
//   import { PayloadType, buildSigned, envelopeDigest, encodeEnvelope, upTopic, channelPublishOptions,
//            openVerifiedEnvelope, parseTopic, checkEnvelopeTopic, v1 } from '@bianmin/wire';
//
//   const signed = buildSigned({
//     stationId: 'ST0001', keyId, seq: 42, eventId: 'evt-…', createdAtMs: clock.nowMs(),
//     type: PayloadType.PAYLOAD_TYPE_BILL_PAYMENT,
//     body: { transactionId, billerKind: v1.BillerKind.BILLER_KIND_ELECTRICITY, billerCode: 'SGCC',
//             accountNumber, amountFen: 12_345, feeFen: 0, feeScheduleVersion: 1, quotaFenAfter,
//             receiptNumber, paidAtMs, businessDate: '2026-11-28' },
//   });
//   const signature = await token.sign(envelopeDigest(signed));        // 64 bytes raw r||s
//   const bytes = encodeEnvelope({ signed, signature });                 // store in the outbox
//   mqtt.publish(upTopic('ST0001', 'event'), Buffer.from(bytes), channelPublishOptions.event);
//   // Last will at connect: the same way with type PAYLOAD_TYPE_DEATH, seq 0, body { bdSeq },
//   // on upTopic(id, 'death'); then PAYLOAD_TYPE_BIRTH with the same bdSeq after CONNACK.
//
//   // HQ, on message(topic, payload):
//   const opened = openVerifiedEnvelope(payload, (h) => keys.get(h.stationId, h.keyId));
//   checkEnvelopeTopic(opened, parseTopic(topic));
//   if (opened.type === PayloadType.PAYLOAD_TYPE_BILL_PAYMENT) opened.body.amountFen; // number, safe
//
// Every failure is a WireError with a stable `code` (errors.ts, docs/errors/wire.md).

export {
  buildSigned,
  checkEnvelopeTopic,
  decodeEnvelope,
  decodeSignedHeader,
  type EnvelopeHeader,
  type EnvelopeParts,
  encodeEnvelope,
  envelopeDigest,
  envelopeSignaturePrefix,
  envelopeSigningInput,
  type OpenedEnvelope,
  openEnvelope,
  type SignedInput,
  wireVersion,
} from './envelope.js';
export * from './errors.js';
export { eventIdTimeMs, newEventId } from './event-id.js';
export { bianmin, v1 } from './generated.js';
export * as limits from './limits.js';
export {
  beijingIsoTime,
  type LogLevelName,
  logLevelNames,
  logRedactedFieldNames,
  logRedactPaths,
  sharedLogOptions,
} from './log-format.js';
export {
  type MqttTlsOptions,
  type MqttTlsPart,
  mqttTlsOptions,
  mqttTlsPairComplete,
  mqttTlsPemProblem,
} from './mqtt-tls.js';
export {
  decodePayload,
  encodePayload,
  type KnownPayloadType,
  knownPayloadTypes,
  type PayloadInput,
  type PayloadInputMap,
  type PayloadMap,
  type PayloadSpec,
  PayloadType,
  payloadSpec,
  payloadSpecs,
  releaseVersionPattern,
  type TypedPayload,
} from './payloads.js';
export * from './pin-block.js';
export {
  assertEnvelopeSignature,
  fingerprint,
  openEnrolmentRequest,
  openVerifiedEnvelope,
  type PrivateKeyInput,
  type PublicKeyInput,
  publicKeySpkiDer,
  sealEnvelope,
  signEnvelope,
  spkiFromP256Point,
  toPrivateKey,
  toPublicKey,
  type VerifiedEnrolment,
  verifyEnvelope,
} from './signature.js';
export {
  assertStationId,
  type Channel,
  channelPublishOptions,
  type Direction,
  type DownChannel,
  downChannels,
  downTopic,
  hqSharedSubscription,
  hqSubscription,
  isValidStationId,
  kioskSubscription,
  type ParsedTopic,
  parseTopic,
  type QoS,
  topicRoot,
  type UpChannel,
  upChannels,
  upTopic,
} from './topics.js';
export { luhnCheckDigit, luhnValid, maskPan } from './validate.js';

// Short aliases for the generated message classes most callers name.
import type { bianmin as ns } from './generated.js';
export type WithdrawalAuthorised = ns.v1.WithdrawalAuthorised;
export type WithdrawalPosted = ns.v1.WithdrawalPosted;
export type WithdrawalVoided = ns.v1.WithdrawalVoided;
export type WithdrawalReversed = ns.v1.WithdrawalReversed;
export type WithdrawalDeclined = ns.v1.WithdrawalDeclined;
export type BillPayment = ns.v1.BillPayment;
export type MobileTopup = ns.v1.MobileTopup;
export type QuotaPurchaseApplied = ns.v1.QuotaPurchaseApplied;
export type DailyClose = ns.v1.DailyClose;
export type CashDeclaration = ns.v1.CashDeclaration;
export type CashDeclared = ns.v1.CashDeclared;
export type KeyRotated = ns.v1.KeyRotated;
export type CommandResult = ns.v1.CommandResult;
export type ConfigApplied = ns.v1.ConfigApplied;
export type AuthorisationRequest = ns.v1.AuthorisationRequest;
export type AuthorisationResponse = ns.v1.AuthorisationResponse;
export type Ack = ns.v1.Ack;
export type StationConfig = ns.v1.StationConfig;
export type Command = ns.v1.Command;
export type Birth = ns.v1.Birth;
export type Death = ns.v1.Death;
export type Telemetry = ns.v1.Telemetry;
export type EnrolmentRequest = ns.v1.EnrolmentRequest;
export {
  encodeReleaseManifest,
  encodeReleaseSignature,
  isSafeReleasePath,
  parseReleaseManifest,
  parseReleaseSignature,
  type ReleaseArch,
  type ReleaseDifference,
  type ReleaseEntry,
  type ReleaseFile,
  type ReleaseManifest,
  type ReleaseSignature,
  releaseArches,
  releaseListingDifferences,
  releaseManifestDigest,
  releaseManifestFormat,
  releaseManifestName,
  releaseSignatureAlgorithm,
  releaseSignatureFormat,
  releaseSignatureName,
  releaseTimestamp,
  verifyReleaseSignature,
} from './release-manifest.js';
