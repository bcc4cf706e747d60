// Goal: the exactly-once proof of issue 14 in CI: 500 simulated kiosks through the real broker
// into HQ's gateway processes on PostgreSQL, with kill -9 during the day, end with every journaled
// event stored once and in each station's seq order, every station's totals at HQ equal to its
// simulator's, every authorisation answered or reversed, and every kill recovered from. Method: the
// fleet run itself (scripts/fleet/run.ts: swarm processes of lightweight kiosks with real keys,
// signatures and MQTT sessions; gateways as child processes; its own Mosquitto and its own
// database on 127.0.0.1:5432, dropped after), its check read from PostgreSQL; figures are printed
// as comments, never asserted. Topology: single (one Mosquitto, one gateway); the NATS cluster
// topology has its own test (fleet-500-cluster.test.ts).
import t from 'tap';
import { runFleet } from '../../scripts/fleet/run.js';
import { summaryLines } from '../../scripts/fleet/summary.js';

const seed = Number(process.env.FLEET_SEED ?? 14);

t.test('500 kiosks, kills during the day: every event stored exactly once', async (t) => {
  t.comment(`seed ${seed}`);
  const result = await runFleet({
    stations: 500,
    gateways: 1,
    topology: 'single',
    seed,
    kills: true,
    transactionCount: 16,
    dayMs: 45_000,
    offlineShare: 0.2,
    // Shorter than the gateway's outage: some withdrawals go unanswered and are reversed (R5).
    authWaitMs: 10_000,
    raw: true,
    log: (line) => t.comment(line),
  });
  for (const line of summaryLines(result)) t.comment(line);
  const c = result.check;
  t.equal(c.stations, 500, 'every station reported');
  t.ok(c.journaled > 500 * 16, 'the kiosks journaled their day (opening purchase, customers, withdrawals)');
  t.equal(c.duplicates, 0, 'no event stored twice or beyond a journal');
  t.equal(c.missing, 0, 'no journaled event missing at HQ');
  t.equal(c.journalMismatches, 0, "HQ's envelopes in seq order are each kiosk's journal, byte for byte");
  t.equal(c.ackMismatches, 0, 'HQ acknowledged every station through its last seq');
  t.equal(c.totalsMismatches, 0, "every station's totals by business type: HQ = kiosk");
  t.equal(c.authsUnsettled, 0, 'every authorisation request answered or reversed (R5)');
  t.equal(c.grantsOpen, 0, 'every grant HQ made was posted or reversed');
  t.equal(c.quarantined, 0, 'nothing quarantined (resends are duplicates, not refusals)');
  t.equal(c.discrepancies, 0, "no ledger discrepancy (each station's quota chain re-checked in seq order)");
  t.equal(c.gapsOpen, 0, 'no open sequence gap');
  t.equal(c.outboxLeft, 0, 'every kiosk outbox empty');
  t.ok(result.recoveries.length >= 1, 'at least one kill during the day');
  for (const recovery of result.recoveries)
    t.not(recovery.recoveredMs, null, `recovered after ${recovery.what}`);
  t.ok(c.ok, 'exactly once');
});
