// Users (issue 11): the administrator adds one (the same application function as `hq user add`);
// the password is hashed at once and never echoed or audited.

import { branchIdPattern, userNamePattern } from '../../app/users.js';
import { roles } from '../../domain/roles.js';
import { passwordCharsMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, strictObject } from './route.js';

export function userRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'POST',
      url: '/api/v1/users',
      roles: ['admin'],
      summary: 'add a user with a role (a branch user with its branch)',
      tags: ['users'],
      schema: {
        body: strictObject(
          {
            user: { type: 'string', pattern: userNamePattern },
            role: { type: 'string', enum: [...roles] },
            branch: { type: 'string', pattern: branchIdPattern },
            password: { type: 'string', minLength: 1, maxLength: passwordCharsMax },
          },
          ['user', 'role', 'password'],
        ),
      },
      async handler(request, reply, actor) {
        const body = request.body as { user: string; role: string; branch?: string; password: string };
        const user = await deps.users.addUser(
          {
            userName: body.user,
            role: body.role,
            password: body.password,
            ...(body.branch === undefined ? {} : { branchId: body.branch }),
          },
          actor.userName,
        );
        await deps.audit.record(actor, 'user.add', user.userName, {
          role: user.role,
          branchId: user.branchId,
        });
        reply.code(201);
        return user;
      },
    },
  ];
}
