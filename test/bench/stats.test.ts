// The harnesses' summaries on as many response times as a load run collects.

import assert from 'node:assert/strict';
import { largest, slowestAnswer } from '../../bench/stats';

describe('harness summaries', function () {
  it('finds the slowest of 300,000 response times, grouped by status', function () {
    const ok = Array.from({ length: 10_000 }, (_, i) => 100 + (i % 50));
    const busy = Array.from({ length: 290_000 }, (_, i) => 5 + (i % 90));
    busy[123_456] = 1_999.5;
    assert.equal(slowestAnswer(new Map([[200, ok], [503, busy]])), 1_999.5);
    assert.equal(largest(busy), 1_999.5);
  });

  it('reads no answers as -Infinity, as Math.max() does', function () {
    assert.equal(slowestAnswer(new Map()), Number.NEGATIVE_INFINITY);
    assert.equal(largest([]), Number.NEGATIVE_INFINITY);
  });
});
