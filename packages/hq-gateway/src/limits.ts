// Every named maximum of the HQ gateway in one place (STYLE.md "Assertions and limits").

/** Largest MQTT payload accepted; larger ones are quarantined (HQ_MESSAGE_OVERSIZED). */
export const messageBytesMax = 64 * 1024;
/** Bytes of a quarantined payload kept in the quarantine table (the rest is cut, the size kept). */
export const quarantineBytesMax = 64 * 1024;
/** Events per store transaction: a batch commits at this many rows or after batchDelayMsMax. */
export const batchRowsMax = 500;
/** Longest a received event waits for its batch to commit. */
export const batchDelayMsMax = 5;
/** Messages waiting in the ingest pipeline (decode/verify/store) before MQTT intake is paused. */
export const ingestQueueMax = 20_000;
/** Verification jobs queued per worker before submit() waits: bounds memory under a burst. */
export const verifyQueuePerWorkerMax = 2_000;
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
