// `kiosk doctor` while the agent runs (issue 13): the agent holds the serial ports (locked) and the
// broker session (the broker takes the station id as client id, so a second session would push the
// agent's off), so doctor asks the agent over its operator socket instead of fighting it: its link
// state, its config version, and identify + heartbeat on both devices through the agent's own links.
// No socket, or a stale one nobody answers (ECONNREFUSED): the agent is not running, and doctor
// opens the ports and the broker session itself.
import { existsSync, readFileSync } from 'node:fs';
import { OperatorClient } from '../../adapters/operator-api/client.js';
import type { DeviceConfig, SerialDeviceConfig } from '../../config/schema.js';
import { operatorTokenFileBytesMax } from '../../limits.js';
import type { AgentStatusView, PeripheralsView, PeripheralView } from '../../ports/operator.js';
import { type CheckRow, identityRow } from './checks.js';

export type AgentProbe =
  | { readonly kind: 'not-running' }
  /** Something listens on the socket, but doctor cannot ask it (no token, refused, timeout). */
  | { readonly kind: 'unreachable'; readonly detail: string }
  | { readonly kind: 'running'; readonly status: AgentStatusView; readonly peripherals: PeripheralsView };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Asks the running agent, if there is one, for its status and its devices. */
export async function probeRunningAgent(config: DeviceConfig, timeoutMs: number): Promise<AgentProbe> {
  const socketPath = config.operatorApi.socketPath;
  if (!existsSync(socketPath)) return { kind: 'not-running' };
  const tokenFile = config.operatorApi.tokenFile;
  let token: string;
  try {
    if (tokenFile === undefined) throw new Error('operatorApi.tokenFile is not configured');
    token = readFileSync(tokenFile, 'utf8').slice(0, operatorTokenFileBytesMax).trim();
  } catch (error) {
    return { kind: 'unreachable', detail: `cannot read the operator token: ${messageOf(error)}` };
  }
  const client = new OperatorClient({ kind: 'unix', socketPath }, token);
  try {
    const status = await withTimeout(client.get('/v1/status'), timeoutMs);
    if (status.status !== 200)
      return { kind: 'unreachable', detail: `GET /v1/status answered ${status.status}` };
    const peripherals = await withTimeout(client.get('/v1/peripherals'), timeoutMs);
    if (peripherals.status !== 200)
      return { kind: 'unreachable', detail: `GET /v1/peripherals answered ${peripherals.status}` };
    return {
      kind: 'running',
      status: status.body as unknown as AgentStatusView,
      peripherals: peripherals.body as unknown as PeripheralsView,
    };
  } catch (error) {
    // A socket file left by a killed agent: nobody listens, so the ports are free.
    if ((error as { code?: unknown }).code === 'ECONNREFUSED') return { kind: 'not-running' };
    return { kind: 'unreachable', detail: messageOf(error) };
  }
}

/** A device row from the running agent's answer (same verdicts as when doctor opens the port). */
export function agentDeviceRow(check: string, device: SerialDeviceConfig, view: PeripheralView): CheckRow {
  if (view.identity !== undefined)
    return identityRow(
      check,
      device,
      view.identity,
      `heartbeat ok (asked the running agent; link ${view.link})`,
    );
  return {
    check,
    status: 'FAIL',
    code: 'AGENT_DOCTOR_SERIAL_FAILED',
    ...(view.errorCode === undefined ? {} : { causeCode: view.errorCode }),
    detail: `${device.path}: the running agent's link is ${view.link}: ${view.errorMessage ?? 'no answer'}`,
    hint: `check the cable and power of the device, that ${device.path} exists (ls -l /dev/serial/by-id/), and the baud rate`,
  };
}

/** The broker and HQ-config rows from the running agent's own session (doctor opens none). */
export function agentLinkRows(status: AgentStatusView): CheckRow[] {
  const session: CheckRow =
    status.link === 'online'
      ? { check: 'broker session', status: 'PASS', detail: "the running agent's session is online" }
      : {
          check: 'broker session',
          status: 'FAIL',
          code: 'AGENT_DOCTOR_BROKER_REFUSED',
          detail: `the running agent's link is ${status.link}, not online`,
          hint: 'see the agent log for AGENT_LINK_* (journalctl -u bianmin-kiosk); check the password file, certificate and network',
        };
  const config: CheckRow =
    status.configVersion > 0
      ? {
          check: 'hq config',
          status: 'PASS',
          detail: `version ${status.configVersion}, verified against the pinned HQ key by the running agent`,
        }
      : {
          check: 'hq config',
          status: 'FAIL',
          code: 'AGENT_DOCTOR_HQ_CONFIG_MISSING',
          detail: 'the running agent has no HQ-signed config',
          hint: 'ask HQ to send this station its config (hq config send); the kiosk refuses business without one (R4)',
        };
  return [session, config];
}
