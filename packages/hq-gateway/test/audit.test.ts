// Goal: `hq audit signatures` re-checks every stored event's own signature and chain link, and
// reports tampering with a stable code. Method: a real SQLite store filled through the Store port
// with events sealed by a simulated station (chained as kiosks chain them), then the CLI in-process
// against it; tampering is done with SQL on the stored rows.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEnvelope, encodeEnvelope, openEnvelope } from '@bianmin/wire';
import t from 'tap';
import { SqliteStore } from '../src/adapters/sqlite/sqlite-store.js';
import { auditStation } from '../src/app/audit.js';
import { runHq } from '../src/cli/hq.js';
import { toStationEvent } from '../src/domain/codec/bodies.js';
import { openParts } from '../src/domain/codec/envelope.js';
import type { StationEvent } from '../src/domain/types.js';
import { writeHqConfig } from './helpers/hq-process.js';
import { SimStation } from './helpers/station-sim.js';

const station = new SimStation('A1');

function stationEvents(count: number): StationEvent[] {
  return Array.from({ length: count }, () => {
    const bytes = station.billPayment(100, { quotaFenAfter: 0 }).bytes;
    return toStationEvent(openEnvelope(openParts(bytes)), bytes);
  });
}

function withBadSignature(event: StationEvent): StationEvent {
  const parts = decodeEnvelope(event.envelope);
  const signature = new Uint8Array(parts.signature);
  signature[3] = (signature[3] ?? 0) ^ 0x01;
  const envelope = encodeEnvelope({ signed: parts.signed, signature });
  return { ...event, envelope, envelopeSha256: createHash('sha256').update(envelope).digest('hex') };
}

t.test('auditStation: clean chain, a bad signature, a broken link, an altered row', async (t) => {
  const events = stationEvents(5);
  const clean = auditStation('A1', station.publicKeyPem, events);
  t.match(clean, { eventsChecked: 5, signaturesInvalid: [], linksBroken: [], linksChecked: 4, unlinked: 1 });
  const forged = [...events];
  forged[2] = withBadSignature(events[2]!);
  const audit = auditStation('A1', station.publicKeyPem, forged);
  t.same(
    audit.signaturesInvalid.map((e) => e.seq),
    [events[2]!.seq],
    'the bad signature is named',
  );
  t.same(
    audit.linksBroken.map((e) => e.seq),
    [events[3]!.seq],
    'and the next event no longer links to the stored bytes',
  );
  const altered = [...events];
  altered[1] = { ...events[1]!, envelopeSha256: '0'.repeat(64) };
  t.same(
    auditStation('A1', station.publicKeyPem, altered).signaturesInvalid.map((e) => e.seq),
    [events[1]!.seq],
    'a stored hash that no longer matches the stored bytes',
  );
});

t.test(
  'hq audit signatures: clean store exits 0; a tampered row exits 1 (HQ_AUDIT_SIGNATURE_INVALID)',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hq-audit-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const files = writeHqConfig(dir, 'mqtt://127.0.0.1:1', 'unused');
    const store = new SqliteStore({ path: files.dbPath });
    await store.enrolStation({
      stationId: 'A1',
      orgCode: 'ORG',
      keyId: station.keyId,
      publicKeyPem: station.publicKeyPem,
      fingerprint: station.keyId,
      readerSerial: 'R',
      pinPadSerial: 'P',
      tokenSerial: 'T',
      enrolledAtMs: Date.now(),
    });
    const events = stationEvents(4);
    await store.commitBatch({
      events,
      quarantined: [],
      discrepancies: [],
      gapsOpened: [],
      gapFills: [],
      ackedSeqs: new Map(),
      statuses: [],
    });
    const run = async (...args: string[]) => {
      let out = '';
      const code = await runHq(args, { out: (s) => (out += s), err: (s) => (out += s) });
      return { code, out };
    };
    const clean = await run('audit', 'signatures', '--config', files.configPath, '--json');
    t.equal(clean.code, 0, clean.out);
    t.match(clean.out, /"eventsChecked":4/);
    const tampered = withBadSignature(events[1]!);
    store.db
      .prepare('UPDATE events SET envelope = ?, envelope_sha256 = ? WHERE event_id = ?')
      .run(Buffer.from(tampered.envelope), tampered.envelopeSha256, tampered.eventId);
    await store.close();
    const found = await run('audit', 'signatures', '--station', 'A1', '--config', files.configPath, '--json');
    t.equal(found.code, 1);
    t.match(found.out, /HQ_AUDIT_SIGNATURE_INVALID/);
    t.match(found.out, /HQ_DISCREPANCY_CHAIN_BROKEN/, 'the next link breaks too');
    const unknown = await run('audit', 'signatures', '--station', 'NOPE', '--config', files.configPath);
    t.equal(unknown.code, 2, 'an unknown station is a usage problem');
  },
);
