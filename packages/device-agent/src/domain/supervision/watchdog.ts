// What the agent tells its service manager (systemd, Type=notify), decided without I/O: when it is
// ready (journal verified, UK key open, both peripherals open, broker session up), what its status
// line says, and whether its loops are healthy enough to earn a watchdog ping. Pure: the time comes
// in as an argument, so a fake clock drives every case in the unit tests.
//
// A loop is "stuck" when it sits in a transient state (connecting, opening, waiting to retry) longer
// than that state can last when the loop works: each loop reports its state as a key (which changes
// when the loop moves on, e.g. a new attempt number) and how long that state may last. A steady
// state (online, open) may last forever. A stuck loop stops the WATCHDOG=1 pings, so systemd kills
// and restarts the agent after WatchdogSec; the journal makes the restart safe. A blocked event loop
// needs no rule here: the tick that would ping never runs.
import type { LinkState as BrokerLinkState } from '../../ports/publisher.js';
import { assert, assertIntegerInRange } from '../assert.js';
import type { LinkState as SerialLinkState } from '../serial/link-state.js';

/** The parts READY=1 waits for (issue 13), in the order the status line names them. */
export const readinessParts = ['journal', 'token', 'peripherals', 'link'] as const;
export type ReadinessPart = (typeof readinessParts)[number];

/** zh-CN names on the status line a technician reads in `systemctl status`. */
const partLabels: Readonly<Record<ReadinessPart, string>> = {
  journal: '日志库',
  token: 'UK 密钥',
  peripherals: '读卡器/密码键盘',
  link: '总部链路',
};

/** One loop's state as seen now: `key` changes whenever the loop makes progress. */
export interface LoopReport {
  readonly name: string;
  readonly key: string;
  /** How long the state `key` may last while the loop works; null for a steady state. */
  readonly stuckAfterMs: number | null;
}

/** When each loop was first seen in its current state (the tracker's memory). */
export interface LoopTracker {
  readonly since: ReadonlyMap<string, { readonly key: string; readonly sinceMs: number }>;
}

export const emptyLoopTracker: LoopTracker = { since: new Map() };

export interface LoopVerdict {
  readonly tracker: LoopTracker;
  /** Names of the loops stuck now, in report order. Empty = the agent may ping the watchdog. */
  readonly stuck: readonly string[];
}

/** Folds the loops' current reports into the tracker and names the stuck ones. */
export function observeLoops(
  tracker: LoopTracker,
  reports: readonly LoopReport[],
  nowMs: number,
): LoopVerdict {
  assertIntegerInRange(nowMs, 0, Number.MAX_SAFE_INTEGER, 'nowMs');
  const since = new Map<string, { key: string; sinceMs: number }>();
  const stuck: string[] = [];
  for (const report of reports) {
    assert(!since.has(report.name), `watchdog: loop ${report.name} reported twice`);
    if (report.stuckAfterMs !== null)
      assertIntegerInRange(report.stuckAfterMs, 0, Number.MAX_SAFE_INTEGER, 'stuckAfterMs');
    const previous = tracker.since.get(report.name);
    const sinceMs = previous !== undefined && previous.key === report.key ? previous.sinceMs : nowMs;
    since.set(report.name, { key: report.key, sinceMs });
    if (report.stuckAfterMs !== null && nowMs - sinceMs > report.stuckAfterMs) stuck.push(report.name);
  }
  return { tracker: { since }, stuck };
}

/** Slack added to every transient state's own limit (timers fire late on a loaded 2-core box). */
export interface LoopLimits {
  readonly graceMs: number;
  readonly brokerConnectTimeoutMs: number;
  readonly brokerBackoffMsMax: number;
  readonly serialOpeningMsMax: number;
}

/** The MQTT link's loop: connecting ends by its timeout, a backoff by its retry time. */
export function brokerLoopReport(state: BrokerLinkState, limits: LoopLimits): LoopReport {
  switch (state.kind) {
    case 'online':
      return { name: 'link', key: `online:${state.bdSeq}`, stuckAfterMs: null };
    case 'connecting':
      return {
        name: 'link',
        key: `connecting:${state.attempt}`,
        stuckAfterMs: limits.brokerConnectTimeoutMs + limits.graceMs,
      };
    case 'backoff':
      return {
        name: 'link',
        key: `backoff:${state.attempt}`,
        stuckAfterMs: limits.brokerBackoffMsMax + limits.graceMs,
      };
    case 'idle':
      // Opened, not started: start follows the operator API's listen within moments.
      return { name: 'link', key: 'idle', stuckAfterMs: limits.brokerConnectTimeoutMs + limits.graceMs };
    case 'stopped':
      // Stopped while the agent runs: nothing will ever reconnect.
      return { name: 'link', key: 'stopped', stuckAfterMs: 0 };
  }
}

/** A serial device's loop (card reader, PIN pad): opening and waiting to reopen both end. */
export function serialLoopReport(name: string, state: SerialLinkState, limits: LoopLimits): LoopReport {
  switch (state.kind) {
    case 'open':
      return { name, key: `open:${state.openedAtMs}`, stuckAfterMs: null };
    case 'opening':
      return {
        name,
        key: `opening:${state.attemptIndex}`,
        stuckAfterMs: limits.serialOpeningMsMax + limits.graceMs,
      };
    case 'backoff':
      return { name, key: `backoff:${state.attemptIndex}`, stuckAfterMs: state.delayMs + limits.graceMs };
    case 'idle':
      return { name, key: 'idle', stuckAfterMs: limits.serialOpeningMsMax + limits.graceMs };
    case 'stopped':
      return { name, key: 'stopped', stuckAfterMs: 0 };
  }
}

export type PartsUp = Readonly<Record<ReadinessPart, boolean>>;

/** The parts not up yet, in the fixed order (all listed at once, R21). */
export function partsWaiting(parts: PartsUp): ReadinessPart[] {
  return readinessParts.filter((part) => !parts[part]);
}

/** The STATUS= text: what the agent waits for, which loop is stuck, or that it runs. */
export function statusLine(parts: PartsUp, stuck: readonly string[], stopping: boolean): string {
  if (stopping) return '正在停止';
  if (stuck.length > 0) return `循环卡住: ${stuck.join(', ')} (停止看门狗心跳)`;
  const waiting = partsWaiting(parts);
  if (waiting.length === 0) return '运行中: 日志库、UK 密钥、外设、总部链路均已就绪';
  return `启动中, 等待: ${waiting.map((part) => partLabels[part]).join('、')}`;
}

/** The watchdog interval systemd asks for (WATCHDOG_USEC), in ms, or null when there is none. */
export function watchdogMsFromEnv(
  watchdogUsec: string | undefined,
  watchdogPid: string | undefined,
  pid: number,
): number | null {
  if (watchdogUsec === undefined || !/^[1-9][0-9]{0,15}$/.test(watchdogUsec)) return null;
  // WATCHDOG_PID names the process the watchdog is for; another process (a child) must not ping.
  if (watchdogPid !== undefined && watchdogPid !== String(pid)) return null;
  return Math.max(1, Math.floor(Number(watchdogUsec) / 1000));
}
