// Goal: the sd_notify protocol on a real datagram socket (issue 13): the socat notifier delivers
// each notification as one datagram to NOTIFY_SOCKET; the supervisor sends READY=1 only after the
// parts are up and no WATCHDOG=1 while a loop is stuck; STOPPING=1 comes last. Method: a fake
// NOTIFY_SOCKET that the test listens on (socat UNIX-RECV, test/helpers/notify-listener.ts), the real
// SocatNotifier child, the Supervisor on a fake clock; waits are on datagrams arriving, never on time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  createServiceNotifier,
  notificationText,
  SocatNotifier,
  socatAddressOf,
} from '../../src/adapters/systemd/socat-notifier.js';
import { Supervisor } from '../../src/app/supervisor.js';
import { brokerLoopReport, type PartsUp } from '../../src/domain/supervision/watchdog.js';
import type { LinkState } from '../../src/ports/publisher.js';
import { recordingLogger } from '../agent/helpers.js';
import { startNotifyListener } from '../helpers/notify-listener.js';
import { FakeClock } from '../serial/helpers/fake-clock.js';

const dir = mkdtempSync(join(tmpdir(), 'kiosk-notify-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('socatAddressOf: path and abstract sockets; anything socat would misread is refused', async (t) => {
  t.equal(socatAddressOf('/run/systemd/notify'), 'UNIX-SENDTO:/run/systemd/notify');
  t.equal(
    socatAddressOf('@/org/freedesktop/systemd1/notify/123'),
    'ABSTRACT-SENDTO:/org/freedesktop/systemd1/notify/123',
  );
  for (const bad of ['', '@', 'relative/path', '/a,b', '/a:b', '/a b', `/${'x'.repeat(120)}`])
    t.equal(socatAddressOf(bad), null, `refused: ${JSON.stringify(bad)}`);
});

t.test('notificationText: KEY=value lines only, bounded', async (t) => {
  t.equal(notificationText(['READY=1', 'STATUS=就绪']), 'READY=1\nSTATUS=就绪\n');
  t.throws(() => notificationText([]), /at least one/);
  t.throws(() => notificationText(['STATUS=a\nREADY=1']), /bad assignment/, 'an injected second line');
  t.throws(() => notificationText(['ready=1']), /bad assignment/);
  t.throws(() => notificationText([`STATUS=${'x'.repeat(2000)}`]), /notifyMessageBytesMax/);
});

t.test('READY after the parts are up, no WATCHDOG while a loop is stuck, STOPPING last', async (t) => {
  const listener = await startNotifyListener(dir);
  t.teardown(() => listener.close());
  const log = recordingLogger();
  const notifier = createServiceNotifier({ NOTIFY_SOCKET: listener.socketPath }, log.logger);
  t.ok(notifier instanceof SocatNotifier, 'NOTIFY_SOCKET set: the socat notifier');
  const clock = new FakeClock();
  let parts: PartsUp = { journal: true, token: true, peripherals: false, link: false };
  let link: LinkState = { kind: 'connecting', attempt: 1, sinceMs: 0 };
  const limits = {
    graceMs: 1_000,
    brokerConnectTimeoutMs: 5_000,
    brokerBackoffMsMax: 5_000,
    serialOpeningMsMax: 5_000,
  };
  const supervisor = new Supervisor({
    clock,
    notifier,
    logger: log.logger,
    watchdogMs: 2_000,
    parts: () => parts,
    loops: () => [brokerLoopReport(link, limits)],
  });

  supervisor.start();
  await listener.until((lines) => lines.includes('WATCHDOG=1'), 'the first ping');
  t.notOk(listener.lines.includes('READY=1'), 'not ready while peripherals and link are down');
  t.ok(listener.lines.includes('STATUS=启动中, 等待: 读卡器/密码键盘、总部链路'));

  parts = { journal: true, token: true, peripherals: true, link: true };
  link = { kind: 'online', sinceMs: 0, bdSeq: 1 };
  await clock.advance(1_000);
  await listener.until((lines) => lines.includes('READY=1'), 'READY=1');
  const readyIndex = listener.lines.indexOf('READY=1');
  t.equal(listener.lines[readyIndex + 1], 'STATUS=运行中: 日志库、UK 密钥、外设、总部链路均已就绪');

  // The link hangs in one connect attempt: after 6 s the loop is stuck.
  link = { kind: 'connecting', attempt: 2, sinceMs: clock.nowMs() };
  await clock.advance(8_000);
  await listener.until((lines) => lines.some((line) => line.startsWith('STATUS=循环卡住')), 'stuck status');
  const stuckIndex = listener.lines.findIndex((line) => line.startsWith('STATUS=循环卡住'));
  await clock.advance(10_000);
  await supervisor.stop();
  await listener.until((lines) => lines.includes('STOPPING=1'), 'STOPPING=1');
  const afterStuck = listener.lines.slice(stuckIndex);
  t.same(
    afterStuck,
    ['STATUS=循环卡住: link (停止看门狗心跳)', 'STOPPING=1', 'STATUS=正在停止'],
    'no WATCHDOG=1 while stuck',
  );
  t.equal(listener.lines.filter((line) => line === 'READY=1').length, 1, 'READY once');
  t.same(log.codes(), ['AGENT_WATCHDOG_LOOP_STUCK']);
});

t.test(
  'AGENT_NOTIFY_FAILED: socat cannot start, or NOTIFY_SOCKET is unusable; the agent keeps running',
  async (t) => {
    const log = recordingLogger();
    const missing = new SocatNotifier('UNIX-SENDTO:/nonexistent', log.logger, join(dir, 'no-such-socat'));
    await log.waitForCode('AGENT_NOTIFY_FAILED');
    missing.notify(['WATCHDOG=1']);
    await missing.close();
    t.same(log.codes(), ['AGENT_NOTIFY_FAILED'], 'logged once');

    const junk = recordingLogger();
    const dropper = createServiceNotifier({ NOTIFY_SOCKET: 'relative,path' }, junk.logger);
    dropper.notify(['READY=1']);
    await dropper.close();
    t.same(junk.codes(), ['AGENT_NOTIFY_FAILED']);

    const none = recordingLogger();
    createServiceNotifier({}, none.logger).notify(['READY=1']);
    t.same(none.codes(), [], 'no NOTIFY_SOCKET (run by hand): silent');
  },
);
