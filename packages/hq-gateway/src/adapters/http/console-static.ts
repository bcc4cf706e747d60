// Serves the built HQ console (packages/hq-console/dist, issue 12) under /console/ from the HQ
// process itself: no CDN, no second web server. The console is a single page with hash routes, so
// only real files are served (anything else is the API's problem+json 404). Every console answer
// carries a strict Content-Security-Policy (scripts and connections to this origin only; inline
// styles allowed for ECharts' and React's style attributes), nosniff and no framing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { HqError } from '../../errors.js';

export const consolePrefix = '/console/';

const consoleHeaders: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export async function registerConsole(app: FastifyInstance, consoleDir: string): Promise<void> {
  if (!existsSync(join(consoleDir, 'index.html'))) {
    throw new HqError('HQ_CONSOLE_MISSING', `no built console in ${consoleDir} (run npm run build)`, {
      details: { consoleDir },
    });
  }
  await app.register(fastifyStatic, {
    root: consoleDir,
    prefix: consolePrefix,
    index: ['index.html'],
    redirect: true,
    wildcard: true,
    decorateReply: false,
    // Hashed asset names never change; index.html must be re-read so a new build is picked up.
    setHeaders(res, path) {
      for (const [name, value] of Object.entries(consoleHeaders)) res.header(name, value);
      res.header(
        'cache-control',
        path.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect(consolePrefix));
}
