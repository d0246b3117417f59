// ISO/IEC 30107-3 presentation-attack metrics, and precision/recall per flag (attributes, quality
// problems), from scored samples.
// Pure functions, no I/O. A rate whose denominator is 0 is NaN (JSON writers turn it into null).
//
// Conventions:
// - A sample is accepted as live when score >= threshold, so samples with equal scores always fall on
//   the same side: the only thresholds that matter are the distinct scores, plus +Infinity (reject
//   everything). Every curve and search below runs over exactly those candidates.
// - A sample whose score is null is a non-response (the engine gave no score, e.g. no face found). It is
//   counted separately and left out of every rate.

import { describeValue } from '../value-kind';
import { betaQuantile, CONFIDENCE, type Interval } from './interval';

/** One liveness sample: the engine's live probability, or null for a non-response. */
export interface ScoredSample {
  readonly score: number | null;
  readonly label: 'live' | 'attack';
  /** Attack species (PAI species), e.g. 'print'. Ignored for live samples. */
  readonly species?: string;
}

export interface Counts {
  /** Samples with a score. */
  readonly scored: number;
  /** Samples without one (non-responses). */
  readonly non_responses: number;
}

/** Rates at one threshold. */
export interface OperatingPoint {
  readonly threshold: number;
  /** Per species: attacks accepted / scored attacks of that species (NaN when none). */
  readonly apcer_by_species: Readonly<Record<string, number>>;
  /** Max APCER over species that have scored attacks (NaN when no species has any). */
  readonly apcer_max: number;
  /** All attacks accepted / all scored attacks (NaN when none). */
  readonly apcer_pooled: number;
  /** Live rejected / scored live (NaN when none). */
  readonly bpcer: number;
  /** (apcer_max + bpcer) / 2. */
  readonly acer: number;
}

/** A DET curve point. threshold = Infinity is the reject-everything point. */
export interface DetPoint {
  readonly threshold: number;
  /** Pooled APCER. */
  readonly apcer: number;
  readonly apcer_max: number;
  readonly bpcer: number;
}

export interface Eer {
  /** The rate where pooled APCER = BPCER, linearly interpolated between the two DET points around it. */
  readonly eer: number;
  /** The threshold at that point, interpolated the same way (the finite one when the other is Infinity). */
  readonly threshold: number;
}

/** The point of a threshold search: its threshold and the rates there. */
export interface SearchPoint {
  readonly threshold: number;
  readonly apcer: number;
  readonly apcer_max: number;
  readonly bpcer: number;
}

/** Scored samples grouped for fast sweeps. */
interface Sweep {
  /** Distinct scores ascending, then Infinity. */
  readonly thresholds: number[];
  /** accepted[k]: live and per-species attack counts with score >= thresholds[k]. */
  readonly liveAccepted: number[];
  readonly attackAccepted: Map<string, number[]>;
  readonly live: number;
  readonly attacks: Map<string, number>;
  readonly attackTotal: number;
}

const DEFAULT_SPECIES = 'unknown';

function speciesOf(sample: ScoredSample): string {
  return sample.species === undefined || sample.species === '' ? DEFAULT_SPECIES : sample.species;
}

function checkSample(sample: ScoredSample, index: number): void {
  if (sample.label !== 'live' && sample.label !== 'attack') {
    throw new TypeError(`Expected 'live' or 'attack' for samples[${index}].label but received ${describeValue(sample.label)}.`);
  }
  if (sample.score !== null && !(typeof sample.score === 'number' && Number.isFinite(sample.score))) {
    throw new TypeError(`Expected a finite number or null for samples[${index}].score but received ${describeValue(sample.score)}.`);
  }
}

function ratio(num: number, den: number): number {
  return den === 0 ? NaN : num / den;
}

/** Max over the non-NaN values; NaN when there are none. */
function maxDefined(values: Iterable<number>): number {
  let best = NaN;
  for (const v of values) if (!Number.isNaN(v) && !(v <= best)) best = v;
  return best;
}

function buildSweep(samples: readonly ScoredSample[], species: readonly string[]): Sweep {
  samples.forEach(checkSample);
  const scored = samples.filter((s) => s.score !== null) as (ScoredSample & { score: number })[];
  const distinct = [...new Set(scored.map((s) => s.score))].sort((a, b) => a - b);
  const thresholds = [...distinct, Infinity];
  const index = new Map(distinct.map((v, i) => [v, i]));
  const speciesNames = new Set(species);
  for (const s of scored) if (s.label === 'attack') speciesNames.add(speciesOf(s));

  // Histogram per score, then suffix sums: accepted at thresholds[k] = count of scores >= thresholds[k].
  const suffix = (hist: number[]): number[] => {
    const out = new Array<number>(thresholds.length).fill(0);
    for (let k = distinct.length - 1; k >= 0; k--) out[k] = out[k + 1] + hist[k];
    return out;
  };
  const liveHist = new Array<number>(distinct.length).fill(0);
  const attackHist = new Map([...speciesNames].map((n) => [n, new Array<number>(distinct.length).fill(0)]));
  const attacks = new Map([...speciesNames].map((n) => [n, 0]));
  let live = 0;
  for (const s of scored) {
    const k = index.get(s.score) as number;
    if (s.label === 'live') {
      liveHist[k] += 1;
      live += 1;
    } else {
      const name = speciesOf(s);
      (attackHist.get(name) as number[])[k] += 1;
      attacks.set(name, (attacks.get(name) as number) + 1);
    }
  }
  const attackAccepted = new Map([...attackHist].map(([n, h]) => [n, suffix(h)]));
  const attackTotal = [...attacks.values()].reduce((a, b) => a + b, 0);
  return { thresholds, liveAccepted: suffix(liveHist), attackAccepted, live, attacks, attackTotal };
}

function pointAt(sweep: Sweep, k: number): DetPoint & { apcer_by_species: Record<string, number> } {
  const apcer_by_species: Record<string, number> = {};
  let accepted = 0;
  for (const [name, acc] of sweep.attackAccepted) {
    apcer_by_species[name] = ratio(acc[k], sweep.attacks.get(name) as number);
    accepted += acc[k];
  }
  return {
    threshold: sweep.thresholds[k],
    apcer: ratio(accepted, sweep.attackTotal),
    apcer_max: maxDefined(Object.values(apcer_by_species)),
    bpcer: ratio(sweep.live - sweep.liveAccepted[k], sweep.live),
    apcer_by_species,
  };
}

/** Index of the first candidate threshold >= t (the candidate that decides exactly as t does). */
function candidateFor(sweep: Sweep, t: number): number {
  let lo = 0;
  let hi = sweep.thresholds.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sweep.thresholds[mid] >= t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Scored / non-response counts for live, all attacks, and each species. */
export function countSamples(samples: readonly ScoredSample[], species: readonly string[] = []): {
  live: Counts; attack: Counts; by_species: Record<string, Counts>;
} {
  samples.forEach(checkSample);
  const blank = (): { scored: number; non_responses: number } => ({ scored: 0, non_responses: 0 });
  const live = blank();
  const attack = blank();
  const by_species: Record<string, { scored: number; non_responses: number }> = {};
  for (const name of species) by_species[name] = blank();
  for (const s of samples) {
    const key = s.score === null ? 'non_responses' : 'scored';
    if (s.label === 'live') {
      live[key] += 1;
    } else {
      attack[key] += 1;
      const name = speciesOf(s);
      by_species[name] ??= blank();
      by_species[name][key] += 1;
    }
  }
  return { live, attack, by_species };
}

/**
 * APCER per species, max APCER, pooled APCER, BPCER and ACER at threshold t.
 * `species` lists species to report even when they have no scored attack (their APCER is NaN).
 */
export function operatingPoint(samples: readonly ScoredSample[], threshold: number, species: readonly string[] = []): OperatingPoint {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw new TypeError(`Expected a number for threshold but received ${describeValue(threshold)}.`);
  }
  const sweep = buildSweep(samples, species);
  const p = pointAt(sweep, candidateFor(sweep, threshold));
  return {
    threshold,
    apcer_by_species: p.apcer_by_species,
    apcer_max: p.apcer_max,
    apcer_pooled: p.apcer,
    bpcer: p.bpcer,
    acer: (p.apcer_max + p.bpcer) / 2,
  };
}

/** The DET curve: one point per distinct score (ascending), then the reject-everything point (Infinity). */
export function detCurve(samples: readonly ScoredSample[], species: readonly string[] = []): DetPoint[] {
  const sweep = buildSweep(samples, species);
  return sweep.thresholds.map((_, k) => {
    const { threshold, apcer, apcer_max, bpcer } = pointAt(sweep, k);
    return { threshold, apcer, apcer_max, bpcer };
  });
}

/**
 * Equal error rate on pooled APCER: the first pair of consecutive DET points where APCER - BPCER goes
 * from >= 0 to <= 0, interpolated linearly. NaN (both fields) when either class has no scored sample.
 */
export function equalErrorRate(samples: readonly ScoredSample[]): Eer {
  const curve = detCurve(samples);
  if (curve.length === 0 || Number.isNaN(curve[0].apcer) || Number.isNaN(curve[0].bpcer)) {
    return { eer: NaN, threshold: NaN };
  }
  for (let k = 0; k < curve.length; k++) {
    const a = curve[k];
    const d0 = a.apcer - a.bpcer;
    if (d0 === 0) return { eer: a.apcer, threshold: a.threshold };
    const b = curve[k + 1];
    if (b === undefined) break;
    const d1 = b.apcer - b.bpcer;
    if (d0 > 0 && d1 <= 0) {
      const alpha = d0 / (d0 - d1);
      const eer = a.apcer + alpha * (b.apcer - a.apcer);
      const threshold = Number.isFinite(b.threshold) ? a.threshold + alpha * (b.threshold - a.threshold) : a.threshold;
      return { eer, threshold };
    }
  }
  // Unreachable: the curve starts at APCER = 1, BPCER = 0 and ends at APCER = 0, BPCER = 1.
  return { eer: NaN, threshold: NaN };
}

/**
 * BPCER at APCER = target: the smallest BPCER among thresholds whose APCER <= target, with that
 * threshold (the smallest such). `apcer` picks max-over-species APCER (ISO's per-species reading,
 * the default) or pooled APCER. Null when there are no scored attacks or no scored live samples.
 */
export function bpcerAtApcer(
  samples: readonly ScoredSample[],
  target: number,
  apcer: 'max' | 'pooled' = 'max',
): SearchPoint | null {
  if (!(target >= 0 && target <= 1)) throw new TypeError(`Expected a rate in [0,1] for target but received ${describeValue(target)}.`);
  const curve = detCurve(samples);
  if (curve.length === 0 || Number.isNaN(curve[0].apcer) || Number.isNaN(curve[0].bpcer)) return null;
  // APCER only falls as the threshold rises, BPCER only rises: the first point under target is best.
  const hit = curve.find((p) => (apcer === 'max' ? p.apcer_max : p.apcer) <= target) as DetPoint;
  return { threshold: hit.threshold, apcer: hit.apcer, apcer_max: hit.apcer_max, bpcer: hit.bpcer };
}

/**
 * Calibration: the largest threshold whose BPCER <= target (so APCER is as low as that BPCER allows).
 * It is always a live sample's score. Null when there is no scored live sample.
 */
export function calibrateThreshold(samples: readonly ScoredSample[], targetBpcer: number): SearchPoint | null {
  if (!(targetBpcer >= 0 && targetBpcer < 1)) {
    throw new TypeError(`Expected a rate in [0,1) for targetBpcer but received ${describeValue(targetBpcer)}.`);
  }
  const curve = detCurve(samples);
  if (curve.length === 0 || Number.isNaN(curve[0].bpcer)) return null;
  let best: DetPoint = curve[0];
  for (const p of curve) if (p.bpcer <= targetBpcer) best = p;
  return { threshold: best.threshold, apcer: best.apcer, apcer_max: best.apcer_max, bpcer: best.bpcer };
}

/** 'calibration_faces': BPCER <= target on the faces calibrated on; 'new_faces': expected BPCER <= target on new faces. */
export type CalibrationRule = 'calibration_faces' | 'new_faces';

/** Live samples the new-faces rule needs for a target: (r + 1) / (n + 1) <= target with r = 0. */
export function liveNeededForNewFaces(targetBpcer: number): number {
  return Math.ceil(1 / targetBpcer - 1 - 1e-9);
}

/**
 * Calibration for new faces: the largest threshold whose expected BPCER on new live faces of the same
 * cameras, (r + 1) / (n + 1) with r of the n live scores below it, is at most the target (the
 * split-conformal rule). It is the (r + 1)-th lowest live score for r = floor(target (n + 1)) - 1, so
 * it needs n >= 1 / target - 1 live samples; null with fewer (or none).
 */
export function calibrateThresholdForNewFaces(samples: readonly ScoredSample[], targetBpcer: number): SearchPoint | null {
  if (!(targetBpcer > 0 && targetBpcer < 1)) {
    throw new TypeError(`Expected a rate in (0,1) for targetBpcer but received ${describeValue(targetBpcer)}.`);
  }
  const live = samples.flatMap((s) => (s.label === 'live' && s.score !== null ? [s.score] : [])).sort((a, b) => a - b);
  const r = Math.floor(targetBpcer * (live.length + 1) + 1e-9) - 1;
  if (live.length === 0 || r < 0) return null;
  const threshold = live[r]!;
  const point = operatingPoint(samples, threshold);
  return { threshold, apcer: point.apcer_pooled, apcer_max: point.apcer_max, bpcer: point.bpcer };
}

/** The scored live samples (n) and how many of them score below the threshold. */
function liveBelow(samples: readonly ScoredSample[], threshold: number): { n: number; below: number } {
  let n = 0;
  let below = 0;
  for (const s of samples) {
    if (s.label !== 'live' || s.score === null) continue;
    n += 1;
    if (s.score < threshold) below += 1;
  }
  return { n, below };
}

/**
 * BPCER to expect on new live faces of the same cameras at a threshold calibrated on these live scores.
 * A calibrated threshold is the (r + 1)-th lowest of n live scores (r of them below it), and a new live
 * face from the same cameras ranks anywhere among them alike, so it falls below with chance
 * (r + 1) / (n + 1): above the BPCER measured on the calibration faces (r / n), most for small n.
 * NaN without a scored live sample.
 */
export function expectedBpcerOnNewFaces(samples: readonly ScoredSample[], threshold: number): number {
  const { n, below } = liveBelow(samples, threshold);
  return n === 0 ? NaN : (below + 1) / (n + 1);
}

/**
 * Where the BPCER on new live faces of the same cameras falls, at a threshold calibrated on these live
 * scores, for 95 % of calibrations: with r of the n live scores below the threshold, that BPCER is
 * distributed as Beta(r + 1, n - r) over calibration sets (mean (r + 1) / (n + 1), the expected
 * BPCER), and this is its central 95 % range. Scores are taken as untied. NaN bounds without a scored
 * live sample.
 */
export function newFacesBpcerInterval(samples: readonly ScoredSample[], threshold: number): Interval {
  const { n, below } = liveBelow(samples, threshold);
  if (n === 0) return { lower: NaN, upper: NaN };
  const tail = (1 - CONFIDENCE) / 2;
  // Above every live score (never a calibrated threshold), the BPCER is at least the top score's share.
  if (below === n) return { lower: betaQuantile(tail, n, 1), upper: 1 };
  return { lower: betaQuantile(tail, below + 1, n - below), upper: betaQuantile(1 - tail, below + 1, n - below) };
}

/** One image of a flag group (attributes, quality problems): what the engine flagged (null for a non-response) and the truth. */
export interface FlagSample {
  readonly flagged: Readonly<Record<string, boolean>> | null;
  /** The names the image carries (empty for none). */
  readonly truth: readonly string[];
}

export interface FlagMetrics {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  /** tp / (tp + fp); NaN when nothing was flagged. */
  readonly precision: number;
  /** tp / (tp + fn); NaN when no sample carries the name. */
  readonly recall: number;
  /** 2TP / (2TP + FP + FN) (2PR / (P + R) where both are defined); NaN only when TP + FP + FN = 0. */
  readonly f1: number;
}

/**
 * Precision, recall and F1 per name, from the engine's flags. Samples with flagged = null are
 * non-responses and left out (count them with `flagNonResponses`).
 */
export function flagMetrics(samples: readonly FlagSample[], names: readonly string[]): Record<string, FlagMetrics> {
  const out: Record<string, FlagMetrics> = {};
  for (const name of names) {
    let tp = 0; let fp = 0; let fn = 0; let tn = 0;
    for (const s of samples) {
      if (s.flagged === null) continue;
      const flagged = s.flagged[name];
      if (typeof flagged !== 'boolean') throw new TypeError(`Expected a boolean ${name} flag on every scored sample.`);
      const present = s.truth.includes(name);
      if (flagged && present) tp += 1;
      else if (flagged) fp += 1;
      else if (present) fn += 1;
      else tn += 1;
    }
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + fn);
    // From the counts: nothing flagged of two images that carry the name is an F1 of 0, not n/a.
    const f1 = ratio(2 * tp, 2 * tp + fp + fn);
    out[name] = { tp, fp, fn, tn, precision, recall, f1 };
  }
  return out;
}

/** Number of flag samples without flags. */
export function flagNonResponses(samples: readonly FlagSample[]): number {
  return samples.filter((s) => s.flagged === null).length;
}
