// `hq station resume <station-id> --reason TEXT`: lift a suspension (issue 8). The suspension
// lifted and who (the operating-system user), when (HQ's clock) and why are recorded together
// (station_resumptions). An unknown station is HQ_STATION_NOT_FOUND; one not suspended is
// HQ_STATION_NOT_SUSPENDED, and nothing is changed.
import { userInfo } from 'node:os';
import { HqError, type HqProblem } from '../../errors.js';
import { auditCli, configFlag, type HqCommand, loadConfig, usageError, withOperations } from '../command.js';

function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export const stationResumeCommand: HqCommand = {
  name: 'station resume',
  summary: 'lift a suspended station (issue 8), recording who, when and why',
  usage: 'hq station resume STATION-ID --reason TEXT --config FILE',
  flags: {
    ...configFlag,
    reason: {
      type: 'string',
      valueName: 'TEXT',
      description: 'why the station is served again (required; recorded with the suspension lifted)',
    },
  },
  positionals: 1,
  async run(parsed) {
    const problems: HqProblem[] = [];
    const stationId = parsed.positionals[0] ?? '';
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(stationId)) {
      problems.push({
        code: 'HQ_CLI_USAGE',
        field: 'station-id',
        message: 'STATION-ID is required (1..32 of [A-Za-z0-9_-])',
      });
    }
    const reason = parsed.values.reason;
    if (typeof reason !== 'string' || reason.trim() === '') {
      problems.push({ code: 'HQ_CLI_USAGE', field: '--reason', message: '--reason TEXT is required' });
    }
    if (problems.length > 0) throw usageError(problems);
    const config = loadConfig(parsed);
    const resumedBy = operatorName();
    const data = await withOperations(config, false, async (operations, _store, integrity, opened) => {
      const outcome = await operations.resumeStation(stationId, { resumedBy, reason: String(reason).trim() });
      if (outcome === 'not_suspended') {
        const message = `station ${stationId} is not suspended`;
        throw new HqError('HQ_STATION_NOT_SUSPENDED', message, {
          problems: [{ code: 'HQ_STATION_NOT_SUSPENDED', field: 'station-id', message }],
        });
      }
      // A running gateway (another process) serves it again at its next station-control poll.
      await opened.ops.bumpStationControlVersion();
      await auditCli(opened.ops, 'station.resume', stationId, { reason: String(reason).trim(), outcome });
      const lifted = (await integrity.resumptions(stationId)).at(-1);
      return { outcome, ...lifted };
    });
    const text =
      `station resume: ${stationId} resumed by ${data.resumedBy} at ${new Date(data.resumedAtMs ?? 0).toISOString()}\n` +
      `  was suspended since ${new Date(data.sinceMs ?? 0).toISOString()} (${data.reasonCode}: ${data.detail})\n` +
      `  reason: ${data.reason}\n` +
      'A running gateway serves the station again within a few seconds (its station-control poll).\n';
    return { data, text };
  },
};
