// GET /api/v1/releases/:version/pack (issue 13): a published release's OTA pack, one Range request
// at a time (206 Partial Content, at most releasePackRangeBytesMax bytes each), so a kiosk on a
// mobile link resumes from the byte offset it already stored. Public: the pack is signed with the
// HQ release key and every file hashed in the signed manifest, which the kiosk checks before it
// installs anything; what is secret (keys, card data) is never in a release. A request without a
// satisfiable single range gets 416 with HQ_RELEASE_RANGE_INVALID.
import type { FastifyInstance } from 'fastify';
import { parseRange, type ReleasePacks } from '../release/release-packs.js';

export function registerReleasePackRoute(app: FastifyInstance, packs: ReleasePacks): void {
  app.get<{ Params: { version: string } }>(
    '/api/v1/releases/:version/pack',
    { schema: { hide: true } },
    async (request, reply) => {
      const version = request.params.version;
      const sizeBytes = packs.sizeBytes(version);
      if (sizeBytes === undefined) {
        return reply
          .code(404)
          .type('application/problem+json')
          .send({ code: 'HQ_ROLLOUT_RELEASE_UNKNOWN', title: `release ${version} is not published` });
      }
      const range = parseRange(request.headers.range, sizeBytes);
      if (range === undefined) {
        return reply
          .code(416)
          .header('content-range', `bytes */${sizeBytes}`)
          .type('application/problem+json')
          .send({
            code: 'HQ_RELEASE_RANGE_INVALID',
            title: 'one satisfiable range, bytes=FROM-[TO], is required',
          });
      }
      const bytes = packs.read(version, range.fromByte, range.toByte);
      return reply
        .code(206)
        .header('accept-ranges', 'bytes')
        .header('content-range', `bytes ${range.fromByte}-${range.toByte}/${sizeBytes}`)
        .type('application/octet-stream')
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );
}
