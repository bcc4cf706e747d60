// Flag parsing for every `kiosk` command: the shared parser of both CLIs (@bianmin/cli-kit; every
// flag problem at once, R21), under AGENT_CLI_BAD_FLAG, with problems in the kiosk's own shape
// (`key` for the flag at fault, as the config checks report theirs).
import { parseFlags as parseCliFlags } from '@bianmin/cli-kit';
import type { ConfigProblem } from '../config/validate.js';

export {
  commonFlags,
  type FlagSpec,
  type FlagSpecs,
  flagHelp,
  type Parsed,
  stringFlag,
} from '@bianmin/cli-kit';

import type { FlagSpecs, Parsed } from '@bianmin/cli-kit';

export type Problem = ConfigProblem;

export function parseFlags(
  argv: readonly string[],
  specs: FlagSpecs,
): { parsed: Parsed | null; problems: Problem[] } {
  const { parsed, problems } = parseCliFlags(argv, specs, 'AGENT_CLI_BAD_FLAG');
  return {
    parsed,
    problems: problems.map((p) => ({ code: 'AGENT_CLI_BAD_FLAG', key: p.field, message: p.message })),
  };
}
