// Issue 13: the OTA release store of `hq serve` from the HQ config: `releases` names the store
// folder (as `hq release publish --releases-dir`), the inbox bundles are copied into before they
// are published over the API, and the files of the trusted HQ release public keys. With it (and
// `releasesBaseUrl`), the gateway serves published releases as packs and its rollouts send offers.
// Checked at the edge like the rest of the config: every problem with its field, HQ_CONFIG_INVALID.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ReleaseApiConfig } from './adapters/http/deps.js';
import { HqError } from './errors.js';

export interface ReleasesConfig {
  readonly dir: string;
  readonly inboxDir: string;
  readonly trustedKeyFiles: readonly string[];
}

/** At most this many trusted release keys (a rotation keeps two or three; more is a mistake). */
export const trustedReleaseKeysMax = 8;
const releasesKeys = new Set(['dir', 'inboxDir', 'trustedKeyFiles']);

/** Check `releases`; each problem goes to `problem(field, message)`. */
export function checkReleases(value: unknown, problem: (field: string, message: string) => void): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problem('releases', 'must be an object');
    return;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record))
    if (!releasesKeys.has(key)) problem(`releases.${key}`, 'unknown key');
  for (const key of ['dir', 'inboxDir'] as const)
    if (typeof record[key] !== 'string' || record[key] === '')
      problem(`releases.${key}`, 'must be a folder path');
  const keys = record.trustedKeyFiles;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > trustedReleaseKeysMax)
    problem(
      'releases.trustedKeyFiles',
      `must list 1..${trustedReleaseKeysMax} PEM files of HQ release public keys`,
    );
  else
    keys.forEach((item, index) => {
      if (typeof item !== 'string' || item === '')
        problem(`releases.trustedKeyFiles[${index}]`, 'must be a file path');
    });
  if (record.dir !== undefined && record.dir === record.inboxDir)
    problem('releases.inboxDir', 'must not be the store folder itself');
}

/** The checked block with its paths resolved against the config file's folder. */
export function resolveReleases(value: ReleasesConfig, baseDir: string): ReleasesConfig {
  return {
    dir: resolve(baseDir, value.dir),
    inboxDir: resolve(baseDir, value.inboxDir),
    trustedKeyFiles: value.trustedKeyFiles.map((file) => resolve(baseDir, file)),
  };
}

/** What startGateway takes: the trusted keys read now (an unreadable one stops the start with its path). */
export function releaseApiConfigOf(releases: ReleasesConfig): ReleaseApiConfig {
  const trustedKeys = releases.trustedKeyFiles.map((file) => {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new HqError('HQ_FILE_UNREADABLE', `cannot read the release key ${file}`, {
        cause: error,
        details: { path: file },
        problems: [
          { code: 'HQ_FILE_UNREADABLE', field: 'releases.trustedKeyFiles', message: `cannot read ${file}` },
        ],
      });
    }
  });
  return { releasesDir: releases.dir, inboxDir: releases.inboxDir, trustedKeys };
}
