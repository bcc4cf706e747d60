// TLS material of HQ's MQTT connections, read from the files the config names (mqttCaFile,
// mqttCertFile, mqttKeyFile, mqttServerName): the network's CA to check the broker, HQ's client
// certificate and key (the production broker requires one: deploy/mosquitto/mosquitto.conf), and
// the name the broker's certificate must carry when the URL's host is not it. A missing or
// malformed file is an HqError naming the config key, before any connect attempt. The PEM rules and
// the connect options are @bianmin/wire's (mqtt-tls.ts), shared with the kiosk's adapter.
import { readFileSync } from 'node:fs';
import {
  type MqttTlsPart,
  mqttTlsOptions,
  mqttTlsPairComplete,
  mqttTlsPemProblem,
  type MqttTlsOptions as WireMqttTlsOptions,
} from '@bianmin/wire';
import { HqError } from '../../errors.js';

export interface MqttTlsFiles {
  /** PEM file of the CA that signed the broker's certificate. */
  readonly caFile: string;
  /** PEM client certificate; with keyFile or not at all. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Host name the broker's certificate is checked against; default the URL's host. */
  readonly serverName?: string;
}

export type MqttTlsOptions = WireMqttTlsOptions<Buffer>;

function readPem(path: string, field: string, part: MqttTlsPart): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new HqError('HQ_FILE_UNREADABLE', `${field}: cannot read ${path}`, {
      cause: error,
      details: { field, path },
      problems: [{ code: 'HQ_FILE_UNREADABLE', field, message: `${field}: cannot read ${path}` }],
    });
  }
  const problem = mqttTlsPemProblem(part, bytes);
  if (problem !== null) {
    const message = `${field}: ${path} ${problem}`;
    throw new HqError('HQ_CONFIG_INVALID', message, {
      details: { field, path },
      problems: [{ code: 'HQ_CONFIG_INVALID', field, message }],
    });
  }
  return bytes;
}

/** Reads and checks the files; the result goes into mqtt.js's connect options. */
export function loadMqttTls(files: MqttTlsFiles): MqttTlsOptions {
  if (!mqttTlsPairComplete(files.certFile !== undefined, files.keyFile !== undefined)) {
    const message = 'mqttCertFile and mqttKeyFile go together';
    throw new HqError('HQ_CONFIG_INVALID', message, {
      problems: [{ code: 'HQ_CONFIG_INVALID', field: 'mqttCertFile', message }],
    });
  }
  return mqttTlsOptions({
    ca: readPem(files.caFile, 'mqttCaFile', 'ca'),
    ...(files.certFile === undefined ? {} : { cert: readPem(files.certFile, 'mqttCertFile', 'cert') }),
    ...(files.keyFile === undefined ? {} : { key: readPem(files.keyFile, 'mqttKeyFile', 'key') }),
    ...(files.serverName === undefined ? {} : { serverName: files.serverName }),
  });
}
