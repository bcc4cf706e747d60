// What the HTTP API is built from: the application layer the CLI uses too (issue 11).

import type { AlertService } from '../../app/alerts.js';
import type { AuditLog } from '../../app/audit-log.js';
import type { NetworkDeps } from '../../app/network/deps.js';
import type { HqOperations } from '../../app/operations.js';
import type { RolloutWireDeps } from '../../app/rollout-wire.js';
import type { StationControl } from '../../app/station-control.js';
import type { StationViews } from '../../app/station-views.js';
import type { UserService } from '../../app/users.js';
import type { TimeSource } from '../../ports/clock.js';
import type { Log } from '../../ports/log.js';
import type { OpsStore } from '../../ports/ops-store.js';
import type { Store } from '../../ports/store.js';
import type { ReleasePacks } from '../release/release-packs.js';
import type { LiveSource } from './live-routes.js';
import type { ApiMetrics } from './metrics.js';

export interface ApiDeps {
  readonly store: Store;
  readonly ops: OpsStore;
  readonly users: UserService;
  readonly audit: AuditLog;
  readonly views: StationViews;
  readonly control: StationControl;
  readonly operations: HqOperations;
  readonly alerts: AlertService;
  /** The station network (lifecycle, cases, statistics, commissions): the CLI's app layer too. */
  readonly network: NetworkDeps;
  readonly clock: TimeSource;
  readonly log: Log;
  readonly metrics: ApiMetrics;
  /** /healthz: the store answers, the ingest loop runs (absent: no ingest in this process). */
  readonly ingestAlive?: () => boolean;
  /** The console's live stream (GET /api/v1/live) listens here; absent: the stream answers HQ_LIVE_BUSY. */
  readonly live?: LiveSource;
  /** The built HQ console (packages/hq-console/dist), served under /console/; absent: not served. */
  readonly consoleDir?: string;
  /** Issue 13: published releases served as OTA packs with Range; absent: no release route. */
  readonly releasePacks?: ReleasePacks;
  /** Where POST /api/v1/releases publishes from and to (issue 13); absent: HQ_RELEASE_NOT_CONFIGURED. */
  readonly releases?: ReleaseApiConfig;
  /** Rollouts on the wire (app/rollout-wire.ts): a started group's offers go out through it. */
  readonly rolloutWire?: RolloutWireDeps;
}

export interface ReleaseApiConfig {
  /** The release store (adapters/release/release-store.ts), as `hq release publish --releases-dir`. */
  readonly releasesDir: string;
  /** Where bundles are copied before publishing (scp, rsync); a request names a folder in it. */
  readonly inboxDir: string;
  /** PEM texts of the trusted HQ release public keys. */
  readonly trustedKeys: readonly string[];
  /** Where kiosks fetch release packs (https://hq…); with it the release store is the OTA catalog. */
  readonly packBaseUrl?: string;
}
