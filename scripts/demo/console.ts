// `npm run demo -- --console` (issue 12): after the day, the HQ console is served by the demo's
// HQ gateway on 127.0.0.1 with one demo user per role (a fresh random password, printed once), so a
// person can look at the day in a browser. Runs until Ctrl-C; the demo's clean-up stops it.
import { randomBytes } from 'node:crypto';
import { listenApi } from '@bianmin/hq-gateway/adapters/http/server';
import { LoginLimiter } from '@bianmin/hq-gateway/app/login-limiter';
import { UserService } from '@bianmin/hq-gateway/app/users';
import { roles } from '@bianmin/hq-gateway/domain/roles';
import type { Gateway } from '@bianmin/hq-gateway/main';
import type { Cleanup } from './lib/cleanup.js';

/** Serves the console; the lines to print (URL and logins). */
export async function serveConsole(
  gateway: Gateway,
  stationIds: readonly string[],
  port: number,
  cleanup: Cleanup,
): Promise<string[]> {
  if (gateway.api.consoleDir === undefined) {
    throw new Error('the HQ console is not built (npm run build builds packages/hq-console)');
  }
  // The demo's stations belong to branch office B-CG (城关支局, the operations scene's), so the branch login sees them too.
  for (const stationId of stationIds) await gateway.ops.setStationBranch(stationId, 'B-CG');
  const users = new UserService(gateway.ops, gateway.api.clock, new LoginLimiter(gateway.api.clock));
  const password = randomBytes(12).toString('base64url');
  for (const role of roles) {
    await users.addUser(
      { userName: `demo-${role}`, role, password, ...(role === 'branch' ? { branchId: 'B-CG' } : {}) },
      'demo',
    );
  }
  const { app, url } = await listenApi(gateway.api, `127.0.0.1:${port}`);
  cleanup.defer('hq console', () => app.close());
  return [
    '',
    `HQ console: ${url}/console/`,
    `demo logins (password ${password} for each): ${roles.map((r) => `demo-${r}`).join(', ')}`,
    '  (demo-ecommerce sees the most pages: 总览 网点 告警 额度 日报与对账)',
    'running until Ctrl-C',
  ];
}
