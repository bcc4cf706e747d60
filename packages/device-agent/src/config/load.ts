// Reads a device config file and runs every check on it: file, JSON, structure, paths. Returns
// all problems together (R21); `config` is set only when there are none.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { configFileSizeBytesMax } from '../limits.js';
import type { DeviceConfig } from './schema.js';
import { type ConfigProblem, checkPaths, type PathProbe, validateStructure } from './validate.js';

export const nodePathProbe: PathProbe = {
  kind(path) {
    try {
      const stat = statSync(path);
      return stat.isFile() ? 'file' : stat.isDirectory() ? 'dir' : 'other';
    } catch {
      return null;
    }
  },
  readable(path) {
    try {
      accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  writable(path) {
    try {
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
};

export interface ConfigReport {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];
  readonly config: DeviceConfig | null;
  /** The parsed JSON, even when invalid (provision uses it as a template). */
  readonly raw: unknown;
}

/** Parses text as a config; the structural problems and the path problems come back together. */
export function checkConfigValue(file: string, raw: unknown, probe: PathProbe = nodePathProbe): ConfigReport {
  const structure = validateStructure(raw);
  const pathProblems = checkPaths(structure.paths, probe);
  const problems = [...structure.problems, ...pathProblems];
  return { file, problems, config: problems.length === 0 ? structure.config : null, raw };
}

/**
 * JSON.parse's message with the line and column (1-based) a technician's editor shows: Node 20
 * names only a character position ("… in JSON at position 14"), or none at the end of the input.
 */
export function jsonErrorWithPlace(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message);
  const index = position === null ? text.length : Math.min(Number(position[1]), text.length);
  const before = text.slice(0, index);
  const line = before.split('\n').length;
  const column = index - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+/, '')}`;
}

export function loadConfigFile(file: string, probe: PathProbe = nodePathProbe): ConfigReport {
  let text: string;
  try {
    const sizeBytes = statSync(file).size;
    if (sizeBytes > configFileSizeBytesMax) {
      return {
        file,
        raw: undefined,
        config: null,
        problems: [
          {
            code: 'AGENT_CONFIG_NOT_JSON',
            key: '',
            message: `file is ${sizeBytes} bytes, over ${configFileSizeBytesMax}`,
          },
        ],
      };
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return {
      file,
      raw: undefined,
      config: null,
      problems: [{ code: 'AGENT_CONFIG_FILE_MISSING', key: '', message: `${file}: ${reason}` }],
    };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return {
      file,
      raw: undefined,
      config: null,
      problems: [{ code: 'AGENT_CONFIG_NOT_JSON', key: '', message: jsonErrorWithPlace(text, error) }],
    };
  }
  return checkConfigValue(file, raw, probe);
}
