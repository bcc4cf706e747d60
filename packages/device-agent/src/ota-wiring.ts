// The agent's OTA ports from its config (issue 13), wired where main.ts wires every adapter: the
// state file and the release slots under config.ota.releasesRoot, the pinned HQ release key, the
// HTTP Range source (URL from the accepted offer), the trial health check (the doctor's
// peripherals, token and disk checks, a broker session, the journal chain) within a deadline, and
// the systemd restart.
import { spawn } from 'node:child_process';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NamedCheck, TrialHealthCheck } from './adapters/ota/health-check.js';
import { HttpReleaseSource } from './adapters/ota/http-source.js';
import { PrivilegedSwitchSlots } from './adapters/ota/privileged-switch.js';
import { FsReleaseSlots } from './adapters/ota/release-slots.js';
import { OtaStateFile } from './adapters/ota/state-file.js';
import { RootRestarter, SystemdRestarter } from './adapters/ota/systemd-restarter.js';
import {
  diskCheck,
  peripheralsCheck,
  type RecordedSerials,
  tokenCheck,
} from './adapters/ota/trial-checks.js';
import type { OtaWiring } from './app/ota-link.js';
import type { DeviceConfig } from './config/schema.js';
import type { OtaOffer } from './domain/ota/ota-machine.js';
import { otaTrialPeripheralsAttemptsMax, otaTrialPeripheralsRetryMs } from './limits.js';
import type { ClockPort } from './ports/clock.js';
import type { PeripheralsView } from './ports/operator.js';
import type { PublisherPort } from './ports/publisher.js';
import type { ServiceManagerPort } from './ports/service-manager.js';
import type { Signer } from './ports/signer.js';

export const otaUnitDefault = 'bianmin-kiosk.service';
export const otaTrialMsDefault = 10 * 60_000;
export const otaHealthDeadlineMsDefault = 2 * 60_000;
/** ota.switchVia "unit": the folder the agent shares with the root helper (deploy/kiosk/install.sh makes it). */
export const otaStateDirDefault = '/var/lib/bianmin/ota';

export interface OtaWiringInputs {
  readonly ota: NonNullable<DeviceConfig['ota']>;
  readonly clock: ClockPort;
  readonly serviceManager: ServiceManagerPort;
  /** The journal: chain verification and the backup before a switch. */
  readonly journal: {
    verify(): { ok: boolean; reason?: string; badIndex?: number };
    backupTo(path: string): void;
  };
  /** The agent's link once it exists (the broker check waits for an online session). */
  readonly link: () => PublisherPort | undefined;
  /** Identify + heartbeat on both devices through the running agent (undefined: not running yet). */
  readonly peripherals: () => Promise<PeripheralsView> | undefined;
  /** The serial numbers recorded at provisioning, compared with what answers. */
  readonly recordedSerials: RecordedSerials;
  /** Free bytes in the journal's folder, and the reserve below which business is refused. */
  readonly diskFreeBytes: () => number;
  readonly diskReserveBytes: number;
  /** The UK key, asked to sign a test digest. */
  readonly signer: Pick<Signer, 'signDigest' | 'publicKey'>;
  readonly stationId: string;
  /** The accepted offer's fetch URL (OtaLink.fetchUrlOf). */
  readonly fetchUrlOf: (offer: OtaOffer) => string | undefined;
  /** Default: systemctl detached. */
  readonly spawnDetached?: (command: string, args: readonly string[]) => void;
}

function brokerCheck(link: () => PublisherPort | undefined): NamedCheck {
  return {
    name: 'broker',
    run: () =>
      new Promise((resolve) => {
        const current = link();
        if (current === undefined) return resolve({ ok: false, reason: 'no link' });
        if (current.state().kind === 'online') return resolve({ ok: true, reason: '' });
        // The deadline (TrialHealthCheck) ends a session that never comes up.
        current.onStateChange((state) => {
          if (state.kind === 'online') resolve({ ok: true, reason: '' });
        });
      }),
  };
}

/**
 * The slots and where the OTA state lives. "direct": releasesRoot holds slots, links and state.
 * "unit": the agent writes only stateDir (staging/, downloads/, the request); root switches.
 */
function slotsOf(
  ota: NonNullable<DeviceConfig['ota']>,
  releaseKey: KeyObject,
  inputs: OtaWiringInputs,
): Pick<OtaWiring, 'slots' | 'switchOutcomes'> & { statePath: string } {
  const backupJournal = (to: string) => inputs.journal.backupTo(to);
  const nowMs = () => inputs.clock.nowMs();
  if ((ota.switchVia ?? 'direct') === 'direct') {
    const slots = new FsReleaseSlots({
      root: ota.releasesRoot,
      releaseKeys: [releaseKey],
      backupJournal,
      nowMs,
    });
    return { slots, statePath: join(ota.releasesRoot, 'ota', 'state.json') };
  }
  const stateDir = ota.stateDir ?? otaStateDirDefault;
  const staging = new FsReleaseSlots({
    root: ota.releasesRoot,
    slotsDir: join(stateDir, 'staging'),
    otaDir: stateDir,
    releaseKeys: [releaseKey],
    backupJournal,
    nowMs,
  });
  const slots = new PrivilegedSwitchSlots({ kioskDir: ota.releasesRoot, stateDir, staging, backupJournal });
  return { slots, switchOutcomes: slots, statePath: join(stateDir, 'state.json') };
}

export function otaWiringOf(inputs: OtaWiringInputs): OtaWiring {
  const { ota, clock } = inputs;
  const releaseKey = createPublicKey(readFileSync(ota.releaseKeyPath, 'utf8'));
  const { slots, switchOutcomes, statePath } = slotsOf(ota, releaseKey, inputs);
  const viaUnit = switchOutcomes !== undefined;
  const healthDeadlineMs = ota.healthDeadlineMs ?? otaHealthDeadlineMsDefault;
  // The doctor's questions, through the agent's own ports (adapters/ota/trial-checks.ts).
  const checks: NamedCheck[] = [
    peripheralsCheck(inputs.peripherals, inputs.recordedSerials, {
      pause: () => new Promise((resolve) => clock.setTimer(otaTrialPeripheralsRetryMs, () => resolve())),
      // The last answer (naming the silent device) comes before the health deadline ends the check.
      attemptsMax: Math.max(
        1,
        Math.min(
          otaTrialPeripheralsAttemptsMax,
          Math.floor(healthDeadlineMs / otaTrialPeripheralsRetryMs) - 2,
        ),
      ),
    }),
    tokenCheck(inputs.signer, inputs.stationId),
    diskCheck(inputs.diskFreeBytes, inputs.diskReserveBytes),
    brokerCheck(inputs.link),
    {
      name: 'journal-chain',
      run: async () => {
        const verdict = inputs.journal.verify();
        return verdict.ok
          ? { ok: true, reason: '' }
          : { ok: false, reason: `${verdict.reason ?? 'broken'} at row ${verdict.badIndex ?? '?'}` };
      },
    },
  ];
  return {
    store: new OtaStateFile(statePath),
    source: new HttpReleaseSource({ urlOf: inputs.fetchUrlOf }),
    slots,
    ...(switchOutcomes === undefined ? {} : { switchOutcomes }),
    health: new TrialHealthCheck({
      checks,
      clock,
      deadlineMs: healthDeadlineMs,
    }),
    // Under the shipped unit the agent may not restart itself: root does, after its switch.
    restarter: viaUnit
      ? new RootRestarter(inputs.serviceManager)
      : new SystemdRestarter({
          serviceManager: inputs.serviceManager,
          unit: ota.unit ?? otaUnitDefault,
          spawn:
            inputs.spawnDetached ??
            ((command, args) => spawn(command, [...args], { detached: true, stdio: 'ignore' }).unref()),
        }),
    timings: { trialMs: ota.trialMs ?? otaTrialMsDefault },
  };
}
