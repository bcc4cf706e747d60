// @bianmin/cli-kit: the argument parser and output style the `kiosk` and `hq` CLIs share
// (docs/decisions/cli-kit.md). Pure TypeScript over node:util; no I/O of its own: commands pass
// their output sink in.
export {
  type CliProblem,
  commonFlags,
  type FlagSpec,
  type FlagSpecs,
  findCommand,
  flagHelp,
  type Parsed,
  parseFlags,
  stringFlag,
} from './args.js';
export {
  type CliOutput,
  exitOk,
  exitProblems,
  exitUsage,
  formatProblems,
  printProblems,
  printResult,
  printVersion,
} from './output.js';
