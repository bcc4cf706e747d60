// The OTA runner's restart (issue 13) under systemd: tell the service manager we are stopping on
// purpose (STOPPING=1 with a status line, through ports/service-manager.ts: the sd_notify protocol)
// and ask systemd to restart the unit without waiting for the job (`systemctl restart --no-block`:
// the command must not wait for its own process to die). systemd then starts the agent from the
// `current` link, which the switch already renamed: the new release (or, after a roll-back, the good
// one). The unit's `Restart=on-failure` is not what restarts it: a restart on purpose is not a failure.
import type { Restarter } from '../../ports/ota.js';
import type { ServiceManagerPort } from '../../ports/service-manager.js';

/** Runs a command detached (child_process.spawn in production; a recorder in tests). */
export type SpawnDetached = (command: string, args: readonly string[]) => void;

export interface SystemdRestarterOptions {
  readonly serviceManager: ServiceManagerPort;
  /** The agent's unit, e.g. 'bianmin-kiosk.service' (deploy/kiosk/). */
  readonly unit: string;
  readonly spawn: SpawnDetached;
}

export class SystemdRestarter implements Restarter {
  readonly #o: SystemdRestarterOptions;

  constructor(options: SystemdRestarterOptions) {
    if (!/^[A-Za-z0-9@_.:-]{1,128}\.service$/.test(options.unit))
      throw new Error(`assert: a systemd service unit name, not ${JSON.stringify(options.unit)}`);
    this.#o = options;
  }

  restart(): void {
    this.#o.serviceManager.notify([
      'STOPPING=1',
      'STATUS=restarting into the release the OTA switch selected',
    ]);
    this.#o.spawn('systemctl', ['restart', '--no-block', this.#o.unit]);
  }
}

/**
 * ota.switchVia "unit": the root helper restarts the agent after it switched (a non-root agent may
 * not `systemctl restart` its own unit); the agent only says what it waits for.
 */
export class RootRestarter implements Restarter {
  readonly #serviceManager: ServiceManagerPort;

  constructor(serviceManager: ServiceManagerPort) {
    this.#serviceManager = serviceManager;
  }

  restart(): void {
    this.#serviceManager.notify(['STATUS=waiting for the root OTA switch (bianmin-ota-switch.service)']);
  }
}
