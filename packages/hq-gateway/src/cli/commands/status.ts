// `hq status`: stations, quarantine, gaps, discrepancies (reports.ts).
import { configFlag, type HqCommand, withStore } from '../command.js';
import { statusReport } from '../reports.js';

export const statusCommand: HqCommand = {
  name: 'status',
  summary: 'stations (online, last seen, peripherals, outbox, ack point), quarantine, gaps, discrepancies',
  usage: 'hq status --config FILE',
  flags: { ...configFlag },
  positionals: 0,
  async run(parsed) {
    const report = await withStore(parsed, (store) => statusReport(store));
    return { data: report.data, text: report.text };
  },
};
