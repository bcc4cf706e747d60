// `kiosk doctor`'s data-files row (issue 13): the journal holds every transaction of the station
// (masked card numbers, amounts, receipt numbers). Its files (kiosk.db and SQLite's -wal and -shm)
// give others no access and the group no write (the agent runs with umask 0077: 0600); its
// directory may be listed (the installer makes /var/lib/bianmin 0750, a plain 0755 shows only the
// file names) but written by nobody else, or a file could be swapped under the agent. All of them
// have one owner (a file created by root while repairing by hand would lock the service user out of
// its own journal). Every problem at once (R21).
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckRow } from './checks.js';

function modeText(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

export function checkDataFiles(journalPath: string): CheckRow {
  const dir = dirname(journalPath);
  const paths = [dir, journalPath, `${journalPath}-wal`, `${journalPath}-shm`];
  const found: { path: string; mode: number; uid: number; isLink: boolean; deniedBits: number }[] = [];
  for (const path of paths) {
    try {
      const stat = lstatSync(path);
      // Directory: no write for group or others. Files: nothing for others, no write for the group.
      const deniedBits = path === dir ? 0o022 : 0o027;
      found.push({ path, mode: stat.mode, uid: stat.uid, isLink: stat.isSymbolicLink(), deniedBits });
    } catch {
      // absent: fine (no journal yet, or no WAL right now)
    }
  }
  if (found.length === 0) return { check: 'data files', status: 'SKIP', detail: `${dir} does not exist` };
  const problems: string[] = [];
  for (const file of found) {
    if (file.isLink) problems.push(`${file.path} is a symbolic link`);
    else if ((file.mode & file.deniedBits) !== 0)
      problems.push(
        `${file.path} mode ${modeText(file.mode)} (${file.path === dir ? 'others or the group may write' : 'others have access, or the group may write'})`,
      );
  }
  const owners = [...new Set(found.map((file) => file.uid))];
  if (owners.length > 1)
    problems.push(`different owners: ${found.map((file) => `${file.path} uid ${file.uid}`).join(', ')}`);
  if (problems.length === 0) {
    return {
      check: 'data files',
      status: 'PASS',
      detail: `${found.length} path(s) under ${dir}: owner uid ${owners[0]}, files closed to others, nobody else writes`,
    };
  }
  return {
    check: 'data files',
    status: 'FAIL',
    code: 'AGENT_DOCTOR_DATA_FILE_EXPOSED',
    detail: problems.join('; '),
    hint: `stop the agent, then chown -R bianmin: ${dir} && chmod 750 ${dir} && chmod 600 ${dir}/*; never delete the journal`,
  };
}
