// `npm run demo`: the product's main job, end to end on one machine. An MQTT broker (embedded
// aedes, or --broker), HQ on SQLite in this process, and N kiosks as their own processes — each
// with a card reader and a PIN pad simulator on socat PTYs and its own SoftHSM token, provisioned
// with the kiosk's own code and enrolled at HQ — run a scripted business day on a simulated clock
// (day.ts), then close and reconcile; the summary (summary.ts) compares every station's journal
// with HQ's store. Exit code: 0 when every invariant holds, 1 when one breaks, 2 on an error.
// Every process started is stopped at the end, on error and on Ctrl-C.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDemoArgs, usage } from './args.js';
import { serveConsole } from './console.js';
import { BusinessDay } from './day.js';
import { startEmbeddedBroker } from './lib/broker.js';
import { Cleanup } from './lib/cleanup.js';
import { DemoClock, shanghaiTime } from './lib/demo-clock.js';
import { demoNetworkDeps } from './lib/hq.js';
import { type BrokerEndpoint, startNetwork } from './lib/network.js';
import { prng } from './lib/prng.js';
import { runOperationsScene } from './operations.js';
import { summarise } from './summary.js';

// The last day of a month, so the next morning's scene runs that month's commissions (R10).
const businessDate = '2026-11-30';
const nextMorning = '2026-12-01';
const openingQuotaFen = 500_000;

async function main(): Promise<number> {
  const parsed = parseDemoArgs(process.argv.slice(2));
  if ('problems' in parsed) {
    process.stderr.write(`${parsed.problems.map((p) => `demo: ${p}`).join('\n')}\n\n${usage}`);
    return 2;
  }
  const options = parsed.options;
  if (options.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (options.ledgerOnly) {
    process.stderr.write('demo: --ledger-only is run by scripts/demo.sh (npm run demo -- --ledger-only)\n');
    return 2;
  }
  const startedAtMs = Date.now();
  const cleanup = new Cleanup();
  let interrupted = false;
  cleanup.onSignals((signal) => {
    interrupted = true;
    process.stderr.write(`\ndemo: ${signal}: stopping every process it started\n`);
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'bianmin-demo-'));
  // Registered first, so it runs last (after every process using the folder has stopped).
  cleanup.defer('data folder', () => {
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
  });
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir);
  process.env.BIANMIN_LOG_DIR ??= logDir;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const random = prng(options.seed);
    const clock = new DemoClock();
    await clock.set(shanghaiTime(businessDate, 7, 30));
    const stationIds = Array.from(
      { length: options.stations },
      (_, index) => `ZJ-${String(index + 1).padStart(3, '0')}`,
    );
    // The embedded broker checks per-station credentials and ACLs like the production Mosquitto
    // (deploy/mosquitto/); an external --broker is used anonymously.
    let broker: BrokerEndpoint = { url: options.broker ?? '' };
    let hqClientId = `hq-demo-${options.seed}-${process.pid}`;
    if (options.broker === null) {
      const embedded = await startEmbeddedBroker({ stationIds });
      cleanup.defer('embedded broker', () => embedded.close());
      broker = { url: embedded.url, password: (user) => embedded.password(user), hqUser: embedded.hqUser };
      hqClientId = embedded.hqUser; // the client id must equal the user name
    }
    const brokerUrl = broker.url;
    say(`China Post convenience stations: one business day, end to end (seed ${options.seed})`);
    say(
      `broker ${options.broker === null ? `embedded aedes at ${brokerUrl} (per-station users and ACLs)` : brokerUrl}; HQ gateway on SQLite; ${stationIds.length} kiosks: ${stationIds.join(', ')}`,
    );
    say(
      'setting up: SoftHSM token, card reader and PIN pad simulators on PTYs, kiosk provision, HQ enrolment, opening quota ...',
    );
    const network = await startNetwork({
      stationIds,
      dataDir,
      logDir,
      random,
      broker,
      clock,
      cleanup,
      hqClientId,
      authorisationTimeoutMs: 2_000,
      openingQuotaFen,
      // The demo jumps its clock hours at a time: a live message (telemetry, a birth) a kiosk
      // stamped just before a jump can reach HQ just after it, which HQ rightly calls skew (seen
      // once in four runs on a loaded machine: "kiosk clock behind by 593470 ms (live)"). So the
      // demo's HQ tolerates a day; the rule itself is tested in packages/hq-gateway/test/
      // clock-skew.test.ts and clock-jump.test.ts.
      hqClockSkewMsMax: 24 * 60 * 60 * 1000,
    });
    say(
      `ready in ${((Date.now() - startedAtMs) / 1000).toFixed(1)} s: every kiosk enrolled, online and running HQ-signed config v1`,
    );
    const day = await new BusinessDay(network, random, businessDate, say).run(openingQuotaFen);
    const summary = await summarise(network, day, { dataDir, logDir, hqDb: join(dataDir, 'hq.sqlite') });
    say(summary.text);
    const scene = await runOperationsScene(demoNetworkDeps(network.gateway), businessDate, nextMorning);
    say(scene.lines.join('\n'));
    for (const failure of scene.failures) say(`BROKEN: ${failure}`);
    say(
      `\nfinished in ${((Date.now() - startedAtMs) / 1000).toFixed(1)} s; ${options.keep ? `data kept in ${dataDir}` : 'data folder removed (--keep keeps it)'}`,
    );
    if (options.console) {
      for (const line of await serveConsole(network.gateway, stationIds, options.consolePort, cleanup))
        say(line);
      // Until Ctrl-C: the signal handler (cleanup.onSignals) stops every process and exits.
      await new Promise<never>(() => {});
    }
    return summary.failures.length === 0 && scene.failures.length === 0 ? 0 : 1;
  } catch (error) {
    if (!interrupted) {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`demo failed: ${text}\n`);
      process.stderr.write(`logs: ${options.keep ? logDir : 'removed (run with --keep to keep them)'}\n`);
    }
    return 2;
  } finally {
    await cleanup.cleanup();
  }
}

process.exitCode = await main();
// Handles the libraries leave behind (mqtt.js timers, worker threads) must not keep us running.
process.exit(process.exitCode);
