// `kiosk doctor` against the broker as the agent would meet it (issue 13, the `iotedge check`
// standard): a real MQTT 3.1.1 session with the configured user (the station id), password file
// and TLS files; the broker's CONNACK must accept it (a wrong password fails with the broker's
// return code). Then the station's HQ-signed config, retained on its down/config topic, must arrive
// and verify against the pinned HQ key, addressed to this station — the same check the agent makes
// (domain/tx/envelope.ts). Its signing time is a lower bound on HQ's clock: a kiosk clock behind it
// by more than the allowed skew fails the drift check here too.
//
// Only while the agent is NOT running: the broker takes the user name as client id, so this session
// would push the agent's off the broker (doctor asks a running agent instead: agent-probe.ts).
// Nothing is published; the session is clean and carries no will.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beijingIsoTime, downTopic, fingerprint, PayloadType, publicKeySpkiDer } from '@bianmin/wire';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { loadMqttTls } from '../../adapters/mqtt/tls.js';
import { brokerUrlsOf, type DeviceConfig } from '../../config/schema.js';
import { openHqEnvelope } from '../../domain/tx/envelope.js';
import { clockSkewMsMaxDefault, doctorBrokerTimeoutMs, operatorTokenFileBytesMax } from '../../limits.js';
import type { CheckRow } from './checks.js';

/** MQTT 3.1.1 CONNACK return codes (spec 3.2.2.3), for the technician's detail line. */
const connackReasons: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version',
  2: 'client id rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorised',
};

export interface BrokerSessionOptions {
  readonly nowMs: number;
  readonly timeoutMs?: number;
  /** Replaces mqtt.connect (tests). */
  readonly connect?: (url: string, options: IClientOptions) => MqttClient;
}

type SessionOutcome =
  | { readonly kind: 'accepted'; readonly config: Buffer | null }
  | { readonly kind: 'refused'; readonly returnCode: number }
  | { readonly kind: 'failed'; readonly detail: string };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Connects, waits for CONNACK, subscribes to down/config and waits for its retained message. */
function runSession(
  url: string,
  options: IClientOptions,
  topic: string,
  timeoutMs: number,
  connect: BrokerSessionOptions['connect'],
): Promise<SessionOutcome> {
  return new Promise((resolve) => {
    const client = (connect ?? mqtt.connect)(url, options);
    let done = false;
    let accepted = false;
    const finish = (outcome: SessionOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true, () => resolve(outcome));
    };
    const timer = setTimeout(
      () =>
        finish(
          accepted
            ? { kind: 'accepted', config: null }
            : { kind: 'failed', detail: `no CONNACK within ${timeoutMs} ms` },
        ),
      timeoutMs,
    );
    client.on('error', (error) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number' && code > 0) finish({ kind: 'refused', returnCode: code });
      else finish({ kind: 'failed', detail: messageOf(error) });
    });
    client.on('close', () => finish({ kind: 'failed', detail: 'the broker closed the connection' }));
    client.on('message', (received, payload) => {
      if (received === topic) finish({ kind: 'accepted', config: payload });
    });
    client.once('connect', () => {
      accepted = true;
      client.subscribe(topic, { qos: 1 }, (error) => {
        if (error) finish({ kind: 'failed', detail: `subscribe ${topic}: ${messageOf(error)}` });
      });
    });
  });
}

function readPassword(path: string): string {
  return readFileSync(path, 'utf8').slice(0, operatorTokenFileBytesMax).trim();
}

/** A session with each broker in turn until one answers (accepted or refused). */
async function firstSession(
  urls: readonly string[],
  run: (url: string) => Promise<SessionOutcome>,
): Promise<SessionOutcome> {
  let outcome: SessionOutcome = { kind: 'failed', detail: 'no broker' };
  for (const url of urls) {
    outcome = await run(url);
    if (outcome.kind !== 'failed') return outcome;
  }
  return outcome;
}

/** Rows "broker session" and "hq config". */
export async function checkBrokerSession(
  config: DeviceConfig,
  options: BrokerSessionOptions,
): Promise<CheckRow[]> {
  const timeoutMs = options.timeoutMs ?? doctorBrokerTimeoutMs;
  const stationId = config.station.id;
  const topic = downTopic(stationId, 'config');
  let connectOptions: IClientOptions;
  try {
    connectOptions = {
      clientId: stationId,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      username: stationId,
      ...(config.mqtt.passwordFile === undefined ? {} : { password: readPassword(config.mqtt.passwordFile) }),
      ...(config.mqtt.tls === undefined ? {} : loadMqttTls(config.mqtt.tls)),
    };
  } catch (error) {
    const failed: CheckRow = {
      check: 'broker session',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_BROKER_REFUSED',
      detail: `cannot read the session's files: ${messageOf(error)}`,
      hint: 'check mqtt.passwordFile and mqtt.tls.* (kiosk config check)',
    };
    return [failed, { check: 'hq config', status: 'SKIP', detail: 'no broker session' }];
  }
  // The brokers in the link's order: the first that answers (a refusal would be the same on each).
  const outcome = await firstSession(brokerUrlsOf(config.mqtt), (url) =>
    runSession(url, connectOptions, topic, timeoutMs, options.connect),
  );
  if (outcome.kind !== 'accepted') {
    const refused = outcome.kind === 'refused';
    const row: CheckRow = {
      check: 'broker session',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_BROKER_REFUSED',
      detail: refused
        ? `CONNACK return code ${outcome.returnCode} (${connackReasons[outcome.returnCode] ?? 'refused'}) for user ${stationId}`
        : outcome.detail,
      hint: refused
        ? 'check mqtt.passwordFile against the password HQ registered for this station (user name = station id) and the client certificate'
        : 'check the network link and the broker; kiosk doctor --json shows the whole detail',
    };
    return [row, { check: 'hq config', status: 'SKIP', detail: 'no broker session' }];
  }
  const session: CheckRow = {
    check: 'broker session',
    status: 'PASS',
    detail: `CONNACK accepted for ${stationId}${config.mqtt.tls === undefined ? '' : ' over TLS with the client certificate'}`,
  };
  return [session, hqConfigRow(config, outcome.config, options.nowMs, timeoutMs)];
}

/** The retained config: present, signed by the pinned HQ key, for this station, not from the future. */
function hqConfigRow(config: DeviceConfig, bytes: Buffer | null, nowMs: number, timeoutMs: number): CheckRow {
  if (bytes === null || bytes.length === 0) {
    return {
      check: 'hq config',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_HQ_CONFIG_MISSING',
      detail: `no HQ-signed config retained on ${downTopic(config.station.id, 'config')} within ${timeoutMs} ms`,
      hint: 'ask HQ to send this station its config (hq config send); the kiosk refuses business without one (R4)',
    };
  }
  let hqKeys: Map<string, KeyObject>;
  try {
    const pem = readFileSync(config.hq.configPublicKeyPath, 'utf8');
    hqKeys = new Map([[fingerprint(publicKeySpkiDer(pem)), createPublicKey(pem)]]);
  } catch (error) {
    return {
      check: 'hq config',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_HQ_CONFIG_UNVERIFIED',
      detail: `${config.hq.configPublicKeyPath}: ${messageOf(error)}`,
      hint: 'hq.configPublicKeyPath must hold the HQ public key (PEM) given at enrolment',
    };
  }
  const opened = openHqEnvelope(bytes, hqKeys, config.station.id);
  if (!opened.ok || opened.opened.type !== PayloadType.PAYLOAD_TYPE_STATION_CONFIG) {
    return {
      check: 'hq config',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_HQ_CONFIG_UNVERIFIED',
      detail: opened.ok ? 'the retained message is not a station config' : `${opened.code}: ${opened.detail}`,
      hint: 'the config is not signed by the HQ key this kiosk pins (hq.configPublicKeyPath), or is for another station: call HQ',
    };
  }
  const version = Number(opened.opened.body.configVersion ?? 0);
  const signedAtMs = opened.opened.header.createdAtMs;
  const skewMsMax = config.hq.clockSkewMsMax ?? clockSkewMsMaxDefault;
  if (signedAtMs > nowMs + skewMsMax) {
    return {
      check: 'hq config',
      status: 'FAIL',
      code: 'AGENT_DOCTOR_CLOCK_SKEW',
      detail: `config version ${version} was signed by HQ at ${beijingIsoTime(signedAtMs)}, ${Math.round((signedAtMs - nowMs) / 1000)} s after this kiosk's clock: the clock is behind HQ`,
      hint: 'set the time (timedatectl set-ntp true), check the RTC battery (docs/operations.md "Wrong clock")',
    };
  }
  return {
    check: 'hq config',
    status: 'PASS',
    detail: `version ${version}, signed by HQ key ${[...hqKeys.keys()][0]?.slice(0, 16)}… at ${beijingIsoTime(signedAtMs)}`,
  };
}
