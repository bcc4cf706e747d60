// R17: the year's archive as JSON lines (every operation record written in that Asia/Shanghai
// year, in the order written), paged through the store. The archive is complete, confidential
// complainants included: it is for the records office, not for a role's screen.
import { archiveLine, yearWindowMs } from '../../domain/network/archive.js';
import type { NetworkDeps } from './deps.js';

export async function* archiveYear(deps: NetworkDeps, year: number): AsyncGenerator<string> {
  const { fromAtMs, toAtMs } = yearWindowMs(year);
  let afterPosition = 0;
  for (;;) {
    const page = await deps.store.list({ fromAtMs, toAtMs, afterPosition });
    for (const record of page) yield archiveLine(record);
    const last = page.at(-1);
    if (last === undefined) return;
    afterPosition = last.position;
  }
}
