// The evaluation report: every figure `facelive eval` prints, built from scored samples, as a plain
// object (JSON: NaN and Infinity become null) and as a text table.

import { areaUnderCurve } from './auc';
import { reportBySource, worstSources, type SourceReport, type WorstSources } from './by-source';
import { FLAG_GROUPS, GROUPS, type FlagThreshold } from './groups';
import { binomialInterval, CONFIDENCE, INTERVAL_METHOD, type Interval } from './interval';
import { largest } from '../largest';
import type { CalibrationRule, Eer, FlagMetrics, ScoredSample, SearchPoint } from './metrics';
import {
  bpcerAtApcer, calibrateThreshold, calibrateThresholdForNewFaces, equalErrorRate, expectedBpcerOnNewFaces, flagMetrics,
  liveNeededForNewFaces, newFacesBpcerInterval,
} from './metrics';
import { ratesAt, type RatesAtThreshold, type SampleCounts } from './rate-intervals';
import { shownName } from './shown-name';
import type { ScoredSet } from './score';

/** The APCER targets reported as BPCER@APCER. */
export const APCER_TARGETS: readonly number[] = [0.01, 0.05];

export interface NonResponses {
  readonly total: number;
  /** Error code -> count (FACE_NOT_DETECTED, INVALID_PAYLOAD_IMAGE_FORMAT, ...). */
  readonly by_code: Record<string, number>;
}

export interface LivenessReport {
  /** The threshold the figures below are taken at (the pack's, unless overridden). */
  readonly threshold: number;
  readonly counts: SampleCounts;
  readonly non_responses: NonResponses;
  /** APCER per species, max and pooled APCER, BPCER and ACER at `threshold`, and the rates' intervals (*_ci). */
  readonly at_threshold: RatesAtThreshold;
  /** How the *_ci intervals are computed: Clopper-Pearson, 95 %. */
  readonly intervals: { readonly method: typeof INTERVAL_METHOD; readonly confidence: number };
  /** Equal error rate on pooled APCER. */
  readonly eer: Eer;
  /** Area under the ROC curve, all sources pooled (null without both classes). */
  readonly auc: number;
  /** Keyed by APCER target ("0.01", "0.05"): BPCER at max-over-species APCER <= target; null without both classes. */
  readonly bpcer_at_apcer: Record<string, SearchPoint | null>;
  /**
   * Present with --calibrate: the largest threshold whose BPCER <= target_bpcer, on the calibration
   * faces themselves (rule 'calibration_faces') or as expected on new live faces of the same cameras
   * (rule 'new_faces'), and the BPCER that threshold should give on new live faces (null without a
   * threshold: no scored live image, or too few for the new-faces rule).
   */
  readonly calibration?: {
    readonly target_bpcer: number;
    readonly rule: CalibrationRule;
    readonly point: SearchPoint | null;
    readonly expected_bpcer: number | null;
    /** Where the BPCER on new live faces falls for 95 % of calibrations on as many faces (null without a threshold). */
    readonly expected_bpcer_ci: Interval | null;
  };
  /** Per source (a file's name before "__"; '' for none), by name, at `threshold`. */
  readonly by_source: SourceReport[];
  /** The worst source by AUC, BPCER and max APCER (null where no source has the figure). */
  readonly worst_source: WorstSources;
}

/** Precision and recall of one flag group (attributes, quality problems). */
export interface FlagReport {
  readonly samples: number;
  readonly non_responses: NonResponses;
  /**
   * Per name, at the engine's thresholds (pose: its three limits); `support` = scored samples that carry
   * it; precision and recall with their 95 % intervals (precision_ci, recall_ci).
   */
  readonly metrics: Record<string, { readonly threshold: FlagThreshold } & FlagMetrics & {
    readonly support: number; readonly precision_ci: Interval; readonly recall_ci: Interval;
  }>;
}

export interface EvalReport {
  readonly pack?: { readonly name: string; readonly version: string };
  /** Absent when the set has no live/spoof images. */
  readonly liveness?: LivenessReport;
  /** Absent when the set has no attr_ images. */
  readonly attributes?: FlagReport;
  /** Absent when the set has no quality_ images. */
  readonly quality?: FlagReport;
}

export interface ReportOptions {
  /** Species named by the set, reported even when empty. */
  readonly species?: readonly string[];
  /** Threshold to report at; defaults to the one the engine used. */
  readonly threshold?: number;
  /** Adds the calibration section. */
  readonly targetBpcer?: number;
  /** Which rule the calibration follows; defaults to 'calibration_faces'. */
  readonly calibrationRule?: CalibrationRule;
}

function nonResponses(samples: readonly { error?: string }[]): NonResponses {
  const by_code: Record<string, number> = {};
  let total = 0;
  for (const s of samples) {
    if (s.error === undefined) continue;
    by_code[s.error] = (by_code[s.error] ?? 0) + 1;
    total += 1;
  }
  return { total, by_code };
}

function calibration(live: readonly ScoredSample[], targetBpcer: number, rule: CalibrationRule): NonNullable<LivenessReport['calibration']> {
  const point = rule === 'new_faces' ? calibrateThresholdForNewFaces(live, targetBpcer) : calibrateThreshold(live, targetBpcer);
  return {
    target_bpcer: targetBpcer,
    rule,
    point,
    expected_bpcer: point ? expectedBpcerOnNewFaces(live, point.threshold) : null,
    expected_bpcer_ci: point ? newFacesBpcerInterval(live, point.threshold) : null,
  };
}

export function buildReport(scored: ScoredSet, options: ReportOptions = {}): EvalReport {
  const report: { -readonly [K in keyof EvalReport]: EvalReport[K] } = {};
  const live = scored.liveness;
  if (live.length > 0) {
    const threshold = options.threshold ?? scored.livenessThreshold;
    const species = options.species ?? [];
    const at = Number.isNaN(threshold) ? Infinity : threshold;
    const { counts, at_threshold } = ratesAt(live, at, species);
    const bpcer_at_apcer: Record<string, SearchPoint | null> = {};
    for (const target of APCER_TARGETS) bpcer_at_apcer[String(target)] = bpcerAtApcer(live, target);
    const by_source = reportBySource(live, at);
    report.liveness = {
      threshold,
      counts,
      non_responses: nonResponses(live),
      at_threshold,
      intervals: { method: INTERVAL_METHOD, confidence: CONFIDENCE },
      eer: equalErrorRate(live),
      auc: areaUnderCurve(live),
      bpcer_at_apcer,
      ...(options.targetBpcer === undefined ? {} : { calibration: calibration(live, options.targetBpcer, options.calibrationRule ?? 'calibration_faces') }),
      by_source,
      worst_source: worstSources(by_source),
    };
  }
  for (const group of FLAG_GROUPS) {
    const { samples, thresholds } = scored.flags[group];
    if (samples.length === 0) continue;
    const metrics: FlagReport['metrics'] = {};
    for (const [name, m] of Object.entries(flagMetrics(samples, Object.keys(thresholds)))) {
      metrics[name] = {
        threshold: thresholds[name], ...m, support: m.tp + m.fn, precision_ci: binomialInterval(m.tp, m.tp + m.fp), recall_ci: binomialInterval(m.tp, m.tp + m.fn),
      };
    }
    report[GROUPS[group].reportKey] = { samples: samples.length, non_responses: nonResponses(samples), metrics };
  }
  return report;
}

// ---- text ----

const pct = (v: number | undefined | null): string => (v === undefined || v === null || Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(2)}%`);
/** An interval as "lower-upper%", two decimals; n/a without attempts. */
const ci = (i: Interval | undefined | null): string => (!i || i.lower === null || Number.isNaN(i.lower) ? 'n/a'
  : `${(i.lower * 100).toFixed(2)}-${(i.upper * 100).toFixed(2)}%`);
const auc = (v: number | undefined | null): string => (v === undefined || v === null || Number.isNaN(v) ? 'n/a' : v.toFixed(3));
const num = (v: number | undefined | null): string => (v === undefined || v === null || Number.isNaN(v) ? 'n/a' : !Number.isFinite(v) ? 'reject-all' : v.toFixed(4));
/** A flag threshold: one number, or named limits as names then values (pose: "yaw/pitch/roll/yaw_from_landmarks 30/25/25/40"). */
const limit = (t: FlagThreshold): string => (typeof t === 'number' ? num(t)
  : `${Object.keys(t).map((k) => k.replace(/^max_/, '')).join('/')} ${Object.values(t).join('/')}`);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => largest(rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

function codes(n: NonResponses): string {
  const parts = Object.entries(n.by_code).sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, k]) => `${code} ${k}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The species whose APCER is the source's max (several when tied), or '' when it is 0 or n/a. */
function worstSpecies(r: SourceReport): string {
  const max = r.at_threshold.apcer_max;
  if (!(max > 0)) return '';
  return Object.entries(r.at_threshold.apcer_by_species).filter(([, v]) => v === max).map(([name]) => shownName(name)).join(',');
}

/** A source as the text shows it: its control characters escaped (see shown-name.ts). */
const sourceName = (name: string): string => (name === '' ? '(no prefix)' : shownName(name));

function formatSources(rows: readonly SourceReport[], worst: WorstSources, threshold: number): string[] {
  const out = [`By source (the file name before "__"): ${rows.length} sources, at threshold ${num(threshold)}`];
  const cells = [['source', 'live', 'attacks', 'non-resp', 'AUC', 'BPCER', '95% interval', 'max APCER', '95% interval', 'species']];
  for (const r of rows) {
    const c = r.counts;
    const a = r.at_threshold;
    cells.push([sourceName(r.source), String(c.live.scored), String(c.attack.scored), String(c.live.non_responses + c.attack.non_responses),
      auc(r.auc), pct(a.bpcer), ci(a.bpcer_ci), pct(a.apcer_max), ci(a.apcer_max_ci), worstSpecies(r)]);
  }
  out.push(table(cells));
  const tied = (n: number): string => (n > 1 ? `; ${n} sources share it` : '');
  const parts = [
    worst.auc && `lowest AUC ${sourceName(worst.auc.source)} (${auc(worst.auc.auc)}${tied(worst.auc.ties)})`,
    worst.bpcer && `highest BPCER ${sourceName(worst.bpcer.source)} (${pct(worst.bpcer.bpcer)}, ${ci(worst.bpcer.bpcer_ci)}${tied(worst.bpcer.ties)})`,
    worst.apcer_max && `highest max APCER ${sourceName(worst.apcer_max.source)} (${pct(worst.apcer_max.apcer_max)}, ${ci(worst.apcer_max.apcer_max_ci)}${tied(worst.apcer_max.ties)})`,
  ].filter((x): x is string => Boolean(x));
  out.push(`Worst source: ${parts.length ? parts.join('; ') : 'n/a'}`);
  return out;
}

export function formatReport(report: EvalReport): string {
  const out: string[] = [];
  if (report.pack) out.push(`Model pack: ${report.pack.name} ${report.pack.version}`);
  const l = report.liveness;
  if (l) {
    const c = l.counts;
    out.push('', `Liveness at threshold ${num(l.threshold)} (live when probability >= threshold)`);
    out.push(`Non-responses (left out of every rate): ${l.non_responses.total}${codes(l.non_responses)}`);
    const a = l.at_threshold;
    const rows = [['class', 'scored', 'non-resp', 'error rate', '95% interval']];
    rows.push(['live (BPCER)', String(c.live.scored), String(c.live.non_responses), pct(a.bpcer), ci(a.bpcer_ci)]);
    for (const [name, k] of Object.entries(c.by_species)) {
      rows.push([`spoof_${name} (APCER)`, String(k.scored), String(k.non_responses), pct(a.apcer_by_species[name]), ci(a.apcer_by_species_ci[name])]);
    }
    rows.push(['all attacks (APCER pooled)', String(c.attack.scored), String(c.attack.non_responses), pct(a.apcer_pooled), ci(a.apcer_pooled_ci)]);
    out.push(table(rows));
    out.push(`max APCER ${pct(a.apcer_max)} (${ci(a.apcer_max_ci)})   BPCER ${pct(a.bpcer)} (${ci(a.bpcer_ci)})   ACER ${pct(a.acer)}`);
    out.push('95% intervals (Clopper-Pearson) hold the true rate for at least 95 % of sets of this size;');
    out.push('max APCER\'s runs from the largest lower to the largest upper bound over the species.');
    out.push(`EER ${pct(l.eer.eer)} at threshold ${num(l.eer.threshold)}   AUC ${auc(l.auc)}`);
    for (const [target, p] of Object.entries(l.bpcer_at_apcer)) {
      out.push(`BPCER @ APCER <= ${pct(Number(target))}: ${p ? `${pct(p.bpcer)} at threshold ${num(p.threshold)} (max APCER ${pct(p.apcer_max)})` : 'n/a'}`);
    }
    if (l.calibration) {
      const p = l.calibration.point;
      const forNew = l.calibration.rule === 'new_faces';
      const missing = forNew ? `n/a (needs at least ${liveNeededForNewFaces(l.calibration.target_bpcer)} scored live images for this target)` : 'n/a (no scored live image)';
      out.push(`Calibrated for BPCER <= ${pct(l.calibration.target_bpcer)}${forNew ? ' expected on new faces' : ''}: ${p ? `threshold ${num(p.threshold)}, BPCER ${pct(p.bpcer)}, max APCER ${pct(p.apcer_max)}` : missing}`);
      if (p && l.calibration.expected_bpcer !== null) {
        out.push(`Expected BPCER on new live faces of the same cameras: ${pct(l.calibration.expected_bpcer)} (from ${c.live.scored} live images; more bring it closer to the target)`);
        out.push(`  for 95 % of calibrations on ${c.live.scored} live images it falls within ${ci(l.calibration.expected_bpcer_ci)} (more images narrow it)`);
      }
    }
    if (l.by_source.length >= 2) out.push('', ...formatSources(l.by_source, l.worst_source, l.threshold));
  }
  for (const group of FLAG_GROUPS) {
    const { reportKey, title, heading } = GROUPS[group];
    const a = report[reportKey];
    if (!a) continue;
    out.push('', `${title}: ${a.samples} images; non-responses ${a.non_responses.total}${codes(a.non_responses)}`);
    const rows = [[heading, 'threshold', 'support', 'TP', 'FP', 'FN', 'precision', 'recall', 'F1']];
    for (const [name, m] of Object.entries(a.metrics)) {
      rows.push([name, limit(m.threshold), String(m.support), String(m.tp), String(m.fp), String(m.fn), pct(m.precision), pct(m.recall), pct(m.f1)]);
    }
    out.push(table(rows));
  }
  return out.join('\n').replace(/^\n/, '') + '\n';
}
