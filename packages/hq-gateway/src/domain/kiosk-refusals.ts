// What a kiosk says it refuses, as an alert at HQ (issue 9): its telemetry lists the codes it
// refuses new business with for reasons of its own hardware (a disk below its reserve, a clock
// known to be wrong). HQ raises an alert when a code appears and notes when it clears, once per
// change, not on every telemetry message. Pure; the codes are the kiosk's, bounded and untrusted:
// only known hardware codes count, anything else is ignored.
import { assert } from './assert.js';

/** The kiosk refusal codes that need a person at HQ (docs/errors/device-agent.md). */
export const kioskHardwareRefusalCodes: readonly string[] = ['AGENT_TX_DISK_LOW', 'AGENT_TX_CLOCK_SKEW'];

export interface RefusalChange {
  /** The known hardware codes the station now refuses with, sorted. */
  readonly current: readonly string[];
  /** Codes new since the last telemetry: an alert each. */
  readonly raised: readonly string[];
  /** Codes gone since the last telemetry. */
  readonly cleared: readonly string[];
}

/** Compares the station's last known hardware refusals with the ones its telemetry now lists. */
export function refusalChange(previous: readonly string[], reported: readonly string[]): RefusalChange {
  assert(
    previous.length <= kioskHardwareRefusalCodes.length,
    'refusalChange: previous holds known codes only',
  );
  const current = kioskHardwareRefusalCodes.filter((code) => reported.includes(code));
  const raised = current.filter((code) => !previous.includes(code));
  const cleared = previous.filter((code) => !current.includes(code));
  assert(
    raised.every((code) => current.includes(code)),
    'refusalChange: raised is part of current',
  );
  return { current, raised, cleared };
}
