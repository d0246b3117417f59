// Liveness figures per source (a file's name before "__", as in the --scores CSV) and the worst
// source by AUC, BPCER and max APCER: a pooled figure can hide a camera where liveness fails.

import { areaUnderCurve } from './auc';
import type { Interval } from './interval';
import { largest } from '../largest';
import type { ScoredSample } from './metrics';
import { ratesAt, type RatesAtThreshold, type SampleCounts } from './rate-intervals';
import type { Scored } from './score';
import { sourceOf } from './scores-csv';

export interface SourceReport {
  /** The file-name prefix; '' for files without one (as in the --scores CSV). */
  readonly source: string;
  readonly counts: SampleCounts;
  /** NaN (null in JSON) unless the source has scored live faces and scored attacks. */
  readonly auc: number;
  readonly at_threshold: RatesAtThreshold;
}

/** `ties`: how many sources share the worst value (1 when it is that source's alone). */
export interface WorstSources {
  /** Lowest AUC among the sources with both classes scored. */
  readonly auc: { readonly source: string; readonly auc: number; readonly ties: number } | null;
  /** Highest BPCER among the sources with scored live faces. */
  readonly bpcer: { readonly source: string; readonly bpcer: number; readonly bpcer_ci: Interval; readonly ties: number } | null;
  /** Highest max APCER among the sources with scored attacks. */
  readonly apcer_max: { readonly source: string; readonly apcer_max: number; readonly apcer_max_ci: Interval; readonly ties: number } | null;
}

/** One report per source, by name ('' last), at `threshold`; each lists the species its own attacks carry. */
export function reportBySource(samples: readonly Scored<ScoredSample>[], threshold: number): SourceReport[] {
  const groups = new Map<string, Scored<ScoredSample>[]>();
  for (const s of samples) {
    const source = sourceOf(s.path);
    const group = groups.get(source) ?? [];
    group.push(s);
    groups.set(source, group);
  }
  const names = [...groups.keys()].sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a < b ? -1 : a > b ? 1 : 0));
  return names.map((source) => {
    const group = groups.get(source) as Scored<ScoredSample>[];
    const species = [...new Set(group.flatMap((s) => (s.label === 'attack' ? [s.species ?? ''] : [])))].filter((n) => n !== '').sort();
    return { source, auc: areaUnderCurve(group), ...ratesAt(group, threshold, species) };
  });
}

/**
 * The worst source by each figure. Among sources with the same worst value, the one whose interval
 * reaches highest (fewer images: the true rate may be furthest above it; for AUC, the fewest live x
 * attack pairs), then the first by name.
 */
export function worstSources(rows: readonly SourceReport[]): WorstSources {
  const pick = (worse: (r: SourceReport) => number, evidence: (r: SourceReport) => number): { row: SourceReport; ties: number } | null => {
    const defined = rows.filter((r) => !Number.isNaN(worse(r)));
    if (defined.length === 0) return null;
    const top = largest(defined.map(worse));
    const tied = defined.filter((r) => worse(r) === top);
    const row = tied.reduce((best, r) => (evidence(r) < evidence(best) ? r : best));
    return { row, ties: tied.length };
  };
  const pairs = (r: SourceReport): number => r.counts.live.scored * r.counts.attack.scored;
  const byAuc = pick((r) => -r.auc, pairs);
  const byBpcer = pick((r) => r.at_threshold.bpcer, (r) => -r.at_threshold.bpcer_ci.upper);
  const byApcer = pick((r) => r.at_threshold.apcer_max, (r) => -r.at_threshold.apcer_max_ci.upper);
  return {
    auc: byAuc && { source: byAuc.row.source, auc: byAuc.row.auc, ties: byAuc.ties },
    bpcer: byBpcer && { source: byBpcer.row.source, bpcer: byBpcer.row.at_threshold.bpcer, bpcer_ci: byBpcer.row.at_threshold.bpcer_ci, ties: byBpcer.ties },
    apcer_max: byApcer && {
      source: byApcer.row.source, apcer_max: byApcer.row.at_threshold.apcer_max, apcer_max_ci: byApcer.row.at_threshold.apcer_max_ci, ties: byApcer.ties,
    },
  };
}
