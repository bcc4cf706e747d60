// Releases, saved station groups and rollouts on the HTTP API (issue 13; hawkBit / AWS IoT Jobs
// style): publish a verified release from the inbox folder, save a station group, create a rollout
// of a published release to stations, branch offices and saved groups, start / pause / resume /
// cancel it, and read each station's progress. The app layer decides (app/rollouts.ts,
// app/releases.ts, app/station-groups.ts, app/rollout-targets.ts), as for the CLI; every accepted
// write is an audit row.
//
// Who may (least privilege): the system administrator publishes, creates, starts and resumes (a
// software change to the fleet); market (owns the network) and supervision may also pause or
// cancel (stopping is the safe direction, and who sees a problem at the stations should be able to
// stop it); market, ecommerce and supervision read. Branch offices see none of it (a rollout spans
// branches).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listReleases, readRelease, recordRelease } from '../../app/releases.js';
import { listRolloutIds, rolloutSummary } from '../../app/rollout-list.js';
import { resolveRolloutTarget } from '../../app/rollout-targets.js';
import { sendOffers } from '../../app/rollout-wire.js';
import {
  createRollout,
  type OperatorAction,
  operateRollout,
  type RolloutResult,
  readRollout,
  rolloutHistory,
} from '../../app/rollouts.js';
import { listStationGroups, readStationGroup, saveStationGroup } from '../../app/station-groups.js';
import type { Role } from '../../domain/roles.js';
import { type HqCode, HqError } from '../../errors.js';
import {
  rolloutIdBytesMax,
  rolloutListItemsMax,
  rolloutStationsMax,
  rolloutTargetNamesMax,
  stationGroupStationsMax,
} from '../../limits.js';
import { publishRelease } from '../release/release-store.js';
import type { ApiDeps } from './deps.js';
import { type ApiRoute, reasonSchema, stationIdSchema, strictObject } from './route.js';

const readers: readonly Role[] = ['market', 'ecommerce', 'supervision', 'admin'];
const operators: readonly Role[] = ['admin'];
const stoppers: readonly Role[] = ['admin', 'market', 'supervision'];

const idSchema = {
  type: 'string',
  pattern: `^[A-Za-z0-9][A-Za-z0-9._-]{0,${rolloutIdBytesMax - 1}}$`,
} as const;
const releaseNameSchema = {
  type: 'string',
  pattern: `^[A-Za-z0-9][A-Za-z0-9._-]{0,${rolloutIdBytesMax - 1}}-linux-(arm64|x64)$`,
} as const;
const namesSchema = (item: object) => ({
  type: 'array',
  items: item,
  minItems: 1,
  maxItems: rolloutTargetNamesMax,
});
const targetSchema = {
  ...strictObject({
    stationIds: { type: 'array', items: stationIdSchema, minItems: 1, maxItems: rolloutStationsMax },
    branchIds: namesSchema({ type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' }),
    groupIds: namesSchema(idSchema),
  }),
  minProperties: 1,
};
const rolloutParams = strictObject({ rolloutId: idSchema }, ['rolloutId']);
const listQuery = strictObject({
  limit: { type: 'integer', minimum: 1, maximum: rolloutListItemsMax, default: 100 },
});

function refusal(code: HqCode, message: string, field?: string): HqError {
  return new HqError(code, message, {
    problems: [{ code, message, ...(field === undefined ? {} : { field }) }],
  });
}

/** A refused rollout command as a problem with every reason (R21). */
function unwrap(result: RolloutResult): Extract<RolloutResult, { ok: true }> {
  if (result.ok) return result;
  const first = result.reasons[0];
  throw new HqError(
    first?.code ?? 'HQ_ROLLOUT_FIELD_INVALID',
    result.reasons.map((r) => r.message).join('; '),
    {
      problems: result.reasons.map((r) => ({ code: r.code, message: r.message })),
    },
  );
}

function rolloutDeps(deps: ApiDeps) {
  return { store: deps.network.store, clock: deps.clock };
}

/** Published: on the operations log (API publish), or in the release store's folder (`hq release publish`). */
async function releaseKnown(deps: ApiDeps, name: string): Promise<boolean> {
  if ((await readRelease(deps.network.store, name)) !== undefined) return true;
  const dir = deps.releases?.releasesDir;
  return dir !== undefined && existsSync(join(dir, 'releases', name, 'published.json'));
}

async function rolloutDetail(deps: ApiDeps, rolloutId: string) {
  const state = await readRollout(rolloutDeps(deps), rolloutId);
  if (state === undefined) throw refusal('HQ_ROLLOUT_NOT_FOUND', `no rollout ${rolloutId}`, 'rolloutId');
  const history = (await rolloutHistory(rolloutDeps(deps), rolloutId)).map((r) => ({
    version: r.version,
    kind: r.kind,
    actor: r.actor,
    atMs: r.atMs,
    reason: r.reason,
  }));
  return { ...rolloutSummary(state), history };
}

function actionRoute(
  deps: ApiDeps,
  action: OperatorAction,
  roles: readonly Role[],
  summary: string,
): ApiRoute {
  return {
    method: 'POST',
    url: `/api/v1/rollouts/:rolloutId/${action}`,
    roles,
    summary,
    tags: ['rollouts'],
    schema: { params: rolloutParams, body: strictObject({ reason: reasonSchema }) },
    async handler(request, _reply, actor) {
      const { rolloutId } = request.params as { rolloutId: string };
      const reason = (request.body as { reason?: string } | undefined)?.reason ?? '';
      const wire = deps.rolloutWire;
      if (wire !== undefined && (action === 'start' || action === 'resume')) {
        // A group that starts is offered the release at once: the catalog must describe it first.
        const state = await readRollout(rolloutDeps(deps), rolloutId);
        if (state !== undefined && wire.catalog.describe(state.spec.releaseVersion) === undefined)
          throw refusal(
            'HQ_ROLLOUT_RELEASE_UNKNOWN',
            `release ${state.spec.releaseVersion} is not in the OTA catalog (no pack to offer)`,
            'release',
          );
      }
      const done = unwrap(await operateRollout(rolloutDeps(deps), rolloutId, action, actor.userName, reason));
      const offered = wire === undefined ? [] : await sendOffers(wire, done);
      await deps.audit.record(actor, `rollout.${action}`, rolloutId, {
        status: done.state.status,
        reason,
        offered: offered.length,
      });
      return { ...rolloutSummary(done.state), offered };
    },
  };
}

function releaseRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/releases',
      roles: readers,
      summary: 'published kiosk releases, in the order they were published',
      tags: ['releases'],
      schema: { querystring: listQuery },
      async handler(request) {
        const { limit } = request.query as { limit: number };
        return { items: await listReleases(deps.network.store, limit) };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/releases',
      roles: operators,
      summary:
        'publish a release bundle from the inbox: signature over the manifest, every file hash, then recorded (201; 200 when published before)',
      tags: ['releases'],
      schema: {
        body: strictObject(
          { bundle: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }, reason: reasonSchema },
          ['bundle'],
        ),
      },
      async handler(request, reply, actor) {
        const config = deps.releases;
        if (config === undefined)
          throw refusal(
            'HQ_RELEASE_NOT_CONFIGURED',
            'this HQ process publishes no releases (no release store)',
          );
        const body = request.body as { bundle: string; reason?: string };
        const published = publishRelease({
          bundleDir: join(config.inboxDir, body.bundle),
          trustedKeys: config.trustedKeys,
          releasesDir: config.releasesDir,
          nowMs: deps.clock.nowMs(),
        });
        const { release, created } = await recordRelease(
          deps.network.store,
          { ...published, publishedBy: actor.userName },
          actor.userName,
          body.reason ?? '',
          deps.clock.nowMs(),
        );
        if (created)
          await deps.audit.record(actor, 'release.publish', `${release.version}-linux-${release.arch}`, {
            manifestSha256: release.manifestSha256,
            keyId: release.keyId,
          });
        reply.code(created ? 201 : 200);
        return { release, created };
      },
    },
  ];
}

function groupRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    {
      method: 'GET',
      url: '/api/v1/station-groups',
      roles: readers,
      summary: 'saved station groups (rollout targets), by group id',
      tags: ['rollouts'],
      schema: { querystring: listQuery },
      async handler(request) {
        const { limit } = request.query as { limit: number };
        return { items: await listStationGroups(deps.network.store, limit) };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/station-groups',
      roles: ['admin', 'market'],
      summary: 'save (create or replace) a named station group a rollout can target',
      tags: ['rollouts'],
      schema: {
        body: strictObject(
          {
            groupId: idSchema,
            name: { type: 'string', minLength: 1, maxLength: 100 },
            stationIds: {
              type: 'array',
              items: stationIdSchema,
              minItems: 1,
              maxItems: stationGroupStationsMax,
            },
            reason: reasonSchema,
          },
          ['groupId', 'name', 'stationIds'],
        ),
      },
      async handler(request, _reply, actor) {
        const body = request.body as { groupId: string; name: string; stationIds: string[]; reason?: string };
        const known = new Set((await deps.store.listStations()).map((s) => s.stationId));
        const unknown = body.stationIds.filter((s) => !known.has(s));
        if (unknown.length > 0)
          throw new HqError('HQ_ROLLOUT_TARGET_UNKNOWN', `not enrolled: ${unknown.join(', ')}`, {
            problems: unknown.map((s) => ({
              code: 'HQ_ROLLOUT_TARGET_UNKNOWN' as const,
              field: 'stationIds',
              message: `no enrolled station ${s}`,
            })),
          });
        const group = await saveStationGroup(
          deps.network.store,
          body,
          actor.userName,
          body.reason ?? '',
          deps.clock.nowMs(),
        );
        await deps.audit.record(actor, 'station-group.save', group.groupId, {
          stationCount: group.stationIds.length,
          version: group.version,
        });
        return group;
      },
    },
    {
      method: 'GET',
      url: '/api/v1/station-groups/:groupId',
      roles: readers,
      summary: 'one saved station group',
      tags: ['rollouts'],
      schema: { params: strictObject({ groupId: idSchema }, ['groupId']) },
      async handler(request) {
        const { groupId } = request.params as { groupId: string };
        const group = await readStationGroup(deps.network.store, groupId);
        if (group === undefined)
          throw refusal('HQ_STATION_GROUP_NOT_FOUND', `no station group ${groupId}`, 'groupId');
        return group;
      },
    },
  ];
}

export function rolloutRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    ...releaseRoutes(deps),
    ...groupRoutes(deps),
    {
      method: 'GET',
      url: '/api/v1/rollouts',
      roles: readers,
      summary: 'rollouts in creation order, each with its status and a tally per group',
      tags: ['rollouts'],
      schema: { querystring: listQuery },
      async handler(request) {
        const { limit } = request.query as { limit: number };
        const items = [];
        for (const rolloutId of await listRolloutIds(deps.network.store, limit)) {
          const state = await readRollout(rolloutDeps(deps), rolloutId);
          if (state === undefined) continue;
          const { stations: _stations, ...summary } = rolloutSummary(state);
          items.push(summary);
        }
        return { items };
      },
    },
    {
      method: 'POST',
      url: '/api/v1/rollouts',
      roles: operators,
      summary:
        'create a rollout of a published release to stations, branch offices and saved groups, in groups with a success and an error threshold (201)',
      tags: ['rollouts'],
      schema: {
        body: strictObject(
          {
            rolloutId: idSchema,
            release: releaseNameSchema,
            target: targetSchema,
            groupSize: { type: 'integer', minimum: 1, maximum: rolloutStationsMax },
            successThresholdPercent: { type: 'integer', minimum: 1, maximum: 100 },
            errorThresholdPercent: { type: 'integer', minimum: 0, maximum: 100 },
            stationTimeoutMin: { type: 'integer', minimum: 1, maximum: 30 * 24 * 60 },
            reason: reasonSchema,
          },
          [
            'rolloutId',
            'release',
            'target',
            'groupSize',
            'successThresholdPercent',
            'errorThresholdPercent',
            'stationTimeoutMin',
          ],
        ),
      },
      async handler(request, reply, actor) {
        const body = request.body as {
          rolloutId: string;
          release: string;
          target: { stationIds?: string[]; branchIds?: string[]; groupIds?: string[] };
          groupSize: number;
          successThresholdPercent: number;
          errorThresholdPercent: number;
          stationTimeoutMin: number;
          reason?: string;
        };
        if (!(await releaseKnown(deps, body.release)))
          throw refusal('HQ_ROLLOUT_RELEASE_UNKNOWN', `release ${body.release} is not published`, 'release');
        const resolved = await resolveRolloutTarget(
          {
            operations: deps.network.store,
            knownStations: async () => new Set((await deps.store.listStations()).map((s) => s.stationId)),
            stationBranches: () => deps.ops.stationBranches(),
          },
          body.target,
        );
        if (!resolved.ok)
          throw new HqError('HQ_ROLLOUT_TARGET_UNKNOWN', resolved.problems.map((p) => p.message).join('; '), {
            problems: resolved.problems,
          });
        const spec = {
          rolloutId: body.rolloutId,
          releaseVersion: body.release,
          stationIds: resolved.stationIds,
          groupSize: body.groupSize,
          successThresholdPercent: body.successThresholdPercent,
          errorThresholdPercent: body.errorThresholdPercent,
          stationTimeoutMs: body.stationTimeoutMin * 60_000,
        };
        const done = unwrap(await createRollout(rolloutDeps(deps), spec, actor.userName, body.reason ?? ''));
        await deps.audit.record(actor, 'rollout.create', body.rolloutId, {
          release: body.release,
          target: body.target,
          stationCount: resolved.stationIds.length,
        });
        reply.code(201);
        return rolloutSummary(done.state);
      },
    },
    {
      method: 'GET',
      url: '/api/v1/rollouts/:rolloutId',
      roles: readers,
      summary: "a rollout: status, a tally per group, each station's progress and every recorded step",
      tags: ['rollouts'],
      schema: { params: rolloutParams },
      async handler(request) {
        const { rolloutId } = request.params as { rolloutId: string };
        return rolloutDetail(deps, rolloutId);
      },
    },
    actionRoute(deps, 'start', operators, 'start a rollout: its first group is offered the release'),
    actionRoute(deps, 'pause', stoppers, 'pause a rollout: no further group starts'),
    actionRoute(deps, 'resume', operators, 'resume a paused rollout'),
    actionRoute(deps, 'cancel', stoppers, 'cancel a rollout (stations already updated stay on it)'),
  ];
}
