// The kiosk SIGKILL scenario, shared by kiosk-sigkill-{1,2}.test.ts (two files of 25 kills, so
// each stays well inside the per-file time limit and tap runs them side by side: 50 kills in CI).
// Each round starts the agent with a kill point drawn from the seeded PRNG (scripts/demo/lib/
// kill-point.ts: the nth journal write, before or after its commit, or right after the nth UK key
// signature), then runs withdrawals (card, PIN pad, HQ authorisation, cash) or bursts of bill
// payments and top-ups through the operator API until the agent dies there; the next round's start
// settles what was in flight. No wall-clock delay decides where a kill lands: a seed replays it. Afterwards: every
// event stored once at HQ, HQ totals = kiosk totals, no withdrawal left hanging, every withdrawal
// HQ saw authorised ends posted, voided or reversed, and the journal's postings equal HQ's.
// Withdrawals stay small (¥100-¥200) so HQ's per-card daily limit is never the reason for a finding.
import { KioskDb } from '@bianmin/device-agent';
import type { Test } from 'tap';
import { hqStationView } from '../../../scripts/demo/lib/hq.js';
import { type KillPoint, killSites } from '../../../scripts/demo/lib/kill-point.js';
import { waitForStatus } from '../../../scripts/demo/lib/network.js';
import { withdraw } from '../../../scripts/demo/lib/operator.js';
import { intBetween, prng } from '../../../scripts/demo/lib/prng.js';
import { checkExactlyOnce, quotaTx, startE2e } from './e2e.js';

/** Transactions a round may run before the test kills the agent itself (a bound, not a clock). */
const roundTransactionsMax = 30;

export async function killRounds(t: Test, stationId: string, seed: number, kills: number): Promise<void> {
  const { network, random } = await startE2e(t, { stationIds: [stationId], seed });
  const kiosk = network.stations[0]!.kiosk;
  let n = 0;
  const txId = (prefix: string) => {
    n += 1;
    return `${stationId}-${prefix}${String(n).padStart(5, '0')}`;
  };
  // startE2e left the agent running without a kill point: stop it cleanly, then every round
  // starts it armed.
  await kiosk.stop();
  let missed = 0;
  for (let round = 0; round < kills; round += 1) {
    const killAt: KillPoint = {
      site: killSites[intBetween(random, 0, killSites.length - 1)]!,
      nth: intBetween(random, 1, 8),
    };
    await kiosk.start({ killAt });
    let dead = false;
    const exited = kiosk.exited().then(() => {
      dead = true;
    });
    const withdrawal = round % 2 === 0;
    // The round's work draws from its own PRNG: how far it gets never shifts later rounds' points.
    const roundRandom = prng(intBetween(random, 0, 2 ** 31));
    for (let k = 0; k < roundTransactionsMax && !dead; k += 1) {
      const work = withdrawal
        ? withdraw(kiosk, txId('W'), intBetween(roundRandom, 0, 1), intBetween(roundRandom, 1, 2) * 10_000)
        : quotaTx(kiosk, roundRandom, txId('Q'));
      await work.then(
        () => undefined,
        () => undefined,
      );
    }
    if (!dead) {
      missed += 1;
      await kiosk.kill();
    }
    await exited;
  }
  await kiosk.start();
  t.equal(missed, 0, 'every round died at its seeded kill point (none needed the fallback kill)');
  t.equal(kiosk.starts, kills + 2, `${kills} kills, each followed by a restart`);
  t.equal(kiosk.unexpectedExit, null, 'the agent never crashed by itself');
  await waitForStatus(kiosk, (s) => s.openTransactions === 0);
  const reports = await checkExactlyOnce(t, network);
  const events = await network.gateway.store.eventsOfStation(stationId);
  const terminal = new Set(
    events
      .filter((e) => ['WITHDRAWAL_POSTED', 'WITHDRAWAL_VOIDED', 'WITHDRAWAL_REVERSED'].includes(e.kind))
      .map((e) => e.transactionId),
  );
  const authorised = events.filter((e) => e.kind === 'WITHDRAWAL_AUTHORISED').map((e) => e.transactionId);
  t.same(
    authorised.filter((id) => !terminal.has(id)),
    [],
    'every withdrawal authorised at HQ ends posted, voided or reversed',
  );
  const posted = events.filter((e) => e.kind === 'WITHDRAWAL_POSTED').map((e) => e.transactionId);
  t.equal(new Set(posted).size, posted.length, 'no withdrawal posted twice');
  // The journal itself (read-only, the agent is running) against HQ, by transaction id.
  const journal = new KioskDb({ path: kiosk.paths.journal, readOnly: true });
  const journalPosted = [...journal.rows(0)]
    .filter((row) => row.kind === 'withdrawal.posted')
    .map((row) => row.txId);
  journal.close();
  t.same(
    [...journalPosted].sort(),
    [...posted].sort(),
    'the same withdrawals posted in the journal and at HQ',
  );
  const discrepancies = await network.gateway.store.discrepancies(20);
  if (discrepancies.length > 0) t.comment(`HQ discrepancies: ${JSON.stringify(discrepancies)}`);
  const view = await hqStationView(network.gateway, stationId);
  t.comment(`kinds stored at HQ: ${JSON.stringify(view.kinds)}; ${JSON.stringify(reports)}`);
}
