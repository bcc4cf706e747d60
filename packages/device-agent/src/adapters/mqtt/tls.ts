// TLS material of the kiosk's MQTT link, read from the files the config names (mqtt.tls.*): the
// network's CA (to check the broker), the kiosk's client certificate and key (the broker requires
// one: deploy/mosquitto/mosquitto.conf), and the name the broker's certificate must carry when the
// URL's host is not it. Read once when the link is made; a missing or malformed file is an
// AgentError naming the config key, never a TLS error at the first connect attempt. The PEM rules
// and the connect options are @bianmin/wire's (mqtt-tls.ts), shared with HQ's adapter.
import { readFileSync } from 'node:fs';
import {
  type MqttTlsPart,
  mqttTlsOptions,
  mqttTlsPairComplete,
  mqttTlsPemProblem,
  type MqttTlsOptions as WireMqttTlsOptions,
} from '@bianmin/wire';
import { AgentError } from '../../errors.js';

export interface MqttTlsFiles {
  /** PEM file of the CA that signed the broker's certificate (config mqtt.tls.caPath). */
  readonly caPath: string;
  /** PEM client certificate (mqtt.tls.certPath); with keyPath or not at all. */
  readonly certPath?: string;
  /** PEM private key of the client certificate (mqtt.tls.keyPath). */
  readonly keyPath?: string;
  /** Host name the broker's certificate is checked against (mqtt.tls.serverName); default the URL's host. */
  readonly serverName?: string;
}

export type MqttTlsOptions = WireMqttTlsOptions<Buffer>;

function readPem(path: string, key: string, part: MqttTlsPart): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new AgentError('AGENT_CONFIG_PATH_MISSING', `${key}: cannot read ${path}`, {
      cause: error,
      details: { key, path },
    });
  }
  const problem = mqttTlsPemProblem(part, bytes);
  if (problem !== null) {
    throw new AgentError('AGENT_CONFIG_BAD_VALUE', `${key}: ${path} ${problem}`, { details: { key, path } });
  }
  return bytes;
}

/** Reads and checks the files; the result goes into mqtt.js's connect options. */
export function loadMqttTls(files: MqttTlsFiles): MqttTlsOptions {
  if (!mqttTlsPairComplete(files.certPath !== undefined, files.keyPath !== undefined)) {
    throw new AgentError('AGENT_CONFIG_MISSING_KEY', 'mqtt.tls: give certPath and keyPath together', {
      details: { key: 'mqtt.tls' },
    });
  }
  return mqttTlsOptions({
    ca: readPem(files.caPath, 'mqtt.tls.caPath', 'ca'),
    ...(files.certPath === undefined ? {} : { cert: readPem(files.certPath, 'mqtt.tls.certPath', 'cert') }),
    ...(files.keyPath === undefined ? {} : { key: readPem(files.keyPath, 'mqtt.tls.keyPath', 'key') }),
    ...(files.serverName === undefined ? {} : { serverName: files.serverName }),
  });
}
