// `kiosk doctor`'s secret-files row (issue 8): the very check the agent runs at start-up
// (config/secret-files.ts: token PIN, operator bearer token, card-token key, broker password, TLS
// client key; mode 0600 or stricter, owned by the service user), so the technician sees before a
// start what would make the agent refuse to start, with the same code, every problem at once (R21).

import type { DeviceConfig } from '../../config/schema.js';
import { checkSecretFiles, secretFilesOf } from '../../config/secret-files.js';
import type { CheckRow } from './checks.js';

export function checkSecretFileModes(config: DeviceConfig, uid: number): CheckRow {
  const files = secretFilesOf(config);
  const problems = checkSecretFiles(config, uid);
  if (problems.length === 0) {
    return {
      check: 'secret files',
      status: 'PASS',
      detail: `${files.length} secret file(s) mode 0600 or stricter, owned by uid ${uid}`,
    };
  }
  return {
    check: 'secret files',
    status: 'FAIL',
    code: 'AGENT_SECRET_FILE_EXPOSED',
    detail: problems.map((problem) => `${problem.key}: ${problem.message}`).join('; '),
    hint: `chown the file(s) to the agent's user (uid ${uid}) and chmod 600; the agent refuses to start until then`,
  };
}
