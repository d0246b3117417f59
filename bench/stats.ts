// Summaries of the harnesses' measurements, without spreading arrays into arguments: a load run
// collects hundreds of thousands of response times, more than a call's arguments can hold.

import { largest } from '../core/largest';

export { largest };

/** Nearest-rank percentile (p in 0-100) of values sorted ascending; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

/** The slowest answer of a load run whose response times are grouped by status, -Infinity for none. */
export function slowestAnswer(byStatus: ReadonlyMap<number, readonly number[]>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const times of byStatus.values()) max = Math.max(max, largest(times));
  return max;
}
