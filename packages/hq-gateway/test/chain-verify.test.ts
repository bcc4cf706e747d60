// Goal: HQ authenticates a run of hash-linked events with one signature check, and a forged event
// gains nothing from a link: the run is then checked one event at a time and only the forgery is
// refused. Method: the gateway in-process over the in-process broker (hq-memory-fixture); messages are handed
// to the pipeline in one turn of the event loop, so they form one planning round and the counts
// of checks are exact.
import { encodeEnvelope, upTopic, v1 } from '@bianmin/wire';
import t from 'tap';
import { type HqFixture, startHqFixture } from './helpers/hq-memory-fixture.js';

let fx: HqFixture;

t.before(async () => {
  fx = await startHqFixture(['C1', 'C2']);
});
t.teardown(async () => {
  await fx.close();
});

function counters() {
  return fx.gateway.pipeline.counters;
}

/** Hand messages to the pipeline in one turn, then wait until everything is committed. */
async function ingest(messages: readonly Uint8Array[]): Promise<void> {
  for (const bytes of messages) fx.gateway.pipeline.handleMessage(upTopic('C1', 'event'), bytes);
  await fx.gateway.flush();
}

function forgeSignature(bytes: Uint8Array): Uint8Array {
  const parts = v1.Envelope.decode(bytes);
  const signature = new Uint8Array(parts.signature);
  signature[7] = (signature[7] ?? 0) ^ 0x5a;
  return encodeEnvelope({ signed: parts.signed, signature });
}

t.test('20 linked events: one signature check authenticates them all', async (t) => {
  const [c1] = fx.stations;
  const events = Array.from({ length: 20 }, () => c1!.billPayment(100, { quotaFenAfter: 0 }).bytes);
  const checksBefore = counters().signatureChecks;
  await ingest(events);
  t.equal(counters().stored, 20, 'all stored');
  t.equal(counters().signatureChecks - checksBefore, 1, 'one check');
  t.equal(counters().authenticatedByLink, 19, 'the 19 older events through their links');
});

t.test(
  'a forged signature inside a run: the run is checked one by one, only the forgery refused',
  async (t) => {
    const [c1] = fx.stations;
    const storedBefore = counters().stored;
    const checksBefore = counters().signatureChecks;
    const quarantinedBefore = counters().quarantinedByReason.HQ_SIGNATURE_INVALID ?? 0;
    const events = Array.from({ length: 5 }, () => c1!.billPayment(100, { quotaFenAfter: 0 }).bytes);
    // Event 3 keeps its header (so it still links to event 2) but carries a bad signature; event 4
    // links to the genuine event 3, not to these bytes, so it starts a run of its own.
    events[2] = forgeSignature(events[2]!);
    await ingest(events);
    t.equal(
      counters().quarantinedByReason.HQ_SIGNATURE_INVALID,
      quarantinedBefore + 1,
      'the forgery refused',
    );
    t.equal(counters().stored - storedBefore, 4, 'the four genuine events stored');
    // Runs [1, 2, 3*] and [4, 5]: 3* fails, then 1 and 2 are checked alone: 2 + 2 checks.
    t.equal(counters().signatureChecks - checksBefore, 4, 'two run checks, then two single checks');
  },
);

t.test(
  'a forged head linked to genuine events (another key) does not vouch for them; they stand on their own',
  async (t) => {
    const [c1, c2] = fx.stations;
    const storedBefore = counters().stored;
    const quarantinedBefore = counters().quarantinedByReason.HQ_SIGNATURE_INVALID ?? 0;
    const genuine = Array.from({ length: 3 }, () => c1!.billPayment(100, { quotaFenAfter: 0 }).bytes);
    const forged = c1!.billPayment(50_000, { quotaFenAfter: 0, key: c2!.privateKey }).bytes;
    await ingest([...genuine, forged]);
    t.equal(
      counters().quarantinedByReason.HQ_SIGNATURE_INVALID,
      quarantinedBefore + 1,
      'the forged head refused',
    );
    t.equal(counters().stored - storedBefore, 3, 'the genuine events stored, each on its own signature');
    const events = await fx.gateway.store.eventsOfStation('C1');
    t.notOk(
      events.some((e) => e.amountFen === 50_000),
      'nothing of the forgery is stored',
    );
  },
);

t.test('events without links (a kiosk from before chaining) are each checked', async (t) => {
  const [, c2] = fx.stations;
  const events = Array.from(
    { length: 6 },
    () => c2!.billPayment(100, { quotaFenAfter: 0, prevEnvelopeSha256: null }).bytes,
  );
  const checksBefore = counters().signatureChecks;
  const storedBefore = counters().stored;
  for (const bytes of events) fx.gateway.pipeline.handleMessage(upTopic('C2', 'event'), bytes);
  await fx.gateway.flush();
  t.equal(counters().stored - storedBefore, 6);
  t.equal(counters().signatureChecks - checksBefore, 6, 'one check per event');
});

t.test(
  'a link to an envelope other than the stored one is a discrepancy (HQ_DISCREPANCY_CHAIN_BROKEN)',
  async (t) => {
    const [c1] = fx.stations;
    const before = (await fx.gateway.store.discrepancies(100_000)).filter(
      (d) => d.code === 'HQ_DISCREPANCY_CHAIN_BROKEN',
    );
    await ingest([c1!.billPayment(100, { quotaFenAfter: 0 }).bytes]);
    // A properly signed event whose link names other bytes: a journal restored from a backup.
    const forked = c1!.billPayment(100, { quotaFenAfter: 0, prevEnvelopeSha256: new Uint8Array(32).fill(9) });
    await ingest([forked.bytes]);
    const after = (await fx.gateway.store.discrepancies(100_000)).filter(
      (d) => d.code === 'HQ_DISCREPANCY_CHAIN_BROKEN',
    );
    t.equal(after.length, before.length + 1, 'one break recorded');
    t.equal(after.at(-1)?.eventId, forked.eventId, 'on the event that names the wrong envelope');
    const stored = await fx.gateway.store.eventsOfStation('C1');
    t.ok(
      stored.some((e) => e.eventId === forked.eventId),
      'the authentic event is still stored',
    );
  },
);
