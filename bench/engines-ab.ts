// `node dist/bench/engines-ab.js [other-checkout ...]`: the whole check on the 640x480 bench image by
// several engines in ONE process, interleaved check by check, so that a shared, noisy machine slows
// them all alike: this checkout with and without its worker threads, and the engines of any
// other checkouts given (e.g. a build of main, for a before/after). Prints medians and ratios.

import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Engine, EngineOptions } from '../core/engine-types';
import { selfieJpeg } from '../test/helpers/faces';
import { harnessArgs } from './options';

const USAGE = `Usage: node dist/bench/engines-ab.js [other-checkout...]

The whole check on the 640x480 bench image by this checkout's engine (with and without its worker
threads) and by those of other checkouts, each built with its model pack, interleaved check by check.
AB_ROUNDS (environment) sets the number of timed checks of each (default 150).
  -h, --help   show this help
`;

const ROUNDS = Number(process.env.AB_ROUNDS ?? 150);

async function main(others: readonly string[]): Promise<void> {
  const jpeg = await selfieJpeg('frontal', 640, 480);
  const load = (dir: string): { createEngine(o?: EngineOptions): Promise<Engine> } => require(path.resolve(dir, 'dist', 'core'));
  const here = path.resolve(__dirname, '..', '..');
  const engines: [string, Engine][] = [
    ...(await Promise.all(others.map(async (dir, i): Promise<[string, Engine]> => [`other ${i + 1} (${dir})`, await load(dir).createEngine()]))),
    ['this, liveness and pose in worker threads', await load(here).createEngine()],
    ['this, all models on the main thread', await load(here).createEngine({ workerThreads: false })],
  ];
  const times = engines.map(() => [] as number[]);
  for (let round = -10; round < ROUNDS; round++) {
    for (const [i, [, engine]] of engines.entries()) {
      const t = performance.now();
      await engine.check(jpeg);
      if (round >= 0) times[i]!.push(performance.now() - t);
    }
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  const base = median(times[0]!);
  process.stdout.write(`${os.cpus()[0]?.model.trim()}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}; ${ROUNDS} interleaved checks each, 640x480\n`);
  for (const [i, [name]] of engines.entries()) {
    const m = median(times[i]!);
    process.stdout.write(`${name.padEnd(48)} p50 ${m.toFixed(2)} ms  (${(m / base).toFixed(2)} x the first)\n`);
  }
  await Promise.all(engines.map(([, engine]) => engine.dispose()));
}

main(harnessArgs('engines-ab', { usage: USAGE, positionals: true }).positionals).catch((err: unknown) => {
  process.stderr.write(`engines-ab: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
