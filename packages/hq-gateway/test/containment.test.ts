// Goal: one station cannot hurt the others (issue 8): every per-station bound has a limit and a
// test. The seq bounds (far ahead, too many out of order) and the refusal bound suspend a station;
// a suspension is persisted (a restart does not bring the failure back) until resumed; the
// quarantine is bounded per station and in total, the oldest rows dropped and counted. Method:
// the pure checks on a table; the SQLite integrity store on a temp file, reopened.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { SqliteIntegrityStore } from '../src/adapters/sqlite/integrity-store.js';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { checkRefusals, checkSeq, stationBoundsDefault } from '../src/domain/containment.js';
import type { QuarantineRecord, StationRecord } from '../src/domain/types.js';
import {
  outOfOrderSeqsPerStationMax,
  pendingSeqsPerStationMax,
  quarantineRowsMax,
  quarantineRowsPerStationMax,
  refusalsPerStationMax,
  seqAheadMax,
} from '../src/limits.js';

t.test('the seq and refusal bounds (limits.ts)', async (t) => {
  const b = stationBoundsDefault;
  t.ok(outOfOrderSeqsPerStationMax < pendingSeqsPerStationMax, "suspended before the tracker's hard bound");
  t.equal(checkSeq(b, 101, 100, 0), null, 'the next seq');
  t.equal(checkSeq(b, 100 + seqAheadMax, 100, 0), null, 'exactly seqAheadMax ahead');
  t.equal(checkSeq(b, 101 + seqAheadMax, 100, 0)?.code, 'HQ_SEQ_TOO_FAR_AHEAD');
  t.equal(checkSeq(b, Number.MAX_SAFE_INTEGER, 0, 0)?.code, 'HQ_SEQ_TOO_FAR_AHEAD');
  t.equal(checkSeq(b, 150, 100, outOfOrderSeqsPerStationMax - 1), null);
  t.equal(checkSeq(b, 150, 100, outOfOrderSeqsPerStationMax)?.code, 'HQ_STATION_SUSPENDED');
  t.equal(
    checkSeq(b, 101, 100, outOfOrderSeqsPerStationMax),
    null,
    'the seq that fills the gap is always taken',
  );
  t.equal(checkRefusals(b, refusalsPerStationMax), null);
  t.equal(checkRefusals(b, refusalsPerStationMax + 1)?.code, 'HQ_STATION_SUSPENDED');
});

const station = (stationId: string): StationRecord => ({
  stationId,
  orgCode: `ORG-${stationId}`,
  keyId: `k-${stationId}`,
  publicKeyPem: '',
  fingerprint: `k-${stationId}`,
  readerSerial: 'r',
  pinPadSerial: 'p',
  tokenSerial: 't',
  enrolledAtMs: 1,
});

const quarantined = (stationId: string | null, index: number): QuarantineRecord => ({
  receivedAtMs: index,
  topic: 't',
  stationId,
  reasonCode: 'HQ_SIGNATURE_INVALID',
  detail: `row ${index}`,
  sizeBytes: 1,
  raw: new Uint8Array([index & 255]),
  handledSeq: null,
});

async function addQuarantine(store: SqliteStore, rows: QuarantineRecord[]): Promise<void> {
  await store.commitBatch({
    events: [],
    quarantined: rows,
    discrepancies: [],
    gapsOpened: [],
    gapFills: [],
    ackedSeqs: new Map(),
    statuses: [],
  });
}

t.test('suspensions persist across a restart until resumed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hq-containment-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'hq.sqlite');
  let store = new SqliteStore({ path });
  await store.enrolStation(station('C1'));
  let integrity = new SqliteIntegrityStore(store.db);
  await integrity.suspend({
    stationId: 'C1',
    reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD',
    detail: 'seq 99999999',
    sinceMs: 5,
  });
  await integrity.suspend({
    stationId: 'C1',
    reasonCode: 'HQ_STATION_SUSPENDED',
    detail: 'later',
    sinceMs: 6,
  });
  await store.close();
  store = new SqliteStore({ path });
  integrity = new SqliteIntegrityStore(store.db);
  t.same(await integrity.suspensions(), [
    { stationId: 'C1', reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD', detail: 'seq 99999999', sinceMs: 5 },
  ]);
  t.match(await integrity.stationAlerts(), [
    { stationId: 'C1', suspension: { reasonCode: 'HQ_SEQ_TOO_FAR_AHEAD' } },
  ]);
  t.ok(await integrity.resume('C1'));
  t.notOk(await integrity.resume('C1'), 'resumed once');
  t.same(await integrity.suspensions(), []);
  await store.close();
});

t.test(
  'the quarantine is bounded per station and in total; the oldest are dropped and counted',
  async (t) => {
    t.ok(quarantineRowsPerStationMax < quarantineRowsMax);
    const store = new SqliteStore({ path: ':memory:' });
    for (const id of ['Q1', 'Q2']) await store.enrolStation(station(id));
    const integrity = new SqliteIntegrityStore(store.db);
    await addQuarantine(store, [
      ...Array.from({ length: 6 }, (_, i) => quarantined('Q1', i)),
      ...Array.from({ length: 2 }, (_, i) => quarantined('Q2', 100 + i)),
      ...Array.from({ length: 3 }, (_, i) => quarantined(null, 200 + i)),
    ]);
    t.equal(await integrity.pruneQuarantine(['Q1', 'Q2', null], 4, 100), 2, 'Q1 keeps its 4 newest');
    const left = await store.quarantine(100);
    t.same(
      left
        .filter((q) => q.stationId === 'Q1')
        .map((q) => q.detail)
        .sort(),
      ['row 2', 'row 3', 'row 4', 'row 5'],
    );
    t.equal(left.filter((q) => q.stationId === 'Q2').length, 2, 'another station keeps its rows');
    t.equal(await integrity.pruneQuarantine([null], 4, 5), 4, 'the total bound drops the oldest of all');
    t.equal((await store.quarantine(100)).length, 5);
    t.equal(await integrity.quarantineDropped(), 6, 'a running count of rows dropped');
    await store.close();
  },
);
