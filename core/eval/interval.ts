// 95 % confidence intervals for the error rates `facelive eval` reports: Clopper-Pearson (exact
// binomial) intervals for a proportion, and the quantiles of the Beta distribution they rest on.
// Pure functions, no I/O.
//
// Clopper-Pearson rather than Wilson: its coverage is at least the stated level for every true rate
// and number of attempts, where Wilson's falls to about 84 % for true rates near 1 % on 20 to 50
// attempts, the range liveness error rates and small per-camera sets live in. It is wider for it.

import { describeValue } from '../value-kind';

/** A two-sided interval; both bounds NaN when there was no attempt (JSON writers turn them into null). */
export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

export const CONFIDENCE = 0.95;
export const INTERVAL_METHOD = 'clopper-pearson';

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`Expected a whole number >= 0 for ${name} but received ${describeValue(value)}.`);
}

/** P(X >= k) for X ~ Binomial(n, p), summed from the shorter side in log space (k <= n). */
function upperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const [lp, lq] = [Math.log(p), Math.log1p(-p)];
  // Terms i = 0 .. m of the lower tail, or of the upper tail when it is the shorter one.
  const lowerSide = k - 1 <= n - k;
  const m = lowerSide ? k - 1 : n - k;
  let logChoose = 0;
  let sum = 0;
  for (let i = 0; i <= m; i++) {
    if (i > 0) logChoose += Math.log((n - i + 1) / i);
    // Lower side: P(X = i); upper side: P(X = n - i).
    sum += Math.exp(logChoose + (lowerSide ? i * lp + (n - i) * lq : (n - i) * lp + i * lq));
  }
  return lowerSide ? 1 - sum : sum;
}

/**
 * The q-quantile of Beta(a, b) for whole a, b >= 1, by bisection on P(Beta(a, b) <= x) =
 * P(Binomial(a + b - 1, x) >= a), which rises with x, so the answer is monotone by construction.
 */
export function betaQuantile(q: number, a: number, b: number): number {
  if (!(q >= 0 && q <= 1)) throw new TypeError(`Expected a probability in [0,1] for q but received ${describeValue(q)}.`);
  if (!Number.isInteger(a) || a < 1 || !Number.isInteger(b) || b < 1) {
    throw new TypeError(`Expected whole numbers >= 1 for a and b but received ${describeValue(a)} and ${describeValue(b)}.`);
  }
  let lo = 0;
  let hi = 1;
  // 200 halvings reach the resolution of doubles even for quantiles near 1e-60.
  for (let step = 0; step < 200 && lo < hi; step++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (upperTail(a, a + b - 1, mid) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Clopper-Pearson interval for `errors` of `attempts` at `confidence` (two-sided, equal tails):
 * [0, ...] at 0 errors and [..., 1] at `attempts` errors. NaN bounds when attempts = 0.
 */
export function binomialInterval(errors: number, attempts: number, confidence = CONFIDENCE): Interval {
  checkCount('errors', errors);
  checkCount('attempts', attempts);
  if (errors > attempts) throw new TypeError(`Expected errors <= attempts but received ${errors} of ${attempts}.`);
  if (!(confidence > 0 && confidence < 1)) throw new TypeError(`Expected a level in (0,1) for confidence but received ${describeValue(confidence)}.`);
  if (attempts === 0) return { lower: NaN, upper: NaN };
  const tail = (1 - confidence) / 2;
  return {
    lower: errors === 0 ? 0 : betaQuantile(tail, errors, attempts - errors + 1),
    upper: errors === attempts ? 1 : betaQuantile(1 - tail, errors + 1, attempts - errors),
  };
}
