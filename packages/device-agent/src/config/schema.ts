// The device config (one JSON file, e.g. /etc/bianmin/kiosk.json): its TypeScript shape and a
// small declarative schema the validator walks, so every unknown key, bad type and missing key is
// found in one pass (R21). docs/operations.md shows a full example.
import { diskReserveBytesMin, mqttBrokerUrlsMax } from '../limits.js';
import type { LogLevel } from '../logging.js';

export type UserPinConfig = { readonly file: string } | { readonly env: string };

export interface SerialDeviceConfig {
  /** A stable /dev/serial/by-id/… path. */
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits: 5 | 6 | 7 | 8;
  readonly parity: 'none' | 'even' | 'odd';
  readonly stopBits: 1 | 2;
  /** Per-command timeout for identify / heartbeat checks (ms). */
  readonly commandTimeoutMs: number;
  /** The device's serial number as `kiosk provision` read it; doctor FAILs when another device answers. */
  readonly serialNumber?: string;
}

export interface PinPadConfig extends SerialDeviceConfig {
  /** Key id of the TPK loaded into the PIN pad, sent with every PIN block (default "TPK1"). */
  readonly tpkKeyId?: string;
}

export interface DeviceConfig {
  readonly station: {
    readonly id: string;
    readonly orgCode: string;
    /** File holding the card-token HMAC key (hex, >= 16 bytes); the agent needs it. */
    readonly cardTokenKeyFile?: string;
  };
  readonly serial: { readonly cardReader: SerialDeviceConfig; readonly pinPad: PinPadConfig };
  readonly token: {
    readonly modulePath: string;
    readonly label?: string;
    readonly serial?: string;
    readonly keyLabel: string;
    readonly userPin: UserPinConfig;
  };
  readonly mqtt: {
    /** One broker; or `urls`: exactly one of the two (AGENT_CONFIG_MQTT_BROKERS). */
    readonly url?: string;
    /**
     * Brokers in the order the link tries them (1..mqttBrokerUrlsMax): it connects to the first and
     * moves to the next on a failed connect or a lost connection (adapters/mqtt/mqtt-link.ts).
     */
    readonly urls?: readonly string[];
    /** File holding the station's broker password (the user name is the station id). */
    readonly passwordFile?: string;
    /** TLS to the broker: the network CA, this kiosk's client certificate and key, the broker's name. */
    readonly tls?: {
      readonly caPath: string;
      readonly certPath?: string;
      readonly keyPath?: string;
      readonly serverName?: string;
    };
  };
  readonly journal: {
    readonly path: string;
    /**
     * Free bytes the kiosk keeps on the journal's file system: below it, new business is refused
     * (AGENT_TX_DISK_LOW). Default diskReserveBytesDefault (64 MiB); at least diskReserveBytesMin.
     */
    readonly diskReserveBytes?: number;
  };
  readonly operatorApi: {
    readonly socketPath: string;
    /** File holding the operator credential of the local API (>= 16 characters); the agent needs it. */
    readonly tokenFile?: string;
  };
  readonly hq: {
    readonly configPublicKeyPath: string;
    /**
     * How far the kiosk clock may be from HQ's (measured from HQ's signed answers) before
     * withdrawals are refused (AGENT_TX_CLOCK_SKEW) and doctor FAILs. Default clockSkewMsMaxDefault (5 min).
     */
    readonly clockSkewMsMax?: number;
  };
  /** `dir` absent: the agent logs to stdout (journald), the CLI to stderr. */
  readonly log: { readonly dir?: string; readonly level: LogLevel };
  /**
   * Issue 13, over-the-air updates (docs/ota.md); absent: the agent refuses offers
   * (AGENT_OTA_OFFER_UNSUPPORTED). `releasesRoot` holds releases/<version>, `current`, `previous`
   * and the OTA state (the installer's /opt/bianmin/kiosk); `releaseKeyPath` the pinned HQ release
   * public key (PEM); `unit` the agent's systemd unit (default bianmin-kiosk.service).
   */
  readonly ota?: {
    readonly releasesRoot: string;
    readonly releaseKeyPath: string;
    readonly unit?: string;
    /** How long a new release has to pass its health check after the switch, ms (default 10 min). */
    readonly trialMs?: number;
    /** How long the health check's checks may take together, ms (default 2 min). */
    readonly healthDeadlineMs?: number;
    /**
     * Who switches releases (docs/ota.md): "direct" (default; the agent unpacks into releasesRoot,
     * renames the links and restarts its unit: tests, development, a root agent) or "unit" (the
     * shipped unit: the agent stages into stateDir and asks bianmin-ota-switch.path; root switches).
     */
    readonly switchVia?: 'direct' | 'unit';
    /** switchVia "unit": the folder shared with the root helper (default /var/lib/bianmin/ota). */
    readonly stateDir?: string;
  };
}

/** What a path must be, checked by `kiosk config check`. */
export type PathRole =
  | 'readable-file' // must exist and be readable
  | 'device' // must exist (a serial device or its by-id link)
  | 'creatable-file' // its directory must exist and be writable; the file may not exist yet
  | 'writable-dir' // must be a writable directory, or creatable in a writable parent
  | 'readable-dir'; // must be an existing, readable directory (ota.releasesRoot under switchVia "unit")

export type FieldSpec =
  | { readonly kind: 'string'; readonly optional?: true; readonly pattern?: RegExp; readonly hint?: string }
  | { readonly kind: 'choice'; readonly optional?: true; readonly values: readonly (string | number)[] }
  | { readonly kind: 'integer'; readonly optional?: true; readonly min: number; readonly max: number }
  | { readonly kind: 'path'; readonly optional?: true; readonly role: PathRole }
  | { readonly kind: 'url'; readonly optional?: true; readonly protocols: readonly string[] }
  | {
      readonly kind: 'url-list';
      readonly optional?: true;
      readonly protocols: readonly string[];
      readonly countMin: number;
      readonly countMax: number;
    }
  | {
      readonly kind: 'object';
      readonly optional?: true;
      readonly fields: Readonly<Record<string, FieldSpec>>;
    };

const mqttProtocols = ['mqtt:', 'mqtts:', 'tcp:', 'tls:'];

/** The brokers a config names, in the order the link tries them (mqtt.urls, or mqtt.url alone). */
export function brokerUrlsOf(mqtt: DeviceConfig['mqtt']): readonly string[] {
  const urls = mqtt.urls ?? (mqtt.url === undefined ? [] : [mqtt.url]);
  // validateStructure refuses a config with neither or both (AGENT_CONFIG_MQTT_BROKERS).
  if (urls.length < 1 || urls.length > mqttBrokerUrlsMax) throw new Error('assert: 1..8 broker URLs');
  return urls;
}

const serialDevice = {
  kind: 'object',
  fields: {
    path: { kind: 'path', role: 'device' },
    baudRate: { kind: 'choice', optional: true, values: [9600, 19_200, 38_400, 57_600, 115_200] },
    dataBits: { kind: 'choice', optional: true, values: [5, 6, 7, 8] },
    parity: { kind: 'choice', optional: true, values: ['none', 'even', 'odd'] },
    stopBits: { kind: 'choice', optional: true, values: [1, 2] },
    commandTimeoutMs: { kind: 'integer', optional: true, min: 100, max: 60_000 },
    serialNumber: {
      kind: 'string',
      optional: true,
      pattern: /^[\x21-\x7e]{1,64}$/u,
      hint: '1-64 printable characters, as kiosk provision recorded it',
    },
  },
} as const satisfies FieldSpec;

const pinPadDevice: FieldSpec = {
  kind: 'object',
  fields: {
    ...serialDevice.fields,
    tpkKeyId: {
      kind: 'string',
      optional: true,
      pattern: /^[A-Za-z0-9_-]{1,32}$/u,
      hint: '1-32 letters, digits, _ or -',
    },
  },
};

export const deviceConfigSchema: FieldSpec = {
  kind: 'object',
  fields: {
    station: {
      kind: 'object',
      fields: {
        id: { kind: 'string', pattern: /^[A-Za-z0-9-]{1,32}$/u, hint: '1-32 letters, digits or dashes' },
        orgCode: { kind: 'string', pattern: /^[0-9A-Za-z]{6,20}$/u, hint: '6-20 letters or digits' },
        cardTokenKeyFile: { kind: 'path', optional: true, role: 'readable-file' },
      },
    },
    serial: { kind: 'object', fields: { cardReader: serialDevice, pinPad: pinPadDevice } },
    token: {
      kind: 'object',
      fields: {
        modulePath: { kind: 'path', role: 'readable-file' },
        label: { kind: 'string', optional: true, pattern: /^.{1,32}$/u, hint: '1-32 characters' },
        serial: { kind: 'string', optional: true, pattern: /^.{1,16}$/u, hint: '1-16 characters' },
        keyLabel: { kind: 'string', pattern: /^.{1,64}$/u, hint: '1-64 characters' },
        userPin: {
          kind: 'object',
          fields: {
            file: { kind: 'path', optional: true, role: 'readable-file' },
            env: { kind: 'string', optional: true, pattern: /^[A-Z_][A-Z0-9_]*$/u, hint: 'an env var name' },
          },
        },
      },
    },
    mqtt: {
      kind: 'object',
      fields: {
        url: { kind: 'url', optional: true, protocols: mqttProtocols },
        urls: {
          kind: 'url-list',
          optional: true,
          protocols: mqttProtocols,
          countMin: 1,
          countMax: mqttBrokerUrlsMax,
        },
        passwordFile: { kind: 'path', optional: true, role: 'readable-file' },
        tls: {
          kind: 'object',
          optional: true,
          fields: {
            caPath: { kind: 'path', role: 'readable-file' },
            certPath: { kind: 'path', optional: true, role: 'readable-file' },
            keyPath: { kind: 'path', optional: true, role: 'readable-file' },
            serverName: {
              kind: 'string',
              optional: true,
              pattern: /^[A-Za-z0-9.-]{1,253}$/u,
              hint: 'a DNS name (letters, digits, dots, dashes)',
            },
          },
        },
      },
    },
    journal: {
      kind: 'object',
      fields: {
        path: { kind: 'path', role: 'creatable-file' },
        diskReserveBytes: { kind: 'integer', optional: true, min: diskReserveBytesMin, max: 2 ** 40 },
      },
    },
    operatorApi: {
      kind: 'object',
      fields: {
        socketPath: { kind: 'path', role: 'creatable-file' },
        tokenFile: { kind: 'path', optional: true, role: 'readable-file' },
      },
    },
    hq: {
      kind: 'object',
      fields: {
        configPublicKeyPath: { kind: 'path', role: 'readable-file' },
        clockSkewMsMax: { kind: 'integer', optional: true, min: 1_000, max: 24 * 3600 * 1000 },
      },
    },
    ota: {
      kind: 'object',
      optional: true,
      fields: {
        releasesRoot: { kind: 'path', role: 'writable-dir' },
        releaseKeyPath: { kind: 'path', role: 'readable-file' },
        unit: {
          kind: 'string',
          optional: true,
          pattern: /^[A-Za-z0-9@_.:-]{1,128}\.service$/u,
          hint: 'a systemd service unit name, e.g. bianmin-kiosk.service',
        },
        trialMs: { kind: 'integer', optional: true, min: 60_000, max: 24 * 3600 * 1000 },
        healthDeadlineMs: { kind: 'integer', optional: true, min: 5_000, max: 3600 * 1000 },
        switchVia: { kind: 'choice', optional: true, values: ['direct', 'unit'] },
        stateDir: { kind: 'path', optional: true, role: 'writable-dir' },
      },
    },
    log: {
      kind: 'object',
      fields: {
        // Optional: without it the agent writes JSON lines to stdout (journald under systemd).
        dir: { kind: 'path', optional: true, role: 'writable-dir' },
        level: {
          kind: 'choice',
          optional: true,
          values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
        },
      },
    },
  },
};

/** Defaults filled in for optional serial settings (our reference devices: 115200 8N1). */
export const serialDefaults = {
  baudRate: 115_200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
  commandTimeoutMs: 3_000,
} as const;

/** The TPK key id when the config names none (the id `kiosk keys load` gives by default). */
export const tpkKeyIdDefault = 'TPK1';
