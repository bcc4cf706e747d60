// The IPC messages between the fleet orchestrator (run.ts) and its swarm processes (swarm-child.ts).
import type { KioskReport } from './kiosk.js';

export interface SwarmInit {
  readonly op: 'init';
  readonly swarmIndex: number;
  readonly stations: readonly { id: string; index: number; password: string }[];
  readonly seed: number;
  readonly transactionCount: number;
  readonly dayMs: number;
  readonly offlineShare: number;
  readonly authWaitMs: number;
  readonly tpkHex: string;
  /** mqtt://host:port of every broker node; each kiosk starts on its own node, then rotates. */
  readonly brokerUrls: readonly string[];
}

/** What HQ needs before the day: each station's enrolment file, quota purchase and bank card. */
export interface StationSetup {
  readonly stationId: string;
  readonly enrolment: Record<string, unknown>;
  readonly purchaseId: string;
  readonly purchaseFen: number;
  readonly pan: string;
  readonly pin: string;
}

export type ToSwarm =
  | SwarmInit
  | { readonly op: 'go'; readonly dayStartMs: number }
  | {
      readonly op: 'mark';
      readonly id: string;
      readonly atMs: number;
      /** 'any': the first ack progress after atMs; 'new': the first ack of an event first sent after it. */
      readonly kind: 'any' | 'new';
    }
  /** Raw-pipe baseline: connect a plain publisher per station ('raw-connected'), then publish on 'raw-go'. */
  | { readonly op: 'raw' }
  | { readonly op: 'raw-go' }
  | { readonly op: 'stop' };

export type FromSwarm =
  | { readonly op: 'ready'; readonly stations: readonly StationSetup[] }
  | {
      readonly op: 'progress';
      readonly journaled: number;
      readonly acked: number;
      readonly outbox: number;
      readonly authPending: number;
      readonly daysDone: number;
      /** Kiosks connected and subscribed at least once, and when the last of them was. */
      readonly connected: number;
      readonly lastConnectedAtMs: number;
    }
  | { readonly op: 'recovered'; readonly id: string; readonly atMs: number }
  | { readonly op: 'drained'; readonly reports: readonly KioskReport[] }
  | { readonly op: 'raw-connected' }
  | { readonly op: 'raw-published'; readonly count: number };
