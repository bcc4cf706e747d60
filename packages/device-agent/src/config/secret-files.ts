// The agent refuses to start with a secret another user could read (issue 8): the token PIN file,
// the operator bearer token, the card-token key, the broker password and the TLS client key must
// be owned by the user the agent runs as and have no group or other permission bits (0600 or
// stricter). Every exposed file is reported at once (R21).
import { statSync } from 'node:fs';
import type { DeviceConfig } from './schema.js';

export interface SecretFileProblem {
  readonly code: 'AGENT_SECRET_FILE_EXPOSED';
  readonly key: string;
  readonly message: string;
}

/** The config keys that name secret files, with their paths (only those set). */
export function secretFilesOf(config: DeviceConfig): { key: string; path: string }[] {
  const files: { key: string; path: string | undefined }[] = [
    {
      key: 'token.userPin.file',
      path: 'file' in config.token.userPin ? config.token.userPin.file : undefined,
    },
    { key: 'operatorApi.tokenFile', path: config.operatorApi.tokenFile },
    { key: 'station.cardTokenKeyFile', path: config.station.cardTokenKeyFile },
    { key: 'mqtt.passwordFile', path: config.mqtt.passwordFile },
    { key: 'mqtt.tls.keyPath', path: config.mqtt.tls?.keyPath },
  ];
  return files.filter((file): file is { key: string; path: string } => file.path !== undefined);
}

/** Problems of one file: group/other bits set, or owned by another user. A missing file is the config check's. */
export function checkSecretFile(key: string, path: string, uid: number): SecretFileProblem[] {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return [];
  }
  const problems: SecretFileProblem[] = [];
  const mode = Number(stats.mode) & 0o777;
  if ((mode & 0o077) !== 0)
    problems.push({
      code: 'AGENT_SECRET_FILE_EXPOSED',
      key,
      message: `${path} has mode 0${mode.toString(8)}: group or others can read it (chmod 600)`,
    });
  if (Number(stats.uid) !== uid)
    problems.push({
      code: 'AGENT_SECRET_FILE_EXPOSED',
      key,
      message: `${path} is owned by uid ${stats.uid}, not the agent's user (uid ${uid})`,
    });
  return problems;
}

export function checkSecretFiles(config: DeviceConfig, uid: number): SecretFileProblem[] {
  return secretFilesOf(config).flatMap((file) => checkSecretFile(file.key, file.path, uid));
}
