// Published releases as records on HQ's operations log (issue 13), beside the release store's
// folder (adapters/release/release-store.ts keeps the blobs and the signed manifest): the API lists
// them from the database every HQ process shares, and a rollout names one of them. One aggregate
// per release, 'release:<version>-linux-<arch>', with one 'release-published' record (who, when,
// why); publishing the same signed manifest again records nothing (same manifest SHA-256).
import { assert } from '../domain/assert.js';
import { HqError } from '../errors.js';
import { rolloutListPageRecords } from '../limits.js';
import type { OperationsStore } from '../ports/operations-store.js';

/** What `hq release publish` verified (adapters/release/release-store.ts returns the same fields). */
export interface ReleaseRecord {
  readonly version: string;
  readonly arch: string;
  readonly nodeVersion: string;
  readonly builtAt: string;
  readonly keyId: string;
  readonly fileCount: number;
  readonly sizeBytes: number;
  /** SHA-256 of manifest.json: what a kiosk is told to install. */
  readonly manifestSha256: string;
  readonly publishedAt: string;
  readonly publishedBy: string;
}

const kind = 'release-published';

/** What a rollout names: '1.4.0-linux-arm64'. */
export function releaseName(release: Pick<ReleaseRecord, 'version' | 'arch'>): string {
  return `${release.version}-linux-${release.arch}`;
}

function aggregateOf(name: string): string {
  return `release:${name}`;
}

function recordOf(payload: Readonly<Record<string, unknown>>): ReleaseRecord {
  const record = payload as unknown as ReleaseRecord;
  assert(typeof record.manifestSha256 === 'string', 'a release record names its manifest');
  return record;
}

/** Records a verified release; the same manifest again returns the first record (created false). */
export async function recordRelease(
  store: OperationsStore,
  published: ReleaseRecord & { readonly created?: boolean },
  actor: string,
  reason: string,
  atMs: number,
): Promise<{ readonly release: ReleaseRecord; readonly created: boolean }> {
  const { created: _created, ...release } = published;
  const name = releaseName(release);
  const existing = await readRelease(store, name);
  if (existing !== undefined) {
    // publishRelease refused another manifest under the same name already (HQ_RELEASE_VERSION_CONFLICT).
    assert(existing.manifestSha256 === release.manifestSha256, 'one manifest per release name');
    return { release: existing, created: false };
  }
  const outcome = await store.append(
    {
      aggregateId: aggregateOf(name),
      kind,
      payload: { ...release },
      actor,
      atMs,
      reason,
      idempotencyKey: `${aggregateOf(name)}:${release.manifestSha256}`,
    },
    0,
  );
  if (!outcome.ok) {
    // Another HQ process recorded it between our read and our append: theirs stands.
    const raced = await readRelease(store, name);
    if (raced === undefined) throw new HqError(outcome.code, `release ${name}: the log moved on`);
    return { release: raced, created: false };
  }
  return { release: recordOf(outcome.record.payload), created: !outcome.duplicate };
}

export async function readRelease(store: OperationsStore, name: string): Promise<ReleaseRecord | undefined> {
  const records = await store.read(aggregateOf(name));
  const first = records.find((r) => r.kind === kind);
  return first === undefined ? undefined : recordOf(first.payload);
}

/** Published releases in the order they were recorded, at most `limit`. */
export async function listReleases(store: OperationsStore, limit: number): Promise<ReleaseRecord[]> {
  assert(Number.isSafeInteger(limit) && limit > 0, 'limit > 0');
  const releases: ReleaseRecord[] = [];
  let afterPosition = 0;
  for (;;) {
    const page = await store.list({
      aggregatePrefix: 'release:',
      afterPosition,
      limit: rolloutListPageRecords,
    });
    for (const record of page) {
      if (record.kind === kind) releases.push(recordOf(record.payload));
      if (releases.length === limit) return releases;
    }
    if (page.length < rolloutListPageRecords) return releases;
    afterPosition = page[page.length - 1]!.position;
  }
}
