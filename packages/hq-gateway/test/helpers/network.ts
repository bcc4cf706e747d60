// Test helpers for the station network (issue 11): the real 2025–2026 calendars from
// data/calendar/, a settable clock, a memory operations store, and a station taken through its
// lifecycle step by step.
import { readFileSync } from 'node:fs';
import {
  createWorkingCalendar,
  parseCalendarYear,
  shanghaiInstantMs,
  type WorkingCalendar,
} from '@bianmin/core-ledger';
import { MemoryOperationsStore } from '../../src/adapters/memory/operations-store.js';
import type { Actor, NetworkDeps } from '../../src/app/network/deps.js';
import { stationStep } from '../../src/app/network/stations.js';
import type { NetworkFacts } from '../../src/ports/network-facts.js';

export function realCalendar(years: readonly number[] = [2025, 2026]): WorkingCalendar {
  return createWorkingCalendar(
    years.map((year) => {
      const parsed = parseCalendarYear(
        JSON.parse(
          readFileSync(new URL(`../../../../data/calendar/cn-${year}.json`, import.meta.url), 'utf8'),
        ),
      );
      if (!parsed.ok) throw new Error(`calendar ${year} invalid`);
      return parsed.value;
    }),
  );
}

export class SettableClock {
  atMs: number;
  constructor(date: string, hour = 10) {
    this.atMs = shanghaiInstantMs(date, hour);
  }
  nowMs(): number {
    return this.atMs;
  }
  set(date: string, hour = 10): void {
    this.atMs = shanghaiInstantMs(date, hour);
  }
}

export const market: Actor = { name: 'li.market', role: 'market' };
export const supervision: Actor = { name: 'wang.supervision', role: 'supervision' };

export function networkDeps(
  date = '2026-11-02',
  facts?: NetworkFacts,
): NetworkDeps & { clock: SettableClock; store: MemoryOperationsStore } {
  return {
    store: new MemoryOperationsStore(),
    calendar: realCalendar(),
    clock: new SettableClock(date),
    ...(facts === undefined ? {} : { facts }),
  };
}

/** Coordinates `northM` metres north of a base point (1° latitude ≈ 111,195 m on the mean sphere). */
export function northOf(base: { latitudeDeg: number; longitudeDeg: number }, northM: number) {
  return {
    latitudeDeg: base.latitudeDeg + northM / ((Math.PI / 180) * 6_371_008.8),
    longitudeDeg: base.longitudeDeg,
  };
}

export const BASE = { latitudeDeg: 31.46, longitudeDeg: 104.73 };

export const goodFindings = {
  premisesM2: 25,
  terminalSpaceM2: 2,
  signageSpace: true,
  communicationLine: true,
  tradingMonths: 18,
};

/** The steps from proposal to open, with their payloads. */
export function stepsToOpen(location = BASE) {
  return [
    ['proposed', { branchId: 'B1', name: '东街便民站', location }],
    ['surveyed', { location, findings: goodFindings }],
    ['applied', { receiptNumber: 'R22-0001', documents: ['business-licence', 'id-card'] }],
    ['agreement-signed', { agreementNumber: 'AG-1', copies: 3 }],
    ['fee-settled', { mode: 'platform-fee', platformFeeFen: 200_000 }],
    ['fitted-out', {}],
    ['debit-account-set', { accountMasked: '622202******1234' }],
    ['installed', { ukKeySerial: 'UK-1', trained: true }],
    ['goods-delivered', {}],
    ['equipment-signed', {}],
    ['opened', { orgCode: 'ORG-51-0001', quotaAccount: 'QA-0001' }],
  ] as const;
}

/** Takes a station through `count` steps of stepsToOpen (all by default); throws on a refusal. */
export async function advance(
  deps: NetworkDeps,
  stationId: string,
  count = 11,
  location = BASE,
): Promise<void> {
  for (const [kind, payload] of stepsToOpen(location).slice(0, count)) {
    const result = await stationStep(deps, market, stationId, kind, payload);
    if (!result.ok) throw new Error(`${stationId} ${kind}: ${JSON.stringify(result.reasons)}`);
  }
}
