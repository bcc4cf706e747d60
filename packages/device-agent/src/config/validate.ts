// Validates a parsed device config against the schema and, separately, the paths it names.
// Every problem is collected (R21) with a stable code and the dotted key it concerns; nothing
// stops at the first one. The structural pass is pure; the path pass takes a filesystem port.
import type { AgentErrorCode } from '../errors.js';
import {
  type DeviceConfig,
  deviceConfigSchema,
  type FieldSpec,
  type PathRole,
  serialDefaults,
} from './schema.js';

export interface ConfigProblem {
  readonly code: AgentErrorCode;
  /** Dotted key, e.g. "token.userPin.file"; "" for the file as a whole. */
  readonly key: string;
  readonly message: string;
}

export interface PathToCheck {
  readonly key: string;
  readonly path: string;
  readonly role: PathRole;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A URL with one of `protocols` and a host. */
function urlProblems(protocols: readonly string[], value: string, key: string): ConfigProblem[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [{ code: 'AGENT_CONFIG_BAD_VALUE', key, message: 'is not a URL' }];
  }
  const problems: ConfigProblem[] = [];
  if (!protocols.includes(url.protocol))
    problems.push({
      code: 'AGENT_CONFIG_BAD_VALUE',
      key,
      message: `scheme must be one of ${protocols.join(' ')}`,
    });
  if (url.port === '' && url.hostname === '')
    problems.push({ code: 'AGENT_CONFIG_BAD_VALUE', key, message: 'needs a host' });
  return problems;
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function walk(
  spec: FieldSpec,
  value: unknown,
  key: string,
  problems: ConfigProblem[],
  paths: PathToCheck[],
): void {
  switch (spec.kind) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push({
          code: 'AGENT_CONFIG_BAD_TYPE',
          key,
          message: `expected an object, got ${describe(value)}`,
        });
        return;
      }
      const record = value as Record<string, unknown>;
      for (const name of Object.keys(record)) {
        if (!(name in spec.fields)) {
          const known = Object.keys(spec.fields).join(', ');
          problems.push({
            code: 'AGENT_CONFIG_UNKNOWN_KEY',
            key: join(key, name),
            message: `unknown key (known here: ${known})`,
          });
        }
      }
      for (const [name, child] of Object.entries(spec.fields)) {
        const childValue = record[name];
        if (childValue === undefined) {
          if (child.optional !== true) {
            problems.push({
              code: 'AGENT_CONFIG_MISSING_KEY',
              key: join(key, name),
              message: 'required key is missing',
            });
          }
          continue;
        }
        walk(child, childValue, join(key, name), problems, paths);
      }
      return;
    }
    case 'string':
    case 'path':
    case 'url': {
      if (typeof value !== 'string') {
        problems.push({
          code: 'AGENT_CONFIG_BAD_TYPE',
          key,
          message: `expected a string, got ${describe(value)}`,
        });
        return;
      }
      if (spec.kind === 'string' && spec.pattern !== undefined && !spec.pattern.test(value)) {
        problems.push({
          code: 'AGENT_CONFIG_BAD_VALUE',
          key,
          message: `must be ${spec.hint ?? spec.pattern.source}`,
        });
      }
      if (spec.kind === 'path') {
        if (!value.startsWith('/')) {
          problems.push({ code: 'AGENT_CONFIG_BAD_VALUE', key, message: 'must be an absolute path' });
        } else {
          paths.push({ key, path: value, role: spec.role });
        }
      }
      if (spec.kind === 'url') problems.push(...urlProblems(spec.protocols, value, key));
      return;
    }
    case 'url-list': {
      if (!Array.isArray(value)) {
        problems.push({
          code: 'AGENT_CONFIG_BAD_TYPE',
          key,
          message: `expected an array, got ${describe(value)}`,
        });
        return;
      }
      if (value.length < spec.countMin || value.length > spec.countMax) {
        problems.push({
          code: 'AGENT_CONFIG_BAD_VALUE',
          key,
          message: `must list ${spec.countMin} to ${spec.countMax} URLs (got ${value.length})`,
        });
      }
      value.slice(0, spec.countMax).forEach((item: unknown, index) => {
        const itemKey = `${key}[${index}]`;
        if (typeof item !== 'string') {
          problems.push({
            code: 'AGENT_CONFIG_BAD_TYPE',
            key: itemKey,
            message: `expected a string, got ${describe(item)}`,
          });
        } else problems.push(...urlProblems(spec.protocols, item, itemKey));
      });
      if (new Set(value).size !== value.length)
        problems.push({ code: 'AGENT_CONFIG_BAD_VALUE', key, message: 'lists a URL twice' });
      return;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        problems.push({
          code: 'AGENT_CONFIG_BAD_TYPE',
          key,
          message: `expected an integer, got ${describe(value)}`,
        });
        return;
      }
      if (value < spec.min || value > spec.max) {
        problems.push({
          code: 'AGENT_CONFIG_BAD_VALUE',
          key,
          message: `must be between ${spec.min} and ${spec.max}`,
        });
      }
      return;
    }
    case 'choice': {
      if (!spec.values.includes(value as string | number)) {
        const expectedType = typeof spec.values[0];
        const code: AgentErrorCode =
          typeof value === expectedType ? 'AGENT_CONFIG_BAD_VALUE' : 'AGENT_CONFIG_BAD_TYPE';
        problems.push({
          code,
          key,
          message: `must be one of ${spec.values.map((v) => JSON.stringify(v)).join(', ')}`,
        });
      }
      return;
    }
  }
}

export interface StructureResult {
  readonly problems: readonly ConfigProblem[];
  readonly paths: readonly PathToCheck[];
  /** Present only when there are no problems: the config with defaults filled in. */
  readonly config: DeviceConfig | null;
}

/**
 * Exactly one of mqtt.url (one broker) and mqtt.urls (a list, issue 14) names the brokers.
 */
function mqttBrokerProblems(raw: unknown): ConfigProblem[] {
  const mqtt = (raw as { mqtt?: unknown } | null)?.mqtt;
  if (typeof mqtt !== 'object' || mqtt === null) return [];
  const { url, urls } = mqtt as { url?: unknown; urls?: unknown };
  if ((url === undefined) === (urls === undefined)) {
    return [
      {
        code: 'AGENT_CONFIG_MQTT_BROKERS',
        key: 'mqtt.url',
        message:
          url === undefined
            ? 'give mqtt.url (one broker) or mqtt.urls (a list of brokers)'
            : 'give mqtt.url or mqtt.urls, not both',
      },
    ];
  }
  return [];
}

/**
 * mqtt.url(s) and mqtt.tls agree: an mqtts:// (or tls://) URL needs mqtt.tls.caPath (the network's
 * own CA, not the system's), TLS files with a plain mqtt:// URL would be silently unused, a list
 * does not mix the two, and a client certificate comes with its key.
 */
function mqttTlsProblems(raw: unknown): ConfigProblem[] {
  const mqtt = (raw as { mqtt?: unknown } | null)?.mqtt;
  if (typeof mqtt !== 'object' || mqtt === null) return [];
  const { url, urls, tls } = mqtt as { url?: unknown; urls?: unknown; tls?: unknown };
  const listed =
    typeof url === 'string' ? [url] : Array.isArray(urls) ? urls.filter((u) => typeof u === 'string') : [];
  if (listed.length === 0) return [];
  const problems: ConfigProblem[] = [];
  const secureCount = listed.filter((u) => /^(mqtts|tls):/.test(u)).length;
  if (secureCount !== 0 && secureCount !== listed.length) {
    return [
      { code: 'AGENT_CONFIG_BAD_VALUE', key: 'mqtt.urls', message: 'mixes mqtts:// and mqtt:// brokers' },
    ];
  }
  const secure = secureCount > 0;
  const tlsRecord = typeof tls === 'object' && tls !== null ? (tls as Record<string, unknown>) : null;
  if (secure && tls === undefined) {
    problems.push({
      code: 'AGENT_CONFIG_MISSING_KEY',
      key: 'mqtt.tls',
      message: 'an mqtts:// broker needs mqtt.tls.caPath (the CA of the network) and the kiosk certificate',
    });
  }
  if (!secure && tls !== undefined) {
    problems.push({
      code: 'AGENT_CONFIG_BAD_VALUE',
      key: typeof url === 'string' ? 'mqtt.url' : 'mqtt.urls',
      message: 'mqtt.tls is set but the URL is not mqtts://: the link would run without TLS',
    });
  }
  if (tlsRecord !== null && (tlsRecord.certPath === undefined) !== (tlsRecord.keyPath === undefined)) {
    problems.push({
      code: 'AGENT_CONFIG_MISSING_KEY',
      key: tlsRecord.certPath === undefined ? 'mqtt.tls.certPath' : 'mqtt.tls.keyPath',
      message: 'give mqtt.tls.certPath and mqtt.tls.keyPath together',
    });
  }
  return problems;
}

/** Checks shape, types, values and cross-field rules. Pure. */
export function validateStructure(raw: unknown): StructureResult {
  const problems: ConfigProblem[] = [];
  const paths: PathToCheck[] = [];
  walk(deviceConfigSchema, raw, '', problems, paths);
  // Under the shipped unit root switches the releases: the agent only reads releasesRoot.
  const ota = (raw as { ota?: { switchVia?: unknown } } | null)?.ota;
  if (typeof ota === 'object' && ota !== null && ota.switchVia === 'unit') {
    const index = paths.findIndex((path) => path.key === 'ota.releasesRoot');
    const releasesRoot = paths[index];
    if (releasesRoot !== undefined) paths[index] = { ...releasesRoot, role: 'readable-dir' };
  }
  const record = raw as { token?: { label?: unknown; serial?: unknown; userPin?: Record<string, unknown> } };
  const token = typeof record === 'object' && record !== null ? record.token : undefined;
  if (typeof token === 'object' && token !== null) {
    if (token.label === undefined && token.serial === undefined) {
      problems.push({
        code: 'AGENT_CONFIG_MISSING_KEY',
        key: 'token.label',
        message: 'give token.label or token.serial (or both)',
      });
    }
    const pin = token.userPin;
    if (typeof pin === 'object' && pin !== null && !Array.isArray(pin)) {
      const count = ('file' in pin ? 1 : 0) + ('env' in pin ? 1 : 0);
      if (count !== 1) {
        problems.push({
          code: count === 0 ? 'AGENT_CONFIG_MISSING_KEY' : 'AGENT_CONFIG_BAD_VALUE',
          key: 'token.userPin',
          message: 'give exactly one of userPin.file or userPin.env (never the PIN itself)',
        });
      }
    }
  }
  problems.push(...mqttBrokerProblems(raw));
  problems.push(...mqttTlsProblems(raw));
  if (problems.length > 0) return { problems, paths, config: null };
  const config = raw as DeviceConfig;
  const withDefaults: DeviceConfig = {
    ...config,
    serial: {
      cardReader: { ...serialDefaults, ...config.serial.cardReader },
      pinPad: { ...serialDefaults, ...config.serial.pinPad },
    },
    log: { ...config.log, level: config.log.level ?? 'info' },
  };
  return { problems, paths, config: withDefaults };
}

/** The filesystem facts the path pass needs (src/config/fs-paths.ts implements it on node:fs). */
export interface PathProbe {
  /** 'file' | 'dir' | 'other' when it exists, null when not. */
  kind(path: string): 'file' | 'dir' | 'other' | null;
  readable(path: string): boolean;
  writable(path: string): boolean;
}

function parentOf(path: string): string {
  const index = path.lastIndexOf('/');
  return index <= 0 ? '/' : path.slice(0, index);
}

/** Checks each path against its role; every problem is returned. */
export function checkPaths(paths: readonly PathToCheck[], probe: PathProbe): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const { key, path, role } of paths) {
    const kind = probe.kind(path);
    switch (role) {
      case 'readable-file':
        if (kind === null)
          problems.push({ code: 'AGENT_CONFIG_PATH_MISSING', key, message: `${path} does not exist` });
        else if (kind === 'dir')
          problems.push({
            code: 'AGENT_CONFIG_PATH_MISSING',
            key,
            message: `${path} is a directory, not a file`,
          });
        else if (!probe.readable(path))
          problems.push({ code: 'AGENT_CONFIG_PATH_MISSING', key, message: `${path} is not readable` });
        break;
      case 'device':
        if (kind === null)
          problems.push({
            code: 'AGENT_CONFIG_PATH_MISSING',
            key,
            message: `${path} does not exist (device unplugged?)`,
          });
        else if (!probe.readable(path) || !probe.writable(path)) {
          problems.push({
            code: 'AGENT_CONFIG_PATH_MISSING',
            key,
            message: `${path} is not readable and writable`,
          });
        }
        break;
      case 'creatable-file': {
        const parent = parentOf(path);
        if (kind === 'dir')
          problems.push({ code: 'AGENT_CONFIG_PATH_UNREACHABLE', key, message: `${path} is a directory` });
        else if (probe.kind(parent) !== 'dir') {
          problems.push({
            code: 'AGENT_CONFIG_PATH_UNREACHABLE',
            key,
            message: `directory ${parent} does not exist`,
          });
        } else if (!probe.writable(parent)) {
          problems.push({
            code: 'AGENT_CONFIG_PATH_UNREACHABLE',
            key,
            message: `directory ${parent} is not writable`,
          });
        }
        break;
      }
      case 'readable-dir':
        if (kind !== 'dir' || !probe.readable(path))
          problems.push({
            code: 'AGENT_CONFIG_PATH_MISSING',
            key,
            message: `${path} is not a readable directory`,
          });
        break;
      case 'writable-dir': {
        if (kind === 'dir') {
          if (!probe.writable(path))
            problems.push({ code: 'AGENT_CONFIG_PATH_UNREACHABLE', key, message: `${path} is not writable` });
        } else if (kind !== null) {
          problems.push({
            code: 'AGENT_CONFIG_PATH_UNREACHABLE',
            key,
            message: `${path} is not a directory`,
          });
        } else {
          const parent = parentOf(path);
          if (probe.kind(parent) !== 'dir' || !probe.writable(parent)) {
            problems.push({
              code: 'AGENT_CONFIG_PATH_UNREACHABLE',
              key,
              message: `${path} does not exist and cannot be created in ${parent}`,
            });
          }
        }
        break;
      }
    }
  }
  return problems;
}
