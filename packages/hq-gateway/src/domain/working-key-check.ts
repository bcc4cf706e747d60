// R24, the HQ half of the key check value (issue 13): after the kiosk loads a working key (TPK)
// into its PIN pad it answers with a CommandResult whose detail carries the KCV the pad computed
// ("TPK <id> loaded, KCV <6 hex>"). HQ does not take the kiosk's word that it matched: it compares
// that KCV with the HSM's own KCV of the key it issued. Equal: the key becomes the station's active
// key. Different (a broken pad, a substituted key, or a kiosk that lies): a discrepancy with the
// code HQ_KEY_KCV_MISMATCH, never activated. A failed or refused command: HQ_KEY_LOAD_FAILED.
// Pure: the app layer (app/working-key-check.ts) reads the HSM and the log and records the verdict.
import { assert } from './assert.js';

/** CommandOutcome as the wire numbers it (proto/bianmin/v1/events.proto). */
export const commandOutcomeDone = 1;

export type WorkingKeyVerdict =
  | { readonly verdict: 'activated'; readonly kcv: string }
  | {
      readonly verdict: 'kcv-mismatch';
      readonly code: 'HQ_KEY_KCV_MISMATCH';
      readonly kcvExpected: string;
      /** '' when the kiosk's answer carries no KCV at all. */
      readonly kcvReported: string;
    }
  | { readonly verdict: 'load-failed'; readonly code: 'HQ_KEY_LOAD_FAILED'; readonly detail: string };

const kcvPattern = /^[0-9A-F]{6}$/;

/** The pad's KCV from a CommandResult detail ("… KCV 1A2B3C"), upper-case; '' when absent. */
export function reportedKcv(detail: string): string {
  const match = /\bKCV ([0-9A-Fa-f]{6})\b/.exec(detail);
  return match === null ? '' : match[1]!.toUpperCase();
}

export function checkWorkingKeyResult(result: {
  readonly outcome: number;
  readonly detail: string;
  /** The HSM's KCV of the key sent: 6 hex digits. */
  readonly hsmKcv: string;
}): WorkingKeyVerdict {
  const kcvExpected = result.hsmKcv.toUpperCase();
  assert(kcvPattern.test(kcvExpected), 'the HSM KCV is 6 hex digits');
  if (result.outcome !== commandOutcomeDone)
    return { verdict: 'load-failed', code: 'HQ_KEY_LOAD_FAILED', detail: result.detail.slice(0, 200) };
  const kcvReported = reportedKcv(result.detail);
  if (kcvReported !== kcvExpected)
    return { verdict: 'kcv-mismatch', code: 'HQ_KEY_KCV_MISMATCH', kcvExpected, kcvReported };
  return { verdict: 'activated', kcv: kcvReported };
}
