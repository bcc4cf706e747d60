// The fleet run's summary for people (an operator at HQ reads it: zh-CN labels beside the English
// figures) and as one JSON line for docs and CI.
import type { FleetResult } from './run.js';

const n = (value: number): string => Math.round(value).toLocaleString('en-US');

export function summaryLines(result: FleetResult): string[] {
  const c = result.check;
  const o = result.options;
  const lines = [
    `车队模拟 fleet run: ${n(o.stations)} stations, topology ${o.topology}, ${o.gateways} gateway(s), seed ${o.seed}, kills ${o.kills ? 'yes' : 'no'}`,
    `  事件 events journaled ${n(c.journaled)}, stored at HQ ${n(c.stored)} in ${(result.runMs / 1000).toFixed(1)} s: ${n(result.eventsPerSecond)} events/s over the day, peak ${n(result.peakEventsPerSecond)} events/s`,
    `  重复 duplicates ${c.duplicates} (must be 0), 缺失 missing ${c.missing} (must be 0), journal mismatches ${c.journalMismatches}, ack mismatches ${c.ackMismatches}, totals mismatches ${c.totalsMismatches}`,
    `  授权 authorisations sent ${n(c.authsSent)}, reversed after no answer ${c.authsReversed}, unsettled ${c.authsUnsettled}, grants open ${c.grantsOpen}`,
    `  quarantined ${c.quarantined}, discrepancies ${c.discrepancies}, open gaps ${c.gapsOpen}, outbox left ${c.outboxLeft}; gateway dropped ${n(result.gatewayCounters.duplicates)} redelivered duplicates`,
  ];
  for (const recovery of result.recoveries) {
    const seconds = (ms: number | null): string =>
      ms === null ? 'NOT RECOVERED' : `${(ms / 1000).toFixed(2)} s`;
    lines.push(
      `  恢复 recovery after ${recovery.what}: first commit ${seconds(recovery.firstCommitMs)}, first new event committed ${seconds(recovery.recoveredMs)}`,
    );
  }
  lines.push(
    `  CPU per event: gateways ${n(result.gatewayCpuUsPerEvent)} µs (each: ${result.gatewayCpuUsPerEventEach.map(n).join(' / ')} µs), broker ${n(result.brokerCpuUsPerEvent)} µs; PostgreSQL ${n(result.commits)} commits, ${result.eventsPerCommit.toFixed(1)} events per commit; gateway batches ${n(result.gatewayCounters.batches)}, ${result.eventsPerBatch.toFixed(1)} events per batch`,
    `  longest ack pause with events outstanding ${(result.ackPauseMsMax / 1000).toFixed(1)} s`,
    result.connectStorm === null
      ? '  连接风暴 connect storm: not every kiosk was in before the first kill'
      : `  连接风暴 connect storm: ${n(o.stations)} kiosks connected and subscribed ${result.connectStorm.seconds.toFixed(1)} s after the day's start (${n(o.stations / Math.max(0.001, result.connectStorm.seconds))}/s); broker memory +${n(result.connectStorm.brokerRssBytesPerKiosk)} bytes per kiosk`,
  );
  if (result.rawEventsPerSecond !== null) {
    lines.push(
      `  raw pipe (same envelopes, plain subscriber) ${n(result.rawEventsPerSecond)} events/s; HQ peak / raw ${(result.peakEventsPerSecond / result.rawEventsPerSecond).toFixed(2)}`,
    );
  }
  lines.push(
    `  set-up ${(result.setupMs / 1000).toFixed(1)} s; ${result.cores} cores, load ${result.load[0].toFixed(1)} -> ${result.load[1].toFixed(1)}`,
    `  ${c.ok ? '恰好一次 exactly once: OK' : '恰好一次 exactly once: FAILED'}`,
    ...c.problems.map((problem) => `  problem: ${problem}`),
  );
  return lines;
}
