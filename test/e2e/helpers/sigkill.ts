// The kiosk SIGKILL scenario, shared by kiosk-sigkill-{1,2}.test.ts (two files of 25 kills, so
// each stays well inside the per-file time limit and tap runs them side by side: 50 kills in CI).
// Each round starts a withdrawal (card, PIN pad, HQ authorisation, cash) or a burst of bill
// payments and top-ups through the operator API, kills the agent process after a delay drawn from
// the seeded PRNG, and starts it again — the journal settles what was in flight. Afterwards: every
// event stored once at HQ, HQ totals = kiosk totals, no withdrawal left hanging, every withdrawal
// HQ saw authorised ends posted, voided or reversed, and the journal's postings equal HQ's.
// Withdrawals stay small (¥100-¥200) so HQ's per-card daily limit is never the reason for a finding.
import { KioskDb } from '@bianmin/device-agent';
import type { Test } from 'tap';
import { hqStationView } from '../../../scripts/demo/lib/hq.js';
import { waitForStatus } from '../../../scripts/demo/lib/network.js';
import { withdraw } from '../../../scripts/demo/lib/operator.js';
import { intBetween, prng } from '../../../scripts/demo/lib/prng.js';
import { checkExactlyOnce, quotaTx, startE2e } from './e2e.js';

export async function killRounds(t: Test, stationId: string, seed: number, kills: number): Promise<void> {
  const { network, random } = await startE2e(t, { stationIds: [stationId], seed });
  const kiosk = network.stations[0]!.kiosk;
  let n = 0;
  const txId = (prefix: string) => {
    n += 1;
    return `${stationId}-${prefix}${String(n).padStart(5, '0')}`;
  };
  for (let round = 0; round < kills; round += 1) {
    // Kill points: a withdrawal dies 0-1200 ms after it starts (card read, PIN entry, waiting for
    // HQ, or cash confirmation); a burst of payments dies 0-60 ms after its first one completed.
    let firstDone: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      firstDone = resolve;
    });
    const withdrawal = round % 2 === 0;
    // The burst draws from its own PRNG: how far it gets before the kill never shifts later rounds.
    const burstRandom = prng(intBetween(random, 0, 2 ** 31));
    const delayMs = withdrawal ? intBetween(random, 0, 1_200) : intBetween(random, 0, 60);
    if (withdrawal) firstDone();
    const work = withdrawal
      ? withdraw(kiosk, txId('W'), intBetween(random, 0, 1), intBetween(random, 1, 2) * 10_000)
      : (async () => {
          for (let k = 0; k < 50; k += 1) {
            await quotaTx(kiosk, burstRandom, txId('Q'));
            firstDone();
          }
        })();
    const settled = work.then(
      () => 'done',
      () => 'interrupted',
    );
    await Promise.race([started, settled]);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await kiosk.kill();
    await settled;
    await kiosk.start();
  }
  t.equal(kiosk.starts, kills + 1, `${kills} kills, each followed by a restart`);
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
