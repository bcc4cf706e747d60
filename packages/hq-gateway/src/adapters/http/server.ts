// The HQ HTTP API on fastify 5 (issue 11): JSON-schema validation on every route (bodies, params,
// query; additionalProperties false, every problem at once), a bearer session checked and the
// route's roles enforced before the body is read, problem+json errors with HQ's stable codes, an
// OpenAPI document generated from the routes (/openapi.json), /metrics and /healthz. One file per
// route group; they call the application layer the CLI calls.
import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Actor } from '../../domain/roles.js';
import { HqError, type HqProblem } from '../../errors.js';
import { httpBodyBytesMax } from '../../limits.js';
import { alertRoutes } from './alert-routes.js';
import { auditRoutes } from './audit-routes.js';
import { registerConsole } from './console-static.js';
import type { ApiDeps } from './deps.js';
import { integrityRoutes } from './integrity-routes.js';
import { endLiveStreams, liveRoutes } from './live-routes.js';
import { networkCaseRoutes } from './network-case-routes.js';
import { networkMonthRoutes } from './network-month-routes.js';
import { networkStationRoutes } from './network-station-routes.js';
import { overviewRoutes } from './overview-routes.js';
import { problemContentType, problemOf, problemOfError, problemSchema } from './problem.js';
import { quotaRoutes } from './quota-routes.js';
import { registerReleasePackRoute } from './release-pack-route.js';
import { reportRoutes } from './report-routes.js';
import { rolloutRoutes } from './rollout-routes.js';
import type { ApiRoute } from './route.js';
import { bearerToken, sessionRoutes } from './session-routes.js';
import { stationRoutes } from './station-routes.js';
import { userRoutes } from './user-routes.js';

/** Every route of the API (the role-matrix test reads the same list). */
export function apiRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    ...sessionRoutes(deps),
    ...stationRoutes(deps),
    ...quotaRoutes(deps),
    ...reportRoutes(deps),
    ...integrityRoutes(deps),
    ...alertRoutes(deps),
    ...auditRoutes(deps),
    ...userRoutes(deps),
    ...networkStationRoutes(deps),
    ...networkCaseRoutes(deps),
    ...networkMonthRoutes(deps),
    ...overviewRoutes(deps),
    ...liveRoutes(deps),
    ...rolloutRoutes(deps),
  ];
}

const actors = new WeakMap<FastifyRequest, Actor>();
/** Who calls a public route (log in): a branch user of no branch, who sees nothing. */
const anonymous: Actor = { userName: 'anonymous', role: 'branch', branchId: null };

/** Ajv's validation errors as HQ problems, one per failing field. */
function validationProblems(error: FastifyError): HqProblem[] {
  const context = error.validationContext ?? 'body';
  return (error.validation ?? []).map((v) => {
    const params = v.params as { missingProperty?: string; additionalProperty?: string };
    const name = params.missingProperty ?? params.additionalProperty;
    const path = `${v.instancePath.replace(/^\//, '').replaceAll('/', '.')}${name === undefined ? '' : `${v.instancePath === '' ? '' : '.'}${name}`}`;
    const field = `${context}${path === '' ? '' : `.${path}`}`;
    const message =
      params.additionalProperty !== undefined
        ? `${field}: unknown property`
        : `${field}: ${v.message ?? 'invalid'}`;
    return { code: 'HQ_HTTP_REQUEST_INVALID' as const, field, message };
  });
}

export async function buildApiServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: httpBodyBytesMax,
    genReqId: () => randomUUID(),
  });
  // Refuse, never strip: an unknown property is a mistake the caller must hear about; every
  // problem at once (R21). Query strings and path parameters are text, so they are coerced to the
  // schema's integers; a JSON body is not (600 is not the yuan text "600").
  const ajvOptions = { removeAdditional: false, allErrors: true, useDefaults: true, strict: false } as const;
  const bodyAjv = new Ajv({ ...ajvOptions, coerceTypes: false });
  const textAjv = new Ajv({ ...ajvOptions, coerceTypes: true });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : textAjv).compile(schema),
  );
  app.addSchema(problemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'HQ API (便民服务站)', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let problem: ReturnType<typeof problemOf>;
    if (error.validation !== undefined) {
      const problems = validationProblems(error);
      problem = problemOf(
        'HQ_HTTP_REQUEST_INVALID',
        problems.map((p) => p.message).join('; '),
        request.id,
        problems,
      );
    } else if (error instanceof HqError) {
      problem = problemOfError(error, request.id);
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      // fastify's own refusals (bad JSON, body too large, unsupported media type): its status kept.
      const message = `request: ${error.message}`;
      problem = {
        ...problemOf('HQ_HTTP_REQUEST_INVALID', message, request.id, [
          { code: 'HQ_HTTP_REQUEST_INVALID', field: 'body', message },
        ]),
        status: error.statusCode,
      };
    } else {
      problem = problemOfError(error, request.id);
    }
    if (problem.status >= 500) {
      deps.log.error(
        { code: problem.code, requestId: request.id, err: error, url: request.url },
        'HTTP request failed',
      );
    }
    reply.code(problem.status).header('content-type', problemContentType).send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    const problem = problemOf(
      'HQ_HTTP_ROUTE_NOT_FOUND',
      `${request.method} ${request.url.split('?')[0]}`,
      request.id,
    );
    reply.code(404).header('content-type', problemContentType).send(problem);
  });
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unknown',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  for (const route of apiRoutes(deps)) {
    const roles = route.roles;
    app.route({
      method: route.method,
      url: route.url,
      schema: {
        ...route.schema,
        summary: route.summary,
        tags: [...route.tags],
        ...(roles === 'public'
          ? {}
          : {
              security: [{ bearer: [] }],
              description: `Roles: ${roles.join(', ')}`,
            }),
      },
      // Before the body is read or validated: who is calling, and may their role use this route?
      onRequest: async (request) => {
        if (roles === 'public') return;
        const token = bearerToken(request.headers.authorization);
        if (token === undefined) throw new HqError('HQ_AUTH_REQUIRED', 'a bearer session token is required');
        const actor = await deps.users.authenticate(token);
        if (!roles.includes(actor.role)) {
          throw new HqError('HQ_FORBIDDEN', `role ${actor.role} may not ${route.method} ${route.url}`);
        }
        actors.set(request, actor);
      },
      handler: async (request, reply) => {
        return route.handler(request, reply, actors.get(request) ?? anonymous);
      },
    });
  }

  if (deps.consoleDir !== undefined) await registerConsole(app, deps.consoleDir);
  if (deps.releasePacks !== undefined) registerReleasePackRoute(app, deps.releasePacks);
  app.addHook('preClose', async () => endLiveStreams(deps));

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    let storeOk = true;
    try {
      await deps.store.getMeta('healthz');
    } catch {
      storeOk = false;
    }
    const ingestOk = deps.ingestAlive === undefined ? null : deps.ingestAlive();
    const ok = storeOk && ingestOk !== false;
    return reply.code(ok ? 200 : 503).send({ ok, store: storeOk, ingest: ingestOk });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.header('content-type', deps.metrics.registry.contentType).send(text);
  });
  return app;
}

/** Build the API and listen on 'host:port' (port 0: any free port); the address it got. */
export async function listenApi(
  deps: ApiDeps,
  listen: string,
): Promise<{ readonly app: FastifyInstance; readonly url: string }> {
  const match = /^(.+):(\d{1,5})$/.exec(listen);
  if (match === null) throw new HqError('HQ_CONFIG_INVALID', `http.listen must be host:port, got ${listen}`);
  const app = await buildApiServer(deps);
  try {
    await app.listen({ host: match[1] ?? '127.0.0.1', port: Number(match[2]) });
  } catch (error) {
    await app.close();
    throw new HqError('HQ_CONFIG_INVALID', `cannot listen on ${listen}`, { cause: error });
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : Number(match[2]);
  return { app, url: `http://${match[1]}:${port}` };
}
