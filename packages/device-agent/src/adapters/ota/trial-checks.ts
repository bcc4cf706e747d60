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

/** Both devices answer identify + heartbeat now, and each is the one recorded at provisioning. */
export function peripheralsCheck(
  peripherals: () => Promise<PeripheralsView> | undefined,
  recorded: RecordedSerials,
): NamedCheck {
  return {
    name: 'peripherals',
    run: async () => {
      const view = await peripherals();
      if (view === undefined) return { ok: false, reason: 'the agent is not running yet' };
      const problems = [
        devicePart('card reader', view.cardReader, recorded.cardReader),
        devicePart('PIN pad', view.pinPad, recorded.pinPad),
      ].filter((text): text is string => text !== undefined);
      return problems.length === 0 ? { ok: true, reason: '' } : { ok: false, reason: problems.join('; ') };
    },
  };
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
