// npm run soak — 16 clients against the service (a child process on loopback) for a fixed number
// of requests: mostly good selfies at a few sizes, some with no face, some bad bodies. Samples the
// service's resident memory (RSS) and open file descriptors; passes when RSS grew less than 5 %
// from the end of the warm-up to the end, file descriptors did not grow, and no answer was a 500.
// Options: --requests=N (default 10000) --warmup=N (default 3000) --clients=N (default 16); the
// requests must outnumber the warm-up (with --warmup=0 the baseline is the service before the first).

import { landscapeJpeg, selfieJpeg } from '../test/helpers/faces';
import { harnessArgs, refuse } from './options';
import { openFds, rssBytes, startService } from './service';
import { largest } from './stats';

const CREDENTIAL = { appId: 'soak', apiKey: 'soak-key-0123456789', mode: 'live' as const };

const USAGE = `Usage: npm run soak [-- options]

Requests from several clients against the service; passes when its memory (RSS) grew less than 5 %
from the end of the warm-up to the end, its open file descriptors did not grow, and no answer was a 500.
  --requests=N  requests in all, more than the warm-up (default 10000)
  --warmup=N    requests before the baseline is measured (default 3000; 0: before the first)
  --clients=N   clients at a time (default 16)
  -h, --help    show this help
`;

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const { numbers } = harnessArgs('soak', {
    usage: USAGE,
    numbers: {
      requests: { fallback: 10000, min: 1, integer: true },
      warmup: { fallback: 3000, min: 0, integer: true },
      clients: { fallback: 16, min: 1, integer: true },
    },
  });
  const requests = numbers.requests!;
  const warmup = numbers.warmup!;
  const clients = numbers.clients!;
  // Growth is measured from the end of the warm-up: a run that never gets past it measures nothing.
  if (requests <= warmup) refuse('soak', `--requests (${requests}) must be more than --warmup (${warmup}).`, USAGE);
  const service = await startService({
    credentials: [CREDENTIAL],
    // Every client's request is queued rather than refused: the soak is about the engine's memory.
    maxQueue: clients,
    queueTimeoutMs: 60_000,
  });
  const pid = service.child.pid ?? -1;
  const headers = { 'content-type': 'application/json', 'App-ID': CREDENTIAL.appId, 'API-Key': CREDENTIAL.apiKey };
  const bodies = [
    JSON.stringify({ image: (await selfieJpeg('frontal', 640, 480)).toString('base64') }),
    JSON.stringify({ image: (await selfieJpeg('right', 320, 240)).toString('base64') }),
    JSON.stringify({ image: (await selfieJpeg('downward', 480, 360)).toString('base64'), validate_quality: true, validate_attribute: true }),
    JSON.stringify({ image: (await landscapeJpeg(320, 240)).toString('base64') }),
    JSON.stringify({ image: 'not base64!' }),
    '{"image":',
  ];

  const byStatus = new Map<number, number>();
  const samples: { done: number; rss: number; fds: number }[] = [];
  let sent = 0;
  let done = 0;
  let transportErrors = 0;
  let atWarmup: { rss: number; fds: number } | undefined;
  const started = Date.now();
  console.log(`facelive soak — ${requests} requests (${warmup} warm-up) from ${clients} clients, service pid ${pid} on ${service.base}`);
  const start = { done: 0, rss: rssBytes(pid), fds: openFds(pid) };
  samples.push(start);
  if (warmup === 0) atWarmup = start;
  console.log(`start: RSS ${mib(start.rss)}, ${start.fds} fds`);

  const sample = (): void => {
    const point = { done, rss: rssBytes(pid), fds: openFds(pid) };
    samples.push(point);
    if (done === warmup) atWarmup = point;
    process.stdout.write(`  ${String(done).padStart(6)} done: RSS ${mib(point.rss)}, ${point.fds} fds\n`);
  };

  const client = async (): Promise<void> => {
    while (sent < requests) {
      const body = bodies[sent % bodies.length];
      sent += 1;
      try {
        const res = await fetch(`${service.base}/v1/face/liveness`, { method: 'POST', headers, body });
        await res.arrayBuffer();
        byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      } catch {
        transportErrors += 1;
      }
      done += 1;
      if (done === warmup || done % 250 === 0) sample();
    }
  };
  await Promise.all(Array.from({ length: clients }, () => client()));
  // Idle keep-alive sockets of this client are not the service's leak: let them close first.
  await new Promise((resolve) => setTimeout(resolve, 6000));
  const end = { rss: rssBytes(pid), fds: openFds(pid) };
  const alive = service.alive();
  const exitCode = await service.stop();
  const seconds = (Date.now() - started) / 1000;

  // Set once `done` reached the warm-up, which the requests outnumber.
  const base = atWarmup!;
  const growth = (end.rss - base.rss) / base.rss;
  const peak = Math.max(largest(samples.map((point) => point.rss)), end.rss);
  const statuses = [...byStatus.entries()].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${status}: ${n}`).join(', ');
  console.log(`\n${done} requests in ${seconds.toFixed(0)} s (${(done / seconds).toFixed(1)}/s); answers by status: ${statuses}; transport errors: ${transportErrors}`);
  console.log(`RSS after warm-up ${mib(base.rss)}, at the end ${mib(end.rss)} (${(growth * 100).toFixed(2)} %), peak ${mib(peak)}`);
  console.log(`fds after warm-up ${base.fds}, at the end (idle) ${end.fds}`);
  console.log(`service crashed: ${alive ? 'no' : 'YES'}; exit code on SIGTERM: ${String(exitCode)}`);
  const ok = alive && exitCode === 0 && !byStatus.has(500) && transportErrors === 0 && growth < 0.05 && end.fds <= base.fds;
  console.log(ok ? 'PASS' : 'FAIL');
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
