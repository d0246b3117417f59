// npm run bench:overload — the service (a child process on loopback, default back-pressure
// settings unless given: --maxInFlight= --maxQueue= --queueTimeoutMs=) under more clients than it
// has check slots, driven by autocannon: first one connection (the baseline p50), then
// --clients (default 64) connections for --seconds (default 15), each posting a 640x480 selfie
// again as soon as it has an answer (a 503 is not waited out: the worst case; with --retry-after,
// fetch clients wait a random time up to Retry-After after a 503 instead). Prints answers by
// status, the slowest answer, p50/p99 of the 200s and of the 503s, against the target: every answer
// a 200 or a 503 in under 2 s, p99 of the 200s within 3x the single-client p50. Repeat with
// --runs=N for medians. A benchmark, not a test: figures depend on the machine and its load.

import os from 'node:os';
import { selfieJpeg } from '../test/helpers/faces';
import { harnessArgs } from './options';
import { startService } from './service';
import { percentile as percentileOfSorted, slowestAnswer } from './stats';

const USAGE = `Usage: npm run bench:overload [-- options]

The service under more clients than it has check slots, after a 10 s single-connection baseline.
  --clients=N         connections (default 64)
  --seconds=N         length of the overload, in seconds (default 15)
  --runs=N            runs, for medians (default 1)
  --retry-after       clients wait a random time up to Retry-After after a 503
  --maxInFlight=N     the service's setting (default: its own)
  --maxQueue=N        the service's setting (default: its own)
  --queueTimeoutMs=N  the service's setting (default: its own)
  -h, --help          show this help
`;

const CREDENTIAL = { appId: 'overload', apiKey: 'overload-key-0123456789', mode: 'live' as const };

/** The part of autocannon's API used here (the package ships no types). */
interface Instance extends Promise<unknown> {
  on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void): void;
}
type Autocannon = (options: { url: string; method: 'POST'; headers: Record<string, string>; body: string; connections: number; duration: number; timeout?: number }) => Instance;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

/** Nearest-rank percentile (p in 0-100) of unsorted values; NaN for none. */
const percentile = (values: readonly number[], p: number): number => percentileOfSorted([...values].sort((a, b) => a - b), p);

const median = (values: readonly number[]): number => percentile(values, 50);

async function load(url: string, body: string, connections: number, seconds: number): Promise<Map<number, number[]>> {
  const byStatus = new Map<number, number[]>();
  const instance = autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'App-ID': CREDENTIAL.appId, 'API-Key': CREDENTIAL.apiKey },
    body,
    connections,
    duration: seconds,
    timeout: 30,
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    const list = byStatus.get(statusCode) ?? [];
    list.push(responseTime);
    byStatus.set(statusCode, list);
  });
  await instance;
  return byStatus;
}

/** Clients that honour Retry-After (a random wait up to it after a 503), as a well-behaved client would. */
async function politeLoad(url: string, body: string, clients: number, seconds: number): Promise<Map<number, number[]>> {
  const headers = { 'content-type': 'application/json', 'App-ID': CREDENTIAL.appId, 'API-Key': CREDENTIAL.apiKey };
  const byStatus = new Map<number, number[]>();
  const until = Date.now() + seconds * 1000;
  const client = async (): Promise<void> => {
    while (Date.now() < until) {
      const started = performance.now();
      const res = await fetch(url, { method: 'POST', headers, body });
      await res.arrayBuffer();
      const list = byStatus.get(res.status) ?? [];
      list.push(performance.now() - started);
      byStatus.set(res.status, list);
      if (res.status === 503) await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after') ?? 1) * 1000 * Math.random()));
    }
  };
  await Promise.all(Array.from({ length: clients }, () => client()));
  return byStatus;
}

async function main(): Promise<void> {
  const { numbers, flags } = harnessArgs('bench:overload', {
    usage: USAGE,
    numbers: {
      clients: { fallback: 64, min: 1, integer: true },
      seconds: { fallback: 15, min: 1, integer: true },
      runs: { fallback: 1, min: 1, integer: true },
      maxInFlight: { min: 1, integer: true },
      maxQueue: { min: 0, integer: true },
      queueTimeoutMs: { min: 0, integer: true },
    },
    flags: ['retry-after'],
  });
  const clients = numbers.clients!;
  const seconds = numbers.seconds!;
  const runs = numbers.runs!;
  const polite = flags.has('retry-after');
  const config: Record<string, unknown> = { credentials: [CREDENTIAL] };
  for (const key of ['maxInFlight', 'maxQueue', 'queueTimeoutMs']) {
    if (numbers[key] !== undefined) config[key] = numbers[key];
  }
  const service = await startService(config);
  const url = `${service.base}/v1/face/liveness`;
  const body = JSON.stringify({ image: (await selfieJpeg('frontal', 640, 480)).toString('base64') });
  const { credentials: _omit, ...shown } = config;
  console.log(`facelive bench:overload — ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg()[0].toFixed(1)}, Node ${process.version}, service config ${JSON.stringify(shown)}`);
  await load(url, body, 2, 3);

  const rows: { singleP50: number; p99: number; slowest: number; ok: number; busy: number; other: number }[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const single = await load(url, body, 1, 10);
    const singleP50 = median(single.get(200) ?? []);
    const result = polite ? await politeLoad(url, body, clients, seconds) : await load(url, body, clients, seconds);
    const ok = result.get(200) ?? [];
    const busy = result.get(503) ?? [];
    const other = [...result.entries()].filter(([status]) => status !== 200 && status !== 503).reduce((n, [, list]) => n + list.length, 0);
    const slowest = slowestAnswer(result);
    const p99 = percentile(ok, 99);
    rows.push({ singleP50, p99, slowest, ok: ok.length, busy: busy.length, other });
    console.log(
      `run ${run}: 1 connection p50 ${singleP50.toFixed(0)} ms | ${clients} connections, ${seconds} s: ${ok.length} x 200 (p50 ${median(ok).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms), ` +
        `${busy.length} x 503 (p50 ${median(busy).toFixed(0)} ms, p99 ${percentile(busy, 99).toFixed(0)} ms), ${other} other; slowest ${slowest.toFixed(0)} ms; p99(200)/p50(single) ${(p99 / singleP50).toFixed(2)}`,
    );
  }
  await service.stop();
  const slowest = median(rows.map((row) => row.slowest));
  const ratio = median(rows.map((row) => row.p99 / row.singleP50));
  console.log(`\nmedians over ${runs} run(s): slowest answer ${slowest.toFixed(0)} ms (target < 2000), p99 of 200s / single-client p50 ${ratio.toFixed(2)} (target <= 3), 200s per run ${median(rows.map((row) => row.ok))}, 503s ${median(rows.map((row) => row.busy))}, other ${rows.reduce((n, row) => n + row.other, 0)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
