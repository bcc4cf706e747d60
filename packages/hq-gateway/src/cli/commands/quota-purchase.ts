// `hq quota purchase`: record a quota purchase (R3) and send the station its new config.
import type { HqProblem } from '../../errors.js';
import {
  configFlag,
  type HqCommand,
  loadConfig,
  okText,
  stationFlag,
  usageError,
  withOperations,
} from '../command.js';

export const quotaPurchaseCommand: HqCommand = {
  name: 'quota purchase',
  summary: 'record a quota purchase (R3: at least 50000 fen) and send the new config',
  usage: 'hq quota purchase --station ID --fen N --config FILE',
  flags: {
    ...configFlag,
    station: { type: 'string', valueName: 'ID', description: 'station id' },
    fen: { type: 'string', valueName: 'N', description: 'amount in fen (integer, >= 50000)' },
  },
  positionals: 0,
  async run(parsed) {
    const problems: HqProblem[] = [];
    const stationId = stationFlag(parsed, problems);
    const fenText = parsed.values.fen;
    if (typeof fenText !== 'string' || !/^\d{1,15}$/.test(fenText)) {
      problems.push({ code: 'HQ_CLI_USAGE', field: '--fen', message: '--fen N is required (whole fen)' });
    }
    if (problems.length > 0) throw usageError(problems);
    const config = loadConfig(parsed);
    const data = await withOperations(config, true, (operations) =>
      operations.purchaseQuota(stationId, Number(fenText)),
    );
    return { data, text: okText(this.name, data) };
  },
};
