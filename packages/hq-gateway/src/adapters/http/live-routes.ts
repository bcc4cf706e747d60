// The console's live updates (issue 12): GET /api/v1/live is a server-sent-events stream,
// authenticated with the same bearer session as every route (the console reads it with fetch, so
// the token never goes into a URL or a log line). It sends
//   event: station       {stationId, kind, online}  a kiosk went online or offline (birth, death,
//                                                   silence; telemetry only when it brings a silent
//                                                   station back), only stations the actor may see;
//   event: transactions  {events}                   events were committed (coalesced per stream,
//                                                   at most one per liveCoalesceMs); the console
//                                                   then re-reads its role-scoped overview;
// and a keep-alive comment every liveHeartbeatMs, at which the session is checked again: a stream
// whose session expired or was logged out is ended. At most liveConnectionsMax streams.
import type { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { seesBranch } from '../../domain/roles.js';
import { HqError } from '../../errors.js';
import { liveCoalesceMs, liveConnectionsMax, liveHeartbeatMs } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import type { ApiRoute } from './route.js';
import { bearerToken } from './session-routes.js';

/** What the stream listens to: the ingest pipeline's events ('status', 'committed'). */
export type LiveSource = Pick<EventEmitter, 'on' | 'off'>;

/** Which status kinds say the station is (now) online. */
const onlineKinds = new Set(['birth', 'telemetry']);
const offlineKinds = new Set(['death', 'silence']);

function send(raw: ServerResponse, event: string, data: unknown): void {
  raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The open streams per API (one set per ApiDeps, however often the routes are listed). */
const streamsOf = new WeakMap<ApiDeps, Set<ServerResponse>>();

function streams(deps: ApiDeps): Set<ServerResponse> {
  let set = streamsOf.get(deps);
  if (set === undefined) {
    set = new Set();
    streamsOf.set(deps, set);
  }
  return set;
}

/** Ends every open stream (the server is closing: a console must not hold the gateway's shutdown). */
export function endLiveStreams(deps: ApiDeps): void {
  for (const raw of streams(deps)) raw.end();
}

export function liveRoutes(deps: ApiDeps): ApiRoute[] {
  const open = streams(deps);
  return [
    {
      method: 'GET',
      url: '/api/v1/live',
      roles: ['branch', 'market', 'ecommerce', 'agency_finance', 'supervision', 'finance', 'admin'],
      summary:
        'server-sent events for the console: station online/offline (role-scoped) and transaction arrivals',
      tags: ['console'],
      async handler(request, reply, actor) {
        const source = deps.live;
        if (open.size >= liveConnectionsMax || source === undefined) {
          throw new HqError('HQ_LIVE_BUSY', `the live stream serves ${open.size} connections already`, {
            details: { open: open.size, max: liveConnectionsMax },
          });
        }
        const token = bearerToken(request.headers.authorization) ?? '';
        const branches = await deps.ops.stationBranches();
        // Online or not, per station, as this stream last knew it: only a change is sent (a
        // network's telemetry would otherwise make every console re-read its overview constantly).
        const known = new Map((await deps.store.loadStatuses()).map((s) => [s.stationId, s.online]));
        reply.hijack();
        const raw = reply.raw;
        open.add(raw);
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-content-type-options': 'nosniff',
        });
        raw.write(': live\n\n');
        send(raw, 'hello', { user: actor.userName, role: actor.role });
        let pending: NodeJS.Timeout | undefined;
        let committed = 0;
        const onStatus = (stationId: string, kind: string): void => {
          if (!onlineKinds.has(kind) && !offlineKinds.has(kind)) return;
          const online = onlineKinds.has(kind);
          // A station with no status yet has never been seen: offline.
          if ((known.get(stationId) ?? false) === online) return;
          known.set(stationId, online);
          // A station enrolled after the stream opened: look its branch up again for branch users.
          if (!seesBranch(actor, branches.get(stationId) ?? null)) {
            if (actor.role !== 'branch') return;
            void deps.ops.stationBranches().then((fresh) => {
              const branchId = fresh.get(stationId) ?? null;
              if (branchId !== null) branches.set(stationId, branchId);
              if (seesBranch(actor, branchId)) send(raw, 'station', { stationId, kind, online });
            });
            return;
          }
          send(raw, 'station', { stationId, kind, online });
        };
        const onCommitted = (info: { events: number }): void => {
          if (info.events <= 0) return;
          committed += info.events;
          if (pending !== undefined) return;
          pending = setTimeout(() => {
            pending = undefined;
            send(raw, 'transactions', { events: committed });
            committed = 0;
          }, liveCoalesceMs);
        };
        const heartbeat = setInterval(() => {
          deps.users.authenticate(token).then(
            () => raw.write(': keep-alive\n\n'),
            () => {
              send(raw, 'session-ended', {});
              raw.end();
            },
          );
        }, liveHeartbeatMs);
        source.on('status', onStatus);
        source.on('committed', onCommitted);
        raw.on('close', () => {
          open.delete(raw);
          clearInterval(heartbeat);
          if (pending !== undefined) clearTimeout(pending);
          source.off('status', onStatus);
          source.off('committed', onCommitted);
        });
        return reply;
      },
    },
  ];
}
