// The ingest pipeline's counters: plain numbers every step adds to (exposed as pipeline.counters,
// printed by the demo and `hq status`).

export interface PipelineCounters {
  received: number;
  stored: number;
  quarantined: number;
  quarantinedByReason: Record<string, number>;
  duplicates: number;
  discrepancies: number;
  gaps: number;
  acksSent: number;
  authRequests: number;
  authApproved: number;
  authDeclined: number;
  /** Authorisation requests declined by the per-station rate limit (HQ_AUTH_RATE_LIMITED). */
  authRateLimited: number;
  staleDeaths: number;
  /** Births and telemetry that were not fresh (replays, older sessions): ignored. */
  staleStatus: number;
  /** Alerts raised for a kiosk refusing business for its own hardware (HQ_STATION_REFUSING). */
  hardwareAlerts: number;
  /** Stations suspended by a per-station bound since start. */
  stationsSuspended: number;
  /** Quarantine rows dropped by its bounds since start. */
  quarantineDropped: number;
  batches: number;
  settlements: number;
  /** Batches that did not commit (or were sealed behind one that did not): dropped, resend asked. */
  batchesDropped: number;
  /** ECDSA checks asked of the verifier. */
  signatureChecks: number;
  /** Events authenticated through a later event's signature and the hash links (not their own). */
  authenticatedByLink: number;
}

export function newCounters(): PipelineCounters {
  return {
    received: 0,
    stored: 0,
    quarantined: 0,
    quarantinedByReason: {},
    duplicates: 0,
    discrepancies: 0,
    gaps: 0,
    acksSent: 0,
    authRequests: 0,
    authApproved: 0,
    authDeclined: 0,
    authRateLimited: 0,
    staleDeaths: 0,
    staleStatus: 0,
    hardwareAlerts: 0,
    stationsSuspended: 0,
    quarantineDropped: 0,
    batches: 0,
    settlements: 0,
    batchesDropped: 0,
    signatureChecks: 0,
    authenticatedByLink: 0,
  };
}
