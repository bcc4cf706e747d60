// Goal: the readiness and watchdog rules the agent reports to systemd by (issue 13): READY=1 only
// when journal, token, peripherals and link are all up; WATCHDOG=1 only while no loop is stuck; a
// loop counts as stuck when it sits in one transient state past that state's limit, and recovers
// when it moves on. Method: the pure functions (domain/supervision/watchdog.ts) table-driven, and
// the Supervisor (app/supervisor.ts) on a fake clock with a recording notifier: no sockets, no sleeps.
import t from 'tap';
import { Supervisor } from '../../src/app/supervisor.js';
import {
  brokerLoopReport,
  emptyLoopTracker,
  type LoopLimits,
  type LoopReport,
  observeLoops,
  type PartsUp,
  partsWaiting,
  serialLoopReport,
  statusLine,
  watchdogMsFromEnv,
} from '../../src/domain/supervision/watchdog.js';
import { startTimeoutExtendMs } from '../../src/limits.js';
import type { LinkState as BrokerLinkState } from '../../src/ports/publisher.js';
import type { ServiceManagerPort } from '../../src/ports/service-manager.js';
import { recordingLogger } from '../agent/helpers.js';
import { FakeClock } from '../serial/helpers/fake-clock.js';

const limits: LoopLimits = {
  graceMs: 1_000,
  brokerConnectTimeoutMs: 10_000,
  brokerBackoffMsMax: 30_000,
  serialOpeningMsMax: 5_000,
};
const allUp: PartsUp = { journal: true, token: true, peripherals: true, link: true };

t.test('observeLoops: a transient state is stuck only past its limit; progress resets it', async (t) => {
  const connecting = (attempt: number): LoopReport =>
    brokerLoopReport({ kind: 'connecting', attempt, sinceMs: 0 }, limits);
  let verdict = observeLoops(emptyLoopTracker, [connecting(1)], 100_000);
  t.same(verdict.stuck, [], 'first seen: not stuck');
  verdict = observeLoops(verdict.tracker, [connecting(1)], 111_000);
  t.same(verdict.stuck, [], 'at exactly connect timeout + grace: not yet');
  verdict = observeLoops(verdict.tracker, [connecting(1)], 111_001);
  t.same(verdict.stuck, ['link'], 'one ms later: stuck');
  verdict = observeLoops(verdict.tracker, [connecting(2)], 111_002);
  t.same(verdict.stuck, [], 'a new attempt is progress');
  const online = brokerLoopReport({ kind: 'online', sinceMs: 0, bdSeq: 3 }, limits);
  verdict = observeLoops(verdict.tracker, [online], 111_003);
  verdict = observeLoops(verdict.tracker, [online], 10_000_000);
  t.same(verdict.stuck, [], 'online is steady: never stuck');
});

t.test('observeLoops: every stuck loop is named, in report order', async (t) => {
  const reports: LoopReport[] = [
    serialLoopReport('card-reader', { kind: 'opening', attemptIndex: 0 }, limits),
    serialLoopReport('pin-pad', { kind: 'open', openedAtMs: 5 }, limits),
    brokerLoopReport({ kind: 'stopped' }, limits),
  ];
  const first = observeLoops(emptyLoopTracker, reports, 0);
  t.same(first.stuck, [], 'stopped needs one tick to count (limit 0, strictly past it)');
  const later = observeLoops(first.tracker, reports, 6_001);
  t.same(later.stuck, ['card-reader', 'link']);
  t.throws(() => observeLoops(emptyLoopTracker, [reports[0]!, reports[0]!], 0), /reported twice/);
});

t.test('serialLoopReport: a backoff may last its own delay plus grace', async (t) => {
  const backoff = serialLoopReport(
    'pin-pad',
    { kind: 'backoff', attemptIndex: 4, delayMs: 16_000, lastErrorCode: 'AGENT_SERIAL_OPEN_FAILED' },
    limits,
  );
  t.same(backoff, { name: 'pin-pad', key: 'backoff:4', stuckAfterMs: 17_000 });
  t.same(serialLoopReport('card-reader', { kind: 'idle' }, limits).stuckAfterMs, 6_000);
  t.equal(serialLoopReport('card-reader', { kind: 'stopped' }, limits).stuckAfterMs, 0);
});

t.test('brokerLoopReport: each link state has its limit', async (t) => {
  const cases: [BrokerLinkState, string, number | null][] = [
    [{ kind: 'idle' }, 'idle', 11_000],
    [{ kind: 'connecting', attempt: 2, sinceMs: 9 }, 'connecting:2', 11_000],
    [{ kind: 'backoff', attempt: 3, retryAtMs: 9, lastErrorCode: 'X' }, 'backoff:3', 31_000],
    [{ kind: 'online', sinceMs: 9, bdSeq: 7 }, 'online:7', null],
    [{ kind: 'stopped' }, 'stopped', 0],
  ];
  for (const [state, key, stuckAfterMs] of cases)
    t.same(brokerLoopReport(state, limits), { name: 'link', key, stuckAfterMs }, state.kind);
});

t.test('partsWaiting and statusLine: every missing part at once, in a fixed order (R21)', async (t) => {
  t.same(partsWaiting({ journal: true, token: false, peripherals: true, link: false }), ['token', 'link']);
  t.same(partsWaiting(allUp), []);
  t.equal(
    statusLine({ journal: false, token: true, peripherals: false, link: false }, [], false),
    '启动中, 等待: 日志库、读卡器/密码键盘、总部链路',
  );
  t.equal(statusLine(allUp, [], false), '运行中: 日志库、UK 密钥、外设、总部链路均已就绪');
  t.equal(statusLine(allUp, ['link', 'pin-pad'], false), '循环卡住: link, pin-pad (停止看门狗心跳)');
  t.equal(statusLine(allUp, ['link'], true), '正在停止');
});

t.test('watchdogMsFromEnv: WATCHDOG_USEC for this pid only; junk means no watchdog', async (t) => {
  t.equal(watchdogMsFromEnv('30000000', undefined, 42), 30_000);
  t.equal(watchdogMsFromEnv('30000000', '42', 42), 30_000);
  t.equal(watchdogMsFromEnv('30000000', '43', 42), null, 'meant for another process');
  t.equal(watchdogMsFromEnv(undefined, undefined, 42), null);
  for (const junk of ['', '0', '-5', '1e9', '30s', '99999999999999999999'])
    t.equal(watchdogMsFromEnv(junk, undefined, 42), null, `junk ${JSON.stringify(junk)}`);
});

/** Records every notification; the supervisor under a fake clock. */
function rig(watchdogMs: number | null) {
  const clock = new FakeClock();
  const sent: string[][] = [];
  const notifier: ServiceManagerPort = {
    notify: (assignments) => {
      sent.push([...assignments]);
    },
    close: async () => {
      sent.push(['(closed)']);
    },
  };
  const state = {
    parts: { journal: true, token: true, peripherals: false, link: false } as PartsUp,
    link: { kind: 'connecting', attempt: 1, sinceMs: 0 } as BrokerLinkState,
  };
  const logger = recordingLogger();
  const supervisor = new Supervisor({
    clock,
    notifier,
    logger: logger.logger,
    watchdogMs,
    parts: () => state.parts,
    loops: () => [brokerLoopReport(state.link, limits)],
  });
  return { clock, sent, state, supervisor, logger };
}

t.test('Supervisor: pings and extends the start while waiting; READY=1 once all parts are up', async (t) => {
  const { clock, sent, state, supervisor } = rig(2_000);
  supervisor.start();
  t.same(sent, [
    [
      'STATUS=启动中, 等待: 读卡器/密码键盘、总部链路',
      'WATCHDOG=1',
      `EXTEND_TIMEOUT_USEC=${startTimeoutExtendMs * 1000}`,
    ],
  ]);
  t.equal(supervisor.ready, false);
  state.parts = allUp;
  state.link = { kind: 'online', sinceMs: 0, bdSeq: 1 };
  await clock.advance(1_000);
  t.same(sent.at(-1), ['READY=1', 'STATUS=运行中: 日志库、UK 密钥、外设、总部链路均已就绪', 'WATCHDOG=1']);
  t.equal(supervisor.ready, true);
  await clock.advance(1_000);
  t.same(sent.at(-1), ['WATCHDOG=1'], 'steady: only the ping, READY once');
  t.equal(sent.flat().filter((line) => line === 'READY=1').length, 1);
  await supervisor.stop();
  t.same(sent.slice(-2), [['STOPPING=1', 'STATUS=正在停止'], ['(closed)']]);
  await clock.advance(10_000);
  t.equal(sent.at(-1)?.[0], '(closed)', 'no tick after stop');
});

t.test(
  'AGENT_WATCHDOG_LOOP_STUCK: a stuck loop stops the pings, and they resume when it moves',
  async (t) => {
    const { clock, sent, state, supervisor, logger } = rig(2_000);
    state.parts = allUp;
    state.link = { kind: 'online', sinceMs: 0, bdSeq: 1 };
    supervisor.start();
    // The link drops and hangs in one connect attempt forever.
    state.link = { kind: 'connecting', attempt: 1, sinceMs: clock.nowMs() };
    await clock.advance(1_000);
    const before = sent.length;
    // First seen at the next tick; stuck once connect timeout + grace (11 s) have passed since.
    await clock.advance(12_000);
    const whileStuck = sent.slice(before).flat();
    t.ok(whileStuck.includes('STATUS=循环卡住: link (停止看门狗心跳)'), 'status says which loop is stuck');
    const stuckIndex = sent.findIndex((message) =>
      message.some((line) => line.startsWith('STATUS=循环卡住')),
    );
    t.notOk(sent[stuckIndex]!.includes('WATCHDOG=1'), 'not in the message that reports it');
    const pingsAfter = sent
      .slice(stuckIndex + 1)
      .flat()
      .filter((line) => line === 'WATCHDOG=1');
    await clock.advance(20_000);
    t.same(
      sent
        .slice(stuckIndex + 1)
        .flat()
        .filter((line) => line === 'WATCHDOG=1'),
      pingsAfter,
      'no ping for 20 s while stuck',
    );
    t.same(pingsAfter, []);
    t.same(logger.codes(), ['AGENT_WATCHDOG_LOOP_STUCK'], 'logged once, with its code');
    state.link = { kind: 'connecting', attempt: 2, sinceMs: clock.nowMs() };
    await clock.advance(1_000);
    t.ok(sent.at(-1)?.includes('WATCHDOG=1'), 'a new attempt: pings resume');
    await supervisor.stop();
  },
);

t.test('Supervisor: a start with a stuck loop neither extends its timeout nor becomes READY', async (t) => {
  const { clock, sent, state, supervisor } = rig(null);
  state.link = { kind: 'stopped' };
  supervisor.start();
  await clock.advance(3_000);
  const lines = sent.flat();
  t.notOk(lines.includes('READY=1'));
  t.equal(lines.filter((line) => line.startsWith('EXTEND_TIMEOUT_USEC=')).length, 1, 'only the first tick');
  t.notOk(lines.includes('WATCHDOG=1'), 'no watchdog configured: never pings');
  await supervisor.stop();
});
