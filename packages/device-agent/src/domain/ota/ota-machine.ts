// The kiosk's over-the-air update as a pure state machine (issue 13; anchors: RAUC's A/B slots and
// Mender's commit-or-roll-back). One offer at a time moves through named phases:
//
//   idle → downloading (chunks, resumable from the byte offset already stored)
//        → verifying (the manifest's signature under a pinned release key, then every file's SHA-256)
//        → unpacking (into the inactive slot releases/<version>, never the running one)
//        → staged (waits for the update lock: no transaction in flight and the station closed —
//          outside service hours or in its maintenance window, R20)
//        → switching (the `current` link renamed to the new slot; the journal backed up first)
//        → trial (systemd restarted the agent from the new slot; the health check must pass
//          before trialDeadlineMs) → idle with the new release marked good,
//          or → rolling-back (current renamed back to the good slot) → idle, report, restart.
// The shell feeds 'switched' after every switch effect; the phase says which switch it was.
// Under the shipped unit (ota.switchVia "unit") the switch effect only asks root to switch; a
// refusal comes back on the next start as 'switch-refused' and ends the trial as failed.
//
// otaStep(state, input) returns the next state and the effects the shell must run, in order. The
// shell persists the state BEFORE running the effects (write-ahead), and every effect is
// idempotent, so a kill at any point resumes from the persisted phase (otaResume) and the kiosk
// always boots a release whose slot is complete: the link only ever names a verified slot. No
// effect touches the journal except the backup copy made before a switch.

import { assert } from '../assert.js';

export interface OtaOffer {
  readonly rolloutId: string;
  /** The slot name, e.g. '1.4.0-linux-arm64'. */
  readonly version: string;
  /** Size of the whole download (manifest, signature and payload), bytes. */
  readonly downloadBytes: number;
}

export type OtaPhase =
  | { readonly name: 'idle' }
  | { readonly name: 'downloading'; readonly offer: OtaOffer; readonly receivedBytes: number }
  | { readonly name: 'verifying'; readonly offer: OtaOffer }
  | { readonly name: 'unpacking'; readonly offer: OtaOffer }
  | { readonly name: 'staged'; readonly offer: OtaOffer }
  | { readonly name: 'switching'; readonly offer: OtaOffer }
  | { readonly name: 'trial'; readonly offer: OtaOffer; readonly trialDeadlineMs: number }
  | { readonly name: 'rolling-back'; readonly offer: OtaOffer; readonly reason: string };

export interface OtaReport {
  readonly rolloutId: string;
  readonly progress: OtaProgress;
  readonly reason: string;
}

export interface OtaState {
  /** The slot `current` names when idle (the release known good). */
  readonly goodVersion: string;
  readonly phase: OtaPhase;
  /**
   * An offer's final report (healthy, rolled-back, failed) until the reporter took it: persisted
   * with the state that decided it, so a kill before the report is sent re-sends it on boot (HQ
   * treats the same report again as a no-op).
   */
  readonly unreported?: OtaReport;
}

/** What HQ's rollout hears (hq-gateway domain/rollout StationProgress, without pending/offered). */
export type OtaProgress = 'downloading' | 'installed' | 'healthy' | 'rolled-back' | 'failed';

export type OtaEffect =
  | { readonly type: 'download'; readonly fromByte: number }
  | { readonly type: 'verify' }
  | { readonly type: 'unpack' }
  | { readonly type: 'check-lock' }
  | { readonly type: 'switch'; readonly toVersion: string }
  | { readonly type: 'restart' }
  | { readonly type: 'health-check' }
  | { readonly type: 'discard'; readonly version: string }
  | {
      readonly type: 'report';
      readonly rolloutId: string;
      readonly progress: OtaProgress;
      readonly reason: string;
    };

/** Why the update lock holds; empty when the kiosk may switch now. */
export type LockReason = 'transaction-in-flight' | 'station-open' | 'outside-offer-window';

export type OtaInput =
  | { readonly type: 'offer'; readonly offer: OtaOffer }
  | { readonly type: 'chunk-stored'; readonly receivedBytes: number }
  | { readonly type: 'download-failed'; readonly code: string }
  | { readonly type: 'verified' }
  | { readonly type: 'verify-refused'; readonly code: string }
  | { readonly type: 'unpacked' }
  | { readonly type: 'lock'; readonly reasons: readonly LockReason[] }
  | { readonly type: 'switched'; readonly atMs: number }
  /** The root switch (ota.switchVia "unit") refused the staged release: `current` never moved. */
  | { readonly type: 'switch-refused'; readonly code: string }
  | { readonly type: 'health'; readonly ok: boolean; readonly reason: string; readonly atMs: number }
  | { readonly type: 'reported'; readonly report: OtaReport };

export interface OtaStepResult {
  readonly state: OtaState;
  readonly effects: readonly OtaEffect[];
  /** Set when the input does not fit the phase (a stale or duplicate event): the state is unchanged. */
  readonly ignored?: string;
}

export interface OtaTimings {
  /** How long the new release has to pass its health check after the switch, ms. */
  readonly trialMs: number;
}

export function initialOtaState(goodVersion: string): OtaState {
  assert(goodVersion.length > 0, 'a good version');
  return { goodVersion, phase: { name: 'idle' } };
}

/** Back to idle on `goodVersion` with the offer's final report pending until the reporter took it. */
function final(
  state: OtaState,
  goodVersion: string,
  offer: OtaOffer,
  progress: OtaProgress,
  reason: string,
  before: OtaEffect[] = [],
  after: OtaEffect[] = [],
): OtaStepResult {
  assert(state.phase.name !== 'idle', 'a final report ends an offer');
  const unreported: OtaReport = { rolloutId: offer.rolloutId, progress, reason };
  return {
    state: { goodVersion, phase: { name: 'idle' }, unreported },
    effects: [...before, { type: 'report', ...unreported }, ...after],
  };
}

function ignore(state: OtaState, why: string): OtaStepResult {
  return { state, effects: [], ignored: why };
}

function at(state: OtaState, phase: OtaPhase, effects: OtaEffect[]): OtaStepResult {
  return { state: { ...state, phase }, effects };
}

const report = (offer: OtaOffer, progress: OtaProgress, reason = ''): OtaEffect => ({
  type: 'report',
  rolloutId: offer.rolloutId,
  progress,
  reason,
});

export function otaStep(state: OtaState, input: OtaInput, timings: OtaTimings): OtaStepResult {
  assert(timings.trialMs > 0, 'trialMs > 0');
  const phase = state.phase;
  switch (input.type) {
    case 'offer': {
      if (phase.name !== 'idle') return ignore(state, `busy: ${phase.name}`);
      if (input.offer.version === state.goodVersion) return ignore(state, 'already running this version');
      assert(
        Number.isSafeInteger(input.offer.downloadBytes) && input.offer.downloadBytes > 0,
        'download size',
      );
      return at(state, { name: 'downloading', offer: input.offer, receivedBytes: 0 }, [
        report(input.offer, 'downloading'),
        { type: 'download', fromByte: 0 },
      ]);
    }
    case 'chunk-stored': {
      if (phase.name !== 'downloading') return ignore(state, `no download in ${phase.name}`);
      assert(
        input.receivedBytes > phase.receivedBytes && input.receivedBytes <= phase.offer.downloadBytes,
        'a chunk moves the download forward within its size',
      );
      if (input.receivedBytes === phase.offer.downloadBytes) {
        return at(state, { name: 'verifying', offer: phase.offer }, [{ type: 'verify' }]);
      }
      return at(state, { ...phase, receivedBytes: input.receivedBytes }, [
        { type: 'download', fromByte: input.receivedBytes },
      ]);
    }
    case 'download-failed':
    case 'verify-refused': {
      if (phase.name !== 'downloading' && phase.name !== 'verifying' && phase.name !== 'unpacking') {
        return ignore(state, `nothing to refuse in ${phase.name}`);
      }
      return final(state, state.goodVersion, phase.offer, 'failed', input.code, [
        { type: 'discard', version: phase.offer.version },
      ]);
    }
    case 'verified':
      if (phase.name !== 'verifying') return ignore(state, `not verifying: ${phase.name}`);
      return at(state, { name: 'unpacking', offer: phase.offer }, [{ type: 'unpack' }]);
    case 'unpacked':
      if (phase.name !== 'unpacking') return ignore(state, `not unpacking: ${phase.name}`);
      return at(state, { name: 'staged', offer: phase.offer }, [
        report(phase.offer, 'installed'),
        { type: 'check-lock' },
      ]);
    case 'lock':
      if (phase.name !== 'staged') return ignore(state, `not staged: ${phase.name}`);
      // Held: the shell asks again later (on its clock); nothing is persisted for a held lock.
      if (input.reasons.length > 0) return { state, effects: [] };
      return at(state, { name: 'switching', offer: phase.offer }, [
        { type: 'switch', toVersion: phase.offer.version },
      ]);
    case 'switched':
      if (phase.name === 'rolling-back') {
        // Back on the good slot: report why, then restart into it.
        return final(
          state,
          state.goodVersion,
          phase.offer,
          'rolled-back',
          phase.reason,
          [],
          [{ type: 'restart' }],
        );
      }
      if (phase.name !== 'switching') return ignore(state, `not switching: ${phase.name}`);
      return at(state, { name: 'trial', offer: phase.offer, trialDeadlineMs: input.atMs + timings.trialMs }, [
        { type: 'restart' },
      ]);
    case 'switch-refused':
      if (phase.name !== 'trial') return ignore(state, `not on trial: ${phase.name}`);
      // Still on the good release (the root helper changed nothing): the offer failed with its code.
      return final(state, state.goodVersion, phase.offer, 'failed', input.code, [
        { type: 'discard', version: phase.offer.version },
      ]);
    case 'health': {
      if (phase.name !== 'trial') return ignore(state, `not on trial: ${phase.name}`);
      if (input.ok && input.atMs < phase.trialDeadlineMs) {
        // Marked good: the new slot is the release to keep; the old one stays as `previous`.
        return final(state, phase.offer.version, phase.offer, 'healthy', '');
      }
      const reason = input.ok ? 'health check passed after the trial deadline' : input.reason;
      return at(state, { name: 'rolling-back', offer: phase.offer, reason }, [
        { type: 'switch', toVersion: state.goodVersion },
      ]);
    }
    case 'reported': {
      const sent = state.unreported;
      if (sent === undefined || JSON.stringify(sent) !== JSON.stringify(input.report))
        return ignore(state, 'not pending');
      return { state: { goodVersion: state.goodVersion, phase: state.phase }, effects: [] };
    }
  }
}

/**
 * The effects to run again after a restart (a crash or the switch's own restart), from the
 * persisted state: each phase's work is idempotent, so it is simply redone.
 */
export function otaResume(state: OtaState): readonly OtaEffect[] {
  const phase = state.phase;
  switch (phase.name) {
    case 'idle':
      return state.unreported === undefined ? [] : [{ type: 'report', ...state.unreported }];
    case 'downloading':
      return [{ type: 'download', fromByte: phase.receivedBytes }];
    case 'verifying':
      return [{ type: 'verify' }];
    case 'unpacking':
      return [{ type: 'unpack' }];
    case 'staged':
      return [{ type: 'check-lock' }];
    case 'switching':
      return [{ type: 'switch', toVersion: phase.offer.version }];
    case 'trial':
      // We are the restarted agent (or it crashed during its trial): judge the running release.
      return [{ type: 'health-check' }];
    case 'rolling-back':
      return [{ type: 'switch', toVersion: state.goodVersion }];
  }
}

/** The slot the kiosk must run in this state: what `current` should name after a restart. */
export function expectedCurrent(state: OtaState): string {
  const phase = state.phase;
  const version = phase.name === 'trial' ? phase.offer.version : state.goodVersion;
  assert(version.length > 0, 'a version to run');
  return version;
}
