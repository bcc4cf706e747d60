// The end of the demo: per station, the kiosk's journal next to HQ's store (counts, amounts,
// fees by business type), what was declined, reversed, voided and refused (with every reason),
// the quota bought and left, the reconciliation result, events journaled vs stored, and 账实相符
// (R8): the bank's settlement and the declared cash against HQ's report, every difference with its
// reason; then the invariants. A difference the script made (the ¥50.00 short drawer) must be found
// and explained; any other, or a broken invariant, is listed and makes the demo exit non-zero.
import { realityLines } from '@bianmin/hq-gateway/cli/reports';
import type { DayResult, StationTally } from './day.js';
import { table, yuan } from './lib/format.js';
import { businessTypes, hqStationView } from './lib/hq.js';
import { kioskStatus, type Network } from './lib/network.js';

const typeLabel: Record<string, string> = {
  CASH_WITHDRAWAL: 'cash withdrawal (助农取款)',
  BILL_PAYMENT: 'bill payment (代收费)',
  MOBILE_TOPUP: 'mobile top-up (手机充值)',
};

export interface Summary {
  readonly text: string;
  readonly failures: readonly string[];
}

export async function summarise(
  network: Network,
  day: DayResult,
  dataPaths: { dataDir: string; logDir: string; hqDb: string },
): Promise<Summary> {
  const gateway = network.gateway;
  await gateway.flush();
  const out: string[] = [];
  const failures: string[] = [];
  const reconciliations = await gateway.store.reconciliations(day.businessDate);
  const realityDays = await gateway.reality.realityDays(day.businessDate);
  /** Discrepancy rows the script made on purpose (the short drawer), found and explained. */
  let scriptedDiscrepancies = 0;
  out.push('', '='.repeat(100), `Summary of business day ${day.businessDate}`, '='.repeat(100));
  for (const [index, station] of network.stations.entries()) {
    const kiosk = station.kiosk;
    const id = kiosk.stationId;
    const tally = day.tallies[index] as StationTally;
    const status = await kioskStatus(kiosk);
    const kioskTotals = await kiosk.dayTotals(day.businessDate);
    const hq = await hqStationView(gateway, id, day.businessDate);
    const rec = reconciliations.find((record) => record.stationId === id);
    const recText =
      rec === undefined
        ? 'NOT RECONCILED (no daily close at HQ)'
        : rec.differences.length === 0
          ? 'OK: kiosk journal = HQ store (账账相符)'
          : `${rec.differences.length} DIFFERENCES`;
    out.push('', `Station ${id}   reconciliation: ${recText}`);
    const rows = businessTypes.map((type) => {
      const k = kioskTotals[type] ?? { count: 0, amountFen: 0, feeFen: 0 };
      const h = hq.totals[type];
      const same = k.count === h.count && k.amountFen === h.amountFen && k.feeFen === h.feeFen;
      if (!same)
        failures.push(
          `${id} ${type}: kiosk ${k.count}/${k.amountFen}/${k.feeFen} != HQ ${h.count}/${h.amountFen}/${h.feeFen}`,
        );
      return [
        typeLabel[type] ?? type,
        String(k.count),
        yuan(k.amountFen),
        yuan(k.feeFen),
        String(h.count),
        yuan(h.amountFen),
        yuan(h.feeFen),
        same ? 'yes' : 'NO',
      ];
    });
    const sum = (
      pick: (t: { count: number; amountFen: number; feeFen: number }) => number,
      from: 'k' | 'h',
    ) =>
      businessTypes.reduce(
        (acc, type) =>
          acc +
          pick(from === 'k' ? (kioskTotals[type] ?? { count: 0, amountFen: 0, feeFen: 0 }) : hq.totals[type]),
        0,
      );
    rows.push([
      'total',
      String(sum((t) => t.count, 'k')),
      yuan(sum((t) => t.amountFen, 'k')),
      yuan(sum((t) => t.feeFen, 'k')),
      String(sum((t) => t.count, 'h')),
      yuan(sum((t) => t.amountFen, 'h')),
      yuan(sum((t) => t.feeFen, 'h')),
      '',
    ]);
    out.push(
      indent(
        table(
          ['business', 'kiosk n', 'kiosk amount', 'kiosk fees', 'HQ n', 'HQ amount', 'HQ fees', 'equal'],
          rows,
        ),
      ),
    );
    out.push(
      `  withdrawals: ${tally.withdrawalsPosted} posted, ${tally.declined} declined by the bank (wrong PIN), ${tally.reversed} reversed (authorisation timeout), ${tally.voided} voided`,
    );
    if (tally.refused.length === 0) out.push('  refused: none');
    for (const refused of tally.refused) {
      out.push(
        `  refused at ${refused.at}: ${refused.what} — ${refused.reasons.map((reason) => reason.code).join(' + ')}`,
      );
    }
    out.push(
      `  quota: bought ${tally.purchasesFen.map(yuan).join(' + ')}; left ${yuan(status.quotaFenAvailable ?? 0)} at the kiosk, ${hq.quotaFenAfter === null ? '?' : yuan(hq.quotaFenAfter)} as HQ stored it`,
    );
    out.push(
      `  events: ${status.lastEventSeq} journaled at the kiosk, ${hq.eventsStored} stored at HQ (acknowledged through seq ${hq.ackedSeq}); outbox ${status.outboxDepth}`,
    );
    if (tally.offline !== null) {
      out.push(
        `  outage: ${tally.offline.txCount} transactions taken offline, outbox peaked at ${tally.offline.outboxDepthMax}, drained after reconnecting`,
      );
    }
    out.push(`  journal: ${kiosk.paths.journal}`);
    // R8 账实相符: the bank's settlement and the declared cash against HQ's report.
    const reality = realityDays.get(id);
    out.push(...realityLines(reality));
    if (reality === undefined) failures.push(`${id}: HQ has no 账实相符 check of ${day.businessDate}`);
    else {
      if (reality.latest.declaredCashFen !== tally.cashDeclaredFen)
        failures.push(
          `${id}: declared ${tally.cashDeclaredFen} fen at the kiosk, HQ has ${reality.latest.declaredCashFen}`,
        );
      if (reality.latest.bankPostedCount !== reality.latest.hqPostedCount)
        failures.push(
          `${id}: the bank settled ${reality.latest.bankPostedCount} withdrawals, HQ posted ${reality.latest.hqPostedCount}`,
        );
      for (const difference of reality.differences) {
        const scripted =
          difference.code === 'HQ_RECON_CASH_SHORT' &&
          tally.cashShortFenScripted > 0 &&
          difference.expectedFen !== null &&
          difference.actualFen !== null &&
          difference.expectedFen - difference.actualFen === tally.cashShortFenScripted;
        if (scripted) scriptedDiscrepancies += 1;
        else failures.push(`${id}: 账实相符 difference ${difference.code}: ${difference.reasonZh}`);
      }
      if (
        tally.cashShortFenScripted > 0 &&
        !reality.differences.some((d) => d.code === 'HQ_RECON_CASH_SHORT')
      )
        failures.push(
          `${id}: the drawer was ${yuan(tally.cashShortFenScripted)} short and HQ did not find it`,
        );
      if (tally.cashShortFenScripted > 0)
        out.push(
          `  the short drawer (scripted): found by HQ and explained above (HQ_RECON_CASH_SHORT, an alert in hq status)`,
        );
    }
    // Invariants.
    if (rec === undefined) failures.push(`${id}: HQ has no reconciliation of ${day.businessDate}`);
    else
      for (const difference of rec.differences)
        failures.push(`${id}: reconciliation difference ${difference.code}: ${difference.detail}`);
    if (hq.eventsStored !== status.lastEventSeq || hq.distinctSeqs !== hq.eventsStored) {
      failures.push(
        `${id}: ${status.lastEventSeq} events journaled but ${hq.eventsStored} stored at HQ (${hq.distinctSeqs} distinct seqs)`,
      );
    }
    if (hq.ackedSeq !== status.lastEventSeq)
      failures.push(`${id}: HQ acknowledged through ${hq.ackedSeq}, journal ends at ${status.lastEventSeq}`);
    if (status.outboxDepth !== 0) failures.push(`${id}: ${status.outboxDepth} events still in the outbox`);
    if (status.openTransactions !== 0)
      failures.push(`${id}: ${status.openTransactions} withdrawals left open`);
    if (hq.quotaFenAfter !== null && hq.quotaFenAfter !== status.quotaFenAvailable) {
      failures.push(`${id}: quota ${status.quotaFenAvailable} at the kiosk, ${hq.quotaFenAfter} at HQ`);
    }
    for (const surprise of tally.surprises) failures.push(`${id}: ${surprise}`);
  }
  const counts = await gateway.store.counts();
  // A reconnecting kiosk resends what HQ had not acknowledged; HQ counts a resend of bytes it holds
  // as a duplicate (not stored again, not a refusal). Anything quarantined is a broken invariant.
  const refused = Object.values(counts.quarantinedByReason).reduce((a, b) => a + b, 0);
  out.push(
    '',
    `HQ: ${counts.events} events stored from ${counts.stations} stations; quarantined ${refused}; discrepancies ${counts.discrepancies} (${scriptedDiscrepancies} scripted: the short drawer); open sequence gaps ${counts.openGaps}`,
    `    signatures: ${gateway.pipeline.counters.signatureChecks} ECDSA checks this run; ` +
      `${gateway.pipeline.counters.authenticatedByLink} events authenticated through their hash links (docs/protocol.md "Chained events")`,
  );
  if (refused !== 0)
    failures.push(`HQ quarantined ${refused} messages: ${JSON.stringify(counts.quarantinedByReason)}`);
  if (counts.discrepancies !== scriptedDiscrepancies) {
    for (const d of await gateway.store.discrepancies(20)) {
      if (d.code === 'HQ_RECON_CASH_SHORT') continue; // checked per station above
      failures.push(`HQ ledger discrepancy at ${d.stationId}: ${d.code} (${d.detail})`);
    }
  }
  if (counts.openGaps !== 0) failures.push(`HQ has ${counts.openGaps} open sequence gaps`);
  out.push(
    '',
    'Where the data lives:',
    `  HQ store (SQLite): ${dataPaths.hqDb}`,
    `  kiosk journals:    ${dataPaths.dataDir}/kiosks/<station>/journal.sqlite`,
    `  logs (JSON lines): ${dataPaths.logDir}`,
  );
  out.push(
    '',
    failures.length === 0
      ? 'All invariants hold: every event stored once at HQ, HQ totals = kiosk totals at every station; the bank settled every withdrawal HQ posted, and the one drawer difference (scripted) was found and explained.'
      : `INVARIANTS BROKEN (${failures.length}):`,
  );
  for (const failure of failures) out.push(`  - ${failure}`);
  return { text: out.join('\n'), failures };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
