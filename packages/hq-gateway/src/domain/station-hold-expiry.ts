// Which hold expiry HQ judges a station's withdrawal by (issues 8, 9), pure: the value HQ itself
// signed into that station's config (proto Limits.hold_expiry_ms), not the gateway's default. A
// station may be given another value than its neighbours, and a gateway started with other
// defaults than the ones a config was sent with must still judge by what the kiosk was told. The
// book keeps, per station, the last few configs HQ sent (issue time, hold expiry); a grant is
// judged by the config in force when HQ granted it (the newest issued at or before the grant;
// for a grant older than every config remembered, the oldest one remembered: HQ's best knowledge
// after a restart, which restores the latest config only).
import { holdExpiryConfigsPerStationMax } from '../limits.js';
import { assert } from './assert.js';

interface SentConfig {
  readonly issuedAtMs: number;
  readonly holdExpiryMs: number;
}

export class StationHoldExpiryBook {
  readonly #byStation = new Map<string, SentConfig[]>();

  /** HQ sent (or, at start-up, had sent) `stationId` a config with this hold expiry. */
  configSent(stationId: string, issuedAtMs: number, holdExpiryMs: number): void {
    // HQ's own values (its clock, the config it signed): asserted, never a kiosk's claim.
    assert(Number.isSafeInteger(issuedAtMs) && issuedAtMs >= 0, 'issuedAtMs is an instant');
    assert(Number.isSafeInteger(holdExpiryMs) && holdExpiryMs >= 0, 'holdExpiryMs >= 0');
    const configs = this.#byStation.get(stationId) ?? [];
    this.#byStation.set(stationId, configs);
    configs.push({ issuedAtMs, holdExpiryMs });
    configs.sort((a, b) => a.issuedAtMs - b.issuedAtMs);
    if (configs.length > holdExpiryConfigsPerStationMax) configs.shift();
    assert(configs.length <= holdExpiryConfigsPerStationMax, 'the book is bounded per station');
  }

  /** The hold expiry of the config in force at `atMs` (HQ's grant time); undefined: none known. */
  inForceAt(stationId: string, atMs: number): number | undefined {
    assert(Number.isSafeInteger(atMs) && atMs >= 0, 'atMs is an instant');
    const configs = this.#byStation.get(stationId);
    if (configs === undefined || configs.length === 0) return undefined;
    let inForce = configs[0]!;
    for (const config of configs) if (config.issuedAtMs <= atMs) inForce = config;
    return inForce.holdExpiryMs;
  }
}
