// TLS material of HQ's MQTT connections, read from the files the config names (mqttCaFile,
// mqttCertFile, mqttKeyFile, mqttServerName): the network's CA to check the broker, HQ's client
// certificate and key (the production broker requires one: deploy/mosquitto/mosquitto.conf), and
// the name the broker's certificate must carry when the URL's host is not it. A missing or
// malformed file is an HqError naming the config key, before any connect attempt.
import { readFileSync } from 'node:fs';
import { HqError } from '../../errors.js';
import { tlsFileBytesMax } from '../../limits.js';

export interface MqttTlsFiles {
  /** PEM file of the CA that signed the broker's certificate. */
  readonly caFile: string;
  /** PEM client certificate; with keyFile or not at all. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Host name the broker's certificate is checked against; default the URL's host. */
  readonly serverName?: string;
}

export interface MqttTlsOptions {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly servername?: string;
  readonly rejectUnauthorized: true;
}

function readPem(path: string, field: string, marker: RegExp, what: string): Buffer {
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
  if (bytes.length > tlsFileBytesMax || !marker.test(bytes.toString('latin1'))) {
    const message = `${field}: ${path} is not a PEM ${what}`;
    throw new HqError('HQ_CONFIG_INVALID', message, {
      details: { field, path },
      problems: [{ code: 'HQ_CONFIG_INVALID', field, message }],
    });
  }
  return bytes;
}

/** Reads and checks the files; the result goes into mqtt.js's connect options. */
export function loadMqttTls(files: MqttTlsFiles): MqttTlsOptions {
  if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
    const message = 'mqttCertFile and mqttKeyFile go together';
    throw new HqError('HQ_CONFIG_INVALID', message, {
      problems: [{ code: 'HQ_CONFIG_INVALID', field: 'mqttCertFile', message }],
    });
  }
  const certificate = /-----BEGIN CERTIFICATE-----/;
  return {
    ca: readPem(files.caFile, 'mqttCaFile', certificate, 'certificate'),
    ...(files.certFile === undefined
      ? {}
      : { cert: readPem(files.certFile, 'mqttCertFile', certificate, 'certificate') }),
    ...(files.keyFile === undefined
      ? {}
      : { key: readPem(files.keyFile, 'mqttKeyFile', /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key') }),
    ...(files.serverName === undefined ? {} : { servername: files.serverName }),
    rejectUnauthorized: true,
  };
}
