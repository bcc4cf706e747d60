// Log in and out (issue 11): POST /api/v1/session answers a bearer token (rate-limited per user
// and per address: HQ_LOGIN_RATE_LIMITED); DELETE /api/v1/session ends it. Both are audited.

import { roles } from '../../domain/roles.js';
import { HqError } from '../../errors.js';
import { passwordCharsMax, userNameCharsMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, strictObject } from './route.js';

export function sessionRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'POST',
      url: '/api/v1/session',
      roles: 'public',
      summary: 'log in: a bearer session token (expires after sessionTtlMs)',
      tags: ['session'],
      schema: {
        body: strictObject(
          {
            user: { type: 'string', minLength: 1, maxLength: userNameCharsMax },
            password: { type: 'string', minLength: 1, maxLength: passwordCharsMax },
          },
          ['user', 'password'],
        ),
      },
      async handler(request) {
        const body = request.body as { user: string; password: string };
        const who = { userName: body.user, role: '' };
        try {
          const session = await deps.users.login(body.user, body.password, request.ip);
          await deps.audit.record(session.actor, 'session.login', body.user, { address: request.ip });
          return {
            token: session.token,
            expiresAtMs: session.expiresAtMs,
            user: session.actor.userName,
            role: session.actor.role,
            branchId: session.actor.branchId,
          };
        } catch (error) {
          if (error instanceof HqError)
            await deps.audit.record(who, 'session.login', body.user, { address: request.ip }, error.code);
          throw error;
        }
      },
    },
    {
      method: 'DELETE',
      url: '/api/v1/session',
      roles,
      summary: 'log out: the session token stops working',
      tags: ['session'],
      async handler(request, reply, actor) {
        const token = bearerToken(request.headers.authorization);
        if (token !== undefined) await deps.users.logout(token);
        await deps.audit.record(actor, 'session.logout', actor.userName);
        return reply.code(204).send();
      },
    },
  ];
}

/** The token of an `Authorization: Bearer TOKEN` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9_-]{16,128})$/.exec(header ?? '');
  return match?.[1];
}
