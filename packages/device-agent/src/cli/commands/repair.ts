// `kiosk repair`: rebuilds a damaged store from its journal (issue 9), with the agent stopped.
// The damaged file is copied aside first; the journal is never changed. Prints what it found,
// what it rebuilt from what, and the check afterwards; refuses (exit 1) when the journal itself
// is damaged, which only HQ's record can replace (docs/operations.md "Corrupted journal").
import { repairStore } from '../../adapters/sqlite/repair.js';
import { loadConfigFile } from '../../config/load.js';
import { validateStructure } from '../../config/validate.js';
import { commonFlags } from '../args.js';
import { type Command, configFlag, configPathOf } from '../command.js';
import { exitOk, exitProblems, reportJson, reportProblems } from '../report.js';

export const repairCommand: Command = {
  name: 'repair',
  summary: 'rebuild a damaged journal store (outbox, counters, indexes) from its journal; agent stopped',
  usage: 'repair [--config FILE] [--json]',
  details:
    'Run only with the agent stopped (systemctl stop bianmin-kiosk). Copies the damaged file to\n' +
    'kiosk.db.damaged-<time>, then rebuilds from the journal: every index, the outbox (each event HQ\n' +
    'has not acknowledged), the counters and chain heads; bdSeq and the ack mark from their seal, or\n' +
    'safely reset. A broken hash chain or damaged pages are refused: call HQ (docs/operations.md).',
  flags: { ...commonFlags, ...configFlag },
  async run(parsed, io) {
    const json = parsed.values.json === true;
    const file = configPathOf(parsed, io);
    const report = loadConfigFile(file);
    // Only journal.path matters here: a device missing from the config must not block a repair.
    const journalPath = (report.raw === undefined ? null : validateStructure(report.raw).config)?.journal
      .path;
    if (journalPath === undefined)
      return reportProblems(io, 'repair', report.problems, json, exitProblems, { config: file });
    const result = repairStore(journalPath, io.nowMs());
    if (result.status === 'missing') {
      return reportProblems(
        io,
        'repair',
        [
          {
            code: 'AGENT_CONFIG_PATH_MISSING',
            key: 'journal.path',
            message: `${journalPath} does not exist`,
          },
        ],
        json,
        exitProblems,
      );
    }
    if (result.status === 'intact') {
      if (json) reportJson(io, 'repair', { journal: journalPath, status: 'intact' });
      else io.out(`kiosk repair: ${journalPath} passes every check; nothing to repair\n`);
      return exitOk;
    }
    const found = result.before.status === 'corrupt' ? result.before.problems : [];
    if (result.status === 'refused') {
      return reportProblems(
        io,
        'repair',
        [
          { code: 'AGENT_STORE_REPAIR_REFUSED', key: 'journal.path', message: result.reason },
          ...found.map((problem) => ({ code: problem.code, key: 'journal.path', message: problem.detail })),
        ],
        json,
        exitProblems,
        { backup: result.backupPath },
      );
    }
    const ok = result.after.status === 'ok';
    if (json) {
      io.out(
        `${JSON.stringify({ ok, command: 'repair', journal: journalPath, status: 'repaired', backup: result.backupPath, found, actions: result.actions, after: result.after }, null, 2)}\n`,
      );
    } else {
      const lines = [
        `kiosk repair: ${journalPath}`,
        `  damaged copy kept: ${result.backupPath}`,
        '  found:',
        ...found.map((problem) => `    ${problem.code}: ${problem.detail}`),
        '  rebuilt:',
        ...result.actions.map((action) => `    ${action}`),
        ok
          ? `  check after repair: PASS (${result.after.status === 'ok' ? `${result.after.rowCount} rows, outbox ${result.after.outboxDepth}` : ''})`
          : `  check after repair: FAIL ${result.after.status === 'corrupt' ? result.after.detail : ''}`,
      ];
      io.out(`${lines.join('\n')}\n`);
    }
    return ok ? exitOk : exitProblems;
  },
};
