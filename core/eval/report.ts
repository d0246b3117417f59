// The evaluation report: every figure `facelive eval` prints, built from scored samples, as a plain
// object (JSON: NaN and Infinity become null) and as a text table.

import { FLAG_GROUPS, GROUPS, type FlagThreshold } from './groups';
import type { CalibrationRule, Counts, Eer, FlagMetrics, OperatingPoint, ScoredSample, SearchPoint } from './metrics';
import {
  bpcerAtApcer, calibrateThreshold, calibrateThresholdForNewFaces, countSamples, equalErrorRate, expectedBpcerOnNewFaces, flagMetrics,
  liveNeededForNewFaces, operatingPoint,
} from './metrics';
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
  readonly counts: { live: Counts; attack: Counts; by_species: Record<string, Counts> };
  readonly non_responses: NonResponses;
  /** APCER per species, max and pooled APCER, BPCER and ACER at `threshold`. */
  readonly at_threshold: Omit<OperatingPoint, 'threshold'>;
  /** Equal error rate on pooled APCER. */
  readonly eer: Eer;
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
  };
}

/** Precision and recall of one flag group (attributes, quality problems). */
export interface FlagReport {
  readonly samples: number;
  readonly non_responses: NonResponses;
  /** Per name, at the engine's thresholds (pose: its three limits); `support` = scored samples that carry it. */
  readonly metrics: Record<string, { readonly threshold: FlagThreshold } & FlagMetrics & { readonly support: number }>;
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
  return { target_bpcer: targetBpcer, rule, point, expected_bpcer: point ? expectedBpcerOnNewFaces(live, point.threshold) : null };
}

export function buildReport(scored: ScoredSet, options: ReportOptions = {}): EvalReport {
  const report: { -readonly [K in keyof EvalReport]: EvalReport[K] } = {};
  const live = scored.liveness;
  if (live.length > 0) {
    const threshold = options.threshold ?? scored.livenessThreshold;
    const species = options.species ?? [];
    const { threshold: _unused, ...atThreshold } = operatingPoint(live, Number.isNaN(threshold) ? Infinity : threshold, species);
    const bpcer_at_apcer: Record<string, SearchPoint | null> = {};
    for (const target of APCER_TARGETS) bpcer_at_apcer[String(target)] = bpcerAtApcer(live, target);
    report.liveness = {
      threshold,
      counts: countSamples(live, species),
      non_responses: nonResponses(live),
      at_threshold: atThreshold,
      eer: equalErrorRate(live),
      bpcer_at_apcer,
      ...(options.targetBpcer === undefined ? {} : { calibration: calibration(live, options.targetBpcer, options.calibrationRule ?? 'calibration_faces') }),
    };
  }
  for (const group of FLAG_GROUPS) {
    const { samples, thresholds } = scored.flags[group];
    if (samples.length === 0) continue;
    const metrics: FlagReport['metrics'] = {};
    for (const [name, m] of Object.entries(flagMetrics(samples, Object.keys(thresholds)))) {
      metrics[name] = { threshold: thresholds[name], ...m, support: m.tp + m.fn };
    }
    report[GROUPS[group].reportKey] = { samples: samples.length, non_responses: nonResponses(samples), metrics };
  }
  return report;
}

// ---- text ----

const pct = (v: number | undefined | null): string => (v === undefined || v === null || Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(2)}%`);
const num = (v: number | undefined | null): string => (v === undefined || v === null || Number.isNaN(v) ? 'n/a' : !Number.isFinite(v) ? 'reject-all' : v.toFixed(4));
/** A flag threshold: one number, or named limits as names then values (pose: "yaw/pitch/roll/yaw_from_landmarks 30/25/25/40"). */
const limit = (t: FlagThreshold): string => (typeof t === 'number' ? num(t)
  : `${Object.keys(t).map((k) => k.replace(/^max_/, '')).join('/')} ${Object.values(t).join('/')}`);

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

function codes(n: NonResponses): string {
  const parts = Object.entries(n.by_code).sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, k]) => `${code} ${k}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export function formatReport(report: EvalReport): string {
  const out: string[] = [];
  if (report.pack) out.push(`Model pack: ${report.pack.name} ${report.pack.version}`);
  const l = report.liveness;
  if (l) {
    const c = l.counts;
    out.push('', `Liveness at threshold ${num(l.threshold)} (live when probability >= threshold)`);
    out.push(`Non-responses (left out of every rate): ${l.non_responses.total}${codes(l.non_responses)}`);
    const rows = [['class', 'scored', 'non-resp', 'error rate']];
    rows.push(['live (BPCER)', String(c.live.scored), String(c.live.non_responses), pct(l.at_threshold.bpcer)]);
    for (const [name, k] of Object.entries(c.by_species)) {
      rows.push([`spoof_${name} (APCER)`, String(k.scored), String(k.non_responses), pct(l.at_threshold.apcer_by_species[name])]);
    }
    rows.push(['all attacks (APCER pooled)', String(c.attack.scored), String(c.attack.non_responses), pct(l.at_threshold.apcer_pooled)]);
    out.push(table(rows));
    out.push(`max APCER ${pct(l.at_threshold.apcer_max)}   BPCER ${pct(l.at_threshold.bpcer)}   ACER ${pct(l.at_threshold.acer)}`);
    out.push(`EER ${pct(l.eer.eer)} at threshold ${num(l.eer.threshold)}`);
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
      }
    }
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
