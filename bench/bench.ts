// `npm run bench`: engine start-up, peak RSS, and per-stage and whole-check latency (median, p95) on
// single-face JPEGs at 640x480, 1280x960, 1920x1080 and 1080x1920 (portrait), warm-up excluded; then the same images through
// @vladmandic/human (WASM: detection + antispoof + liveness) and the ratio human / facelive for the
// comparable part (facelive detect + liveness, timed in checks with only liveness on). The two are
// timed interleaved, one of each in turn, so that a shared machine's changing load falls on both
// alike. Prints a table, or with --json only the JSON report.
// A measurement tool, never a timed test.

import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Engine } from '../core';
import { selfieJpeg } from '../test/helpers/faces';
import { createHumanRunner, type HumanRunner } from './human';
import { harnessArgs } from './options';
import { percentile } from './stats';

const SIZES: readonly [number, number][] = [[640, 480], [1280, 960], [1920, 1080], [1080, 1920]];
const STAGES = ['decode', 'detect', 'landmarks', 'pose', 'liveness', 'quality', 'attributes'] as const;
const WARMUP = 5;
/** The sections of a check comparable with human's detection + antispoof + liveness. */
const LIVENESS_ONLY = { is_quality: false, is_attribute: false, is_liveness: true };
const MIN_RUNS = 15;
const MAX_RUNS = 200;
/** Per size and measurement: stop adding runs after this long (keeps the whole bench well under 5 minutes). */
const BUDGET_MS = 15_000;

type Stage = typeof STAGES[number];
interface Summary { p50: number; p95: number; runs: number }

export interface BenchReport {
  /** Wall time of engine.check(jpeg) with the default options (every section on), per image size. */
  check_ms: Record<string, Summary>;
  stages_ms: Record<string, Partial<Record<Stage | 'detect+liveness', Summary>>>;
  /** Loading the library and createEngine() (its warm-up included unless warm_up is false), in ms. */
  startup_ms: number;
  /** Whether createEngine() warmed the engine up (false with --no-warm-up). */
  warm_up: boolean;
  /** The first check after createEngine() resolved (640x480), in ms: one sample. */
  first_check_ms: number;
  /** Peak resident set size of the process after the facelive runs (before human is loaded), in MB. */
  rss_mb: number;
  human?: {
    backend: string;
    /** Loading Human, its WASM backend and its three models, in ms. */
    startup_ms: number;
    /** human.detect() on a decoded image tensor: detection + antispoof + liveness. */
    check_ms: Record<string, Summary>;
    /** Per size: human p50 / facelive (detect + liveness) p50. */
    ratios: Record<string, number>;
    /** Geometric mean of the per-size ratios. */
    ratio: number;
  };
  human_error?: string;
  /** Where it was measured: absolute times differ by machine, ratios within one run much less. */
  environment: { node: string; platform: string; cpu_model: string; cpus: number; load_avg_1m: number };
}

function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number): number => Math.round(v * 100) / 100;
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), runs: values.length };
}

/** Runs `once` WARMUP times untimed, then at least MIN_RUNS and at most MAX_RUNS times within BUDGET_MS. */
async function repeat<T>(once: () => Promise<T>): Promise<T[]> {
  for (let i = 0; i < WARMUP; i++) await once();
  const out: T[] = [];
  const start = performance.now();
  while (out.length < MIN_RUNS || (out.length < MAX_RUNS && performance.now() - start < BUDGET_MS)) out.push(await once());
  return out;
}

const label = ([w, h]: [number, number]): string => `${w}x${h}`;

async function benchFacelive(engine: Engine, images: Map<string, Buffer>): Promise<Pick<BenchReport, 'check_ms' | 'stages_ms'>> {
  const check_ms: Record<string, Summary> = {};
  const stages_ms: BenchReport['stages_ms'] = {};
  for (const [size, jpeg] of images) {
    const runs = await repeat(async () => {
      const t = performance.now();
      const result = await engine.check(jpeg);
      const wall = performance.now() - t;
      if (result.data.nface !== 1) throw new Error(`Expected one face in the ${size} bench image, found ${result.data.nface}.`);
      return { wall, timings: result.data.timings_ms as Record<Stage, number> | undefined };
    });
    check_ms[size] = summarize(runs.map((r) => r.wall));
    const timed = runs.filter((r) => r.timings !== undefined).map((r) => r.timings as Record<Stage, number>);
    if (timed.length === runs.length) {
      const stages: Partial<Record<Stage | 'detect+liveness', Summary>> = {};
      for (const stage of STAGES) stages[stage] = summarize(timed.map((t) => t[stage]));
      stages_ms[size] = stages;
    }
  }
  return { check_ms, stages_ms };
}

/** Detect + liveness of a check with only liveness on (the part comparable with human's), in ms. */
async function detectAndLiveness(engine: Engine, jpeg: Buffer): Promise<number> {
  const t = (await engine.check(jpeg, LIVENESS_ONLY)).data.timings_ms as Record<Stage, number> | undefined;
  if (!t) throw new Error('The check reported no timings.');
  return t.detect + t.liveness;
}

/**
 * The comparable part, per size: facelive's detect + liveness in liveness-only checks and, when a
 * human runner is given, human.detect() on the same image, timed in turn (facelive, human, facelive,
 * ...) so that both see the same load. Writes facelive's into stages_ms; returns human's figures.
 */
async function benchComparable(engine: Engine, images: Map<string, Buffer>, stages_ms: BenchReport['stages_ms'], runner: HumanRunner | undefined): Promise<NonNullable<BenchReport['human']> | undefined> {
  const check_ms: Record<string, Summary> = {};
  const ratios: Record<string, number> = {};
  for (const [size, jpeg] of images) {
    const pairs = await repeat(async () => {
      const ours = await detectAndLiveness(engine, jpeg);
      const theirs = runner ? await runner.detect(jpeg) : undefined;
      if (theirs && theirs.faces < 1) throw new Error(`Human found no face in the ${size} bench image.`);
      return { ours, theirs: theirs?.ms };
    });
    const ours = summarize(pairs.map((p) => p.ours));
    const stages = stages_ms[size];
    if (stages) stages['detect+liveness'] = ours;
    if (runner) {
      check_ms[size] = summarize(pairs.map((p) => p.theirs!));
      ratios[size] = Math.round((check_ms[size].p50 / ours.p50) * 100) / 100;
    }
  }
  if (!runner) return undefined;
  const values = Object.values(ratios);
  const ratio = values.length ? Math.round(Math.exp(values.reduce((s, r) => s + Math.log(r), 0) / values.length) * 100) / 100 : NaN;
  return { backend: runner.backend, startup_ms: Math.round(runner.startupMs), check_ms, ratios, ratio };
}

function formatTable(r: BenchReport): string {
  const sizes = Object.keys(r.check_ms);
  const cell = (s: Summary | undefined): string => (s ? `${s.p50.toFixed(1)} / ${s.p95.toFixed(1)}` : 'n/a');
  const rows: string[][] = [['ms (p50 / p95)', ...sizes]];
  for (const stage of [...STAGES, 'detect+liveness'] as const) rows.push([`facelive ${stage}${stage === 'detect+liveness' ? ' (liveness-only checks)' : ''}`, ...sizes.map((s) => cell(r.stages_ms[s]?.[stage]))]);
  rows.push(['facelive whole check', ...sizes.map((s) => cell(r.check_ms[s]))]);
  if (r.human) {
    rows.push([`human detect+antispoof+liveness (${r.human.backend})`, ...sizes.map((s) => cell(r.human?.check_ms[s]))]);
    rows.push(['ratio human / facelive detect+liveness', ...sizes.map((s) => (r.human?.ratios[s] ?? NaN).toFixed(2))]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) => row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '));
  const runs = sizes.map((s) => `${s}: ${r.check_ms[s].runs}`).join(', ');
  return [
    `facelive bench on ${r.environment.cpu_model}, ${r.environment.cpus} CPUs (load ${r.environment.load_avg_1m} at start), Node ${r.environment.node}, ${r.environment.platform}`,
    `runs after ${WARMUP} warm-up: ${runs}`,
    ...lines,
    `engine start-up ${r.startup_ms.toFixed(0)} ms (${r.warm_up ? 'warm-up included' : 'without warm-up'}), first check ${r.first_check_ms} ms, peak RSS ${r.rss_mb.toFixed(0)} MB` +
      (r.human ? `; human start-up ${r.human.startup_ms} ms, ratio (geometric mean) ${r.human.ratio.toFixed(2)}` : ''),
    ...(r.human_error ? [`human: not measured (${r.human_error})`] : []),
  ].join('\n') + '\n';
}

/** The machine the figures come from: CPU model, logical cores, and the load when the bench started. */
function machine(): BenchReport['environment'] {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    load_avg_1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

export async function runBench(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json');
  // The load of the machine before the bench adds its own.
  const environment = machine();
  const images = new Map<string, Buffer>();
  for (const size of SIZES) images.set(label(size), await selfieJpeg('frontal', size[0], size[1]));

  // Start-up: loading the library (onnxruntime's native binding included) and createEngine().
  const t = performance.now();
  const { createEngine } = require('../core') as typeof import('../core');
  const warmUp = !argv.includes('--no-warm-up');
  const engine = await createEngine({ warmUp });
  const startup_ms = Math.round(performance.now() - t);
  let report: BenchReport;
  try {
    const first = performance.now();
    await engine.check(images.get('640x480')!);
    const first_check_ms = Math.round(performance.now() - first);
    const facelive = await benchFacelive(engine, images);
    // Peak RSS of the process so far: facelive only, measured before human is loaded.
    const rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
    report = { ...facelive, startup_ms, warm_up: warmUp, first_check_ms, rss_mb, environment };
    let runner: HumanRunner | undefined;
    try {
      runner = await createHumanRunner();
    } catch (err) {
      report.human_error = (err as Error).message;
    }
    try {
      const human = await benchComparable(engine, images, report.stages_ms, runner);
      if (human) report.human = human;
    } catch (err) {
      if (!runner) throw err;
      // Human failed on an image: facelive's comparable part alone.
      report.human_error = (err as Error).message;
      await benchComparable(engine, images, report.stages_ms, undefined);
    }
  } finally {
    await engine.dispose();
  }
  process.stdout.write(json ? JSON.stringify(report, null, 2) + '\n' : formatTable(report));
  return 0;
}

const USAGE = `Usage: npm run bench [-- --json] [-- --no-warm-up]

Speed of each stage and of the whole check on generated selfies, and of @vladmandic/human's comparable part.
  --json        print the report as JSON (npm run -s bench -- --json: without npm's banner)
  --no-warm-up  load the engine without its warm-up (createEngine({ warmUp: false })), to compare
  -h, --help    show this help
`;

if (require.main === module) {
  const { flags } = harnessArgs('bench', { usage: USAGE, flags: ['json', 'no-warm-up'] });
  runBench([...flags].map((flag) => `--${flag}`)).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
