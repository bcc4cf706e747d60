// The one error-code registry of @bianmin/device-agent (STYLE.md "Errors"). Every code is prefixed
// AGENT_, never reused, and has a line in docs/errors/device-agent.md. Builders append their own
// block of codes (AGENT_SERIAL_*, AGENT_CARD_*, AGENT_PINPAD_*, …); never remove or rename one.

export const agentErrorCodes = {
  // --- serial link and frames (src/domain/serial, src/adapters/serial) ---
  AGENT_SERIAL_OPEN_FAILED: 'the serial device could not be opened (path missing, permission, busy)',
  AGENT_SERIAL_NOT_CONNECTED: 'a command was refused because the serial link is not open',
  AGENT_SERIAL_DISCONNECTED: 'the serial link was lost while the command was queued or in flight',
  AGENT_SERIAL_TIMEOUT: 'the device did not give a final answer within the command timeout',
  AGENT_SERIAL_QUEUE_FULL: 'the command queue of the serial driver is full',
  AGENT_SERIAL_RETRIES_EXHAUSTED: 'the device NAKed or ignored the request more often than allowed',
  AGENT_SERIAL_LINE_TOO_LONG: 'a received line exceeded the line length cap and was discarded',
  AGENT_SERIAL_FRAME_MALFORMED: 'a received line is not a frame (layout, sequence, command or field)',
  AGENT_SERIAL_FRAME_CRC: 'a received frame failed its CRC-16 check and was not acted on',
  AGENT_SERIAL_DEVICE_ERROR: 'the device answered ERROR with a code the driver does not map',
  AGENT_SERIAL_BAD_RESPONSE: 'the device answered with missing or invalid fields',
  AGENT_SERIAL_STOPPED: 'the driver was stopped while the command was queued or in flight',
  AGENT_SERIAL_HEARTBEAT_MISSED: 'heartbeats went unanswered: the link is treated as dead and reopened',
  AGENT_SERIAL_SESSION_FAILED:
    'the device did not confirm the session start (OPEN unanswered or answered ERROR): link reopened',
  AGENT_SERIAL_SESSION_MISMATCH:
    'the device answered OPEN without echoing our session nonce: not trusted, the link is reopened',
  // --- card reader (src/adapters/serial/card-reader-driver.ts) ---
  AGENT_CARD_NO_CARD: 'the reader has no card to read or eject',
  AGENT_CARD_WAIT_TIMEOUT: 'no card was inserted within the wait time',
  AGENT_CARD_READ_FAILED: 'the reader could not read the card',
  AGENT_CARD_BAD_DATA: 'the card data is invalid (PAN fails Luhn, bad expiry or service code)',
  // --- PIN pad (src/adapters/serial/pin-pad-driver.ts, src/domain/pin) ---
  AGENT_PINPAD_CANCELLED: 'the customer cancelled PIN entry (or the agent did)',
  AGENT_PINPAD_ENTRY_TIMEOUT: 'the customer did not finish PIN entry in time',
  AGENT_PINPAD_NO_KEY: 'the PIN pad has no TMK or TPK loaded',
  AGENT_PINPAD_KCV_MISMATCH: 'a key check value does not match the expected one',
  AGENT_PINPAD_TAMPERED: 'the PIN pad reported tamper and erased its keys',
  AGENT_PINPAD_BUSY: 'a PIN entry is already in progress',
  AGENT_PINPAD_BAD_KEY: 'a key or key component is invalid (length, hex, parity of the set)',
  // --- UK key / PKCS#11 signer (src/domain/token, src/adapters/pkcs11) ---
  AGENT_TOKEN_MODULE_LOAD_FAILED:
    'the PKCS#11 module could not be loaded or initialised (path wrong, library broken)',
  AGENT_TOKEN_NOT_PRESENT:
    'no token with the configured label/serial is present: pulled out, or the session was lost',
  AGENT_TOKEN_KEY_NOT_FOUND: 'the token has no private signing key with the configured label',
  AGENT_TOKEN_KEY_EXISTS:
    'a key with the configured label already exists on the token; it is never overwritten',
  AGENT_TOKEN_PIN_UNAVAILABLE:
    'the user PIN could not be read from its configured file or environment variable',
  AGENT_TOKEN_PIN_REJECTED:
    'the token rejected the user PIN once; no further login is tried until reconfigured',
  AGENT_TOKEN_PIN_LOCKED: 'the token reports the user PIN locked (or expired); login is never attempted',
  AGENT_TOKEN_PIN_FINAL_TRY: 'the token reports one PIN try left; login is refused so the token cannot lock',
  AGENT_TOKEN_PIN_COUNT_LOW:
    'the token reports failed PIN attempts; login is refused so the token cannot lock',
  AGENT_TOKEN_NOT_INITIALIZED: 'the token, or its user PIN, is not initialised',
  AGENT_TOKEN_SIGN_FAILED: 'the token failed to sign for a reason other than token loss',
  AGENT_TOKEN_BAD_DIGEST: 'the digest to sign is not exactly 32 bytes (SHA-256)',
  AGENT_TOKEN_BAD_PUBLIC_KEY: 'the public key on the token is not an uncompressed P-256 point',
  AGENT_TOKEN_CLOSED: 'the signer was closed; nothing more is signed',
  // --- device config (src/config) ---
  AGENT_CONFIG_FILE_MISSING: 'the config file does not exist or cannot be read',
  AGENT_CONFIG_NOT_JSON: 'the config file is not valid JSON (or is too large)',
  AGENT_CONFIG_UNKNOWN_KEY: 'the config has a key that is not in the schema (most often a typo)',
  AGENT_CONFIG_BAD_TYPE: 'a config value has the wrong type',
  AGENT_CONFIG_BAD_VALUE: 'a config value has the right type but an invalid value (range, format, choice)',
  AGENT_CONFIG_MISSING_KEY: 'a required config key is absent',
  AGENT_CONFIG_MQTT_BROKERS:
    'the config gives neither or both of mqtt.url and mqtt.urls (exactly one names the brokers)',
  AGENT_CONFIG_PATH_MISSING: 'a file or device the config names does not exist or cannot be read',
  AGENT_CONFIG_PATH_UNREACHABLE:
    'the directory a path lives or will be created in does not exist or is not writable',
  // --- kiosk CLI (src/cli) ---
  AGENT_CLI_UNKNOWN_COMMAND: 'the command is not one the kiosk CLI knows',
  AGENT_CLI_BAD_FLAG: 'a flag is unknown, lacks its value, or is given a value it does not take',
  AGENT_CLI_MISSING_ARGUMENT: 'a required argument or flag is missing',
  AGENT_CLI_BAD_ARGUMENT: 'an argument has an invalid value',
  AGENT_CLI_NOT_A_TTY: 'a hidden prompt was needed but standard input is not a terminal',
  AGENT_CLI_PERIPHERAL_FAILED: 'a peripheral self-test or key load did not complete',
  // --- kiosk doctor (src/cli/doctor) ---
  AGENT_DOCTOR_CONFIG_INVALID: 'the device config has problems; checks that need the broken part are skipped',
  AGENT_DOCTOR_SERIAL_FAILED: 'a serial device did not answer identify or heartbeat',
  AGENT_DOCTOR_TOKEN_FAILED: 'the token is absent, the key unusable, or a test signature did not verify',
  AGENT_DOCTOR_BROKER_UNREACHABLE: 'the MQTT broker did not accept a TCP connection within the timeout',
  AGENT_DOCTOR_BROKER_TLS_FAILED: 'the TLS handshake with the broker failed',
  AGENT_DOCTOR_CLOCK_BEHIND: 'the clock is before the build date: never set, or its battery died',
  AGENT_DOCTOR_CLOCK_AHEAD: 'the clock is absurdly far ahead of the build date',
  AGENT_DOCTOR_DISK_LOW: 'free disk space in the journal directory is below the limit',
  AGENT_DOCTOR_JOURNAL_BROKEN: 'the journal failed its integrity check',
  // --- journal, outbox, MQTT link, operator API, transactions (src/domain/{journal,outbox,tx}, src/adapters/{sqlite,mqtt,operator-api}, src/agent.ts) ---
  AGENT_JOURNAL_CHAIN_BROKEN:
    'the journal hash chain is broken (a row changed, removed or reordered): the agent refuses to start',
  AGENT_JOURNAL_UNREADABLE: 'the journal database could not be opened or read',
  AGENT_OUTBOX_GAP: 'the outbox does not hold every unacknowledged event seq the journal says it should',
  AGENT_ACK_BEYOND_HEAD: 'HQ acknowledged a seq the kiosk never stored; the ack is ignored',
  AGENT_ACK_TIMEOUT: 'events in flight got no ack in time; the window is sent again',
  AGENT_DOWNLINK_STALLED:
    'a down channel stayed silent while the kiosk awaited its answer (ack, authorisation response); the down subscriptions are renewed',
  AGENT_DOWNLINK_RENEW_FAILED:
    'renewing the down subscriptions was refused (SUBACK 0x80), failed or got no answer in time; tried again after a longer wait',
  AGENT_LINK_ERROR: 'the MQTT client reported an error; the link reconnects with backoff',
  AGENT_LINK_CLOSED: 'the MQTT connection closed; the link reconnects with backoff',
  AGENT_LINK_OFFLINE: 'the MQTT client went offline; the link reconnects with backoff',
  AGENT_LINK_SIGN_FAILED: 'the death (last will) message could not be signed; the connect attempt is retried',
  AGENT_LINK_PUBLISH_FAILED: 'a publish failed; journaled events are resent from the outbox',
  AGENT_DOWN_MALFORMED: 'a message from HQ could not be decoded; it is dropped with a log line',
  AGENT_DOWN_BAD_SIGNATURE: 'a message from HQ is unsigned, signed by an unpinned key, or badly signed',
  AGENT_DOWN_WRONG_STATION: 'a message from HQ addresses another station',
  AGENT_HQ_CONFIG_REFUSED:
    'an HQ config was refused (bad signature, older version, wrong station); the last good one stays',
  AGENT_OPERATOR_UNAUTHORISED: 'an operator API request had no or a wrong operator token',
  AGENT_OPERATOR_BAD_FIELD:
    'an operator API body field is missing, of the wrong type or out of range (the field is named)',
  AGENT_OPERATOR_BAD_JSON: 'an operator API body is not valid JSON',
  AGENT_OPERATOR_BODY_TOO_LARGE: 'an operator API body is larger than the limit',
  AGENT_OPERATOR_NOT_FOUND: 'no such operator API route or transaction',
  AGENT_OPERATOR_INTERNAL: 'an operator API request failed for an unexpected reason',
  AGENT_TX_NO_CONFIG:
    'no verified HQ config yet (org code, quota account, fees): the station cannot transact (R4)',
  AGENT_TX_OUTSIDE_SERVICE_HOURS:
    "refused: outside the station's service hours or in its maintenance window (R20)",
  AGENT_TX_QUOTA_EXCEEDED: 'refused: the payment would take the station quota below zero (R2)',
  AGENT_TX_OVER_LIMIT: 'refused: the amount is over a configured per-transaction or daily limit',
  AGENT_TX_DUPLICATE_ID: 'refused: the client-made transaction id was already used for different content',
  AGENT_TX_WRONG_PHASE: 'refused: the withdrawal is not in a phase that allows this step',
  AGENT_TX_BUSY: 'refused: another withdrawal is already using the card reader and PIN pad',
  AGENT_TX_CARD_FAILED: 'the withdrawal stopped: the card could not be read',
  AGENT_TX_PIN_FAILED: 'the withdrawal stopped: PIN entry was cancelled, timed out or failed',
  AGENT_TX_SIGNER_UNAVAILABLE: 'the UK key could not sign: nothing was journaled as sent',
  AGENT_AUTH_TIMEOUT: 'no authorisation answer in time: a reversal is stored and forwarded',
  AGENT_RECOVERY_ABANDONED: 'restart found a withdrawal before its authorisation request: abandoned locally',
  AGENT_RECOVERY_REVERSED:
    'restart found a withdrawal waiting for authorisation: reversal stored and forwarded',
  AGENT_RECOVERY_VOIDED: 'restart found an authorised withdrawal without cash confirmation: voided',
  AGENT_CLOSE_NOTHING_NEW: 'the business day was already closed',
  AGENT_TX_HOLD_REFUSED:
    'the bank approved but core-ledger refused the hold (a limit changed meanwhile): reversed at once',
  // --- HQ commands on down/cmd (src/agent.ts) ---
  AGENT_CMD_REFUSED:
    'an HQ command was refused (expired, unsupported, or asks for outbox rows already deleted)',
  AGENT_CMD_FAILED: 'an HQ command was accepted but could not be carried out',
  // --- fee-schedule history and R6 notice at the kiosk (src/app/hq-inbox.ts, src/domain/tx/fee-history.ts) ---
  AGENT_FEE_SCHEDULE_REFUSED:
    'an HQ config changes the fee schedule against R6 (notice, calendar, version): refused, the last good config stays',
  AGENT_FEE_SCHEDULE_CHANGED:
    'an HQ config carries a fee schedule version the kiosk knows with other content',
  AGENT_FEE_SCHEDULE_NOT_ANNOUNCED: 'an HQ config adds a fee schedule version without its announcement time',
  AGENT_CALENDAR_UNAVAILABLE:
    'a working-day calendar file or folder could not be read: fee-schedule changes needing it are refused',
  // --- hardware faults: damaged store, full disk, wrong clock (issue 9; src/adapters/sqlite, src/domain/health) ---
  AGENT_STORE_SQLITE_CORRUPT:
    "SQLite's own check (quick_check at start-up, integrity_check in doctor) failed, the schema is not ours, or an index disagrees with its table: the agent refuses to start",
  AGENT_STORE_OUTBOX_MISMATCH:
    'an outbox row differs from the event the journal holds for its seq: the agent refuses to start (repair rebuilds the outbox from the journal)',
  AGENT_STORE_META_MISMATCH:
    'a counter or chain head in meta differs from what the journal derives, or the seal over the other meta is broken: the agent refuses to start',
  AGENT_STORE_WRITE_FAILED:
    'a write to the journal database failed (disk full, I/O error): nothing was committed; the agent stays up and retries',
  AGENT_STORE_CHECKPOINT_FAILED: 'a WAL checkpoint failed (disk full, I/O error); it is retried with backoff',
  AGENT_TX_DISK_LOW:
    'refused: free space on the journal file system is below the configured reserve (or the last write failed)',
  AGENT_TX_CLOCK_SKEW:
    "refused: the kiosk's clock is known to be wrong by more than the configured skew (measured against HQ)",
  AGENT_DOCTOR_CLOCK_SKEW: "the kiosk's last measured drift against HQ is beyond the configured skew",
  AGENT_STORE_REPAIR_REFUSED:
    '`kiosk repair` refused: the journal itself is damaged (hash chain broken, pages SQLite cannot fix, events with no copy); HQ-assisted recovery',
  // --- secrets and file modes at start (src/config/secret-files.ts, src/main.ts) ---
  AGENT_SECRET_FILE_EXPOSED:
    'a secret file (token PIN, operator token, card-token key, broker password, TLS key) is readable by group/others or owned by another user: the agent refuses to start',
  // --- drawer count at the close, R8 账实相符 (src/app/cash-declaration.ts) ---
  AGENT_CASH_ALREADY_DECLARED:
    "the business day's cash was already declared: a count is declared once and never changed",
  AGENT_CASH_COUNT_INVALID: 'a drawer count (or float) is not whole fen from 0 to cashFenDeclaredMax (R1)',
  // --- supervision under systemd (issue 13: src/app/supervisor.ts, src/adapters/systemd/) ---
  AGENT_NOTIFY_FAILED:
    'the sd_notify channel to systemd (a socat child on NOTIFY_SOCKET) could not start or died: no more READY/WATCHDOG, so systemd restarts the agent',
  AGENT_WATCHDOG_LOOP_STUCK:
    'a loop of the agent (broker link, card reader, PIN pad) sat in a transient state past its limit: watchdog pings stop and systemd restarts the agent',
  // --- an honest doctor (issue 13: src/cli/doctor/) ---
  AGENT_DOCTOR_BROKER_REFUSED:
    'the broker refused an MQTT session with the configured credentials (CONNACK return code), or it could not be set up',
  AGENT_DOCTOR_HQ_CONFIG_MISSING: "no HQ-signed config is retained on the station's down/config topic",
  AGENT_DOCTOR_HQ_CONFIG_UNVERIFIED:
    'the retained config does not verify against the pinned HQ key, or is addressed to another station',
  AGENT_DOCTOR_PERIPHERAL_MISMATCH:
    "a serial device's serial number differs from the one recorded at provisioning (a swapped device or cable)",
  AGENT_DOCTOR_CALENDAR_MISSING:
    'the working-day calendar folder does not cover this year (or a file in it is unreadable): the agent refuses every R6 fee-schedule change',
  AGENT_DOCTOR_DATA_FILE_EXPOSED:
    'a journal file is open to others or writable by the group, its directory writable by group or others, or they have different owners',
  AGENT_DOCTOR_AGENT_UNREACHABLE:
    'the operator socket exists but the running agent could not be asked: doctor leaves the ports and the broker session alone',
  // --- OTA (src/domain/ota, src/adapters/ota, src/app/ota-runner.ts; issue 13) ---
  AGENT_OTA_STATE_INVALID:
    'the OTA state file cannot be read or has the wrong shape: OTA stops, the running release keeps running, a technician decides',
  AGENT_OTA_PACK_INVALID:
    'an OTA download is truncated, its frames or manifest are malformed, a path is unsafe, or its size differs from the manifest: refused, discarded, reported failed',
  AGENT_OTA_SIGNATURE_INVALID:
    'an OTA download is not signed by a pinned release key (tampered manifest or another key): refused, discarded, reported failed',
  AGENT_OTA_VERSION_MISMATCH:
    "an OTA download's signed manifest names another version than the offer: refused, discarded, reported failed",
  AGENT_OTA_HASH_MISMATCH:
    'a file in an OTA download differs from its SHA-256 in the signed manifest (tampered payload): refused, discarded, reported failed',
  AGENT_OTA_SLOT_INVALID:
    'a switch names a release slot that is missing or incomplete, or a version that is not a plain slot name: the `current` link is not touched',
  AGENT_OTA_SWITCH_OUTCOME_INVALID:
    'the root switch\'s outcome file (ota.switchVia "unit") is too large or answers the request with ok=1 while `current` names another release: the trial ends failed',
  AGENT_OTA_DOWNLOAD_FAILED:
    'fetching a chunk of an OTA download failed: reported failed (the next offer resumes nothing; the partial download is discarded)',
  // --- OTA on the wire (domain/ota/offer-check.ts, app/ota-link.ts; issue 13) ---
  AGENT_OTA_OFFER_DOWNGRADE:
    'an HQ-signed update offer names a release not newer than the one running: refused (a kiosk never goes back by offer)',
  AGENT_OTA_OFFER_REPLAYED:
    "an HQ-signed update offer's offer_seq is not above the last one accepted (an old offer re-sent): refused",
  AGENT_OTA_OFFER_BUSY:
    'an update offer arrived while another update is between download and verdict: refused',
  AGENT_OTA_OFFER_UNSUPPORTED:
    'an update offer reached a kiosk agent started without OTA (no release slots): refused',
  AGENT_OTA_HEALTH_FAILED:
    'the new release failed its health check (doctor checks, broker session, journal chain) or missed the trial deadline: the kiosk rolled back by itself and reports this with the check that failed',
  // Issue 13: the memory floor (domain/health/memory-pressure.ts).
  AGENT_TX_MEMORY_PRESSURE:
    'refused: the agent is near its memory budget (RSS or V8 heap): new business waits, transactions in flight finish and the journal is kept',
} as const;

export type AgentErrorCode = keyof typeof agentErrorCodes;

/** Operating error of the agent: a stable code, the original error as cause, safe details only. */
export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: AgentErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

export function isAgentError(error: unknown, code?: AgentErrorCode): error is AgentError {
  return error instanceof AgentError && (code === undefined || error.code === code);
}
