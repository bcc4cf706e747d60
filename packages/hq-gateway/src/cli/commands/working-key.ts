// Remote key loading (R24) from the HQ side, with the bank's HSM played by the bank simulator's
// stand-in (adapters/bank-sim/working-keys.ts):
//   hq key tmk --station ID --components-file FILE   record the station's TMK from its 2-3 components
//                                                      (the ones mailed to the technician); prints its KCV
//   hq key load --station ID --key-id ID              the HSM issues a fresh TPK, HQ sends it wrapped
//                                                      under the TMK with its KCV, signed, on down/cmd
// No clear key is printed or logged; the kiosk answers with a CommandResult carrying the pad's KCV.
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { WorkingKeyIssuer } from '../../adapters/bank-sim/working-keys.js';
import { recordKeySent } from '../../app/working-key-check.js';
import { HqError, type HqProblem } from '../../errors.js';
import { keyComponentsFileBytesMax, workingKeyCommandTtlMs } from '../../limits.js';
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

const stationOption = { station: { type: 'string', valueName: 'ID', description: 'station id' } } as const;

/** 2-3 components of 32 hex digits (blank lines and # comments skipped), XORed: the TMK. */
function readTmk(file: string): Uint8Array {
  const refuse = (message: string): never => {
    throw new HqError('HQ_KEY_COMPONENTS_INVALID', message, {
      problems: [{ code: 'HQ_KEY_COMPONENTS_INVALID', field: '--components-file', message }],
    });
  };
  let text = '';
  try {
    if (statSync(file).size > keyComponentsFileBytesMax)
      refuse(`${file} is over ${keyComponentsFileBytesMax} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof HqError) throw error;
    refuse(`cannot read ${file}`);
  }
  const lines = text
    .split(/\r?\n/u)
    .map((line) => line.replace(/[\s-]/g, ''))
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.length < 2 || lines.length > 3) refuse(`give 2 or 3 components, found ${lines.length}`);
  if (!lines.every((line) => /^[0-9A-Fa-f]{32}$/.test(line))) refuse('each component is 32 hex digits');
  if (new Set(lines.map((line) => line.toUpperCase())).size !== lines.length)
    refuse('two components are the same');
  const tmk = new Uint8Array(16);
  for (const line of lines) {
    const bytes = Buffer.from(line, 'hex');
    for (let index = 0; index < 16; index += 1) tmk[index]! ^= bytes[index]!;
    bytes.fill(0);
  }
  if (tmk.every((byte) => byte === 0)) refuse('the components combine to an all-zero key');
  return tmk;
}

export const keyTmkCommand: HqCommand = {
  name: 'key tmk',
  summary: "record a station's TMK in the HSM stand-in from its 2-3 components; prints its KCV",
  usage: 'hq key tmk --station ID --components-file FILE --config FILE',
  flags: {
    ...configFlag,
    ...stationOption,
    'components-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'one component (32 hex digits) per line; delete it afterwards',
    },
  },
  positionals: 0,
  async run(parsed) {
    const problems: HqProblem[] = [];
    const stationId = stationFlag(parsed, problems);
    const file = parsed.values['components-file'];
    if (typeof file !== 'string' || file === '')
      problems.push({
        code: 'HQ_CLI_USAGE',
        field: '--components-file',
        message: '--components-file FILE is required',
      });
    if (problems.length > 0) throw usageError(problems);
    const tmk = readTmk(String(file));
    const config = loadConfig(parsed);
    const data = await withOperations(config, false, async (_operations, store, _integrity, opened) => {
      if ((await store.getStation(stationId)) === undefined) {
        const message = `station ${stationId} is not enrolled`;
        throw new HqError('HQ_STATION_NOT_FOUND', message, {
          problems: [{ code: 'HQ_STATION_NOT_FOUND', field: '--station', message }],
        });
      }
      const tmkKcv = new WorkingKeyIssuer(opened.bankDb).registerTmk(stationId, tmk);
      await auditCli(opened.ops, 'key.tmk', stationId, { tmkKcv });
      return { stationId, tmkKcv };
    });
    tmk.fill(0);
    return { data, text: okText(this.name, data) };
  },
};

export const keyLoadCommand: HqCommand = {
  name: 'key load',
  summary: "issue the station's PIN pad a new working key (TPK) under its TMK and send it, signed",
  usage: 'hq key load --station ID --key-id ID --config FILE',
  flags: {
    ...configFlag,
    ...stationOption,
    'key-id': {
      type: 'string',
      valueName: 'ID',
      description: 'the new key id PIN blocks will name (1..32 of [A-Za-z0-9_-])',
    },
  },
  positionals: 0,
  async run(parsed) {
    const problems: HqProblem[] = [];
    const stationId = stationFlag(parsed, problems);
    const keyId = parsed.values['key-id'];
    if (typeof keyId !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(keyId))
      problems.push({
        code: 'HQ_CLI_USAGE',
        field: '--key-id',
        message: '--key-id ID is required (1..32 of [A-Za-z0-9_-])',
      });
    if (problems.length > 0) throw usageError(problems);
    const config = loadConfig(parsed);
    const data = await withOperations(config, true, async (operations, store, _integrity, opened) => {
      if ((await store.getStation(stationId)) === undefined) {
        const message = `station ${stationId} is not enrolled`;
        throw new HqError('HQ_STATION_NOT_FOUND', message, {
          problems: [{ code: 'HQ_STATION_NOT_FOUND', field: '--station', message }],
        });
      }
      const issuer = new WorkingKeyIssuer(opened.bankDb);
      let wrapped: ReturnType<WorkingKeyIssuer['issue']>;
      try {
        wrapped = issuer.issue(stationId, String(keyId), Date.now());
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new HqError('HQ_KEY_NO_TMK', message, {
          problems: [
            { code: 'HQ_KEY_NO_TMK', field: '--station', message: `${message}: run hq key tmk first` },
          ],
        });
      }
      const sent = await operations.sendWorkingKey(stationId, wrapped, workingKeyCommandTtlMs);
      // R24: recorded as sent, so the gateway checks the KCV the kiosk answers against the HSM's.
      await recordKeySent(opened.operations, stationId, sent, `cli:${userInfo().username}`, Date.now());
      await auditCli(opened.ops, 'key.load', stationId, {
        tpkKeyId: sent.tpkKeyId,
        kcv: sent.kcv,
        commandId: sent.commandId,
      });
      return sent;
    });
    return { data, text: okText(this.name, data) };
  },
};
