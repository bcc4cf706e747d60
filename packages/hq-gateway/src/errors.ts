// The one registry of HQ error and outcome codes (STYLE.md "Errors: three kinds"). Codes are
// stable, prefixed HQ_, never reused; every one has a line in docs/errors/hq-gateway.md (a test
// keeps the two equal) and a test that triggers it.

export const hqCodes = {
  // Quarantine reasons: an incoming message refused at the edge, kept with its raw bytes.
  HQ_TOPIC_UNKNOWN: 'a message arrived on a topic outside the station topic tree',
  HQ_MESSAGE_OVERSIZED: 'a message is larger than messageBytesMax',
  HQ_ENVELOPE_DECODE_FAILED: 'the outer envelope or the signed header is not valid protobuf',
  HQ_STATION_UNKNOWN: 'the topic names a station that is not enrolled',
  HQ_SIGNATURE_INVALID: "the signature does not verify against the station's enrolled key",
  HQ_KEY_UNKNOWN: "the signed header names a key id other than the station's enrolled key",
  HQ_STATION_MISMATCH: "the station id in the signed header differs from the topic's station",
  HQ_VERSION_UNSUPPORTED: 'the envelope carries a wire version HQ does not know',
  HQ_PAYLOAD_TYPE_UNEXPECTED: 'the payload type is not allowed on this topic',
  HQ_BODY_DECODE_FAILED: 'the payload body is not valid protobuf for its type',
  HQ_SEQ_INVALID: 'a journaled event has seq 0, or a status message has a non-zero seq',
  HQ_REPLAY_EVENT_ID: 'the event id is already held with other bytes (a replay or forgery): not stored again',
  HQ_REPLAY_SEQ: "the station's sequence number is already used by another stored event",
  // Discrepancies: a stored event whose claims the core-ledger rules contradict.
  HQ_DISCREPANCY_QUOTA_MISMATCH: "the kiosk's quota balance after the event differs from HQ's",
  HQ_DISCREPANCY_QUOTA_OVERDRAWN: 'the event takes the station quota below zero (R2)',
  HQ_DISCREPANCY_FEE_MISMATCH: 'the fee charged differs from the fee schedule in force (R5, R6)',
  HQ_DISCREPANCY_HOLD_UNKNOWN: 'a withdrawal is posted, voided or reversed without a known authorisation',
  HQ_DISCREPANCY_AMOUNT_MISMATCH: 'a withdrawal posted for an amount other than the one authorised',
  HQ_DISCREPANCY_LEDGER_REFUSED: 'the core ledger refuses the event (its code is in the details)',
  HQ_DISCREPANCY_CHAIN_BROKEN:
    'an event links to an envelope other than the one HQ stored for the seq before it (a forked or rolled-back kiosk journal)',
  // Gaps: sequence numbers not (yet) received.
  HQ_SEQ_GAP: 'a station skipped sequence numbers; the gap is recorded until filled',
  // Reconciliation of a received daily close against the HQ store (R8).
  HQ_RECON_DIFFERENCE: 'a daily close differs from the HQ store (each difference carries its ledger code)',
  // Station status (logged, stored in the stations table, shown by `hq status`).
  HQ_STATION_SILENT:
    'nothing (birth, telemetry, event) was heard from an online station for longer than the silence window: marked offline (silence)',
  // Bank simulator outcomes (business outcomes: returned, never thrown).
  HQ_BANK_PIN_WRONG: 'the PIN in the PIN block does not match the card',
  HQ_BANK_PIN_BLOCK_INVALID: 'the PIN block cannot be decrypted or decoded',
  HQ_BANK_KEY_NOT_ACTIVE:
    'the PIN block names a working key whose KCV the kiosk has not confirmed (no answer yet, or a different KCV: R24)',
  HQ_BANK_INSUFFICIENT_FUNDS: 'the account balance does not cover amount + fee',
  HQ_BANK_DAILY_LIMIT: "the withdrawal would exceed the card's daily limit",
  HQ_BANK_ACCOUNT_UNKNOWN: 'no account for this card',
  HQ_BANK_AMOUNT_INVALID: 'the amount is not a positive integer number of fen',
  HQ_BANK_HOLD_UNKNOWN: 'no hold with this id at the bank',
  // HQ's own R5 limit checks on an authorisation request, before the bank (business outcomes).
  HQ_AUTH_OVER_TRANSACTION_LIMIT: "the amount is above the station config's per-transaction limit",
  HQ_AUTH_OVER_CARD_DAILY_LIMIT:
    "the card's withdrawals today would exceed the config's per-card daily limit",
  HQ_AUTH_OVER_STATION_DAILY_LIMIT: "the station's withdrawals today would exceed the config's daily limit",
  // Operating errors (thrown as HqError).
  HQ_CONFIG_INVALID: 'the HQ config file has unknown keys, bad types or missing values',
  HQ_FILE_UNREADABLE: 'a file named in the config or on the command line cannot be read',
  HQ_KEY_INVALID: 'a key file or PEM is not a P-256 key of the expected kind',
  HQ_ENROLMENT_INVALID: 'an enrolment request has missing or malformed fields',
  HQ_ENROLMENT_SIGNATURE_INVALID: 'an enrolment request is not signed by the key it enrols',
  HQ_STATION_KEY_CONFLICT: 'the station is already enrolled with a different key',
  HQ_STATION_NOT_FOUND: 'the command names a station that is not enrolled',
  HQ_QUOTA_PURCHASE_REFUSED: 'a quota purchase is refused by the ledger rules (R3: at least 50000 fen)',
  HQ_STORE_FAILED: 'the store could not read or write',
  HQ_MQTT_FAILED: 'the MQTT link failed',
  HQ_VERIFY_POOL_FAILED: 'a signature-verification worker failed',
  HQ_CLI_USAGE: 'unknown command or flag, or a missing or malformed flag value',
  HQ_CARD_KEY_CHANGED:
    "the card-key secret differs from the last run's: the day's per-card R5 tally cannot match its earlier approvals",
  HQ_COMMIT_THREAD_FAILED:
    'the thread that commits ingest batches stopped: nothing can be stored, so the gateway stops',
  HQ_AUDIT_SIGNATURE_INVALID:
    '`hq audit signatures` found a stored event whose own signature or stored hash does not verify',
  // Issue 8/9 (integrity): provenance, HQ's clock, containment, freshness, enrolment proof.
  HQ_DISCREPANCY_QUOTA_PURCHASE_UNKNOWN:
    'a QuotaPurchaseApplied names no quota purchase HQ recorded for that station and amount (R3): no quota is credited',
  HQ_DISCREPANCY_WITHDRAWAL_UNAUTHORISED:
    'a WithdrawalAuthorised or WithdrawalPosted matches no authorisation HQ granted (request id, amount, card token, station): no hold, no revenue',
  HQ_DISCREPANCY_CLOCK_SKEW:
    "a kiosk timestamp lies further from HQ's receive time than clockSkewMsMax (ahead for events, either way for live messages)",
  HQ_QUOTA_PURCHASE_CONFLICT:
    'a quota purchase names a receipt reference HQ already recorded with another station or amount',
  HQ_STATUS_REPLAYED:
    "a birth or death that is not fresh (old bdSeq, older than the station's last status, or a signature already seen): status unchanged",
  HQ_STATION_SUSPENDED:
    'the station broke a per-station bound and is suspended: its messages are quarantined until an operator resumes it',
  HQ_SEQ_TOO_FAR_AHEAD: "a journaled event's seq lies more than seqAheadMax above the station's ack point",
  HQ_QUARANTINE_DROPPED:
    'the quarantine reached its bound (per station or in total): the oldest rows were dropped and counted',
  HQ_ENROLMENT_PROOF_MISSING:
    'an enrolment request carries no proof (an EnrolmentRequest envelope signed by the key it enrols)',
  HQ_INTERNAL_ERROR:
    'an error that carries no HQ code (a bug or an unexpected library failure): reported under this code with its message, never as a store failure',
  HQ_MQTT_MESSAGE_OVERSIZED:
    'the MQTT link dropped a message larger than mqttPayloadBytesMax before decoding it: counted and logged with its SHA-256, topic and size',
  HQ_MQTT_RETAINED_UP:
    'the MQTT link ignored a retained message on a station up-topic (the broker replays it on every new subscription): counted and logged with its SHA-256',
  HQ_DISCREPANCY_HOLD_EXPIRED:
    "a WITHDRAWAL_POSTED reached HQ after the hold HQ granted expired on HQ's clock (grant time + holdExpiryMs): stored, recorded as a discrepancy",
  HQ_STATION_NOT_SUSPENDED:
    '`hq station resume` names an enrolled station that is not suspended: nothing is changed',
  HQ_STATION_REFUSING:
    "a kiosk's telemetry says it refuses new business for its own hardware (AGENT_TX_DISK_LOW, AGENT_TX_CLOCK_SKEW): an alert, once per new code",
  HQ_AUTH_RATE_LIMITED:
    'a station sent authorisation requests faster than its per-station limit: declined before the bank (STATION_NOT_ALLOWED), counted, an alert once per burst',
  HQ_STORE_KIND_UNKNOWN: "the config's store.kind is neither 'sqlite' nor 'postgres'",
  HQ_MIGRATION_CHANGED:
    'a PostgreSQL migration already applied to the database differs from its file (checksum): refused, nothing applied',
  HQ_MIGRATION_UNKNOWN:
    'the database records a migration this HQ does not have (a newer release migrated it): refused, nothing applied',
  HQ_MIGRATION_INVALID: 'a migration file is misnamed or its number is used twice: refused, nothing applied',
  HQ_MIGRATION_FAILED: 'a migration could not be applied: its transaction was rolled back',
  // Issue 11 (the station network, R12-R19, R22, R23): the operations log and its refusals.
  HQ_OPS_VERSION_CONFLICT:
    "an operation was appended with an expected version other than its aggregate's current one (another writer came first): nothing written",
  HQ_OPS_IDEMPOTENCY_CONFLICT:
    'an operation reuses an idempotency key already recorded with other content: nothing written',
  HQ_OPS_RECORD_INVALID:
    'an operation record has a missing or malformed field (aggregate, version, kind, actor, instant)',
  HQ_NET_FIELD_INVALID: 'a network command has a missing or malformed field (the field is named)',
  HQ_NET_NOT_FOUND: 'the command names a station, ticket, complaint or run that has no record',
  HQ_NET_ALREADY_EXISTS:
    'the command would create a station, branch, ticket, complaint or run that already exists',
  HQ_NET_TRANSITION_ILLEGAL:
    'the step is not allowed from the current state (the state and the allowed ones are named)',
  HQ_NET_TOO_CLOSE:
    'R12: the site lies within 2 km of a postal branch or another station (each is listed with its distance)',
  HQ_NET_PREMISES_TOO_SMALL: 'R13: the premises are smaller than 10 m²',
  HQ_NET_TERMINAL_SPACE_TOO_SMALL: 'R13: less than 1 m² for the terminal and its display',
  HQ_NET_SIGNAGE_SPACE_MISSING: 'R13: no outdoor space for the signage',
  HQ_NET_COMMUNICATION_LINE_MISSING: 'R13: no working communication line',
  HQ_NET_TRADING_TOO_SHORT: 'R13: the shop has traded lawfully for less than 6 months',
  HQ_NET_DOCUMENTS_MISSING: 'R14/R22: the application lacks a required document (business licence, ID)',
  HQ_NET_AGREEMENT_COPIES: 'R14: the agreement is signed in other than three copies',
  HQ_NET_FREE_PLACES_EXHAUSTED:
    'R14: all 140 free places are taken: the station pays the platform fee or switches from a competitor',
  HQ_NET_ORG_CODE_IMMUTABLE:
    'R15: a change names an org code other than the one issued: the org code never changes',
  HQ_NET_SURVEY_FAILED_RECORDED:
    'R12/R13/R22: the failed survey is recorded all the same: the station is rejected and its application ends (its findings are the other problems)',
  HQ_NET_CALENDAR_YEAR_MISSING:
    'a deadline falls in a year with no calendar file (data/calendar/cn-YYYY.json): never guessed',
  HQ_NET_NOT_OPEN:
    'R4: the station has no org code and quota account yet (not open), or is suspended or closed',
  HQ_COMPLAINT_WRITTEN_ANSWER_REQUIRED: 'R23: a written complaint gets a written answer',
  HQ_COMMISSION_STATISTICS_LATE:
    "R11/R16: a branch's monthly statistics for the month were not submitted: its insurance and distribution lines are missing from the run",
  // Issue 11 (HTTP API): requests, users, sessions, audit, alerts, station control.
  HQ_HTTP_REQUEST_INVALID:
    'an HTTP request body, path parameter or query fails its JSON schema (every problem listed, field named): nothing is written',
  HQ_HTTP_ROUTE_NOT_FOUND: 'no HTTP route with this method and path',
  HQ_AUTH_REQUIRED: 'the HTTP request carries no bearer session token, or one that is unknown or expired',
  HQ_AUTH_FAILED: 'a login names an unknown user or a wrong password (the answer does not say which)',
  HQ_LOGIN_RATE_LIMITED:
    'too many login attempts for this user or from this address within the window: refused without checking the password',
  HQ_FORBIDDEN:
    "the user's role may not use this route (a branch user's view of another branch's station is HQ_STATION_NOT_FOUND)",
  HQ_USER_INVALID: 'a user to add has a bad name, role, branch or password (every problem listed)',
  HQ_USER_EXISTS: 'a user with this name already exists',
  HQ_ALERT_NOT_FOUND: "the alert named does not exist (or lies outside the user's branch)",
  HQ_ALERT_STATION_OFFLINE:
    'alert: an enrolled station is offline (its last will, or silent beyond the silence window)',
  HQ_ALERT_PERIPHERAL_FAULTY:
    "alert: a station's telemetry reports a faulty peripheral (card reader, PIN pad, printer, key)",
  HQ_ALERT_QUOTA_LOW: "alert: a station's credit quota is below the low-quota threshold (R2, R3)",
  HQ_ALERT_DISCREPANCY: 'alert: new discrepancies were recorded for a station since its last alert',
  HQ_ALERT_QUARANTINE_SPIKE:
    'alert: more messages were quarantined within the spike window than quarantineSpikeCountMin',
  HQ_ALERT_DELIVERY_FAILED:
    'the alert webhook refused or did not answer every attempt (alertDeliveryAttemptsMax): delivery state failed, kept',
  HQ_AUDIT_CHAIN_BROKEN:
    'the audit log hash chain does not verify: a row was changed, removed, inserted or reordered (the first broken row is named)',
  HQ_STATION_SUSPENDED_BY_OPERATOR:
    'an operator suspended the station (who, when, why recorded): its messages are quarantined until resumed',
  HQ_STATION_KEY_REVOKED:
    "an operator revoked the station's enrolled key: its messages are quarantined and a resume is refused (a new key must be enrolled)",
  // --- R8 账实相符: report = real cash and bank settlement (domain/reality-check.ts) ---
  HQ_RECON_BANK_MISSING:
    "HQ holds a posted withdrawal that the bank's settlement for that station and day does not list (R8 账实相符)",
  HQ_RECON_HQ_MISSING:
    "the bank's settlement lists a posted withdrawal of the station and day that HQ does not hold as posted (R8 账实相符)",
  HQ_RECON_BANK_AMOUNT_DIFFERS:
    'a withdrawal posted at HQ and settled by the bank under the same request id, for another amount or fee (R8 账实相符)',
  HQ_RECON_CASH_SHORT:
    "the cash the station declared at the close is less than the day's expected cash (bills and top-ups in, withdrawals out, declared float; R8 账实相符)",
  HQ_RECON_CASH_OVER:
    "the cash the station declared at the close is more than the day's expected cash (R8 账实相符)",
  HQ_RECON_CASH_DECLARED_TWICE:
    'a second drawer count for a business day reached HQ: the first counts, the second is recorded and not used (R8)',
  HQ_RECON_CASH_UNCHECKABLE:
    "the day's expected cash cannot be summed as a safe integer (or the count is not whole fen): the declared cash is not checked, recorded (R1, R8)",
  // --- remote key loading, R24 (issue 13: cli/commands/working-key.ts) ---
  HQ_KEY_COMPONENTS_INVALID:
    'a TMK components file is unreadable, too large, or not 2-3 distinct components of 32 hex digits',
  HQ_KEY_NO_TMK:
    'the HSM stand-in has no TMK for the station: a working key cannot be wrapped (run hq key tmk)',
  // Issue 13: `hq release publish` (cli/commands/release-publish.ts); nothing is recorded on any of these.
  HQ_RELEASE_BUNDLE_UNREADABLE:
    'the release bundle is not a folder with manifest.json and manifest.sig, or cannot be read',
  HQ_RELEASE_MANIFEST_INVALID:
    "the bundle's manifest.json is malformed (a field is missing, unsafe or of the wrong form)",
  HQ_RELEASE_SIGNATURE_INVALID:
    "the bundle's manifest.sig is malformed or does not verify over manifest.json (a changed manifest)",
  HQ_RELEASE_KEY_UNKNOWN: 'the bundle is signed by a key that is not a trusted HQ release key',
  HQ_RELEASE_FILE_TAMPERED: "a bundle file's size or SHA-256 differs from the signed manifest",
  HQ_RELEASE_FILE_MISSING: 'a file the signed manifest lists is not in the bundle',
  HQ_RELEASE_FILE_UNEXPECTED:
    'the bundle holds a file the manifest does not list, or a symlink or special file',
  HQ_RELEASE_VERSION_CONFLICT:
    'another bundle with a different manifest is already published under this version and arch',
  // Release rollouts (issue 13, domain/rollout/rollout.ts): business refusals returned as values.
  HQ_ROLLOUT_FIELD_INVALID: 'a rollout command has a missing or malformed field (the field is named)',
  HQ_ROLLOUT_ALREADY_EXISTS: 'a rollout with this id already exists',
  HQ_ROLLOUT_NOT_FOUND: 'the command names a rollout that has no record',
  HQ_ROLLOUT_TRANSITION_ILLEGAL:
    'the rollout is not in a status that allows this command (e.g. resume a running rollout)',
  HQ_ROLLOUT_STATION_NOT_TARGETED:
    'a progress report names a station outside the rollout or one not yet offered the release',
  HQ_ROLLOUT_PROGRESS_BACKWARDS:
    "a progress report would move a station back (or out of a final state): refused, the station's progress stays",
  HQ_ROLLOUT_RELEASE_UNKNOWN:
    'hq release rollout create names a release that `hq release publish` has not recorded in the release store',
  // The HQ console (issue 12): its live stream and its static files.
  HQ_LIVE_BUSY: 'the live event stream already serves liveConnectionsMax connections: try again later',
  HQ_CONSOLE_MISSING: 'the console directory given to the gateway holds no built console (index.html)',
  // Alert handling (issue 12): assignment and closure, kept in the operations log (aggregate alert:<id>).
  HQ_ALERT_CLOSED: 'the alert is closed (who, when, why recorded): it cannot be assigned or closed again',
  HQ_ALERT_ASSIGNEE_UNKNOWN:
    "an alert is assigned to a user who does not exist or may not see the alert's station (another branch)",
  // Rollouts on the wire (issue 13, app/rollout-wire.ts): a kiosk's signed progress report refused.
  HQ_ROLLOUT_RELEASE_MISMATCH:
    "a station's OTA progress names another release than the one its rollout offers (a report replayed from another rollout)",
  HQ_ROLLOUT_STOPPED:
    'an alert: a rollout stopped at its error threshold after kiosks rolled back or failed (logged with the group and count)',
  // Issue 13: releases, station groups and rollouts on the HTTP API (adapters/http/rollout-routes.ts).
  HQ_ROLLOUT_TARGET_UNKNOWN:
    'a rollout target names a station, branch office or saved station group HQ does not know (every one listed)',
  HQ_STATION_GROUP_NOT_FOUND: 'the saved station group named does not exist',
  HQ_RELEASE_NOT_CONFIGURED:
    'this HQ process has no release store, inbox or trusted release key configured: it cannot publish releases',
  HQ_RELEASE_NOT_FOUND: 'the release named has not been published',
  // Issue 13, R24: the working key's check value as the kiosk's PIN pad reports it (app/working-key-check.ts).
  HQ_KEY_KCV_MISMATCH:
    "the KCV the kiosk reports after loading a working key differs from the HSM's KCV of that key: recorded as a discrepancy, alerted, the key is not activated",
  HQ_KEY_LOAD_FAILED:
    'the kiosk reports that loading a working key failed (its own code in the detail): recorded, the key is not activated',
  HQ_ALERT_KEY_KCV_MISMATCH:
    "alert: a kiosk reported a working key's check value that differs from the HSM's (a lying or broken PIN pad, or a substituted key)",
  HQ_NATS_FAILED: 'the NATS link (JetStream up traffic, partition ownership) failed',
  HQ_NATS_WRONG_PARTITION:
    'a message on a partition subject names a station the mapping puts on another partition',
  HQ_QUOTA_STATION_NOT_OPEN:
    'a quota purchase for a station whose network lifecycle exists and is not open (R4): refused, nothing recorded',
  HQ_DISCREPANCY_STATION_NOT_OPEN:
    'a business event from a station whose network lifecycle is not open (R4): stored as received, recorded as a discrepancy and alerted',
  HQ_ENROLMENT_KEY_REVOKED: 'the key in the enrolment request was revoked: a revoked key never serves again',
  HQ_REENROL_REFUSED:
    'a re-enrolment is for a station whose key is revoked, with the same station id and org code (R15) and a new key',
  HQ_RELEASE_RANGE_INVALID:
    'a request for an OTA pack has no single satisfiable byte range (bytes=FROM-[TO] within the pack): 416',
} as const;

export type HqCode = keyof typeof hqCodes;

export function isHqCode(value: string): value is HqCode {
  return Object.hasOwn(hqCodes, value);
}

export interface HqProblem {
  readonly code: HqCode;
  /** The field or flag at fault, when there is one. */
  readonly field?: string;
  readonly message: string;
}

/** Operating error: thrown with a stable code, the original error as `cause`, and safe details. */
export class HqError extends Error {
  readonly code: HqCode;
  readonly details: Readonly<Record<string, unknown>>;
  /** Every problem found, all at once (R21), when the error reports several. */
  readonly problems: readonly HqProblem[];

  constructor(
    code: HqCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown>; problems?: readonly HqProblem[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HqError';
    this.code = code;
    this.details = options.details ?? {};
    this.problems = options.problems ?? [{ code, message }];
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      details: this.details,
      problems: this.problems,
    };
  }
}
