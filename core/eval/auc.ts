// Area under the ROC curve of liveness scores: the chance that a live face scores above an attack,
// ties counting half (the Mann-Whitney statistic over live x attack pairs). Pure, no I/O.

import type { ScoredSample } from './metrics';

/** AUC over the scored samples; NaN when either class has no scored sample. Non-responses are left out. */
export function areaUnderCurve(samples: readonly ScoredSample[]): number {
  const scored = samples.filter((s) => s.score !== null) as (ScoredSample & { score: number })[];
  const live = scored.filter((s) => s.label === 'live').length;
  const attacks = scored.length - live;
  if (live === 0 || attacks === 0) return NaN;
  // Ranks 1..N ascending, tied scores sharing their mean rank; the live faces' rank sum gives U.
  const sorted = [...scored].sort((a, b) => a.score - b.score);
  let liveRankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1].score === sorted[i].score) j += 1;
    const meanRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (sorted[k].label === 'live') liveRankSum += meanRank;
    i = j + 1;
  }
  return (liveRankSum - (live * (live + 1)) / 2) / (live * attacks);
}
