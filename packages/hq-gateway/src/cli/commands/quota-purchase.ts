// `hq quota purchase`: record a quota purchase (R3) and send the station its new config.
import type { HqProblem } from '../../errors.js';
import {
  auditCli,
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
  summary: 'record a quota purchase (R3: at least 500.00 yuan) and send the new config',
  usage: 'hq quota purchase --station ID (--yuan 5000.00 | --fen N) --receipt REF --config FILE',
  flags: {
    ...configFlag,
    station: { type: 'string', valueName: 'ID', description: 'station id' },
    yuan: {
      type: 'string',
      valueName: 'YUAN',
      description: 'amount in yuan, e.g. 5000 or 5000.00 (>= 500.00)',
    },
    fen: { type: 'string', valueName: 'N', description: 'amount in fen (integer, >= 50000)' },
    receipt: {
      type: 'string',
      valueName: 'REF',
      description:
        "the outlet's receipt reference (R9): the same one again is 'exists', never a second purchase",
    },
  },
  positionals: 0,
  async run(parsed) {
    const problems: HqProblem[] = [];
    const stationId = stationFlag(parsed, problems);
    const fenText = parsed.values.fen;
    const yuanText = parsed.values.yuan;
    const receipt = parsed.values.receipt;
    if ((typeof fenText === 'string') === (typeof yuanText === 'string')) {
      problems.push({
        code: 'HQ_CLI_USAGE',
        field: '--yuan',
        message: 'give the amount once: --yuan YUAN or --fen N',
      });
    } else if (typeof fenText === 'string' && !/^\d{1,15}$/.test(fenText)) {
      problems.push({ code: 'HQ_CLI_USAGE', field: '--fen', message: '--fen N must be whole fen' });
    }
    if (typeof receipt !== 'string') {
      problems.push({
        code: 'HQ_CLI_USAGE',
        field: '--receipt',
        message: "--receipt REF (the outlet's receipt reference) is required",
      });
    }
    if (problems.length > 0) throw usageError(problems);
    const config = loadConfig(parsed);
    const amount = typeof yuanText === 'string' ? { yuan: yuanText } : { fen: String(fenText) };
    const data = await withOperations(config, true, async (operations, _store, _integrity, opened) => {
      const outcome = await operations.purchaseQuota(stationId, amount, String(receipt));
      await auditCli(opened.ops, 'quota.purchase', stationId, {
        receipt: outcome.purchaseId,
        amountFen: outcome.amountFen,
        outcome: outcome.outcome,
      });
      return outcome;
    });
    return { data, text: okText(this.name, data) };
  },
};
