// HQ for the demo and the end-to-end tests: the real gateway (@bianmin/hq-gateway's
// startGateway) in this process, on SQLite, with its bank simulator seeded with the demo's
// cards, and helpers that read back what HQ stored per station (totals by business type, events,
// the quota the kiosk last reported, reconciliations, quarantine).

import type { BankAccountSeed } from '@bianmin/hq-gateway/adapters/bank-sim/bank-sim';
import type { NetworkDeps } from '@bianmin/hq-gateway/app/network/deps';
import { type StationDefaults, stationDefaults } from '@bianmin/hq-gateway/app/operations';
import type { NatsTransport, StoreConfig } from '@bianmin/hq-gateway/config';
import { type Gateway, startGateway } from '@bianmin/hq-gateway/main';
import type { Clock, TimeSource } from '@bianmin/hq-gateway/ports/clock';
import type { Log } from '@bianmin/hq-gateway/ports/log';

export interface HqSpec {
  readonly dbPath: string;
  /** HQ's store when not SQLite at dbPath (PostgreSQL: issue 11). */
  readonly store?: StoreConfig;
  /** The bank simulator's SQLite file with a PostgreSQL store. */
  readonly bankDbPath?: string;
  readonly brokerUrl: string;
  readonly mqttUsername?: string;
  readonly mqttPassword?: string;
  /** TLS files of HQ's broker link (the production broker's TLS listener). */
  readonly mqttTls?: {
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
    readonly serverName: string;
  };
  readonly clientId: string;
  readonly hqKeyPem: string;
  readonly tpk: Uint8Array;
  readonly clock: Clock | TimeSource;
  readonly bankAccounts: readonly BankAccountSeed[];
  readonly authorisationTimeoutMs: number;
  readonly resendOnStart?: boolean;
  /** HQ's clock-skew tolerance (ms); default the gateway's. */
  readonly clockSkewMsMax?: number;
  /** Broker kind nats (issue 14): up traffic from the cluster's JetStream stream, PostgreSQL store. */
  readonly nats?: NatsTransport;
  /** HQ's log (default silent). */
  readonly log?: Log;
}

export function startHq(spec: HqSpec): Promise<Gateway> {
  const defaults: StationDefaults = {
    ...stationDefaults,
    authorisationTimeoutMs: spec.authorisationTimeoutMs,
    // The demo's station configs: the demo compresses a day into seconds by moving the clock hours
    // at a time, so its stations are told "no hold expiry" (0). HQ judges each hold by the value
    // the station's own signed config carries (hq-gateway app/ingest/config-sent.ts), so this is
    // the one place the demo says it: no gateway-side exception.
    holdExpiryMs: 0,
  };
  return startGateway({
    ...(spec.store === undefined ? { dbPath: spec.dbPath } : { store: spec.store }),
    ...(spec.bankDbPath === undefined ? {} : { bankDbPath: spec.bankDbPath }),
    brokerUrl: spec.brokerUrl,
    ...(spec.mqttUsername === undefined ? {} : { mqttUsername: spec.mqttUsername }),
    ...(spec.mqttPassword === undefined ? {} : { mqttPassword: spec.mqttPassword }),
    ...(spec.mqttTls === undefined ? {} : { mqttTls: spec.mqttTls }),
    clientId: spec.clientId,
    hqKeyPem: spec.hqKeyPem,
    tpk: spec.tpk,
    verifyWorkers: 1,
    bankAccounts: spec.bankAccounts,
    stationDefaults: defaults,
    clock: spec.clock,
    ...(spec.clockSkewMsMax === undefined ? {} : { clockSkewMsMax: spec.clockSkewMsMax }),
    resendOnStart: spec.resendOnStart ?? true,
    ...(spec.nats === undefined ? {} : { nats: spec.nats }),
    ...(spec.log === undefined ? {} : { log: spec.log }),
  });
}

/** The station network's services on the demo HQ's own store (its clock is the caller's). */
export function demoNetworkDeps(gateway: Gateway): Omit<NetworkDeps, 'clock'> {
  // The running gateway's own network services (the API's), without its clock: the scene sets its own.
  const { clock: _clock, ...network } = gateway.api.network;
  return network;
}

export interface TypeTotals {
  count: number;
  amountFen: number;
  feeFen: number;
}

export const businessTypes = ['CASH_WITHDRAWAL', 'BILL_PAYMENT', 'MOBILE_TOPUP'] as const;
export type BusinessTypeName = (typeof businessTypes)[number];

/** The event kind that books each business type's money (a withdrawal counts once posted). */
const bookingKind: Record<BusinessTypeName, string> = {
  CASH_WITHDRAWAL: 'WITHDRAWAL_POSTED',
  BILL_PAYMENT: 'BILL_PAYMENT',
  MOBILE_TOPUP: 'MOBILE_TOPUP',
};

export interface HqStationView {
  readonly eventsStored: number;
  readonly distinctSeqs: number;
  readonly highestSeq: number;
  readonly ackedSeq: number;
  readonly kinds: Record<string, number>;
  readonly totals: Record<BusinessTypeName, TypeTotals>;
  /** The quota balance the station's latest quota-moving event reported, as HQ stored it. */
  readonly quotaFenAfter: number | null;
}

/** What HQ holds for one station (optionally one business day of it). */
export async function hqStationView(
  gateway: Gateway,
  stationId: string,
  businessDate?: string,
): Promise<HqStationView> {
  const events = await gateway.store.eventsOfStation(stationId);
  const kinds: Record<string, number> = {};
  const totals = Object.fromEntries(
    businessTypes.map((type) => [type, { count: 0, amountFen: 0, feeFen: 0 }]),
  ) as Record<BusinessTypeName, TypeTotals>;
  let quotaFenAfter: number | null = null;
  const seqs = new Set<number>();
  for (const event of events) {
    seqs.add(event.seq);
    kinds[event.kind] = (kinds[event.kind] ?? 0) + 1;
    if (event.quotaFenAfter !== null) quotaFenAfter = event.quotaFenAfter;
    if (businessDate !== undefined && event.businessDate !== businessDate) continue;
    for (const type of businessTypes) {
      if (event.kind !== bookingKind[type]) continue;
      totals[type].count += 1;
      totals[type].amountFen += event.amountFen;
      totals[type].feeFen += event.feeFen;
    }
  }
  return {
    eventsStored: events.length,
    distinctSeqs: seqs.size,
    highestSeq: Math.max(0, ...seqs),
    ackedSeq: gateway.pipeline.ackedSeq(stationId),
    kinds,
    totals,
    quotaFenAfter,
  };
}
