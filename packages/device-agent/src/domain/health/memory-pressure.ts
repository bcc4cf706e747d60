// Memory pressure (issue 13): a kiosk is a small box, and an agent killed by the kernel (systemd
// MemoryMax, or V8's heap limit) mid-transaction leaves a customer at the counter. So the agent
// watches itself: above a high-water mark (RSS, or used heap as a share of V8's limit) it refuses
// NEW business with AGENT_TX_MEMORY_PRESSURE, listed with every other reason (R21); transactions in
// flight finish and the journal is untouched. It takes business again only below the low-water
// mark (hysteresis), so a kiosk near the line does not flap between yes and no. Pure: the sample
// and the previous state come in, the new state goes out.

export interface MemorySample {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** V8's heap_size_limit (--max-old-space-size plus the young generation). */
  readonly heapLimitBytes: number;
}

export interface MemoryBudget {
  /** RSS marks; null when the process has no memory limit to stay under (only the heap is watched). */
  readonly rssBytesHigh: number | null;
  readonly rssBytesLow: number | null;
  readonly heapPercentHigh: number;
  readonly heapPercentLow: number;
}

/** The shipped marks for a unit MemoryMax, and the heap marks every budget shares. */
export interface MemoryMarks {
  readonly unitMemoryMaxBytes: number;
  readonly rssBytesHigh: number;
  readonly rssBytesLow: number;
  readonly heapPercentHigh: number;
  readonly heapPercentLow: number;
}

/**
 * The budget under the process's memory limit (the cgroup's, e.g. systemd MemoryMax): the shipped
 * RSS marks scaled by limit / the unit's MemoryMax, so they keep the same headroom under any box's
 * limit. No limit (undefined): no RSS marks, since nothing will kill the agent for its RSS.
 */
export function memoryBudgetFor(limitBytes: number | undefined, marks: MemoryMarks): MemoryBudget {
  if (!(marks.rssBytesLow < marks.rssBytesHigh && marks.rssBytesHigh < marks.unitMemoryMaxBytes))
    throw new Error('assert: rssBytesLow < rssBytesHigh < unitMemoryMaxBytes');
  const heap = { heapPercentHigh: marks.heapPercentHigh, heapPercentLow: marks.heapPercentLow };
  if (limitBytes === undefined) return { rssBytesHigh: null, rssBytesLow: null, ...heap };
  if (!(Number.isSafeInteger(limitBytes) && limitBytes > 0)) throw new Error('assert: limitBytes > 0');
  const scale = (bytes: number) => Math.floor((bytes / marks.unitMemoryMaxBytes) * limitBytes);
  return { rssBytesHigh: scale(marks.rssBytesHigh), rssBytesLow: scale(marks.rssBytesLow), ...heap };
}

function assertBudget(budget: MemoryBudget): void {
  if ((budget.rssBytesHigh === null) !== (budget.rssBytesLow === null))
    throw new Error('assert: both RSS marks or neither');
  if (
    budget.rssBytesHigh !== null &&
    budget.rssBytesLow !== null &&
    !(budget.rssBytesLow > 0 && budget.rssBytesLow < budget.rssBytesHigh)
  )
    throw new Error('assert: 0 < rssBytesLow < rssBytesHigh');
  if (
    !(
      budget.heapPercentLow > 0 &&
      budget.heapPercentLow < budget.heapPercentHigh &&
      budget.heapPercentHigh <= 100
    )
  )
    throw new Error('assert: 0 < heapPercentLow < heapPercentHigh <= 100');
}

/** Used heap as a whole percent of the limit (0 when the limit is unknown). */
export function heapPercent(sample: MemorySample): number {
  return sample.heapLimitBytes > 0 ? Math.floor((sample.heapUsedBytes * 100) / sample.heapLimitBytes) : 0;
}

/** Under pressure now? Enters above a high mark, leaves only when below both low marks. */
export function underMemoryPressure(sample: MemorySample, budget: MemoryBudget, wasUnder: boolean): boolean {
  assertBudget(budget);
  if (!(Number.isFinite(sample.rssBytes) && sample.rssBytes >= 0)) throw new Error('assert: rssBytes >= 0');
  const percent = heapPercent(sample);
  const rssHigh = budget.rssBytesHigh !== null && sample.rssBytes >= budget.rssBytesHigh;
  if (rssHigh || percent >= budget.heapPercentHigh) return true;
  if (!wasUnder) return false;
  const rssLow = budget.rssBytesLow === null || sample.rssBytes < budget.rssBytesLow;
  return !(rssLow && percent < budget.heapPercentLow);
}

export function describeMemory(sample: MemorySample, budget: MemoryBudget): string {
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  const high = budget.rssBytesHigh === null ? 'no limit' : `high ${mib(budget.rssBytesHigh)}`;
  return `RSS ${mib(sample.rssBytes)} MiB (${high}), heap ${heapPercent(sample)}% of ${mib(sample.heapLimitBytes)} MiB (high ${budget.heapPercentHigh}%)`;
}
