// The api-latency bench's load generator, in a process of its own so that its HTTP client does not
// share the gateway's event loop (before 2026-12-06 it was the gateway process's own fetch, and the
// client's cost was counted in every route's capacity). Node's http with keep-alive sockets, no
// fetch: less client CPU per request. One job per run, given as JSON in argv[2]; prints one JSON
// line with the result on stdout.
//   {"kind":"capacity","url":…,"token":…,"inFlight":8,"seconds":1}
//     closed loop: inFlight requests always outstanding; requests/s over the time.
//   {"kind":"drive","url":…,"token":…,"ratePerS":500,"seconds":10}
//     open loop: request i is due at start + i / rate and its latency runs from that instant (no
//     coordinated omission); sorted latencies are summarised as p50 / p99 / max.
import http from 'node:http';

interface Job {
  readonly kind: 'capacity' | 'drive';
  readonly url: string;
  readonly token?: string;
  readonly inFlight?: number;
  readonly ratePerS?: number;
  readonly seconds: number;
}

const socketsMax = 256;
const job = JSON.parse(process.argv[2] ?? '{}') as Job;
if (!(job.kind === 'capacity' || job.kind === 'drive') || !(job.seconds > 0) || typeof job.url !== 'string')
  throw new Error('api-load-client: argv[2] must be a JSON job (kind, url, seconds)');

const agent = new http.Agent({ keepAlive: true, maxSockets: socketsMax });
const headers: Record<string, string> =
  job.token === undefined ? {} : { authorization: `Bearer ${job.token}` };
const target = new URL(job.url);

/** One GET; resolves with its status after the whole body arrived (0: the request failed). */
function get(): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, headers, agent },
      (response) => {
        response.on('data', () => {});
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', () => resolve(0));
      },
    );
    request.on('error', () => resolve(0));
  });
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

async function capacity(inFlight: number, seconds: number): Promise<object> {
  const start = performance.now();
  let count = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() - start < seconds * 1000 || count < 5) {
      if ((await get()) !== 200) failed += 1;
      count += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { perS: (count * 1000) / (performance.now() - start), count, failed };
}

async function drive(ratePerS: number, seconds: number): Promise<object> {
  const total = Math.round(ratePerS * seconds);
  const intervalMs = 1000 / ratePerS;
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  let failed = 0;
  let sent = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs) + 1);
      for (; sent < due; sent += 1) {
        const scheduledMs = start + sent * intervalMs;
        inFlight.push(
          get().then((status) => {
            if (status !== 200) failed += 1;
            else latencies.push(performance.now() - scheduledMs);
          }),
        );
      }
      if (sent >= total) resolve();
      else setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - start) / 1000;
  const sorted = latencies.sort((a, b) => a - b);
  return {
    sent,
    failed,
    achievedPerS: sent / elapsedS,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? Number.NaN,
  };
}

const result =
  job.kind === 'capacity'
    ? await capacity(job.inFlight ?? 8, job.seconds)
    : await drive(job.ratePerS ?? 500, job.seconds);
agent.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
