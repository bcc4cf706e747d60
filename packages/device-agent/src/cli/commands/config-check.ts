// `kiosk config check FILE`: every problem of a device config in one report (R21): missing file,
// bad JSON (with line and column), unknown keys, bad types and values, missing keys, missing or
// unreachable paths, and what would make the agent refuse to start (its secret files missing or
// exposed): the agent's own loader (config/agent-config.ts), so "valid" means "the agent starts".
// `--provision`: a config before provisioning, without the files only the running agent needs.
import { loadAgentConfig } from '../../config/agent-config.js';
import { loadConfigFile } from '../../config/load.js';
import { commonFlags } from '../args.js';
import type { Command } from '../command.js';
import { exitOk, exitProblems, exitUsage, reportJson, reportProblems } from '../report.js';

export const configCheckCommand: Command = {
  name: 'config check',
  summary: 'check a device config file and list every problem at once',
  usage: 'config check FILE [--json]',
  details:
    'Checks the JSON file against the config schema and checks every path it names\n' +
    '(files readable, devices present, directories writable), then what the agent checks before it\n' +
    'starts: operatorApi.tokenFile and station.cardTokenKeyFile given, every secret file mode 0600\n' +
    'and owned by the user running the check (run it as the service user). It is the loader the\n' +
    'agent starts with. --provision skips the agent-only part (a template before kiosk provision).\n' +
    'Exit 0 when clean, 1 with problems.',
  flags: {
    ...commonFlags,
    provision: { type: 'boolean', description: 'check a config before provisioning (no agent-only files)' },
  },
  async run(parsed, io) {
    const json = parsed.values.json === true;
    const files = parsed.positionals;
    if (files.length !== 1) {
      return reportProblems(
        io,
        'config check',
        [
          {
            code: 'AGENT_CLI_MISSING_ARGUMENT',
            key: 'FILE',
            message: `expected one config file, got ${files.length}`,
          },
        ],
        json,
        exitUsage,
      );
    }
    const file = files[0]!;
    const report =
      parsed.values.provision === true
        ? loadConfigFile(file)
        : loadAgentConfig(file, process.getuid?.() ?? 0);
    if (report.problems.length > 0)
      return reportProblems(io, 'config check', report.problems, json, exitProblems, { file });
    if (json) reportJson(io, 'config check', { file });
    else io.out(`kiosk config check: ${file} is valid\n`);
    return exitOk;
  },
};
