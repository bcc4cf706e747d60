// Goal (issue 8): junk on a serial line is logged at a bounded rate — a noisy or hostile device
// cannot flood the log — while every junk line is still counted and the held-back lines are
// reported with the next one logged (LogBudget). Method: the pure LogBudget driven by explicit times, then a
// SerialLink on an InProcessPair whose device sends 100 garbage lines and an over-long line, under
// a fake clock.
import t from 'tap';
import { InProcessPair } from '../../src/adapters/serial/in-process-channel.js';
import { SerialLink } from '../../src/adapters/serial/serial-link.js';
import { LogBudget } from '../../src/domain/serial/log-budget.js';
import { serialJunkLogLinesMax } from '../../src/limits.js';
import { FakeClock } from './helpers/fake-clock.js';
import { captureLogs, settle } from './helpers/in-process.js';

t.test('LogBudget: at most linesMax per window, the rest counted and reported', async (t) => {
  const budget = new LogBudget(2, 1000);
  t.same(
    [0, 1, 2, 3].map((atMs) => budget.take(atMs).log),
    [true, true, false, false],
  );
  t.same(budget.take(1000), { log: true, suppressedCount: 2 }, 'next window: two were held back');
  t.throws(() => new LogBudget(0, 1000), /assert/);
});

t.test('a device sending garbage: every line counted, at most the budget logged', async (t) => {
  const clock = new FakeClock();
  const pair = new InProcessPair();
  const logs = captureLogs();
  const link = new SerialLink({
    opener: pair.host,
    name: 'junk',
    clock,
    logger: logs.logger,
    heartbeatIntervalMs: 600_000,
  });
  link.start();
  await settle(clock, Promise.resolve());
  for (let index = 0; index < 100; index += 1) pair.device.write(Buffer.from(`garbage ${index}\n`));
  pair.device.write(Buffer.from(`${'x'.repeat(10_000)}\n`));
  await clock.advance(10);
  const junk = () =>
    logs.lines.filter(
      (line) => line.code === 'AGENT_SERIAL_FRAME_MALFORMED' || line.code === 'AGENT_SERIAL_LINE_TOO_LONG',
    );
  t.equal(junk().length, serialJunkLogLinesMax, `${serialJunkLogLinesMax} lines logged for 101 junk lines`);
  const stats = link.stats();
  t.equal(stats.framesMalformed + stats.linesTooLong, 101, 'every junk line counted');
  await link.stop();
});
