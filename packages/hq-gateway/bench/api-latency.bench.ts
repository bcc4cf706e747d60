// HQ API latency (issue 11): 10,000 stations in PostgreSQL; the station list (first page of 50),
// one station's page and the open-alert list, each driven open-loop at a fixed rate (default 500
// requests/s, BENCH_API_RATE) for BENCH_API_SECONDS (default 10) as a logged-in market user, next
// to a bare fastify route (no session, no store) in the same process and the same run. Latency is
// counted from each request's scheduled start, not from when it could leave, so a stall shows up
// in the tail (no coordinated omission). Prints p50 / p99 / max per route and each p99 as a ratio to
// the bare route's. The gateway runs in-process (test/helpers/api-fixture.ts: memory broker,
// PostgreSQL database of its own, dropped after); the load generator is a process of its own
// (bench/api-load-client.ts). A route whose closed-loop capacity is below the rate is still driven
// and flagged: its p99 is then queueing. Each route also prints the CPU per request of the gateway
// (this process) and of PostgreSQL (all its processes), steadier than rates on a shared machine.
// Run: npm run bench api-latency   (or npx tsx packages/hq-gateway/bench/api-latency.bench.ts)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { pgPoolConnectionsMax } from '../src/limits.js';
import { startApiFixture } from '../test/helpers/api-fixture.js';

const stationCount = Number(process.env.BENCH_API_STATIONS ?? 10_000);
const ratePerS = Number(process.env.BENCH_API_RATE ?? 500);
const seconds = Number(process.env.BENCH_API_SECONDS ?? 10);
const alertCount = Math.min(300, stationCount - 3);
if (!(Number.isInteger(stationCount) && stationCount >= 3)) throw new Error('BENCH_API_STATIONS >= 3');
if (!(ratePerS > 0 && seconds > 0)) throw new Error('BENCH_API_RATE and BENCH_API_SECONDS > 0');

interface Figures {
  readonly label: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly sent: number;
  readonly failed: number;
  readonly achievedPerS: number;
  /** CPU per answered request (µs): this process (the gateway) and every PostgreSQL process. */
  readonly gatewayCpuUs: number;
  readonly postgresCpuUs: number;
}

const clientPath = fileURLToPath(new URL('./api-load-client.ts', import.meta.url));

/** Runs one job in the load-client process (bench/api-load-client.ts) and returns its JSON line. */
async function inClient<T>(job: object): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', clientPath, JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`api-load-client exited ${code}: ${out}`);
  return JSON.parse(out) as T;
}

/** Open loop at ratePerS for `seconds` (latency from each request's scheduled start). */
/** CPU ms of every PostgreSQL server process (comm 'postgres') from /proc: the database's whole cost. */
function postgresCpuMs(): number {
  let ms = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ms += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return ms;
}

async function drive(label: string, url: string, token: string | undefined): Promise<Figures> {
  const gatewayBefore = process.cpuUsage();
  const postgresBefore = postgresCpuMs();
  const figures = await inClient<Omit<Figures, 'label' | 'gatewayCpuUs' | 'postgresCpuUs'>>({
    kind: 'drive',
    url,
    token,
    ratePerS,
    seconds,
  });
  const gatewayUsed = process.cpuUsage(gatewayBefore);
  const answered = Math.max(1, figures.sent - figures.failed);
  return {
    label,
    ...figures,
    gatewayCpuUs: (gatewayUsed.user + gatewayUsed.system) / answered,
    postgresCpuUs: ((postgresCpuMs() - postgresBefore) * 1000) / answered,
  };
}

/**
 * Closed loop for about a second with as many requests in flight as the gateway's PostgreSQL pool
 * has connections (pgPoolConnectionsMax): the route's capacity (requests/s). One request at a time
 * would be a floor that counts every database round trip as idle time.
 */
async function capacity(url: string, token: string | undefined): Promise<number> {
  const result = await inClient<{ perS: number }>({
    kind: 'capacity',
    url,
    token,
    inFlight: pgPoolConnectionsMax,
    seconds: 2,
  });
  return result.perS;
}

const bare = Fastify({ logger: false });
bare.get('/bare', async () => ({ ok: true }));
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

const seedStartMs = performance.now();
const fixture = await startApiFixture({ store: 'postgres' });
try {
  const gateway = fixture.hq.gateway;
  const template = await gateway.store.getStation('S1');
  if (template === undefined) throw new Error('the fixture enrols S1');
  for (let index = 0; index < stationCount - 3; index += 1) {
    const stationId = `M${String(index).padStart(5, '0')}`;
    await gateway.store.enrolStation({
      ...template,
      stationId,
      orgCode: `99${String(index).padStart(6, '0')}`,
      keyId: stationId,
    });
    await gateway.ops.setStationBranch(stationId, `B${(index % 40) + 1}`);
  }
  for (let index = 0; index < alertCount; index += 1)
    await gateway.ops.openAlert({
      kind: 'HQ_ALERT_STATION_OFFLINE',
      stationId: `M${String(index).padStart(5, '0')}`,
      detail: 'bench',
      openedAtMs: Date.now(),
      deliveryState: 'none',
    });
  const seedS = (performance.now() - seedStartMs) / 1000;
  const token = fixture.tokens.market;
  const routes: [string, string][] = [
    ['station list (first page of 50)', `${fixture.url}/api/v1/stations?limit=50&offset=0`],
    [
      "a station's page",
      `${fixture.url}/api/v1/stations/M${String(Math.floor((stationCount - 3) / 2)).padStart(5, '0')}`,
    ],
    ['open alerts (first page of 50)', `${fixture.url}/api/v1/alerts?limit=50&offset=0`],
  ];
  // BENCH_API_ONLY=alerts (a substring of a route's label) measures one route, e.g. under a profiler.
  const only = process.env.BENCH_API_ONLY;
  if (only !== undefined)
    routes.splice(0, routes.length, ...routes.filter(([label]) => label.includes(only)));
  for (const [, url] of routes) {
    const check = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (check.status !== 200) throw new Error(`${url}: ${check.status} ${await check.text()}`);
  }
  // Warm-up: JIT and connection pools, not measured.
  await drive('warm-up', `${bareUrl}/bare`, undefined);
  const results: Figures[] = [await drive('bare fastify route (baseline)', `${bareUrl}/bare`, undefined)];
  const saturated: string[] = [];
  const bareCapacity = await capacity(`${bareUrl}/bare`, undefined);
  const capacities: string[] = [
    `  ${'bare fastify route (baseline)'.padEnd(34)} capacity ${bareCapacity.toFixed(0)} req/s (${pgPoolConnectionsMax} in flight)`,
  ];
  for (const [label, url] of routes) {
    const perS = await capacity(url, token);
    capacities.push(
      `  ${label.padEnd(34)} capacity ${perS.toFixed(0)} req/s (${pgPoolConnectionsMax} in flight), ${(perS / bareCapacity).toFixed(2)} of the bare route's`,
    );
    if (perS < ratePerS)
      saturated.push(
        `  ${label.padEnd(34)} capacity ${perS.toFixed(0)} req/s with ${pgPoolConnectionsMax} in flight: below ${ratePerS} req/s, its queue grows (p99 is queueing)`,
      );
    // Driven at the target rate even when over capacity: the client waits for every answer before
    // the next route starts, so no backlog spills over.
    results.push(await drive(label, url, token));
  }
  const baseline = results[0] as Figures;
  console.log(
    `HQ API latency: ${stationCount} stations and ${alertCount} open alerts in PostgreSQL (seeded in ${seedS.toFixed(1)} s); ` +
      `${ratePerS} req/s open loop for ${seconds} s per route; load average ${(await import('node:os'))
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  for (const r of results)
    console.log(
      `  ${r.label.padEnd(34)} p50 ${r.p50Ms.toFixed(2).padStart(8)} ms  p99 ${r.p99Ms.toFixed(2).padStart(8)} ms  max ${r.maxMs
        .toFixed(1)
        .padStart(
          7,
        )} ms  sent ${r.sent} (${r.achievedPerS.toFixed(0)}/s) failed ${r.failed}  p99 ratio ${(r.p99Ms / baseline.p99Ms).toFixed(1)}  CPU/request gateway ${r.gatewayCpuUs.toFixed(0)} µs, PostgreSQL ${r.postgresCpuUs.toFixed(0)} µs`,
    );
  for (const line of saturated) console.log(line);
  console.log('capacity, closed loop:');
  for (const line of capacities) console.log(line);
} finally {
  await fixture.close();
  await bare.close();
}
