// The agent's OTA, wired to HQ (issue 13): HQ's update offer arrives as an HQ-signed Command
// (hq-inbox verified it, hq-commands runs it once), is judged here (domain/ota/offer-check.ts:
// downgrade, replay, busy) and handed to the OTA runner (app/ota-runner.ts), which works in the
// background while the command's answer is journaled. The runner's progress goes back to HQ as
// journaled, station-signed OtaProgress events: durable before they count as sent, delivered by the
// outbox like every event, kept across a switch and a roll-back (the journal is not in a slot). The
// update lock is the agent's own: no withdrawal open and the station closed (R20) by the service
// hours of the running HQ config; no config yet means the hours are unknown, so the lock holds.
import { type bianmin, PayloadType, v1 } from '@bianmin/wire';
import { offerRefusals } from '../domain/ota/offer-check.js';
import type { LockReason, OtaOffer, OtaProgress, OtaState } from '../domain/ota/ota-machine.js';
import { updateLockReasons } from '../domain/ota/update-lock.js';
import { isAgentError } from '../errors.js';
import type { ProgressReporter, UpdateLock } from '../ports/ota.js';
import type { AppContext } from './context.js';
import type { CommandResult } from './hq-commands.js';
import { OtaRunner, type OtaRunnerDeps } from './ota-runner.js';

/** What main.ts (or a test) gives the agent for OTA: everything but the lock, the reporter and the clock. */
export type OtaWiring = Omit<OtaRunnerDeps, 'lock' | 'reporter' | 'nowMs'>;

/** Journal meta: the highest offer_seq accepted (replay guard). */
export const META_OTA_OFFER_SEQ = 'ota_offer_seq';
/** Journal meta: the release a rollout offered (progress reports name it after a restart). */
const metaRolloutVersion = (rolloutId: string) => `ota_rollout_version:${rolloutId}`;
/** Journal meta: the offer's switch window, "notBeforeMs-notAfterMs" (0: open on that side). */
const metaSwitchWindow = (rolloutId: string) => `ota_switch_window:${rolloutId}`;
/** Journal meta: where the offer said the pack is (the HTTP source resumes from it after a restart). */
const metaFetchUrl = (rolloutId: string) => `ota_fetch_url:${rolloutId}`;

const stageByProgress: Readonly<Record<OtaProgress, number>> = {
  downloading: v1.OtaStage.OTA_STAGE_DOWNLOADING,
  installed: v1.OtaStage.OTA_STAGE_STAGED,
  healthy: v1.OtaStage.OTA_STAGE_HEALTHY,
  'rolled-back': v1.OtaStage.OTA_STAGE_ROLLED_BACK,
  failed: v1.OtaStage.OTA_STAGE_FAILED,
};

const DONE = v1.CommandOutcome.COMMAND_OUTCOME_DONE;
const REFUSED = v1.CommandOutcome.COMMAND_OUTCOME_REFUSED;

/** The wire fields of one report: its stage, and why (an error code as it is, or a health-check text under its code). */
export function otaProgressFields(
  progress: OtaProgress,
  reason: string,
): { stage: number; reasonCode: string; detail: string } {
  return { stage: stageByProgress[progress], ...reasonParts(progress, reason) };
}

function reasonParts(progress: OtaProgress, reason: string): { reasonCode: string; detail: string } {
  if (progress !== 'rolled-back' && progress !== 'failed') return { reasonCode: '', detail: '' };
  if (/^[A-Z][A-Z0-9_]{2,63}$/.test(reason)) return { reasonCode: reason, detail: '' };
  return { reasonCode: 'AGENT_OTA_HEALTH_FAILED', detail: reason.slice(0, 500) };
}

export class OtaLink {
  readonly #c: AppContext;
  readonly #wiring: OtaWiring;
  readonly #openTransactions: () => number;
  readonly #versions = new Map<string, string>();
  readonly #fetchUrls = new Map<string, string>();
  readonly #windows = new Map<string, readonly [number, number]>();
  #runner: OtaRunner | undefined;
  #work: Promise<void> = Promise.resolve();

  constructor(context: AppContext, wiring: OtaWiring, openTransactions: () => number) {
    this.#c = context;
    this.#wiring = wiring;
    this.#openTransactions = openTransactions;
  }

  /** The OTA state (tests, status). */
  state(): OtaState {
    return this.#runnerOf().state;
  }

  /** True once the runner asked systemd for a restart: the process is about to be replaced. */
  get restarted(): boolean {
    return this.#runner?.restarted ?? false;
  }

  /** After start: resume the persisted phase (a trial judges the running release here). */
  boot(): Promise<void> {
    return this.#enqueue(() => this.#runnerOf().boot());
  }

  /** Periodic (the agent's clock): re-ask the update lock while staged, end a late trial. */
  tick(): Promise<void> {
    return this.#enqueue(() => this.#runnerOf().tick());
  }

  /** Resolves when the work started so far settled (tests, stop). */
  settled(): Promise<void> {
    return this.#work;
  }

  /** Judges a verified offer; an accepted one starts the runner in the background. */
  accept(offer: bianmin.v1.IOtaOffer): CommandResult {
    const runner = this.#runnerOf();
    const releaseVersion = offer.releaseVersion ?? '';
    const rolloutId = offer.rolloutId ?? '';
    const offerSeq = Number(offer.offerSeq ?? 0);
    const lastOfferSeq = Number(this.#c.journal.getMeta(META_OTA_OFFER_SEQ) ?? '0');
    const refusals = offerRefusals(
      { releaseVersion, offerSeq },
      { goodVersion: runner.state.goodVersion, lastOfferSeq, busy: runner.state.phase.name !== 'idle' },
    );
    if (refusals.length > 0) {
      this.#c.log.warn(
        { code: refusals[0]?.code, rolloutId, releaseVersion, offerSeq },
        'update offer refused',
      );
      return { outcome: REFUSED, detail: refusals.map((r) => `${r.code}: ${r.message}`).join('; ') };
    }
    this.#versions.set(rolloutId, releaseVersion);
    this.#fetchUrls.set(rolloutId, offer.fetchUrl ?? '');
    this.#windows.set(rolloutId, [Number(offer.switchNotBeforeMs ?? 0), Number(offer.switchNotAfterMs ?? 0)]);
    const otaOffer: OtaOffer = {
      rolloutId,
      version: releaseVersion,
      downloadBytes: Number(offer.packBytes ?? 0),
    };
    void this.#enqueue(() => runner.offer(otaOffer));
    this.#c.log.info({ rolloutId, releaseVersion, offerSeq }, 'update offer accepted');
    return {
      outcome: DONE,
      detail: `offer of ${releaseVersion} accepted (rollout ${rolloutId})`,
      meta: {
        [META_OTA_OFFER_SEQ]: String(offerSeq),
        [metaRolloutVersion(rolloutId)]: releaseVersion,
        [metaFetchUrl(rolloutId)]: offer.fetchUrl ?? '',
        [metaSwitchWindow(rolloutId)]:
          `${Number(offer.switchNotBeforeMs ?? 0)}-${Number(offer.switchNotAfterMs ?? 0)}`,
      },
    };
  }

  /** The pack's URL as the accepted offer gave it (adapters/ota/http-source.ts urlOf). */
  fetchUrlOf(rolloutId: string): string | undefined {
    const url = this.#fetchUrls.get(rolloutId) ?? this.#c.journal.getMeta(metaFetchUrl(rolloutId)) ?? '';
    return url === '' ? undefined : url;
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const run = this.#work.then(work).catch((error: unknown) => {
      this.#c.log.error(
        { code: isAgentError(error) ? error.code : 'AGENT_OTA_STATE_INVALID', err: String(error) },
        'OTA step failed; the running release keeps running',
      );
    });
    this.#work = run;
    return run;
  }

  #runnerOf(): OtaRunner {
    if (this.#runner === undefined) {
      this.#runner = new OtaRunner({
        ...this.#wiring,
        lock: this.#lock(),
        reporter: this.#reporter(),
        nowMs: () => this.#c.clock.nowMs(),
      });
    }
    return this.#runner;
  }

  #lock(): UpdateLock {
    return {
      reasons: (nowMs) => {
        const config = this.#c.rules.config();
        const inFlight = this.#openTransactions() > 0;
        const reasons: LockReason[] =
          config === null
            ? inFlight
              ? ['transaction-in-flight', 'station-open']
              : ['station-open']
            : updateLockReasons(config.serviceHours, nowMs, inFlight);
        // HQ's wish on top of R20: switch only inside the offer's window (0: open on that side).
        const [notBeforeMs, notAfterMs] = this.#windowOf();
        if ((notBeforeMs > 0 && nowMs < notBeforeMs) || (notAfterMs > 0 && nowMs > notAfterMs))
          reasons.push('outside-offer-window');
        return reasons;
      },
    };
  }

  /** The switch window of the offer being installed; [0, 0] when none. */
  #windowOf(): readonly [number, number] {
    const phase = this.#runner?.state.phase;
    if (phase === undefined || phase.name === 'idle') return [0, 0];
    const rolloutId = phase.offer.rolloutId;
    const known = this.#windows.get(rolloutId);
    if (known !== undefined) return known;
    const stored = /^(\d+)-(\d+)$/.exec(this.#c.journal.getMeta(metaSwitchWindow(rolloutId)) ?? '');
    return stored === null ? [0, 0] : [Number(stored[1]), Number(stored[2])];
  }

  #versionOf(rolloutId: string): string {
    const phase = this.#runner?.state.phase;
    if (phase !== undefined && phase.name !== 'idle' && phase.offer.rolloutId === rolloutId)
      return phase.offer.version;
    return this.#versions.get(rolloutId) ?? this.#c.journal.getMeta(metaRolloutVersion(rolloutId)) ?? '';
  }

  #reporter(): ProgressReporter {
    return {
      report: async (rolloutId, progress, reason) => {
        const c = this.#c;
        const releaseVersion = this.#versionOf(rolloutId);
        const phase = this.#runner?.state.phase;
        const totalBytes = phase !== undefined && phase.name !== 'idle' ? phase.offer.downloadBytes : 0;
        const receivedBytes = phase?.name === 'downloading' ? phase.receivedBytes : totalBytes;
        const body = {
          rolloutId,
          releaseVersion,
          receivedBytes,
          totalBytes,
          ...otaProgressFields(progress, reason),
          reportedAtMs: c.clock.nowMs(),
        };
        await c.writer.serially(() =>
          c.writer.append(
            'ota.progress',
            `ota-${rolloutId}`,
            { rolloutId, releaseVersion, progress, reason },
            { type: PayloadType.PAYLOAD_TYPE_OTA_PROGRESS, body },
          ),
        );
        c.log.info({ rolloutId, releaseVersion, progress, reason }, 'OTA progress journaled for HQ');
      },
    };
  }
}
