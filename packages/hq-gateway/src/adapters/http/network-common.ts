// What the station-network routes share (issue 11): the API's actor as the network layer's actor,
// a refusal (every reason, R21) thrown as a problem with its stable code, the Idempotency-Key
// header, a station the caller may see (a branch user: its own branch only; another branch's
// station answers HQ_NET_NOT_FOUND exactly as a missing one, so existence does not leak), and
// the JSON schemas of the network's fields. No business logic: app/network/ decides.
import type { FastifyRequest } from 'fastify';
import type { Actor as NetActor, StepOptions } from '../../app/network/deps.js';
import { refusalError } from '../../app/network/refusal-error.js';
import { stationView } from '../../app/network/stations.js';
import type { NetRefusal } from '../../domain/network/refusal.js';
import type { StationView } from '../../domain/network/station.js';
import type { Actor } from '../../domain/roles.js';
import { HqError } from '../../errors.js';
import { idempotencyKeyCharsMax } from '../../limits.js';
import type { ApiDeps } from './deps.js';
import { reasonSchema, strictObject } from './route.js';

export const netIdSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' } as const;
export const caseIdSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,40}$' } as const;
export const textSchema = { type: 'string', minLength: 1, maxLength: 500 } as const;
export const monthSchema = { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' } as const;
export const dateSchema = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
/** Integer fen (R1): a safe integer, never a float. */
export const fenSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
export const geoSchema = strictObject(
  {
    latitudeDeg: { type: 'number', minimum: -90, maximum: 90 },
    longitudeDeg: { type: 'number', minimum: -180, maximum: 180 },
  },
  ['latitudeDeg', 'longitudeDeg'],
);
export const netStationParams = strictObject({ stationId: netIdSchema }, ['stationId']);
/** The optional headers a network write reads (documented in the OpenAPI document). */
export const idempotencyHeaders = {
  type: 'object',
  properties: {
    'idempotency-key': { type: 'string', pattern: `^[A-Za-z0-9_:.-]{1,${idempotencyKeyCharsMax}}$` },
  },
} as const;
/** A body schema: the fields given, plus the optional reason recorded with the step. */
export function stepBody(
  properties: Record<string, object>,
  required: readonly string[] = [],
): ReturnType<typeof strictObject> {
  return strictObject({ ...properties, reason: reasonSchema }, required);
}

export function netActor(actor: Actor): NetActor {
  return {
    name: actor.userName,
    role: actor.role,
    ...(actor.branchId === null ? {} : { branchId: actor.branchId }),
  };
}

/** The step options of a request: its reason (body) and Idempotency-Key (header). */
export function stepOptions(request: FastifyRequest): StepOptions {
  const body = (request.body ?? {}) as { reason?: string };
  const key = request.headers['idempotency-key'];
  return {
    ...(body.reason === undefined ? {} : { reason: body.reason }),
    ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
  };
}

/** The body without the reason: the step's own fields. */
export function stepInput(request: FastifyRequest): Record<string, unknown> {
  const { reason: _reason, ...input } = (request.body ?? {}) as Record<string, unknown>;
  return input;
}

/** The value of a step, or its refusal thrown as a problem with every reason. */
export function unwrapStep<T extends { ok: boolean }>(result: T | NetRefusal): Exclude<T, NetRefusal> {
  if (!result.ok) throw refusalError(result as NetRefusal);
  return result as Exclude<T, NetRefusal>;
}

export function netNotFound(what: string, field: string): HqError {
  const message = `no ${what}`;
  return new HqError('HQ_NET_NOT_FOUND', message, {
    problems: [{ code: 'HQ_NET_NOT_FOUND', field, message }],
  });
}

/** May a branch user act for this branch? Others: every branch. */
export function ownBranch(actor: Actor, branchId: string): boolean {
  return actor.role !== 'branch' || (actor.branchId !== null && actor.branchId === branchId);
}

/** The station's lifecycle view when the caller may see it; else HQ_NET_NOT_FOUND. */
export async function visibleNetStation(
  deps: ApiDeps,
  actor: Actor,
  stationId: string,
): Promise<StationView> {
  const view = await stationView(deps.network, stationId);
  if (view === undefined || !ownBranch(actor, view.branchId))
    throw netNotFound(`station ${stationId} in the network`, 'stationId');
  return view;
}

/** A branch user acts for its own branch only (a body naming another branch is refused). */
export function assertOwnBranch(actor: Actor, branchId: string): void {
  if (ownBranch(actor, branchId)) return;
  const message = `a branch user acts for its own branch only, not ${branchId}`;
  throw new HqError('HQ_FORBIDDEN', message, {
    problems: [{ code: 'HQ_FORBIDDEN', field: 'branchId', message }],
  });
}
