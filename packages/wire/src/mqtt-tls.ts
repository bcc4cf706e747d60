// The rules of an MQTT link's TLS material, one home for the kiosk's and HQ's adapters
// (adapters/mqtt/tls.ts in each): what a CA, client-certificate or key file must look like, that a
// client certificate comes with its key, and the connect options mqtt.js gets (the broker's
// certificate always checked). No I/O: each adapter reads the files its config names and reports
// a problem under its own error code and config key.
import { tlsFileBytesMax } from './limits.js';

/** Which file of the TLS material. */
export type MqttTlsPart = 'ca' | 'cert' | 'key';

const certificateMarker = /-----BEGIN CERTIFICATE-----/;
const pemMarkers: Readonly<Record<MqttTlsPart, RegExp>> = {
  ca: certificateMarker,
  cert: certificateMarker,
  key: /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
};
const pemKinds: Readonly<Record<MqttTlsPart, string>> = {
  ca: 'certificate',
  cert: 'certificate',
  key: 'private key',
};

/** Why `bytes` cannot be the `part` file (e.g. "is not a PEM certificate"), or null when it can. */
export function mqttTlsPemProblem(part: MqttTlsPart, bytes: Uint8Array): string | null {
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, tlsFileBytesMax + 1));
  if (bytes.length > tlsFileBytesMax || !pemMarkers[part].test(text)) return `is not a PEM ${pemKinds[part]}`;
  return null;
}

/** A client certificate and its key go together or not at all. */
export function mqttTlsPairComplete(certGiven: boolean, keyGiven: boolean): boolean {
  return certGiven === keyGiven;
}

export interface MqttTlsOptions<Bytes extends Uint8Array> {
  readonly ca: Bytes;
  readonly cert?: Bytes;
  readonly key?: Bytes;
  readonly servername?: string;
  readonly rejectUnauthorized: true;
}

/** mqtt.js connect options from checked files; `serverName` defaults to the URL's host. */
export function mqttTlsOptions<Bytes extends Uint8Array>(parts: {
  readonly ca: Bytes;
  readonly cert?: Bytes;
  readonly key?: Bytes;
  readonly serverName?: string;
}): MqttTlsOptions<Bytes> {
  if (!mqttTlsPairComplete(parts.cert !== undefined, parts.key !== undefined)) {
    throw new Error('mqttTlsOptions: a client certificate and its key go together');
  }
  return {
    ca: parts.ca,
    ...(parts.cert === undefined ? {} : { cert: parts.cert }),
    ...(parts.key === undefined ? {} : { key: parts.key }),
    ...(parts.serverName === undefined ? {} : { servername: parts.serverName }),
    rejectUnauthorized: true,
  };
}
