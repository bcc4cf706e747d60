// `kiosk config check FILE`: every problem of a device config in one report (R21): missing file,
// bad JSON, unknown keys, bad types and values, missing keys, missing or unreachable paths.
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
    '(files readable, devices present, directories writable). Exit 0 when clean, 1 with problems.',
  flags: { ...commonFlags },
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
    const report = loadConfigFile(file);
    if (report.problems.length > 0)
      return reportProblems(io, 'config check', report.problems, json, exitProblems, { file });
    if (json) reportJson(io, 'config check', { file });
    else io.out(`kiosk config check: ${file} is valid\n`);
    return exitOk;
  },
};
