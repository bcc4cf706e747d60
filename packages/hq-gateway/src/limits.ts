// Every named maximum of the HQ gateway in one place (STYLE.md "Assertions and limits").

/** Largest MQTT payload accepted; larger ones are quarantined (HQ_MESSAGE_OVERSIZED). */
export const messageBytesMax = 64 * 1024;
/** Bytes of a quarantined payload kept in the quarantine table (the rest is cut, the size kept). */
export const quarantineBytesMax = 64 * 1024;
/**
 * Rows per store transaction: a batch commits at this many rows or after batchDelayMsMax. Each
 * commit costs an fsync (synchronous=FULL) on the main thread and one ack per station touched, so
 * under load bigger batches are cheaper per event (docs/performance.md "HQ ingest").
 */
export const batchRowsMax = 2_000;
/** Longest a received event waits for its batch to commit. */
export const batchDelayMsMax = 5;
/**
 * Longest a committed station's cumulative ack waits to be coalesced with the next batches' acks:
 * a station gets at most one ack per this interval (plus one at flush), however many batches
 * touched it. Acks are signed on the main thread (~100 µs each), so under load this bounds them.
 */
export const ackDelayMsMax = 100;
/** Event ids looked up in one store query (replay check of a batch). */
export const eventLookupChunkMax = 100;
/**
 * Events the ledger mirror's typed-array columns hold before their first regrowth (~110 bytes an
 * event, ~7 MB): core-ledger grows by doubling, and each doubling copies every column.
 */
export const ledgerEventCapacityInitial = 65_536;
/**
 * Messages waiting in the ingest pipeline (decode/verify/store) before MQTT intake is paused; the
 * broker queues the rest for HQ's session (docs/protocol.md: set max_queued_messages high). Every
 * waiting message is live heap that each young-generation GC copies, so a backlog far beyond a
 * few batches costs GC time without adding throughput.
 */
export const ingestQueueMax = 5_000;
/**
 * Verification jobs handed to one worker at a time (~40 ms of work at ~85 µs a check). Further
 * jobs wait in the pool, where the main thread helps with them (verifyInlineSliceMax).
 */
export const verifyQueuePerWorkerMax = 512;
/** Waiting checks the main thread verifies itself per event-loop turn while the workers are full. */
export const verifyInlineSliceMax = 32;
/** Jobs sent to a worker in one postMessage (amortises the structured-clone cost). */
export const verifyChunkMax = 128;
/** Worker threads verifying signatures; 0 means "cores - 1, at least 1". */
export const verifyWorkersDefault = 0;
export const verifyWorkersMax = 16;
/** Out-of-order sequence numbers remembered above a station's contiguous ack point. */
export const pendingSeqsPerStationMax = 100_000;
/** Reconnect back-off to the broker: capped exponential with jitter. */
export const reconnectMsMin = 250;
export const reconnectMsMax = 30_000;
/** Enrolment request file size. */
export const enrolmentBytesMax = 16 * 1024;
/** Longest station id (docs/protocol.md: [A-Za-z0-9_-], 1..32). */
export const stationIdCharsMax = 32;
/** Rows listed by `hq status` / reports per section. */
export const reportRowsMax = 1_000;
/** Bank simulator: accounts it holds. */
export const bankAccountsMax = 100_000;
/** HQ's tally of approved withdrawals (per card / station day limits); older days are dropped first. */
export const withdrawalApprovalsTrackedMax = 1_000_000;
/**
 * How far back (before HQ's clock) the withdrawal tally is restored from the store at start-up:
 * a request's business day comes from the kiosk's clock, which may still be on yesterday's date
 * around midnight, so yesterday's open approvals are restored with today's.
 */
export const withdrawalTallyRestoreMsBack = 24 * 3_600_000;
/**
 * The kiosk's heartbeat telemetry period (device-agent limits.ts linkHeartbeatMs, 30 s), mirrored
 * here because HQ does not depend on the agent package.
 */
export const kioskTelemetryIntervalMs = 30_000;
/**
 * Default silence window: an online station from which nothing (birth, telemetry, event) was heard
 * for longer than this is marked offline with reason 'silence' (HQ_STATION_SILENT). Three missed
 * telemetry periods, so one lost or late message does not flap the status.
 */
export const stationSilenceMsMaxDefault = 3 * kioskTelemetryIntervalMs;
/** Bounds of a configured silence window (config stationSilenceMsMax). */
export const stationSilenceMsMaxMin = 1_000;
export const stationSilenceMsMaxMax = 24 * 3_600_000;
/** How often the silence sweep runs (on the Clock's time; a station is found silent this late at most). */
export const stationSilenceSweepMs = 5_000;

/**
 * Event ids the replay filter is first sized for (domain/event-id-filter.ts); it adds layers twice
 * as large as it fills, so this bounds nothing, it only avoids early small layers.
 */
export const eventIdFilterCapacityInitial = 65_536;

/**
 * Events one signature check may authenticate through their hash links (domain/verify-plan.ts).
 * Bounds the work redone one by one when a run's newest signature fails.
 */
export const verifyRunLengthMax = 256;

/**
 * Handled seqs of one station waiting beyond a gap for the ledger mirror (app/ingest-pipeline.ts
 * #toMirror); past it the mirror re-checks out of order rather than hold more.
 */
export const mirrorPendingMax = 20_000;

/** How long the commit thread waits for SQLite's write lock before a batch fails (ms). */
export const commitBusyTimeoutMs = 30_000;
/** How long a resend command HQ sends stays valid at the kiosk (its notAfterMs), ms. */
export const resendCommandValidityMs = 10 * 60_000;

// ---- Issue 8/9: HQ's clock, one station cannot hurt the others (each bound has a test).

/**
 * Default largest plausible distance between a kiosk's timestamp and HQ's receive time (config
 * clockSkewMsMax). Beyond it the message is a HQ_DISCREPANCY_CLOCK_SKEW alert. Five minutes: an
 * NTP-synchronised kiosk is within a second; a kiosk whose battery died is hours or days off.
 */
export const clockSkewMsMaxDefault = 5 * 60_000;
/** Bounds of a configured clockSkewMsMax. */
export const clockSkewMsMaxMin = 1_000;
export const clockSkewMsMaxMax = 24 * 3_600_000;
/**
 * Furthest a journaled seq may lie above the station's ack point. An honest kiosk's outbox holds
 * far fewer unacknowledged events; a seq beyond this is refused (HQ_SEQ_TOO_FAR_AHEAD) and the
 * station suspended, so one station cannot open an unbounded gap or fill the seq tracker.
 */
export const seqAheadMax = 50_000;
/**
 * Out-of-order seqs one station may hold above its ack point before it is suspended
 * (HQ_STATION_SUSPENDED); kept below pendingSeqsPerStationMax, the tracker's own hard bound.
 */
export const outOfOrderSeqsPerStationMax = 50_000;
/** Quarantine rows kept per station; beyond it the station's oldest rows are dropped (counted). */
export const quarantineRowsPerStationMax = 10_000;
/** Quarantine rows kept in total (all stations and unknown senders); the oldest are dropped first. */
export const quarantineRowsMax = 200_000;
/**
 * Refused messages from one station (quarantined since its last resume) before it is suspended:
 * an authentic station that only sends garbage is contained, not served.
 */
export const refusalsPerStationMax = 5_000;
/** Envelope hashes of status messages (birth, death) remembered per station (replay check). */
export const statusEnvelopesSeenPerStationMax = 256;
/** Authorisations HQ granted kept in memory for the provenance check (oldest forgotten first). */
export const withdrawalGrantsTrackedMax = 1_000_000;
/** How far back (before HQ's clock) granted authorisations are restored at start-up. */
export const withdrawalGrantsRestoreMsBack = 7 * 24 * 3_600_000;
/** A quota purchase's receipt reference (the outlet's receipt number, R9): 1..64 printable ASCII. */
export const receiptReferenceCharsMax = 64;
/**
 * Largest MQTT payload the MQTT link hands to ingest: larger ones are dropped in the adapter before
 * any decoding, counted and logged with their SHA-256 (HQ_MQTT_MESSAGE_OVERSIZED). Equal to the
 * wire Envelope maximum and to the broker's message_size_limit (deploy/mosquitto/mosquitto.conf),
 * so only a misconfigured or foreign broker lets one through.
 */
export const mqttPayloadBytesMax = 64 * 1024;
