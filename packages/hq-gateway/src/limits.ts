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
/** A TLS file of the MQTT link (CA bundle, client certificate or key), at most. */
export const tlsFileBytesMax = 256 * 1024;
/**
 * Authorisation requests per station (domain/auth-rate-limit.ts): one per this many ms sustained,
 * after a burst of authRequestsPerStationBurstMax. Beyond it a request is declined before the bank
 * (HQ_AUTH_RATE_LIMITED). An honest kiosk serves one customer at a time (card, PIN pad, cash: tens
 * of seconds each) and resends at most the few requests in flight after a reconnect, so 30 at once
 * and one a second after that never touch it; a station flooding the bank and the store does.
 */
export const authRequestsPerStationIntervalMs = 1_000;
export const authRequestsPerStationBurstMax = 30;
/** PostgreSQL connections of one HQ process's pool (ingest commits, reads, operations). */
export const pgPoolConnectionsMax = 8;
/** A PostgreSQL statement running longer is cancelled (ms): a stuck query fails, it does not hang ingest. */
export const pgStatementTimeoutMsMax = 60_000;
/** Retries of an ingest batch that PostgreSQL aborted for a deadlock or serialization failure. */
export const pgCommitRetriesMax = 5;
/** A migration waits at most this long (ms) for another process's migration lock. */
export const pgMigrationLockWaitMsMax = 120_000;

// ---- Issue 11: the station network's operations log (ports/operations-store.ts).

/** Largest JSON payload of one operation record, bytes (a commission run's lines fit many times). */
export const opsPayloadBytesMax = 1024 * 1024;
/** An actor name (a person or 'system:<component>'), characters. */
export const opsActorCharsMax = 64;
/** A reason given with a step, characters. */
export const opsReasonCharsMax = 1_000;
/** Records one list() page returns at most (and its default). */
export const opsReadRecordsMax = 10_000;
/** Aggregates one OperationsStore.readMany may name: a page of alerts (at most httpPageSizeMax, 500). */
export const opsReadManyAggregatesMax = 500;
/** Records one aggregate may hold: a station's whole history over the 6 years R17 keeps. */
export const opsRecordsPerAggregateMax = 100_000;
/** Stations HQ folds at once for a network-wide list (overdue, R12 sites); the network is bounded. */
export const networkStationsMax = 100_000;
/**
 * HQ's own target, in working days, for a lifecycle step the Measures give no time limit
 * (application, agreement, fee, fit-out, debit account, equipment signature, a move's approval):
 * every open step has a due date, and these are HQ's, not R14's (docs/hq.md).
 */
export const networkStepTargetWorkingDays = 10;
/** Quarters back the R18 list reports as missed for one station (older misses are history). */
export const oversightQuartersBackMax = 8;

// ---- Issue 11: the HTTP API (users, sessions, login, audit, alerts, station control).

/**
 * scrypt cost of a stored password (node:crypto scrypt). N = 2^15, r = 8, p = 1 is the OWASP
 * minimum for scrypt (32 MiB; measured ~0.48 s per hash on the shared 2-core build machine, on the
 * libuv pool, so logins never block the event loop); the parameters are stored with
 * each hash, so raising them later leaves old hashes verifiable.
 */
export const passwordScryptN = 2 ** 15;
export const passwordScryptR = 8;
export const passwordScryptP = 1;
export const passwordKeyBytes = 32;
export const passwordSaltBytes = 16;
/** scrypt needs 128 * N * r bytes; node's default maxmem (32 MiB) is exactly too small for N = 2^15. */
export const passwordScryptMaxmemBytes = 64 * 1024 * 1024;
/** Password length bounds (characters); longer ones are refused rather than hashed at length. */
export const passwordCharsMin = 12;
export const passwordCharsMax = 256;
/** A user name: 3..32 of [a-z0-9._-]. */
export const userNameCharsMax = 32;
/** A bearer session lives this long from login (no sliding renewal): 30 minutes. */
export const sessionTtlMs = 30 * 60_000;
/** Random bytes of a session token (stored only as its SHA-256). */
export const sessionTokenBytes = 32;
/** Login attempts allowed per user name, and per client address, within loginWindowMs. */
export const loginAttemptsPerUserMax = 5;
export const loginAttemptsPerAddressMax = 20;
export const loginWindowMs = 15 * 60_000;
/** Keys (user names, addresses) the login limiter remembers; the oldest window is dropped first. */
export const loginLimiterKeysMax = 100_000;
/** Largest HTTP request body the API reads (bytes). */
export const httpBodyBytesMax = 64 * 1024;
/** Page size of list routes: default and maximum. */
export const httpPageSizeDefault = 50;
export const httpPageSizeMax = 500;
/** Events and discrepancies shown on a station's page. */
export const stationPageEventsMax = 20;
/** Audit rows one query returns at most. */
export const auditRowsMax = 1_000;
/** How often a gateway checks the store's station-control version (changes made by the CLI). */
export const stationControlPollMs = 2_000;
/** How often the alert rules run over the store (ms). */
export const alertScanMs = 30_000;
/** Low-quota threshold (fen) below which a station gets HQ_ALERT_QUOTA_LOW: ¥1,000.00. */
export const quotaLowFenDefault = 100_000;
/** Quarantined messages within alertScanMs that count as a spike. */
export const quarantineSpikeCountMin = 100;
/** Webhook delivery: attempts before 'failed', capped exponential backoff with jitter (ms). */
export const alertDeliveryAttemptsMax = 8;
export const alertDeliveryBackoffMsBase = 1_000;
export const alertDeliveryBackoffMsMax = 5 * 60_000;
/** One webhook POST may take this long before it counts as failed (ms). */
export const alertDeliveryTimeoutMs = 10_000;
/** Alerts delivered per pass (the rest wait for the next pass). */
export const alertDeliveryBatchMax = 100;
/**
 * Configs remembered per station for the hold-expiry check (domain/station-hold-expiry.ts): a
 * grant is judged by the config in force when HQ granted it; holds last minutes, configs change
 * rarely, so a few cover every hold still open.
 */
export const holdExpiryConfigsPerStationMax = 8;
/** HQ's target for a repair ticket (R19 sets none), working days from opening to closing. */
export const repairTargetWorkingDays = 2;
/** HQ's target for answering a complaint (R23 says promptly), working days from receipt. */
export const complaintAnswerTargetWorkingDays = 5;
/**
 * A delivery pass claims its alerts for this long (ms): another HQ process on the same database
 * does not POST them meanwhile; a pass that dies mid-way lets them be retried after it. One whole
 * pass fits: alertDeliveryBatchMax POSTs of at most alertDeliveryTimeoutMs each.
 */
export const alertDeliveryClaimMs = alertDeliveryBatchMax * alertDeliveryTimeoutMs;
/** HTTP Idempotency-Key header of a network write: characters at most (it is stored with the record). */
export const idempotencyKeyCharsMax = 100;
/** Items per page of a network list on the HTTP API (stations, repairs, complaints, statistics). */
export const networkListItemsMax = 10_000;
/** A working-key command (R24, `hq key load`) is valid this long; the kiosk refuses it after. */
export const workingKeyCommandTtlMs = 60 * 60 * 1000;
/** A TMK components file (`hq key tmk`) is at most this large. */
export const keyComponentsFileBytesMax = 4 * 1024;
/** How often the gateway looks for stations whose PIN-pad working key is due for rotation (R24). */
export const workingKeyRotationCheckMs = 60 * 60 * 1000;
/** Default rotation period of a PIN pad's working key (R24). */
export const workingKeyRotationMsDefault = 30 * 24 * 60 * 60 * 1000;
/**
 * `hq release publish` (issue 13): problems listed per refusal (a tampered bundle can differ in
 * every one of its ~1,300 files; the first ones make the point, the count says the rest).
 */
export const releaseProblemsListedMax = 20;

// ---- Issue 13: release rollouts (domain/rollout/rollout.ts).

/** Stations one rollout may target (a region's kiosks; larger fleets take several rollouts). */
export const rolloutStationsMax = 10_000;
/** Longest rollout id, release version or station id a rollout accepts, characters. */
export const rolloutIdBytesMax = 64;
/** Live event streams (GET /api/v1/live, the console) open at once; one more gets HQ_LIVE_BUSY. */
export const liveConnectionsMax = 200;
/** Transaction arrivals are coalesced per stream: at most one 'transactions' message per this many ms. */
export const liveCoalesceMs = 1_000;
/** A live stream sends a keep-alive comment and re-checks its session this often (ms). */
export const liveHeartbeatMs = 15_000;
/** Open alerts listed on the overview (the alert page pages through all of them). */
export const overviewAlertsMax = 20;

// ---- Issue 11: station views as store queries (app/station-views.ts).

/** Rows one whole-network read (the overview's counts by state and branch) takes at most. */
export const stationViewRowsMax = 100_000;

// ---- Issue 12: the console's audit page and alert handling.

/** Audit rows skipped at most by one page request (?offset=): deeper pages narrow by date or seq. */
export const auditOffsetMax = 1_000_000;

/** Issue 13: an OTA offer's life (Command.not_after_ms = offer time + this): a kiosk offline longer is offered again. */
export const otaOfferValidityMs = 7 * 24 * 3_600_000;
/** Issue 13: tries to take one OTA progress report into its rollout when the log moved on meanwhile. */
export const rolloutConflictRetriesMax = 5;
// ---- Issue 13: releases, station groups and rollouts on the HTTP API (adapters/http/rollout-routes.ts).

/** Rollouts, releases or station groups one list answer returns at most. */
export const rolloutListItemsMax = 500;
/** Branch offices or saved station groups one rollout target may name. */
export const rolloutTargetNamesMax = 100;
/** Stations one saved station group holds at most (a rollout takes rolloutStationsMax). */
export const stationGroupStationsMax = 10_000;
/** Operations-log records read per page while listing rollouts or releases (<= opsReadRecordsMax). */
export const rolloutListPageRecords = 1_000;

// ---- Issue 14: the NATS transport (adapters/nats/).

/** Messages fetched from one partition's durable consumer per round (then committed, then acked). */
export const natsFetchBatchMax = 256;
/**
 * How often a gateway reads the membership and claims free partitions up to its target, or
 * releases one above it (ms): the failover delay's main part, and the pace of a rebalance.
 */
export const natsClaimPollMs = 1_000;
/** JetStream redelivers a message not acked within this (ms); ownership moves re-read from the ack floor anyway. */
export const natsAckWaitMs = 30_000;
/**
 * How long a gateway's start waits for its downlink MQTT client to reach one of the cluster's
 * listeners (ms): a node that is down is passed over (mqtt.js moves to the next), a cluster that
 * is down fails the start with HQ_NATS_FAILED.
 */
export const natsDownConnectWaitMs = 30_000;
/** Partitions a cluster may map stations to (the advisory-lock key space per gateway). */
export const natsPartitionsMax = 1_024;

/** Issue 13: bytes one Range request of an OTA pack returns at most (a kiosk asks for 1 MB chunks). */
export const releasePackRangeBytesMax = 4 * 1024 * 1024;
/** Issue 13: how often the gateway follows the operations log for rollouts started elsewhere (the CLI), ms. */
export const rolloutPollMs = 10_000;
