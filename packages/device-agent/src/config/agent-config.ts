// The one answer to "will the agent start with this config?" (issue 13): the loader every caller
// shares (config/load.ts: file, JSON, structure, paths), then what only the running agent needs —
// its secret files named (operator token, card-token key) and every secret file the service user's
// alone (config/secret-files.ts). main.ts starts on it and `kiosk config check` reports it, so what
// config check calls valid is what the agent starts with. Every problem at once (R21).

import { type ConfigReport, loadConfigFile } from './load.js';
import type { DeviceConfig } from './schema.js';
import { checkSecretFiles } from './secret-files.js';
import type { ConfigProblem } from './validate.js';

/** The keys only the running agent needs (optional for provision and doctor), all at once (R21). */
export function missingAgentKeys(config: DeviceConfig): ConfigProblem[] {
  const missing: ConfigProblem[] = [];
  if (config.operatorApi.tokenFile === undefined)
    missing.push({
      code: 'AGENT_CONFIG_MISSING_KEY',
      key: 'operatorApi.tokenFile',
      message: 'the agent needs it',
    });
  if (config.station.cardTokenKeyFile === undefined)
    missing.push({
      code: 'AGENT_CONFIG_MISSING_KEY',
      key: 'station.cardTokenKeyFile',
      message: 'the agent needs it',
    });
  return missing;
}

/** The config the agent starts with, or every reason it would refuse; `uid` is the agent's user. */
export function loadAgentConfig(file: string, uid: number): ConfigReport {
  const report = loadConfigFile(file);
  if (report.config === null) return report;
  const problems = [
    ...report.problems,
    ...missingAgentKeys(report.config),
    ...checkSecretFiles(report.config, uid),
  ];
  return problems.length === 0 ? report : { ...report, problems, config: null };
}
