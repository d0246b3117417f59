// npm run bench:http — autocannon against the service (examples/server) started in this process,
// posting a 640x480 selfie as JSON; prints requests/s and p50/p99 latency at concurrency 1, 4, 16.
// A benchmark, not a test: numbers depend on the machine. Load generator and server share one
// process (and event loop), so the figures are a lower bound for a dedicated server.

import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { createApp } from '../examples/server';
import { selfieJpeg } from '../test/helpers/faces';
import { harnessArgs } from './options';

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  connections: number;
  duration: number;
  pipelining?: number;
}) => Promise<AutocannonResult>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

const USAGE = `Usage: npm run bench:http

Requests/s and p50/p99 latency of the service (in this process) at concurrency 1, 4 and 16.
BENCH_DURATION_S (environment) sets the seconds of each run (default 10).
  -h, --help   show this help
`;

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONCURRENCY = [1, 4, 16];

async function main(): Promise<void> {
  harnessArgs('bench:http', { usage: USAGE });
  const credential = { appId: 'bench', apiKey: 'bench-key', mode: 'live' as const };
  // A queue that holds every connection: this measures throughput, not refusals (see bench:overload).
  const handle = createApp({ credentials: [credential], maxQueue: 64, queueTimeoutMs: 60_000, authFailures: false });
  const engine = await handle.liveness.ready();
  const server = handle.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/v1/face/liveness`;
  const image = await selfieJpeg('frontal', 640, 480);
  const body = JSON.stringify({ image: image.toString('base64') });
  const headers = { 'content-type': 'application/json', 'App-ID': credential.appId, 'API-Key': credential.apiKey };

  console.log(`facelive bench:http — pack ${engine.pack.name}@${engine.pack.version}, Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`);
  console.log(`POST ${(body.length / 1024).toFixed(0)} KiB JSON (640x480 JPEG selfie, default flags), ${DURATION_S} s per run\n`);

  // Warm-up: first inferences allocate buffers and JIT the pipeline.
  await autocannon({ url, method: 'POST', headers, body, connections: 2, duration: 2 });

  const rows: string[] = [];
  for (const connections of CONCURRENCY) {
    const result = await autocannon({ url, method: 'POST', headers, body, connections, duration: DURATION_S });
    const bad = result.non2xx + result.errors + result.timeouts;
    rows.push(
      [
        String(connections).padStart(11),
        result.requests.average.toFixed(1).padStart(10),
        `${result.latency.p50.toFixed(0)} ms`.padStart(9),
        `${result.latency.p99.toFixed(0)} ms`.padStart(9),
        String(result.requests.total).padStart(8),
        String(bad).padStart(6),
      ].join(' '),
    );
  }
  console.log(`${'concurrency'} ${'requests/s'.padStart(10)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'total'.padStart(8)} ${'non-2xx'.padStart(6)}`);
  for (const row of rows) console.log(row);

  await new Promise<void>((resolve) => server.close(() => resolve()));
  await handle.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
