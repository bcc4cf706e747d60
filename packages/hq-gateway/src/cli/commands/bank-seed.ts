// `hq bank seed FILE`: create or reset bank simulator accounts.
import { BankSimulator } from '../../adapters/bank-sim/bank-sim.js';
import { SqliteStore } from '../../adapters/sqlite/sqlite-store.js';
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
    const store = new SqliteStore({ path: config.dbPath });
    try {
      new BankSimulator(store.db, readTpk(config)).seedAccounts(accounts);
    } finally {
      await store.close();
    }
    const data = { accounts: accounts.length };
    return { data, text: okText(this.name, data) };
  },
};
