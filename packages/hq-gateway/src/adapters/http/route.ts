// What a route group declares (issue 11): method, path, who may call it (least privilege, declared
// next to the route), its JSON schemas (additionalProperties false everywhere) and its handler.
// server.ts registers them; the role-matrix test reads the same declarations.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor, Role } from '../../domain/roles.js';

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  /** 'public': no session needed; otherwise the roles allowed. */
  readonly roles: 'public' | readonly Role[];
  readonly summary: string;
  readonly tags: readonly string[];
  readonly schema?: {
    readonly body?: object;
    readonly params?: object;
    readonly querystring?: object;
    /** Optional headers a route reads (Idempotency-Key); other headers pass. */
    readonly headers?: object;
  };
  handler(request: FastifyRequest, reply: FastifyReply, actor: Actor): Promise<unknown>;
}

/** An object schema that refuses properties it does not name. */
export function strictObject(
  properties: Record<string, object>,
  required: readonly string[] = [],
): { type: 'object'; properties: Record<string, object>; required: string[]; additionalProperties: false } {
  return { type: 'object', properties, required: [...required], additionalProperties: false };
}

export const stationIdSchema = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' } as const;
export const stationParams = strictObject({ stationId: stationIdSchema }, ['stationId']);
export const reasonSchema = { type: 'string', minLength: 1, maxLength: 500 } as const;
