// Rollouts on the wire (issue 13): HQ's side of the signed OTA messages.
//
// - Offers: every group a rollout starts (on start, resume, or a report that completes the group
//   before) becomes one HQ-signed Command per station on its down/cmd topic, carrying an OtaOffer:
//   the release, its manifest's SHA-256, the pack size, where to fetch it, and offer_seq (HQ's clock
//   in ms) against replays. The kiosk refuses an offer that is not newer than the last it accepted,
//   or a release not newer than the one it runs (a downgrade).
// - Progress: a kiosk's OtaProgress is a journaled event, so it is verified, chained and stored by
//   the ingest pipeline like every other event; after its batch committed, ingest() feeds it to the
//   rollout (reportProgress). A refusal (a station the rollout does not target, an unknown rollout,
//   a report for another release, a step back) is logged with its code; the event stays stored.
//   A report that starts the next group sends that group's offers.
import { type bianmin, v1 } from '@bianmin/wire';
import type { RolloutEvent, RolloutState, StationProgress } from '../domain/rollout/rollout.js';
import type { StationEvent } from '../domain/types.js';
import { HqError } from '../errors.js';
import { rolloutConflictRetriesMax } from '../limits.js';
import type { Log } from '../ports/log.js';
import type { RolloutIngest } from './ingest/context.js';
import { type RolloutDeps, type RolloutResult, readRollout, reportProgress } from './rollouts.js';

/** What HQ knows of a published release (hq release publish's store). */
export interface ReleaseCatalog {
  /** The release's manifest hash and pack size; undefined when it is not published. */
  describe(
    releaseVersion: string,
  ): { readonly manifestSha256: string; readonly packBytes: number } | undefined;
  /** Where a kiosk fetches the pack (HQ's release route, Range requests). */
  fetchUrl(releaseVersion: string): string;
}

/** No release published: every offer is refused (progress is still taken in). */
export const noReleaseCatalog: ReleaseCatalog = {
  describe: () => undefined,
  fetchUrl: (releaseVersion) => {
    throw new Error(`assert: no release catalog for ${releaseVersion}`);
  },
};

/** Publishes one HQ-signed Command to a station's down/cmd (the ingest Downlink in the gateway). */
export type SendCommand = (stationId: string, command: bianmin.v1.Command.$Properties) => Promise<void>;

export interface RolloutWireDeps extends RolloutDeps {
  readonly catalog: ReleaseCatalog;
  readonly send: SendCommand;
  readonly log: Log;
  /** How long an offer stays valid (Command.not_after_ms = now + this), ms. */
  readonly offerValidityMs: number;
}

const S = v1.OtaStage;
/** The kiosk's finer stages onto the rollout's forward-only steps. */
const progressByStage: ReadonlyMap<number, StationProgress> = new Map<number, StationProgress>([
  [S.OTA_STAGE_DOWNLOADING, 'downloading'],
  [S.OTA_STAGE_VERIFIED, 'downloading'],
  [S.OTA_STAGE_STAGED, 'installed'],
  [S.OTA_STAGE_SWITCHED, 'installed'],
  [S.OTA_STAGE_HEALTHY, 'healthy'],
  [S.OTA_STAGE_ROLLED_BACK, 'rolled-back'],
  [S.OTA_STAGE_FAILED, 'failed'],
]);

/** The Command that offers `state`'s release to `stationId`, at HQ's `nowMs`. */
export function offerCommand(
  deps: Pick<RolloutWireDeps, 'catalog' | 'offerValidityMs'>,
  state: RolloutState,
  stationId: string,
  nowMs: number,
): bianmin.v1.Command.$Properties {
  const version = state.spec.releaseVersion;
  const release = deps.catalog.describe(version);
  if (release === undefined)
    throw new Error(`assert: rollout ${state.spec.rolloutId} names unpublished ${version}`);
  if (!(Number.isSafeInteger(nowMs) && nowMs > 0)) throw new Error('assert: HQ clock');
  return {
    commandId: `ota-${stationId}-${nowMs}`,
    notAfterMs: nowMs + deps.offerValidityMs,
    otaOffer: {
      rolloutId: state.spec.rolloutId,
      releaseVersion: version,
      manifestSha256: release.manifestSha256,
      packBytes: release.packBytes,
      fetchUrl: deps.catalog.fetchUrl(version),
      offerSeq: nowMs,
      switchNotBeforeMs: 0,
      switchNotAfterMs: 0,
    },
  };
}

/** Sends the offers of every group `result` started; returns the stations offered. */
export async function sendOffers(deps: RolloutWireDeps, result: RolloutResult): Promise<string[]> {
  if (!result.ok) return [];
  const offered: string[] = [];
  for (const event of result.events) {
    if (event.type !== 'group-started') continue;
    for (const stationId of result.state.groups[event.groupIndex] ?? []) {
      const command = offerCommand(deps, result.state, stationId, deps.clock.nowMs());
      await deps.send(stationId, command);
      offered.push(stationId);
    }
  }
  if (offered.length > 0)
    deps.log.info({ rolloutId: result.state.spec.rolloutId, stations: offered.length }, 'release offered');
  return offered;
}

/** Feeds one stored OTA_PROGRESS event to its rollout; refusals are logged, never thrown. */
export async function ingestOtaProgress(deps: RolloutWireDeps, event: StationEvent): Promise<RolloutResult> {
  if (event.kind !== 'OTA_PROGRESS') throw new Error(`assert: OTA_PROGRESS, got ${event.kind}`);
  const detail = event.detail as {
    rolloutId: string;
    releaseVersion: string;
    stage: number;
    reasonCode: string;
    detail: string;
  };
  const progress = progressByStage.get(detail.stage);
  if (progress === undefined) throw new Error(`assert: stage ${detail.stage} was checked by wire`);
  const base = { rolloutId: detail.rolloutId, stationId: event.stationId, eventId: event.eventId };
  const state = await readRollout(deps, detail.rolloutId);
  if (state !== undefined && state.spec.releaseVersion !== detail.releaseVersion) {
    const reasons = [
      {
        code: 'HQ_ROLLOUT_RELEASE_MISMATCH' as const,
        message: `the report is for ${detail.releaseVersion}, the rollout offers ${state.spec.releaseVersion}`,
      },
    ];
    deps.log.warn({ ...base, code: reasons[0]?.code, reasons }, 'OTA progress refused');
    return { ok: false, reasons };
  }
  const reason = detail.reasonCode === '' ? '' : `${detail.reasonCode}: ${detail.detail}`.slice(0, 200);
  const result = await reportProgress(deps, detail.rolloutId, event.stationId, progress, reason);
  if (!result.ok) {
    deps.log.warn(
      { ...base, code: result.reasons[0]?.code, reasons: result.reasons },
      'OTA progress refused',
    );
    return result;
  }
  logDecisions(deps.log, detail.rolloutId, result.events);
  await sendOffers(deps, result);
  return result;
}

function logDecisions(log: Log, rolloutId: string, events: readonly RolloutEvent[]): void {
  for (const event of events) {
    if (event.type === 'stopped')
      log.error(
        { code: 'HQ_ROLLOUT_STOPPED', rolloutId, groupIndex: event.groupIndex, errorCount: event.errorCount },
        'rollout stopped at its error threshold',
      );
    if (event.type === 'finished') log.info({ rolloutId }, 'rollout finished');
  }
}

/**
 * The ingest pipeline's hook (PipelineDeps.rollouts). Reports are taken one after another in the
 * order their batches committed (a station's downloading → installed → healthy must not race each
 * other on the rollout's log); a version conflict (an operator's command appended meanwhile) is
 * retried. Never throws, so a batch's after-commit work goes on.
 */
export function rolloutIngest(deps: RolloutWireDeps): RolloutIngest {
  let tail: Promise<void> = Promise.resolve();
  const once = async (event: StationEvent): Promise<void> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await ingestOtaProgress(deps, event);
        return;
      } catch (error) {
        const conflict = error instanceof HqError && error.code === 'HQ_OPS_VERSION_CONFLICT';
        if (conflict && attempt < rolloutConflictRetriesMax) continue;
        deps.log.error(
          {
            code: error instanceof HqError ? error.code : 'HQ_STORE_FAILED',
            stationId: event.stationId,
            eventId: event.eventId,
            err: error,
          },
          'OTA progress not taken into its rollout',
        );
        return;
      }
    }
  };
  return {
    ingest(event) {
      const run = tail.then(() => once(event));
      tail = run;
      return run;
    },
  };
}
