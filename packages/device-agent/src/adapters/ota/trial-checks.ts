// The doctor's checks as a new release's trial runs them inside the agent (issue 13): the same
// questions `kiosk doctor` asks, answered through the running agent's own ports instead of opening
// the devices and the token a second time. Each is a NamedCheck for TrialHealthCheck: a failure
// names what failed, and the kiosk rolls back and reports it (AGENT_OTA_HEALTH_FAILED).
import { createHash, createPublicKey, verify } from 'node:crypto';
import type { PeripheralsView, PeripheralView } from '../../ports/operator.js';
import type { Signer } from '../../ports/signer.js';
import type { NamedCheck } from './health-check.js';

/** The serial numbers `kiosk provision` recorded (config serial.*.serialNumber); absent: not compared. */
export interface RecordedSerials {
  readonly cardReader?: string;
  readonly pinPad?: string;
}

/** How the peripherals check asks again while a device does not answer yet (ota-wiring's clock). */
export interface PeripheralsRetry {
  /** Resolves after the pause between two attempts. */
  readonly pause: () => Promise<void>;
  readonly attemptsMax: number;
}

/**
 * Both devices answer identify + heartbeat, and each is the one recorded at provisioning. A device
 * that does not answer yet (its link may still be opening at the new release's start) is asked
 * again after `retry.pause`, up to `retry.attemptsMax` times (the trial's deadline ends it first);
 * a device that answers with another serial fails at once.
 */
export function peripheralsCheck(
  peripherals: () => Promise<PeripheralsView> | undefined,
  recorded: RecordedSerials,
  retry: PeripheralsRetry = { pause: async () => undefined, attemptsMax: 1 },
): NamedCheck {
  if (!(Number.isSafeInteger(retry.attemptsMax) && retry.attemptsMax >= 1))
    throw new Error('assert: attemptsMax');
  return {
    name: 'peripherals',
    run: async () => {
      let verdict: { ok: boolean; reason: string; final?: boolean } = { ok: false, reason: 'not asked' };
      for (let attempt = 1; attempt <= retry.attemptsMax; attempt += 1) {
        if (attempt > 1) await retry.pause();
        verdict = await askPeripherals(peripherals, recorded);
        if (verdict.ok || verdict.final) break;
      }
      return { ok: verdict.ok, reason: verdict.reason };
    },
  };
}

async function askPeripherals(
  peripherals: () => Promise<PeripheralsView> | undefined,
  recorded: RecordedSerials,
): Promise<{ ok: boolean; reason: string; final?: boolean }> {
  const view = await peripherals();
  if (view === undefined) return { ok: false, reason: 'the agent is not running yet' };
  const parts = [
    devicePart('card reader', view.cardReader, recorded.cardReader),
    devicePart('PIN pad', view.pinPad, recorded.pinPad),
  ];
  const problems = parts.filter((text): text is string => text !== undefined);
  if (problems.length === 0) return { ok: true, reason: '' };
  // Another device answering is no start-up delay: fail without asking again.
  const final = problems.some((text) => text.includes('AGENT_DOCTOR_PERIPHERAL_MISMATCH'));
  return { ok: false, reason: problems.join('; '), final };
}

function devicePart(label: string, view: PeripheralView, recorded: string | undefined): string | undefined {
  if (view.identity === undefined)
    return `${label} does not answer (${view.errorCode ?? view.link}${view.errorMessage === undefined ? '' : `: ${view.errorMessage}`})`;
  if (recorded !== undefined && view.identity.serialNumber !== recorded)
    return `${label}: serial ${view.identity.serialNumber} answers, provisioning recorded ${recorded} (AGENT_DOCTOR_PERIPHERAL_MISMATCH)`;
  return undefined;
}

/** The journal's folder keeps more than the reserve below which the agent refuses business. */
export function diskCheck(freeBytes: () => number, reserveBytes: number): NamedCheck {
  if (!(Number.isSafeInteger(reserveBytes) && reserveBytes >= 0)) throw new Error('assert: reserveBytes');
  return {
    name: 'disk',
    run: async () => {
      const free = freeBytes();
      const mib = (bytes: number) => Math.floor(bytes / (1024 * 1024));
      return free > reserveBytes
        ? { ok: true, reason: '' }
        : {
            ok: false,
            reason: `${mib(free)} MiB free, reserve ${mib(reserveBytes)} MiB (AGENT_DOCTOR_DISK_LOW)`,
          };
    },
  };
}

/** The UK key signs a test digest and the signature verifies with the key the agent enrolled. */
export function tokenCheck(signer: Pick<Signer, 'signDigest' | 'publicKey'>, stationId: string): NamedCheck {
  return {
    name: 'token',
    run: async () => {
      const message = Buffer.from(`ota trial ${stationId}`);
      const digest = createHash('sha256').update(message).digest();
      const signature = await signer.signDigest(digest);
      const key = createPublicKey((await signer.publicKey()).pem);
      const ok = verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
      return ok
        ? { ok: true, reason: '' }
        : { ok: false, reason: 'the test signature does not verify (AGENT_DOCTOR_TOKEN_FAILED)' };
    },
  };
}
