// Test helper for the station-network routes (issue 11): builds lifecycle stations, tickets,
// complaints and commission runs straight through the application layer (app/network/, as the
// CLI does) so an HTTP test can start each request from the state it needs. Every station gets
// its own site on a 0.1° grid (about 10 km apart), so R12 never refuses a prepared one.
import { complaintStep, repairStep } from '../../src/app/network/cases.js';
import { commissionStep, runCommission, submitStatistics } from '../../src/app/network/commissions.js';
import type { Actor, NetworkDeps } from '../../src/app/network/deps.js';
import { registerBranch, stationStep } from '../../src/app/network/stations.js';
import type { GeoPoint } from '../../src/domain/network/geo.js';

export const setupActor: Actor = { name: 'test-setup', role: 'market' };

let siteIndex = 0;
/** A fresh site, about 10 km from every other one this helper handed out. */
export function nextSite(): GeoPoint {
  siteIndex += 1;
  return { latitudeDeg: 30 + Math.floor(siteIndex / 40) * 0.1, longitudeDeg: 100 + (siteIndex % 40) * 0.1 };
}

export const goodFindings = {
  premisesM2: 20,
  terminalSpaceM2: 2,
  signageSpace: true,
  communicationLine: true,
  tradingMonths: 12,
};

/** The lifecycle path from a proposal to 'open', each step with its fields. */
export function openingPath(stationId: string, site: GeoPoint): readonly [string, Record<string, unknown>][] {
  return [
    ['surveyed', { location: site, findings: goodFindings }],
    ['applied', { receiptNumber: `RC-${stationId}`, documents: ['business-licence', 'id-card'] }],
    ['agreement-signed', { agreementNumber: `AG-${stationId}`, copies: 3 }],
    ['fee-settled', { mode: 'platform-fee', platformFeeFen: 100_000 }],
    ['fitted-out', {}],
    ['debit-account-set', { accountMasked: '622202******1234' }],
    ['installed', { ukKeySerial: `UK-${stationId}`, trained: true }],
    ['goods-delivered', {}],
    ['equipment-signed', {}],
    ['opened', { orgCode: `ORG-${stationId}`, quotaAccount: `QA-${stationId}` }],
  ];
}

/** The states a prepared station can be left in. */
export type Prepared =
  | 'proposed'
  | 'surveyed'
  | 'applied'
  | 'agreement-signed'
  | 'fee-settled'
  | 'fitted-out'
  | 'debit-account-set'
  | 'installed'
  | 'goods-delivered'
  | 'equipment-signed'
  | 'open'
  | 'suspended'
  | 'change-pending'
  | 'move-pending';

export class NetworkPrep {
  readonly #deps: () => NetworkDeps;
  #count = 0;

  constructor(deps: () => NetworkDeps) {
    this.#deps = deps;
  }

  async #step(stationId: string, kind: string, input: Record<string, unknown>): Promise<void> {
    const result = await stationStep(this.#deps(), setupActor, stationId, kind, input);
    if (!result.ok) throw new Error(`prepare ${stationId} ${kind}: ${JSON.stringify(result.reasons)}`);
  }

  async branch(branchId: string): Promise<void> {
    const result = await registerBranch(this.#deps(), setupActor, branchId, {
      name: `支局 ${branchId}`,
      location: nextSite(),
    });
    if (!result.ok) throw new Error(`prepare branch ${branchId}: ${JSON.stringify(result.reasons)}`);
  }

  /** A new station of `branchId` left in `state`; its id. */
  async station(state: Prepared, branchId = 'B1', prefix = 'N'): Promise<string> {
    this.#count += 1;
    const stationId = `${prefix}${this.#count}`;
    const site = nextSite();
    await this.#step(stationId, 'proposed', { branchId, name: `便民站 ${stationId}`, location: site });
    const live = ['open', 'suspended', 'change-pending', 'move-pending'];
    for (const [kind, input] of openingPath(stationId, site)) {
      if (state === 'proposed') break;
      await this.#step(stationId, kind, input);
      if (kind === (state === 'open' || live.includes(state) ? 'opened' : state)) break;
    }
    if (state === 'suspended') await this.#step(stationId, 'suspended', {});
    if (state === 'change-pending')
      await this.#step(stationId, 'change-requested', { description: '改营业时间' });
    if (state === 'move-pending') await this.#step(stationId, 'move-requested', { location: nextSite() });
    return stationId;
  }

  async repair(ticketId: string, stationId: string): Promise<void> {
    const result = await repairStep(this.#deps(), setupActor, ticketId, 'repair-opened', {
      stationId,
      source: 'phone',
      peripheral: 'printer',
      fault: '卡纸',
    });
    if (!result.ok) throw new Error(`prepare ticket ${ticketId}: ${JSON.stringify(result.reasons)}`);
  }

  /** A complaint received (written when asked), optionally answered. */
  async complaint(complaintId: string, answered = false, channel = 'phone'): Promise<void> {
    const supervision = { name: 'test-setup', role: 'supervision' };
    const received = await complaintStep(this.#deps(), supervision, complaintId, 'complaint-received', {
      channel,
      complainant: { name: '张三', contact: '13800000000' },
      summary: '多收费',
      stationId: 'S1',
    });
    if (!received.ok)
      throw new Error(`prepare complaint ${complaintId}: ${JSON.stringify(received.reasons)}`);
    if (answered) {
      const answer = await complaintStep(this.#deps(), supervision, complaintId, 'complaint-answered', {
        channel,
        text: '已核实并退款',
      });
      if (!answer.ok) throw new Error(`prepare answer ${complaintId}: ${JSON.stringify(answer.reasons)}`);
    }
  }

  /** A month's run with an R11 line for S1 (B1's statistics), left in draft or listed. */
  async commission(month: string, listed: boolean): Promise<void> {
    const deps = this.#deps();
    const stats = await submitStatistics(deps, setupActor, 'B1', {
      month,
      stationsOpened: 1,
      stationsClosed: 0,
      lines: [{ stationId: 'S1', businessType: 'INSURANCE', revenueFen: 1_000_000 }],
    });
    if (!stats.ok) throw new Error(`prepare statistics ${month}: ${JSON.stringify(stats.reasons)}`);
    const run = await runCommission(deps, { name: 'test-setup', role: 'ecommerce' }, month);
    if (!run.ok) throw new Error(`prepare run ${month}: ${JSON.stringify(run.reasons)}`);
    if (listed) {
      const step = await commissionStep(deps, setupActor, month, 'commission-listed', {});
      if (!step.ok) throw new Error(`prepare listed ${month}: ${JSON.stringify(step.reasons)}`);
    }
  }
}
