// The evaluation plot: a DET curve (APCER vs BPCER, log-log, operating point marked) beside a score
// histogram per class, attribute probability histograms, and TP/FP/FN bars per quality measure, as a
// Vega-Lite spec rendered to SVG in Node (vega View.toSVG), and to PNG with sharp. vega and vega-lite
// are loaded only when a plot is asked for.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FlagThreshold } from './groups';
import type { FlagSample, ScoredSample } from './metrics';
import { quote } from '../quote';
import { detCurve, operatingPoint } from './metrics';

const PLOTTING_NEEDS = 'Plotting needs the packages vega and vega-lite (npm install --save-dev vega vega-lite).';

/** vega and vega-lite are ES modules with top-level await: only a real import() loads them from CommonJS. */
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

interface VegaLite { compile(spec: unknown): { spec: unknown } }
interface Vega {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: string }) => { toSVG(): Promise<string>; finalize(): void };
}

const BIN_STEP = 0.05;
const MARK = '#d62728';

function classOf(s: ScoredSample): string {
  return s.label === 'live' ? 'live' : `spoof_${s.species || 'unknown'}`;
}

/** An attribute sample as plotted: its probabilities (null for a non-response) and the truth. */
export interface AttributeSample {
  readonly scores?: Readonly<Record<string, number>> | null;
  readonly truth: readonly string[];
}

export interface PlotInput {
  /** Liveness samples and the threshold to mark: a DET curve and a histogram per class. */
  readonly liveness?: { readonly samples: readonly ScoredSample[]; readonly threshold: number };
  /** Attribute samples and thresholds: a histogram per attribute, images that carry it vs not. */
  readonly attributes?: { readonly samples: readonly AttributeSample[]; readonly thresholds: Readonly<Record<string, FlagThreshold>> };
  /** Quality samples and the measures to show: TP/FP/FN bars per measure. */
  readonly quality?: { readonly samples: readonly FlagSample[]; readonly names: readonly string[] };
}

/** DET curve beside per-class histograms. Rates of 0 cannot sit on a log axis: they are drawn at the floor (half a sample). */
function livenessPanels(samples: readonly ScoredSample[], threshold: number): Record<string, unknown>[] {
  const scored = samples.filter((s) => s.score !== null);
  const nLive = scored.filter((s) => s.label === 'live').length;
  const floor = 0.5 / Math.max(1, nLive, scored.length - nLive);
  const clamp = (v: number): number => Math.max(floor, v);
  const det = detCurve(scored)
    .filter((p) => !Number.isNaN(p.apcer) && !Number.isNaN(p.bpcer))
    .map((p) => ({ apcer: clamp(p.apcer), bpcer: clamp(p.bpcer) }));
  const op = operatingPoint(scored, threshold);
  const point = Number.isNaN(op.apcer_pooled) || Number.isNaN(op.bpcer) ? []
    : [{ apcer: clamp(op.apcer_pooled), bpcer: clamp(op.bpcer), label: `t = ${threshold.toFixed(3)}` }];
  const scores = scored.map((s) => ({ score: s.score as number, class: classOf(s) }));
  const axis = { type: 'log', domain: [floor, 1], nice: false };
  const xy = { x: { field: 'apcer', type: 'quantitative' }, y: { field: 'bpcer', type: 'quantitative' } };
  return [
    {
      title: { text: 'DET curve (pooled APCER)', subtitle: `a rate of 0 is drawn at ${floor.toPrecision(2)}` },
      width: 360,
      height: 360,
      layer: [
        {
          data: { values: det },
          mark: { type: 'line', point: { size: 12 } },
          encoding: {
            x: { field: 'apcer', type: 'quantitative', scale: axis, title: 'APCER (attacks accepted)' },
            y: { field: 'bpcer', type: 'quantitative', scale: axis, title: 'BPCER (live rejected)' },
            order: { field: 'apcer', sort: 'descending' },
          },
        },
        { data: { values: point }, mark: { type: 'point', filled: true, size: 120, color: MARK }, encoding: xy },
        {
          data: { values: point },
          mark: { type: 'text', align: 'left', dx: 8, dy: -8, color: MARK },
          encoding: { ...xy, text: { field: 'label' } },
        },
      ],
    },
    histogram(`Live probability per class (threshold ${threshold.toFixed(3)})`, scores, 'class', 'class', { datum: threshold }),
  ];
}

/** One histogram per attribute: scores of images that carry it and of those that do not. */
function attributePanels(samples: readonly AttributeSample[], thresholds: Readonly<Record<string, FlagThreshold>>): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const s of samples) {
    if (!s.scores) continue;
    for (const [name, threshold] of Object.entries(thresholds)) {
      if (typeof threshold !== 'number') continue;
      rows.push({ attribute: name, score: s.scores[name], threshold, truth: s.truth.includes(name) ? 'carries it' : 'does not' });
    }
  }
  return [histogram('Attribute probability (dashed: threshold)', rows, 'attribute', 'truth', { aggregate: 'min', field: 'threshold', type: 'quantitative' })];
}

/** Per measure, a bar of its true positives, false positives and false negatives (true negatives left out). */
function outcomePanel(title: string, samples: readonly FlagSample[], names: readonly string[]): Record<string, unknown> {
  const rows: { name: string; outcome: string }[] = [];
  for (const s of samples) {
    if (s.flagged === null) continue;
    for (const name of names) {
      const present = s.truth.includes(name);
      const outcome = s.flagged[name] ? (present ? 'TP' : 'FP') : present ? 'FN' : null;
      if (outcome) rows.push({ name, outcome });
    }
  }
  return {
    title,
    data: { values: rows },
    width: 320,
    height: { step: 18 },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'name', type: 'nominal', sort: names, scale: { domain: names }, title: null },
      x: { aggregate: 'count', type: 'quantitative', title: 'images', axis: { tickMinStep: 1 } },
      color: { field: 'outcome', type: 'nominal', scale: { domain: ['TP', 'FP', 'FN'], range: ['#2ca02c', MARK, '#ff7f0e'] }, legend: { title: null, orient: 'top' } },
    },
  };
}

/** Histograms of `score` faceted in rows by `row`, coloured by `colour`, with a threshold rule. */
function histogram(title: string, values: unknown[], row: string, colour: string, ruleX: Record<string, unknown>): Record<string, unknown> {
  return {
    title,
    data: { values },
    facet: { row: { field: row, type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 320,
      height: 70,
      layer: [
        {
          mark: { type: 'bar', opacity: 0.75 },
          encoding: {
            x: { field: 'score', type: 'quantitative', bin: { extent: [0, 1], step: BIN_STEP }, title: 'probability' },
            y: { aggregate: 'count', type: 'quantitative', title: 'images', stack: null },
            color: { field: colour, type: 'nominal', legend: colour === row ? null : { title: null, orient: 'top' } },
          },
        },
        { mark: { type: 'rule', color: MARK, strokeDash: [4, 3] }, encoding: { x: ruleX } },
      ],
    },
  };
}

/** The Vega-Lite spec: liveness panels, then attribute and quality panels, side by side. */
export function plotSpec(input: PlotInput, title = 'facelive eval'): Record<string, unknown> {
  const panels = [
    ...(input.liveness ? livenessPanels(input.liveness.samples, input.liveness.threshold) : []),
    ...(input.attributes ? attributePanels(input.attributes.samples, input.attributes.thresholds) : []),
    ...(input.quality ? [outcomePanel('Quality problems at the pack\'s thresholds', input.quality.samples, input.quality.names)] : []),
  ];
  if (panels.length === 0) throw new TypeError('Nothing to plot: no liveness, attribute or quality samples.');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    background: 'white',
    config: { font: 'DejaVu Sans' },
    hconcat: panels,
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  };
}

/** Renders the spec to SVG text. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  let vega: Vega;
  let vl: VegaLite;
  try {
    vega = (await importEsm('vega')) as Vega;
    vl = (await importEsm('vega-lite')) as VegaLite;
  } catch (err) {
    throw new Error(PLOTTING_NEEDS, { cause: err });
  }
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Whether vega and vega-lite can be loaded (they are devDependencies: an installed facelive lacks them). */
async function plottingAvailable(): Promise<boolean> {
  try {
    await importEsm('vega');
    await importEsm('vega-lite');
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `file` cannot take a plot (not .png or .svg, no folder to write it in, or no vega to draw
 * it with), or undefined when it can.
 */
export async function plotFileProblem(file: string): Promise<string | undefined> {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') return `Expected a .png or .svg file for --plot but received ${quote(file)}.`;
  if (!(await plottingAvailable())) return PLOTTING_NEEDS;
  const folder = await fs.stat(path.dirname(path.resolve(file))).catch(() => null);
  if (!folder?.isDirectory()) return `The folder of --plot ${quote(file)} does not exist.`;
  const existing = await fs.stat(file).catch(() => null);
  if (existing !== null && !existing.isFile()) return `--plot ${quote(file)} exists and is not a file.`;
  return undefined;
}

/** Writes the plot to `file`: .svg as is, .png through sharp. */
export async function writePlot(file: string, input: PlotInput, title?: string): Promise<void> {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new TypeError(`Expected a .png or .svg file for --plot but received ${quote(file)}.`);
  const svg = await renderSvg(plotSpec(input, title));
  if (ext === '.svg') {
    await fs.writeFile(file, svg);
    return;
  }
  const sharp = (await import('sharp')).default;
  await sharp(Buffer.from(svg), { density: 144 }).png().toFile(file);
}
