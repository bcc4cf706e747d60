// Shared set-up of the end-to-end tests: a real Mosquitto started by the test on a free port (one
// user per station plus HQ, ACLs that let a station publish only under its own id, a large
// max_queued_messages: test/helpers/mosquitto.ts), HQ in-process on SQLite, and kiosks as their
// own processes with real SoftHSM tokens and the PTY simulators (scripts/demo/lib/network.ts, the
// same set-up the demo runs). `checkExactlyOnce` is the invariant every scenario ends with: every
// event journaled at a kiosk is stored exactly once at HQ, HQ acknowledged all of it, and HQ's
// totals by business type equal the kiosk's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { Cleanup } from '../../../scripts/demo/lib/cleanup.js';
import { DemoClock, shanghaiTime } from '../../../scripts/demo/lib/demo-clock.js';
import { businessTypes, hqStationView } from '../../../scripts/demo/lib/hq.js';
import type { Kiosk } from '../../../scripts/demo/lib/kiosk.js';
import {
  kioskStatus,
  type Network,
  type NetworkSpec,
  startNetwork,
  waitForStatus,
} from '../../../scripts/demo/lib/network.js';
import { payBill, type TxOutcome, topUp } from '../../../scripts/demo/lib/operator.js';
import { intBetween, prng } from '../../../scripts/demo/lib/prng.js';
import { type MosquittoBroker, startMosquitto } from '../../helpers/mosquitto.js';

export const businessDate = '2026-12-01';

export interface E2e {
  readonly broker: MosquittoBroker;
  readonly network: Network;
  readonly cleanup: Cleanup;
  readonly dataDir: string;
  readonly random: () => number;
}

export async function startE2e(
  t: Test,
  options: {
    stationIds: readonly string[];
    seed: number;
    openingQuotaFen?: number;
    /** HQ's store (default SQLite in the data folder). */
    hqStore?: NetworkSpec['hqStore'];
  },
): Promise<E2e> {
  t.comment(`seed ${options.seed}`);
  const cleanup = new Cleanup();
  const dataDir = mkdtempSync(join(tmpdir(), 'bianmin-e2e-'));
  t.teardown(async () => {
    await cleanup.cleanup();
    if (process.env.E2E_KEEP === undefined) rmSync(dataDir, { recursive: true, force: true });
    else t.comment(`data kept in ${dataDir}`);
  });
  const broker = await startMosquitto({ stationIds: options.stationIds });
  cleanup.defer('mosquitto', () => broker.close());
  const clock = new DemoClock();
  // 09:00 in Shanghai on a working day: inside service hours (R20) whatever the machine's time.
  await clock.set(shanghaiTime(businessDate, 9, 0));
  const random = prng(options.seed);
  const network = await startNetwork({
    stationIds: options.stationIds,
    dataDir,
    logDir: process.env.BIANMIN_LOG_DIR ?? join(dataDir, 'logs'),
    random,
    // The production broker's TLS listener: client certificate + password for HQ and each kiosk.
    broker: {
      url: broker.tlsUrl,
      password: (user) => broker.password(user),
      hqUser: broker.hqUser,
      tls: (user) => ({ caFile: broker.ca.caFile, ...broker.clientCert(user) }),
    },
    clock,
    cleanup,
    hqClientId: 'hq-gateway',
    authorisationTimeoutMs: 3_000,
    openingQuotaFen: options.openingQuotaFen ?? 100_000_000,
    ...(options.hqStore === undefined ? {} : { hqStore: options.hqStore }),
  });
  return { broker, network, cleanup, dataDir, random };
}

/** One bill payment or top-up of a seeded amount, with a transaction id from `txId`. */
export function quotaTx(kiosk: Kiosk, random: () => number, txId: string): Promise<TxOutcome> {
  if (random() < 0.5) {
    return payBill(
      kiosk,
      txId,
      'WATER',
      `W-3301-${intBetween(random, 1_000_000, 9_999_999)}`,
      intBetween(random, 100, 50_000),
    );
  }
  return topUp(
    kiosk,
    txId,
    `139${intBetween(random, 10_000_000, 99_999_999)}`,
    [3_000, 5_000, 10_000][intBetween(random, 0, 2)]!,
  );
}

export interface ExactlyOnceReport {
  readonly stationId: string;
  readonly journaled: number;
  readonly stored: number;
}

/**
 * Waits until every kiosk is online with an empty outbox, then checks exactly-once per station:
 * HQ stored each journaled event once (seqs 1..N, no duplicates), acknowledged through N, and its
 * totals by business type equal the kiosk journal's; HQ quarantined nothing and found no gap.
 */
export async function checkExactlyOnce(
  t: Test,
  network: Network,
  options: { quarantineChecked?: boolean } = {},
): Promise<ExactlyOnceReport[]> {
  const reports: ExactlyOnceReport[] = [];
  const gateway = network.gateway;
  for (const station of network.stations) {
    try {
      await waitForStatus(station.kiosk, (s) => s.link === 'online' && s.outboxDepth === 0, 60_000);
    } catch (error) {
      // Say what HQ holds, so a stuck outbox can be told from a missing ack.
      const hq = await hqStationView(gateway, station.kiosk.stationId);
      const counters = JSON.stringify(gateway.pipeline.counters);
      throw new Error(
        `${(error as Error).message}; HQ stored ${hq.eventsStored} (highest seq ${hq.highestSeq}, acked ${hq.ackedSeq}); HQ counters ${counters}`,
      );
    }
  }
  await gateway.flush();
  for (const station of network.stations) {
    const kiosk = station.kiosk;
    const id = kiosk.stationId;
    const status = await kioskStatus(kiosk);
    const kioskTotals = await kiosk.dayTotals(businessDate);
    const hq = await hqStationView(gateway, id, businessDate);
    t.equal(hq.eventsStored, status.lastEventSeq, `${id}: every journaled event stored at HQ`);
    t.equal(hq.distinctSeqs, hq.eventsStored, `${id}: no event stored twice`);
    t.equal(hq.highestSeq, status.lastEventSeq, `${id}: seqs 1..N`);
    t.equal(hq.ackedSeq, status.lastEventSeq, `${id}: HQ acknowledged everything`);
    t.equal(status.openTransactions, 0, `${id}: no withdrawal left open`);
    for (const type of businessTypes) {
      t.same(
        hq.totals[type],
        kioskTotals[type] ?? { count: 0, amountFen: 0, feeFen: 0 },
        `${id}: ${type} totals, HQ = kiosk`,
      );
    }
    reports.push({ stationId: id, journaled: status.lastEventSeq, stored: hq.eventsStored });
  }
  const counts = await gateway.store.counts();
  // A kiosk resends what HQ had not acknowledged after every reconnect; HQ counts a resend of the
  // bytes it holds as a duplicate, not a refusal, so nothing at all may be quarantined here.
  if (options.quarantineChecked !== false) t.same(counts.quarantinedByReason, {}, 'HQ quarantined nothing');
  t.equal(counts.openGaps, 0, 'HQ has no open sequence gap');
  const firstDiscrepancies =
    counts.discrepancies === 0
      ? ''
      : `: ${JSON.stringify((await gateway.store.discrepancies(5)).map((d) => [d.stationId, d.code, d.detail, d.expected, d.actual, d.eventId]))}`;
  t.equal(counts.discrepancies, 0, `HQ found no ledger discrepancy${firstDiscrepancies}`);
  return reports;
}
