// `hq bank seed FILE`: create or reset bank simulator accounts.
import { BankSimulator } from '../../adapters/bank-sim/bank-sim.js';
import { openHqStore } from '../../main.js';
import { configFlag, type HqCommand, loadConfig, okText, readBankAccountsFile, readTpk } from '../command.js';

export const bankSeedCommand: HqCommand = {
  name: 'bank seed',
  summary:
    'create or reset bank simulator accounts from a JSON list [{ pan, pin, balanceFen, dailyLimitFen }]',
  usage: 'hq bank seed FILE --config FILE',
  flags: { ...configFlag },
  positionals: 1,
  async run(parsed) {
    const config = loadConfig(parsed);
    const accounts = readBankAccountsFile(parsed.positionals[0]!);
    const opened = await openHqStore(config.store, {
      ...(config.bankDbPath === undefined ? {} : { bankDbPath: config.bankDbPath }),
    });
    try {
      new BankSimulator(opened.bankDb, readTpk(config)).seedAccounts(accounts);
    } finally {
      await opened.close();
    }
    const data = { accounts: accounts.length };
    return { data, text: okText(this.name, data) };
  },
};
