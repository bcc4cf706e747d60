// Serial bench (issue 3): request/response round trips (HEARTBEAT, then READ of a card) through the
// card reader driver over a real socat PTY pair to the simulator process, p50/p99 over 1000 round
// trips each, next to a baseline measured in the same run: the same driver and the same simulated
// device joined in-process (no kernel, no socat), and the ratio. Then unplug/replug recovery: socat
// killed mid-command and restarted, time from replug to the first answered IDENTIFY (N rounds).

import { performance } from 'node:perf_hooks';
import { CardReaderDriver } from '../src/adapters/serial/card-reader-driver.js';
import { InProcessPair } from '../src/adapters/serial/in-process-channel.js';
import { systemClock } from '../src/adapters/system/clock.js';
import { CardReaderDevice } from '../src/sim/card-reader-device.js';
import { PtyPair } from '../src/sim/pty-pair.js';
import { SimEngine } from '../src/sim/sim-engine.js';
import { parseSimScript } from '../src/sim/sim-script.js';
import { TEST_PAN_16 } from '../src/sim/test-cards.js';
import { SimChild } from '../test/serial/helpers/sim-child.js';

const roundTrips = Number(process.env.SERIAL_BENCH_ROUND_TRIPS ?? 1000);
const replugRounds = Number(process.env.SERIAL_BENCH_REPLUG_ROUNDS ?? 5);
const rawScript = {
  cards: [{ pan: TEST_PAN_16, expiry: '2812', serviceCode: '220' }],
  insertOnStart: 0,
  readDelayMs: 0,
};

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(
  driver: CardReaderDriver,
  what: 'heartbeat' | 'read',
): Promise<{ p50: number; p99: number; mean: number }> {
  const samples: number[] = [];
  for (let index = 0; index < 50; index += 1) await driver.heartbeat(); // warm-up
  for (let index = 0; index < roundTrips; index += 1) {
    const startMs = performance.now();
    if (what === 'heartbeat') await driver.heartbeat();
    else await driver.readCard();
    samples.push(performance.now() - startMs);
  }
  samples.sort((a, b) => a - b);
  return {
    p50: pct(samples, 50),
    p99: pct(samples, 99),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}

async function inProcessDriver(): Promise<CardReaderDriver> {
  const parsed = parseSimScript(rawScript);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const pair = new InProcessPair((callback) => setImmediate(callback));
  const engine = new SimEngine({
    clock: systemClock,
    write: (bytes) => pair.device.write(bytes),
    notify: () => {},
    script: parsed.script,
  });
  pair.device.onData = (chunk) => engine.receive(chunk);
  new CardReaderDevice({ engine, script: parsed.script, clock: systemClock, notify: () => {} });
  const driver = new CardReaderDriver({ opener: pair.host, heartbeatIntervalMs: 60_000 });
  driver.start();
  await driver.whenOpen(1000);
  return driver;
}

const fmt = (value: number) => value.toFixed(3).padStart(8);

const pair = await PtyPair.start();
const sim = await SimChild.start('card-reader', pair.devicePath, rawScript, pair.dir);
try {
  const baseline = await inProcessDriver();
  const baseHeartbeat = await measure(baseline, 'heartbeat');
  const baseRead = await measure(baseline, 'read');
  await baseline.stop();

  const driver = new CardReaderDriver({ path: pair.hostPath, heartbeatIntervalMs: 60_000 });
  driver.start();
  await driver.whenOpen(10_000);
  const ptyHeartbeat = await measure(driver, 'heartbeat');
  const ptyRead = await measure(driver, 'read');
  await driver.stop();

  console.log(`serial round trips, ${roundTrips} each (ms)          p50      p99     mean   ratio p50`);
  console.log(
    `  HEARTBEAT in-process (baseline)         ${fmt(baseHeartbeat.p50)} ${fmt(baseHeartbeat.p99)} ${fmt(baseHeartbeat.mean)}`,
  );
  console.log(
    `  HEARTBEAT over PTY + simulator process  ${fmt(ptyHeartbeat.p50)} ${fmt(ptyHeartbeat.p99)} ${fmt(ptyHeartbeat.mean)}   ${(ptyHeartbeat.p50 / baseHeartbeat.p50).toFixed(1)}x`,
  );
  console.log(
    `  READ in-process (baseline)              ${fmt(baseRead.p50)} ${fmt(baseRead.p99)} ${fmt(baseRead.mean)}`,
  );
  console.log(
    `  READ over PTY + simulator process       ${fmt(ptyRead.p50)} ${fmt(ptyRead.p99)} ${fmt(ptyRead.mean)}   ${(ptyRead.p50 / baseRead.p50).toFixed(1)}x`,
  );

  // Unplug mid-command and replug: detection and recovery times.
  const replug = new CardReaderDriver({ path: pair.hostPath, heartbeatIntervalMs: 1000 });
  replug.start();
  await replug.whenOpen(10_000);
  await sim.control({ op: 'remove' });
  const detections: number[] = [];
  const recoveries: number[] = [];
  for (let round = 0; round < replugRounds; round += 1) {
    const mark = sim.mark();
    const waiting = replug.waitForCard(60_000).then(
      () => 'answered',
      (error: { code?: string }) => error.code ?? 'error',
    );
    await sim.waitFor((s) => s.status === 'request' && s.command === 'WAIT_CARD', 'WAIT_CARD', mark);
    const unplugAtMs = performance.now();
    await pair.unplug();
    const outcome = await waiting;
    if (outcome !== 'AGENT_SERIAL_DISCONNECTED') throw new Error(`mid-command unplug gave ${outcome}`);
    detections.push(performance.now() - unplugAtMs);
    const replugAtMs = performance.now();
    await pair.replug();
    for (;;) {
      const ok = await replug
        .whenOpen(30_000)
        .then(() => replug.identify())
        .then(
          () => true,
          () => false,
        );
      if (ok) break;
      if (performance.now() - replugAtMs > 30_000) throw new Error('no recovery within 30 s');
    }
    recoveries.push(performance.now() - replugAtMs);
  }
  await replug.stop();
  const show = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
  console.log(`unplug mid-command → AGENT_SERIAL_DISCONNECTED after (ms): ${show(detections)}`);
  console.log(
    `replug → first answered IDENTIFY after (ms): ${show(recoveries)}; max ${Math.max(...recoveries).toFixed(0)} ms (floor 10,000 ms)`,
  );
} finally {
  await sim.stop();
  await pair.close();
}
