// `hq config send`: sign the station's next config and publish it retained.
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

export const configSendCommand: HqCommand = {
  name: 'config send',
  summary: "sign the station's config (fee schedule, quota, service hours, limits) and publish it retained",
  usage: 'hq config send --station ID --config FILE',
  flags: { ...configFlag, station: { type: 'string', valueName: 'ID', description: 'station id' } },
  positionals: 0,
  async run(parsed) {
    const problems: HqProblem[] = [];
    const stationId = stationFlag(parsed, problems);
    if (problems.length > 0) throw usageError(problems);
    const config = loadConfig(parsed);
    const data = await withOperations(config, true, (operations) => operations.sendConfig(stationId));
    return { data, text: okText(this.name, data) };
  },
};
