// `hq station enrol FILE`: bind a kiosk's public key to its station from its enrolment request.
import { readFileSync } from 'node:fs';
import { HqError } from '../../errors.js';
import { auditCli, configFlag, type HqCommand, loadConfig, okText, withOperations } from '../command.js';

export const stationEnrolCommand: HqCommand = {
  name: 'station enrol',
  summary: "bind a kiosk's public key to its station from its enrolment request (kiosk provision)",
  usage: 'hq station enrol FILE --config FILE',
  flags: { ...configFlag },
  positionals: 1,
  async run(parsed) {
    const file = parsed.positionals[0]!;
    let request: unknown;
    try {
      request = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      const code = error instanceof SyntaxError ? 'HQ_ENROLMENT_INVALID' : 'HQ_FILE_UNREADABLE';
      throw new HqError(code, `cannot read the enrolment request ${file}`, {
        cause: error,
        problems: [{ code, field: 'FILE', message: `${file}: ${(error as Error).message}` }],
      });
    }
    const config = loadConfig(parsed);
    const data = await withOperations(config, false, async (operations, _store, _integrity, opened) => {
      const { outcome, station } = await operations.enrol(request);
      // A running gateway (another process) binds the station at its next station-control poll.
      if (outcome === 'enrolled') await opened.ops.bumpStationControlVersion();
      await auditCli(opened.ops, 'station.enrol', station.stationId, {
        outcome,
        fingerprint: station.fingerprint,
      });
      return { outcome, stationId: station.stationId, keyId: station.keyId, orgCode: station.orgCode };
    });
    return { data, text: okText(this.name, data) };
  },
};
