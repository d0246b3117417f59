// The error rates at one threshold with their 95 % intervals: APCER per species, pooled and worst
// (max over species), and BPCER, from the scored samples of a set or of one source.

import { binomialInterval, type Interval } from './interval';
import { largest } from '../largest';
import { countSamples, operatingPoint, type Counts, type OperatingPoint, type ScoredSample } from './metrics';

export interface RateIntervals {
  /** Per species: Clopper-Pearson interval of its APCER (null bounds when it has no scored attack). */
  readonly apcer_by_species_ci: Readonly<Record<string, Interval>>;
  /**
   * For the max APCER: from the largest lower bound to the largest upper bound over the species with
   * scored attacks, which holds whenever each species' interval does.
   */
  readonly apcer_max_ci: Interval;
  readonly apcer_pooled_ci: Interval;
  readonly bpcer_ci: Interval;
}

export type RatesAtThreshold = Omit<OperatingPoint, 'threshold'> & RateIntervals;

export interface SampleCounts {
  readonly live: Counts;
  readonly attack: Counts;
  readonly by_species: Record<string, Counts>;
}

/** Errors behind a rate of `scored` attempts (the rate is errors / scored, so this is exact). */
function intervalOf(rate: number, scored: number): Interval {
  return binomialInterval(scored === 0 ? 0 : Math.round(rate * scored), scored);
}

/** Counts, and rates at `threshold` with their intervals; `species` lists species to report even when empty. */
export function ratesAt(samples: readonly ScoredSample[], threshold: number, species: readonly string[]): { counts: SampleCounts; at_threshold: RatesAtThreshold } {
  const counts = countSamples(samples, species);
  const { threshold: _unused, ...point } = operatingPoint(samples, threshold, species);
  const apcer_by_species_ci: Record<string, Interval> = {};
  for (const [name, rate] of Object.entries(point.apcer_by_species)) {
    apcer_by_species_ci[name] = intervalOf(rate, counts.by_species[name]?.scored ?? 0);
  }
  const defined = Object.values(apcer_by_species_ci).filter((i) => !Number.isNaN(i.lower));
  return {
    counts,
    at_threshold: {
      ...point,
      apcer_by_species_ci,
      apcer_max_ci: defined.length === 0 ? { lower: NaN, upper: NaN } : { lower: largest(defined.map((i) => i.lower)), upper: largest(defined.map((i) => i.upper)) },
      apcer_pooled_ci: intervalOf(point.apcer_pooled, counts.attack.scored),
      bpcer_ci: intervalOf(point.bpcer, counts.live.scored),
    },
  };
}
