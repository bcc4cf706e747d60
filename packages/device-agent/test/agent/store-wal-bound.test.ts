// Goal (issue 9): the WAL cannot eat the disk reserve. Method: append agent-sized transactions
// (payload, a signed envelope of 700 bytes, a receipt counter; a new business day every 50) to a
// real store and measure the WAL's growth per commit from its file size, the worst case included
// (b-tree splits, a new meta key); then a 256 KiB HQ config (the largest message HQ may send,
// stored base64 in its row's meta and in meta); then show a checkpoint truncates the WAL back
// under journal_size_limit. The figures are printed for docs/operations.md.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KioskDb } from '../../src/adapters/sqlite/kiosk-db.js';
import { downMessageBytesMax, walJournalSizeLimitBytes } from '../../src/limits.js';

/** One WAL frame: a 24-byte frame header and a 4096-byte page. */
const FRAME_BYTES = 24 + 4096;
/** The documented bound for one money transaction (docs/operations.md "Full disk"). */
const TRANSACTION_WAL_BYTES_MAX = 64 * FRAME_BYTES;

t.test('WAL bytes per transaction are bounded; a checkpoint truncates the WAL', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kiosk-wal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'kiosk.db');
  const db = new KioskDb({ path });
  const walBytes = () => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
  let worstBytes = 0;
  let totalBytes = 0;
  const count = 300; // ~3 frames each: the WAL stays under the 1000-page auto-checkpoint, so growth = frames written
  for (let seq = 1; seq <= count; seq += 1) {
    const before = walBytes();
    db.append({
      kind: 'withdrawal.posted',
      txId: `wd-0193a1b2-${String(seq).padStart(8, '0')}-7000-8000-000000000000`,
      createdAtMs: 1_764_800_000_000 + seq,
      payload: {
        receiptNumber: `ST0042-20261204-${String(seq).padStart(6, '0')}-17`,
        businessType: 'CASH_WITHDRAWAL',
        businessDate: `2026-12-${String(1 + Math.floor(seq / 50)).padStart(2, '0')}`,
        amountFen: 50_000,
        feeFen: 100,
        ledger: {
          type: 'withdrawal-post',
          id: `wd-${seq}:post`,
          atMs: 1_764_800_000_000 + seq,
          holdId: `wd-${seq}`,
        },
      },
      event: {
        seq,
        eventId: `0193a1b2-${String(seq).padStart(4, '0')}-7000-8000-000000000000`,
        payloadType: 'PAYLOAD_TYPE_WITHDRAWAL_POSTED',
        envelopeBytes: new Uint8Array(700).fill(seq % 251),
      },
      metaUpdates: {
        [`receipt_counter:2026-12-${String(1 + Math.floor(seq / 50)).padStart(2, '0')}`]: String(seq),
      },
    });
    const after = walBytes();
    if (after < before) throw new Error('assert: no automatic checkpoint during the measurement');
    worstBytes = Math.max(worstBytes, after - before);
    totalBytes += after - before;
    if (seq % 100 === 0) db.acknowledgeThrough(seq - 10);
  }
  t.comment(
    `${count} transactions: WAL growth mean ${Math.round(totalBytes / count)} bytes, worst ${worstBytes} bytes (${worstBytes / FRAME_BYTES} frames) per commit`,
  );
  t.ok(
    worstBytes <= TRANSACTION_WAL_BYTES_MAX,
    `worst case ${worstBytes} <= ${TRANSACTION_WAL_BYTES_MAX} bytes`,
  );
  t.equal(db.checkpoint().ok, true);
  const before = walBytes();
  db.append({
    kind: 'config.applied',
    txId: 'config-99',
    createdAtMs: 1_764_900_000_000,
    payload: { configVersion: 99 },
    event: {
      seq: count + 1,
      eventId: 'config-event-99',
      payloadType: 'PAYLOAD_TYPE_CONFIG_APPLIED',
      envelopeBytes: new Uint8Array(300).fill(7),
    },
    metaUpdates: { hq_config_envelope_b64: Buffer.alloc(downMessageBytesMax, 9).toString('base64') },
  });
  const configBytes = walBytes() - before;
  if (before !== 0) throw new Error('assert: measured from an empty WAL');
  t.comment(`the largest HQ config (${downMessageBytesMax} bytes) adds ${configBytes} bytes of WAL`);
  t.ok(configBytes < 4 * downMessageBytesMax, 'bounded by a small multiple of the largest message');
  const checkpoint = db.checkpoint();
  t.equal(checkpoint.ok, true);
  t.ok(walBytes() <= walJournalSizeLimitBytes, `after a checkpoint the WAL is ${walBytes()} bytes`);
  db.close();
});
