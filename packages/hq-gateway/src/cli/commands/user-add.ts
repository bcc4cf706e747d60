// `hq user add --user NAME --role ROLE [--branch ID] [--password-file FILE]`: add an HQ API user
// (issue 11) through the same application function as POST /api/v1/users. The password is read
// from a file that only its owner may read (mode 0600) or from standard input, never from a flag
// (a flag shows in `ps` and the shell history). Audited as the operating-system user.
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { AuditLog } from '../../app/audit-log.js';
import { LoginLimiter } from '../../app/login-limiter.js';
import { UserService } from '../../app/users.js';
import { roles } from '../../domain/roles.js';
import { HqError, type HqProblem } from '../../errors.js';
import { passwordCharsMax } from '../../limits.js';
import { systemClock } from '../../ports/clock.js';
import { configFlag, type HqCommand, okText, usageError, withStore } from '../command.js';

function operatorName(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:${process.env.USER ?? 'unknown'}`;
  }
}

function passwordFromFile(file: string): string {
  let mode: number;
  let text: string;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new HqError('HQ_FILE_UNREADABLE', `cannot read the password file ${file}`, {
      cause: error,
      problems: [{ code: 'HQ_FILE_UNREADABLE', field: '--password-file', message: `cannot read ${file}` }],
    });
  }
  if ((mode & 0o077) !== 0) {
    const message = `--password-file: ${file} must be readable by its owner only (chmod 600)`;
    throw new HqError('HQ_USER_INVALID', message, {
      problems: [{ code: 'HQ_USER_INVALID', field: '--password-file', message }],
    });
  }
  return firstLine(text);
}

/** The first line, without its line break (a file or stdin usually ends with one). */
function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

async function passwordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.from(chunk as Buffer);
    size += buffer.length;
    if (size > passwordCharsMax * 4 + 2) break;
    chunks.push(buffer);
  }
  return firstLine(Buffer.concat(chunks).toString('utf8'));
}

export const userAddCommand: HqCommand = {
  name: 'user add',
  summary: 'add an HQ API user with a role (password from a 0600 file or stdin, never a flag)',
  usage: 'hq user add --user NAME --role ROLE [--branch ID] [--password-file FILE] --config FILE',
  flags: {
    ...configFlag,
    user: { type: 'string', valueName: 'NAME', description: 'user name, 3..32 of [a-z0-9._-]' },
    role: { type: 'string', valueName: 'ROLE', description: `one of ${roles.join(', ')}` },
    branch: { type: 'string', valueName: 'ID', description: 'the branch office of a branch user' },
    'password-file': {
      type: 'string',
      valueName: 'FILE',
      description: 'file holding the password (mode 0600); absent: the first line of stdin',
    },
  },
  positionals: 0,
  async run(parsed) {
    const problems: HqProblem[] = [];
    const user = parsed.values.user;
    const role = parsed.values.role;
    const branch = parsed.values.branch;
    if (typeof user !== 'string')
      problems.push({ code: 'HQ_CLI_USAGE', field: '--user', message: '--user NAME is required' });
    if (typeof role !== 'string')
      problems.push({ code: 'HQ_CLI_USAGE', field: '--role', message: '--role ROLE is required' });
    if (problems.length > 0) throw usageError(problems);
    const file = parsed.values['password-file'];
    const password = typeof file === 'string' ? passwordFromFile(file) : await passwordFromStdin();
    const by = operatorName();
    const data = await withStore(parsed, async (_store, opened) => {
      const ops = opened.ops;
      const users = new UserService(ops, systemClock, new LoginLimiter(systemClock));
      const added = await users.addUser(
        {
          userName: String(user),
          role: String(role),
          password,
          ...(typeof branch === 'string' ? { branchId: branch } : {}),
        },
        by,
      );
      await new AuditLog(ops, systemClock).record({ userName: by, role: 'cli' }, 'user.add', added.userName, {
        role: added.role,
        branchId: added.branchId,
      });
      return added;
    });
    return { data, text: okText(this.name, data) };
  },
};
