// Every named maximum of @bianmin/device-agent (STYLE.md "Assertions and limits"). Units are in the
// names. Builders append their own block; never change another block's value without saying why.

// --- serial link and frames ---
/** Longest line (bytes, newline excluded) the capped line splitter accepts; longer lines are discarded. */
export const serialLineBytesMax = 1024;
/** Most key=value fields in one frame payload. */
export const serialFieldCountMax = 16;
/** Commands waiting behind the one in flight before `send` rejects with AGENT_SERIAL_QUEUE_FULL. */
export const serialQueueCountMax = 16;
/** Requests in flight at once (one exclusive command plus concurrent HEARTBEAT / cancel / eject). */
export const serialInFlightCountMax = 4;
/** Transmissions of one request (first send + retries after NAK or silence). */
export const serialAttemptsMax = 3;
/** Frames a sender keeps to answer a NAK by resending. */
export const serialResendHistoryCountMax = 16;
/** Reopen backoff: first delay and cap (ms); jitter adds up to half the delay. */
export const serialReopenBackoffMsInitial = 100;
export const serialReopenBackoffMsMax = 2000;
/** Consecutive unanswered heartbeats before the link is declared dead and reopened. */
export const serialHeartbeatMissesMax = 2;
/** Longest DISPLAY text in bytes (UTF-8). */
export const serialDisplayTextBytesMax = 64;

// --- PIN pad keys and PIN entry ---
export const pinLengthMin = 4;
export const pinLengthMax = 12;
/** TMK key components the technician may enter (2 or 3). */
export const pinKeyComponentCountMin = 2;
export const pinKeyComponentCountMax = 3;

// --- UK key / PKCS#11 signer ---
/** Background probe for a pulled token: first delay and cap (ms); jitter adds up to a fifth. */
export const tokenProbeBackoffMsInitial = 500;
export const tokenProbeBackoffMsMax = 30_000;
export const tokenProbeJitterRatio = 0.2;
/** A SHA-256 digest, the only input the signer signs. */
export const digestSha256SizeBytes = 32;
/** An ECDSA P-256 signature in raw r||s form. */
export const signatureP256SizeBytes = 64;
/** Largest user-PIN file read; a token PIN is short, a big file is a mistake. */
export const tokenPinFileSizeBytesMax = 256;
/** Objects fetched per C_FindObjects call when looking a key up by label. */
export const tokenFindObjectsCountMax = 16;

// --- device config ---
/** Largest device config file accepted. */
export const configFileSizeBytesMax = 256 * 1024;

// --- kiosk doctor ---
/** TCP connect (and TLS handshake) timeout of the broker check. */
export const doctorBrokerTimeoutMs = 3_000;
/** Timeout of each serial identify / heartbeat in doctor. */
export const doctorSerialTimeoutMs = 3_000;
/** Free bytes in the journal directory below which doctor FAILs, and below which it WARNs. */
export const doctorDiskBytesFreeMin = 200 * 1024 * 1024;
export const doctorDiskBytesFreeWarn = 1024 * 1024 * 1024;
/** How far ahead of the build date the clock may be before doctor calls it absurd (10 years). */
export const doctorClockAheadMsMax = 10 * 365 * 24 * 3600 * 1000;

// --- kiosk CLI ---
/** Largest key-component file for `kiosk keys load`. */
export const keyComponentFileSizeBytesMax = 4 * 1024;
/** Longest wait for a card or a finished PIN entry in `kiosk test`. */
export const cliPeripheralWaitMsMax = 60_000;

// --- journal, outbox, MQTT link, operator API, transactions ---
/** Signed events published and not yet acknowledged by HQ, at most. */
export const outboxInFlightCountMax = 256;
/** Events in flight with no ack progress for this long are sent again (HQ dedupes by event id). */
export const outboxAckTimeoutMs = 10_000;
/** Outbox rows covered by acks are deleted in one commit at most this often. */
export const outboxAckFlushMs = 100;
/** MQTT reconnect backoff: first delay and cap (ms); full jitter over the upper half. */
export const linkBackoffMsInitial = 200;
export const linkBackoffMsMax = 30_000;
/**
 * Brokers a kiosk config may list (mqtt.urls): the nodes of one cluster (issue 14: 3), with room
 * for a second site. The link rotates through them in order.
 */
export const mqttBrokerUrlsMax = 8;
/**
 * Downlink watch (issue 14, domain/outbox/downlink-watch.ts): with an answer awaited (events
 * unacknowledged, an authorisation request unanswered) and nothing heard on its down channel for
 * a wait, the link renews its down subscriptions (unsubscribe + subscribe: on NATS MQTT a QoS 1
 * subscription's consumer can die with a node while the connection lives). Ceiling of the first
 * wait, ms: drawn in [10 s, 20 s], so at least one resend (outboxAckTimeoutMs) comes first and an
 * HQ that is merely slow (a gateway takeover: ~15 s) seldom costs a renewal.
 */
export const downlinkStallMsInitial = 20_000;
/**
 * Ceiling of the later waits, ms (doubling per renewal, jitter over the upper half). Each renewal
 * re-makes the kiosk's JetStream consumers on NATS: with HQ down for an hour, 100,000 kiosks at
 * this cap renew ~450 times a second, not ~1,100 as at 2 min.
 */
export const downlinkStallMsMax = 300_000;
/** A renewal's UNSUBACK or SUBACK not back within this counts as refused (tried again after the next wait). */
export const downlinkRenewTimeoutMs = 10_000;
/** CONNECT to CONNACK, at most. */
export const linkConnectTimeoutMs = 10_000;
/** MQTT keepalive, seconds (the broker fires the last will after 1.5x this). */
export const linkKeepaliveSeconds = 30;
/** Heartbeat telemetry period. */
export const linkHeartbeatMs = 30_000;
/** Default wait for an authorisation answer when the HQ config has none. */
export const authorisationTimeoutMsDefault = 15_000;
/** Largest operator API request body. */
export const operatorBodyBytesMax = 16 * 1024;
/** Operator token file, at most. */
export const operatorTokenFileBytesMax = 1024;
/** Largest HQ message accepted on a down topic. */
export const downMessageBytesMax = 256 * 1024;
/** How long a withdrawal waits for a card when the caller gives no wait. */
export const cardWaitMsDefault = 60_000;
/** proto detail fields (ConfigApplied, CommandResult): at most this many characters (the wire checks it). */
export const downDetailCharsMax = 500;
/** Start-up catch-up closes every missed day up to this many; beyond it, only the days with business (R7). */
export const closeCatchUpDaysMax = 62;

// --- hardware faults: damaged store, full disk, wrong clock (issue 9) ---
/** The WAL is truncated back to this size after a checkpoint (PRAGMA journal_size_limit). */
export const walJournalSizeLimitBytes = 4 * 1024 * 1024;
/** WAL maintenance: a checkpoint at most this often, and after a failure a capped backoff. */
export const walCheckpointMs = 60_000;
export const walCheckpointBackoffMsInitial = 1_000;
export const walCheckpointBackoffMsMax = 60_000;
/** Default free space the kiosk keeps on the journal's file system before refusing new business. */
export const diskReserveBytesDefault = 64 * 1024 * 1024;
/** Smallest reserve a config may set: room for the worst-case transactions in flight (docs/operations.md). */
export const diskReserveBytesMin = 4 * 1024 * 1024;
/** Default clock skew against HQ beyond which withdrawals are refused (and doctor FAILs). */
export const clockSkewMsMaxDefault = 5 * 60 * 1000;
/** Clock samples kept for the drift estimate (the tightest bounds of the last N). */
export const clockSampleCountMax = 32;
/** A drift measurement older than this no longer counts as known (the clock may have been fixed). */
export const clockSampleAgeMsMax = 60 * 60 * 1000;
/** Junk on a serial line (bad frames, over-long lines) is logged at most this many lines per window. */
export const serialJunkLogLinesMax = 10;
export const serialJunkLogWindowMs = 60_000;

// --- supervision under systemd (issue 13: src/app/supervisor.ts) ---
/** The supervisor checks readiness and loops at least this often (READY=1 follows the parts within it). */
export const supervisorTickMsMax = 1_000;
/** Slack on every loop's transient-state limit before it counts as stuck (timers run late under load). */
export const watchdogGraceMs = 10_000;
/** A serial device may take this long to open (or sit unstarted) before its loop counts as stuck. */
export const serialOpeningMsMax = 30_000;
/** While starting with healthy loops, each tick asks systemd for this much more start time (EXTEND_TIMEOUT_USEC). */
export const startTimeoutExtendMs = 60_000;
/** One sd_notify datagram carries at most this many bytes (STATUS lines are short; socat reads 8 KiB). */
export const notifyMessageBytesMax = 1_024;
// ---- Issue 13: OTA (domain/ota, adapters/ota, app/ota-runner.ts).

/** One download request and one read while hashing or unpacking, bytes (a mobile link's chunk). */
export const otaChunkBytesMax = 1024 * 1024;
/** Largest manifest.json in a pack, bytes (the release format's own cap). */
export const otaManifestBytesMax = 4 * 1024 * 1024;
/** Most files in one release (the release format's own cap). */
export const otaPackFilesMax = 20_000;
/** Largest outcome file the root switch writes (deploy/kiosk/ota-switch.sh caps its detail at 600), bytes. */
export const otaSwitchOutcomeBytesMax = 4096;
/**
 * A trial asks the peripherals again while a device does not answer yet: at the new release's start
 * its serial links may still be opening (found under a real systemd, where the trial began before
 * the PTYs answered and rolled a good release back). Every second, as many times as fit in the
 * health deadline less 2 s (so the last answer, naming the silent device, is the reason), at most 120.
 */
export const otaTrialPeripheralsRetryMs = 1000;
export const otaTrialPeripheralsAttemptsMax = 120;
/** How long a new release has to pass its health check after the switch, ms. */
export const otaTrialMsDefault = 10 * 60 * 1000;
/** Effects one OTA runner pass executes at most (a loop guard; a whole install takes about 12). */
export const otaStepsPerPassMax = 10_000;

/** Issue 13: tries per OTA chunk over HTTP before the offer fails (a mobile link drops). */
export const otaFetchAttemptsMax = 5;
/** Issue 13: first backoff between tries of a chunk, ms (doubled each try, jittered). */
export const otaFetchBackoffMsBase = 1_000;
/** Issue 13: longest backoff between tries of a chunk, ms. */
export const otaFetchBackoffMsMax = 30_000;
/** Issue 13: one Range request's deadline, ms (a 1 MB chunk over a slow mobile link). */
export const otaFetchTimeoutMs = 120_000;
/** Issue 13: how often the agent re-asks the update lock for a staged release and checks a trial's deadline, ms. */
export const otaTickMs = 60_000;
// ---- Issue 13: the memory floor (domain/health/memory-pressure.ts, deploy/systemd MemoryMax).

/**
 * Node flags of the agent process (scripts/release/build.ts writes them into bin/kiosk-agent; the
 * kiosk bench measures with them): a 1 MB semi-space and a 48 MB old space keep the peak RSS under
 * load below 100 MB (docs/performance.md); the heap limit is watched by the memory guard below.
 */
export const agentNodeFlags = ['--max-semi-space-size=1', '--max-old-space-size=48'] as const;
/** The unit's MemoryMax (deploy/systemd/bianmin-kiosk.service) the RSS marks below are set for. */
export const unitMemoryMaxBytes = 160 * 1024 * 1024;
/**
 * Above this RSS the agent refuses new business (AGENT_TX_MEMORY_PRESSURE); systemd MemoryHigh is
 * 128M. Under another MemoryMax (the cgroup's limit, read at start) the marks scale with it
 * (memoryBudgetFor); with no limit at all only the heap marks apply.
 */
export const memoryRssBytesHigh = 116 * 1024 * 1024;
/** ...and takes business again once RSS is below this (hysteresis: no flapping at the line). */
export const memoryRssBytesLow = 104 * 1024 * 1024;
/** A cgroup limit at or above this is "no limit" (cgroup v1 writes 2^63 rounded to a page). */
export const cgroupMemoryUnlimitedBytes = 2 ** 60;
/** Above this percent of V8's heap limit (used heap) new business is refused... */
export const memoryHeapPercentHigh = 90;
/** ...until used heap is below this percent again. */
export const memoryHeapPercentLow = 75;
