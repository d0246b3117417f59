// 95 % Clopper-Pearson intervals against published values, at 0 and all errors, on few attempts,
// their coverage, and the Beta quantiles they rest on.

import assert from 'node:assert/strict';
import { betaQuantile, binomialInterval } from '../../core/eval/interval';

function near(actual: number, expected: number, digits: number, message: string): void {
  assert.ok(Math.abs(actual - expected) < 0.5 * 10 ** -digits, `${message}: expected ${expected}, got ${actual}`);
}

/** P(X = k) for X ~ Binomial(n, p), by a plain product (independent of the code under test). */
function pmf(k: number, n: number, p: number): number {
  let v = 1;
  for (let i = 1; i <= k; i++) v *= ((n - k + i) / i) * p;
  return v * (1 - p) ** (n - k);
}

describe('eval/interval', () => {
  it('matches published Clopper-Pearson intervals (Newcombe 1998, Table II; 4 decimals)', () => {
    for (const [errors, attempts, lower, upper] of [
      [0, 20, 0, 0.1684],
      [1, 29, 0.0009, 0.1776],
      [15, 148, 0.0578, 0.1617],
      [81, 263, 0.2527, 0.3676],
    ] as const) {
      const i = binomialInterval(errors, attempts);
      near(i.lower, lower, 4, `${errors}/${attempts} lower`);
      near(i.upper, upper, 4, `${errors}/${attempts} upper`);
    }
  });

  it('gives 0/20, 1/20, 10/20 and 20/20 as their exact Beta quantiles, and closed forms at the ends', () => {
    // 0 of n: upper = 1 - 0.025^(1/n) (a true BPCER of 16.8 % is still compatible with 0 of 20).
    const none = binomialInterval(0, 20);
    assert.equal(none.lower, 0);
    near(none.upper, 1 - 0.025 ** (1 / 20), 12, '0/20 upper');
    // 1 of 20: lower = 1 - 0.975^(1/20) (the smallest rate giving an error in 20 with chance 2.5 %).
    const one = binomialInterval(1, 20);
    near(one.lower, 1 - 0.975 ** (1 / 20), 12, '1/20 lower');
    near(one.upper, 0.248733, 6, '1/20 upper');
    const half = binomialInterval(10, 20);
    near(half.lower, 0.271958, 6, '10/20 lower');
    near(half.upper, 1 - half.lower, 12, '10/20 is symmetric');
    const all = binomialInterval(20, 20);
    near(all.lower, 0.025 ** (1 / 20), 12, '20/20 lower');
    assert.equal(all.upper, 1);
    const single = binomialInterval(0, 1);
    assert.equal(single.lower, 0);
    near(single.upper, 0.975, 12, 'one attempt tells almost nothing');
  });

  it('narrows with attempts, stays within [0,1] and around the observed rate', () => {
    let width = Infinity;
    for (const n of [10, 100, 1000, 10000]) {
      const i = binomialInterval(n / 10, n);
      assert.ok(i.lower < 0.1 && i.upper > 0.1 && i.lower >= 0 && i.upper <= 1);
      assert.ok(i.upper - i.lower < width, `narrower at ${n}`);
      width = i.upper - i.lower;
    }
    near(width, 2 * 1.96 * Math.sqrt(0.09 / 10000), 3, 'near the normal approximation on 10,000 attempts');
  });

  it('covers the true rate at least 95 % of the time on 20 attempts, at any true rate up to 30 %', () => {
    const n = 20;
    const intervals = Array.from({ length: n + 1 }, (_, k) => binomialInterval(k, n));
    let worst = 1;
    for (let p = 0.0005; p <= 0.3; p += 0.0005) {
      let coverage = 0;
      for (let k = 0; k <= n; k++) if (intervals[k].lower <= p && p <= intervals[k].upper) coverage += pmf(k, n, p);
      worst = Math.min(worst, coverage);
    }
    assert.ok(worst >= 0.95, `worst coverage ${worst}`);
  });

  it('has no interval without attempts, and refuses counts that are not counts', () => {
    const none = binomialInterval(0, 0);
    assert.ok(Number.isNaN(none.lower) && Number.isNaN(none.upper));
    assert.throws(() => binomialInterval(3, 2), TypeError);
    assert.throws(() => binomialInterval(-1, 2), TypeError);
    assert.throws(() => binomialInterval(0.5, 2), TypeError);
    assert.throws(() => binomialInterval(1, 2, 1), TypeError);
  });

  it('computes Beta quantiles for whole parameters: closed forms for Beta(1, b) and Beta(a, 1)', () => {
    for (const q of [0.001, 0.025, 0.5, 0.975]) {
      near(betaQuantile(q, 1, 20), 1 - (1 - q) ** (1 / 20), 12, `Beta(1,20) at ${q}`);
      near(betaQuantile(q, 7, 1), q ** (1 / 7), 12, `Beta(7,1) at ${q}`);
    }
    near(betaQuantile(0.5, 50, 50), 0.5, 12, 'the median of a symmetric Beta');
    assert.throws(() => betaQuantile(0.5, 0, 2), TypeError);
    assert.throws(() => betaQuantile(2, 1, 2), TypeError);
  });
});
