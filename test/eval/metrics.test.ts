// Hand-computed checks of the ISO/IEC 30107-3 metrics, ties, empty species/classes, and P/R/F1 per
// flag (attributes, quality problems).

import assert from 'node:assert/strict';
import {
  bpcerAtApcer, calibrateThreshold, calibrateThresholdForNewFaces, countSamples, detCurve, equalErrorRate, expectedBpcerOnNewFaces, flagMetrics, flagNonResponses,
  newFacesBpcerInterval, operatingPoint, type FlagSample, type ScoredSample,
} from '../../core/eval/metrics';

const live = (score: number | null): ScoredSample => ({ score, label: 'live' });
const attack = (species: string, score: number | null): ScoredSample => ({ score, label: 'attack', species });

// 5 scored live, 3 scored print, 2 scored replay, one non-response in live and in print; 0.6 is a tie
// shared by two live samples and one print attack.
const SAMPLES: ScoredSample[] = [
  live(0.9), live(0.8), live(0.6), live(0.6), live(0.3), live(null),
  attack('print', 0.7), attack('print', 0.6), attack('print', 0.2), attack('print', null),
  attack('replay', 0.4), attack('replay', 0.1),
];
const SPECIES = ['print', 'replay', 'other'];

/**
 * Seeded draws without replacement from n evenly spread live scores in (0,1): each call returns k
 * drawn scores and the pool of the others (the "new faces").
 */
function liveDraws(seed: number, n: number): (k: number) => { drawn: number[]; pool: number[] } {
  let state = seed;
  const random = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const all = Array.from({ length: n }, (_, i) => (i + 0.5) / n);
  return (k) => {
    const pool = all.slice();
    const drawn: number[] = [];
    for (let i = 0; i < k; i++) drawn.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
    return { drawn, pool };
  };
}

function close(actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${message ?? ''} expected ${expected}, got ${actual}`);
}

describe('eval/metrics', () => {
  describe('operatingPoint', () => {
    it('accepts ties at the threshold (score >= t) and reports every species', () => {
      const p = operatingPoint(SAMPLES, 0.6, SPECIES);
      close(p.apcer_by_species.print, 2 / 3);
      close(p.apcer_by_species.replay, 0);
      assert.ok(Number.isNaN(p.apcer_by_species.other), 'an empty species has APCER NaN');
      close(p.apcer_max, 2 / 3);
      close(p.apcer_pooled, 2 / 5);
      close(p.bpcer, 1 / 5);
      close(p.acer, (2 / 3 + 1 / 5) / 2);
    });

    it('treats a threshold between distinct scores like the next score up', () => {
      const between = operatingPoint(SAMPLES, 0.65);
      const at = operatingPoint(SAMPLES, 0.7);
      assert.deepEqual({ ...between, threshold: 0 }, { ...at, threshold: 0 });
      close(at.bpcer, 3 / 5);
      close(at.apcer_max, 1 / 3);
    });

    it('gives NaN rates for empty classes without throwing', () => {
      const onlyLive = operatingPoint([live(0.2), live(0.8)], 0.5);
      assert.ok(Number.isNaN(onlyLive.apcer_max) && Number.isNaN(onlyLive.apcer_pooled) && Number.isNaN(onlyLive.acer));
      close(onlyLive.bpcer, 1 / 2);
      const nothing = operatingPoint([], 0.5, ['print']);
      assert.ok(Number.isNaN(nothing.bpcer) && Number.isNaN(nothing.apcer_by_species.print));
    });

    it('rejects bad samples with a TypeError', () => {
      assert.throws(() => operatingPoint([{ score: NaN, label: 'live' }], 0.5), TypeError);
      assert.throws(() => operatingPoint([{ score: 0.5, label: 'fake' as 'live' }], 0.5), TypeError);
      assert.throws(() => operatingPoint([{ score: 0.5, label: 'fake' as 'live' }], 0.5), /samples\[0\]\.label but received the string "fake"\./);
      assert.throws(() => operatingPoint([{ score: '0.5' as never, label: 'live' }], 0.5), /samples\[0\]\.score but received the string "0\.5"\./);
    });
  });

  describe('countSamples', () => {
    it('counts non-responses apart, per class and species', () => {
      assert.deepEqual(countSamples(SAMPLES, SPECIES), {
        live: { scored: 5, non_responses: 1 },
        attack: { scored: 5, non_responses: 1 },
        by_species: {
          print: { scored: 3, non_responses: 1 },
          replay: { scored: 2, non_responses: 0 },
          other: { scored: 0, non_responses: 0 },
        },
      });
    });
  });

  describe('detCurve', () => {
    it('has one point per distinct score plus the reject-all point', () => {
      const curve = detCurve(SAMPLES);
      assert.deepEqual(curve.map((p) => p.threshold), [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9, Infinity]);
      const expected = [
        [1, 1, 0], [0.8, 1, 0], [0.6, 2 / 3, 0], [0.6, 2 / 3, 0.2], [0.4, 2 / 3, 0.2],
        [0.2, 1 / 3, 0.6], [0, 0, 0.6], [0, 0, 0.8], [0, 0, 1],
      ];
      curve.forEach((p, i) => {
        close(p.apcer, expected[i][0], `apcer[${i}]`);
        close(p.apcer_max, expected[i][1], `apcer_max[${i}]`);
        close(p.bpcer, expected[i][2], `bpcer[${i}]`);
      });
    });
  });

  describe('equalErrorRate', () => {
    it('interpolates between the points around the crossing', () => {
      // d = APCER - BPCER is 0.2 at t = 0.6 and -0.4 at t = 0.7: alpha = 1/3.
      const { eer, threshold } = equalErrorRate(SAMPLES);
      close(eer, 0.4 + (0.2 - 0.4) / 3);
      close(threshold, 0.6 + 0.1 / 3);
    });

    it('is exact when a point has APCER = BPCER', () => {
      const { eer, threshold } = equalErrorRate([live(0.8), live(0.4), attack('print', 0.6), attack('print', 0.2)]);
      close(eer, 0.5);
      close(threshold, 0.6);
    });

    it('is 0 on perfectly separated scores, NaN with an empty class', () => {
      close(equalErrorRate([live(0.9), attack('print', 0.1)]).eer, 0);
      assert.ok(Number.isNaN(equalErrorRate([live(0.9)]).eer));
    });
  });

  describe('bpcerAtApcer', () => {
    it('takes the smallest threshold meeting the APCER target (max over species by default)', () => {
      const atMax = bpcerAtApcer(SAMPLES, 0.4);
      assert.ok(atMax);
      close(atMax.threshold, 0.7);
      close(atMax.bpcer, 0.6);
      const pooled = bpcerAtApcer(SAMPLES, 0.4, 'pooled');
      assert.ok(pooled);
      close(pooled.threshold, 0.6);
      close(pooled.bpcer, 0.2);
      const strict = bpcerAtApcer(SAMPLES, 0.01);
      assert.ok(strict);
      close(strict.threshold, 0.8);
      close(strict.bpcer, 0.6);
    });

    it('is null without attacks or without live samples', () => {
      assert.equal(bpcerAtApcer([live(0.5)], 0.05), null);
      assert.equal(bpcerAtApcer([attack('print', 0.5)], 0.05), null);
    });
  });

  describe('calibrateThreshold', () => {
    it('returns the largest threshold whose BPCER meets the target, a live score', () => {
      const at20 = calibrateThreshold(SAMPLES, 0.2);
      assert.ok(at20);
      close(at20.threshold, 0.6);
      close(at20.bpcer, 0.2);
      close(at20.apcer, 0.4);
      const at5 = calibrateThreshold(SAMPLES, 0.05);
      assert.ok(at5);
      close(at5.threshold, 0.3);
      close(at5.bpcer, 0);
    });

    it('is null without live samples, and rejects a target outside [0,1)', () => {
      assert.equal(calibrateThreshold([attack('print', 0.3)], 0.05), null);
      assert.throws(() => calibrateThreshold(SAMPLES, 1), TypeError);
    });
  });

  describe('expectedBpcerOnNewFaces', () => {
    it('is (live scores below the threshold + 1) / (scored live + 1): above the calibration set\'s own BPCER', () => {
      // 5 scored live: 0.3 below 0.6, so 2 / 6; nothing below 0.3, so 1 / 6 (the set itself reads 0).
      close(expectedBpcerOnNewFaces(SAMPLES, 0.6), 2 / 6);
      close(expectedBpcerOnNewFaces(SAMPLES, 0.3), 1 / 6);
      assert.ok(Number.isNaN(expectedBpcerOnNewFaces([attack('print', 0.3), live(null)], 0.5)));
    });

    it('matches the rate new live faces meet, drawn from the same scores', () => {
      // Calibrate on 20 of 2,000 evenly spread live scores (target 5 %: the 2nd lowest of the 20), many
      // times; the mean BPCER on the other 1,980 approaches 2 / 21, not the 5 % the 20 faces show.
      const draw = liveDraws(7, 2000);
      let sum = 0;
      const draws = 400;
      for (let d = 0; d < draws; d++) {
        const { drawn, pool } = draw(20);
        const point = calibrateThreshold(drawn.map(live), 0.05);
        assert.ok(point);
        close(expectedBpcerOnNewFaces(drawn.map(live), point.threshold), 2 / 21);
        sum += pool.filter((v) => v < point.threshold).length / pool.length;
      }
      assert.ok(Math.abs(sum / draws - 2 / 21) < 0.01, `mean BPCER on new faces ${sum / draws}`);
    });
  });

  describe('newFacesBpcerInterval', () => {
    it('is the central 95 % of Beta(r + 1, n - r): closed forms for r = 0, and it holds the expected BPCER', () => {
      // 20 live faces, none below: the BPCER on new faces lies in [1 - 0.975^(1/20), 1 - 0.025^(1/20)].
      const twenty = Array.from({ length: 20 }, (_, i) => live(0.5 + i / 100));
      const i = newFacesBpcerInterval(twenty, 0.5);
      close(i.lower, 1 - 0.975 ** (1 / 20));
      close(i.upper, 1 - 0.025 ** (1 / 20));
      // 5 scored live, 0.3 below 0.6: Beta(2, 4), mean 2 / 6, inside.
      const j = newFacesBpcerInterval(SAMPLES, 0.6);
      assert.ok(j.lower < 2 / 6 && 2 / 6 < j.upper && j.upper < 1);
      const none = newFacesBpcerInterval([attack('print', 0.3)], 0.5);
      assert.ok(Number.isNaN(none.lower) && Number.isNaN(none.upper));
    });

    it('holds the BPCER new live faces meet for about 95 % of calibrations on 20 faces', () => {
      // Calibrated for new faces at 10 % on 20 of 3,000 evenly spread live scores (the 2nd lowest),
      // 400 times: the share of calibrations whose BPCER on the other 2,980 falls inside its interval.
      const draw = liveDraws(13, 3000);
      let inside = 0;
      const draws = 400;
      for (let d = 0; d < draws; d++) {
        const { drawn, pool } = draw(20);
        const faces = drawn.map(live);
        const point = calibrateThresholdForNewFaces(faces, 0.1)!;
        const i = newFacesBpcerInterval(faces, point.threshold);
        const met = pool.filter((v) => v < point.threshold).length / pool.length;
        if (i.lower <= met && met <= i.upper) inside += 1;
      }
      assert.ok(Math.abs(inside / draws - 0.95) < 0.03, `covered ${inside} of ${draws}`);
    });
  });

  describe('calibrateThresholdForNewFaces', () => {
    it('takes the (r + 1)-th lowest live score with (r + 1) / (n + 1) <= target, and null below 1 / target - 1 live scores', () => {
      // 5 scored live (0.3, 0.6, 0.6, 0.8, 0.9): at 0.34, r = floor(0.34 * 6) - 1 = 1, the 2nd lowest.
      const at34 = calibrateThresholdForNewFaces(SAMPLES, 0.34);
      assert.ok(at34);
      close(at34.threshold, 0.6);
      close(at34.bpcer, 0.2);
      close(at34.apcer_max, 2 / 3);
      close(calibrateThresholdForNewFaces(SAMPLES, 1 / 6)!.threshold, 0.3, 'r = 0 at exactly 1 / (n + 1)');
      assert.equal(calibrateThresholdForNewFaces(SAMPLES, 0.16), null, '5 live scores cannot promise under 1 / 6');
      assert.equal(calibrateThresholdForNewFaces([attack('print', 0.2)], 0.5), null);
      assert.throws(() => calibrateThresholdForNewFaces(SAMPLES, 0), TypeError);
    });

    it('keeps the mean BPCER on new live faces at or under the target, where the other rule does not', () => {
      const draw = liveDraws(11, 3000);
      const mean = { newFaces: 0, calibrationFaces: 0 };
      const draws = 400;
      for (let d = 0; d < draws; d++) {
        const { pool, ...rest } = draw(50);
        const drawn = rest.drawn.map(live);
        const strict = calibrateThresholdForNewFaces(drawn, 0.05)!;
        const loose = calibrateThreshold(drawn, 0.05)!;
        mean.newFaces += pool.filter((v) => v < strict.threshold).length / pool.length / draws;
        mean.calibrationFaces += pool.filter((v) => v < loose.threshold).length / pool.length / draws;
      }
      // 50 faces at 5 %: r = 1 (2 / 51, 3.9 %) against r = 2 (3 / 51, 5.9 %).
      assert.ok(Math.abs(mean.newFaces - 2 / 51) < 0.006 && mean.newFaces <= 0.05, `new-faces rule ${mean.newFaces}`);
      assert.ok(Math.abs(mean.calibrationFaces - 3 / 51) < 0.006 && mean.calibrationFaces > 0.05, `calibration-faces rule ${mean.calibrationFaces}`);
    });
  });

  describe('flagMetrics', () => {
    // Attributes as the engine flags them (probability >= threshold).
    const attributes: FlagSample[] = [
      { flagged: { mask: true, sunglasses: false, veil: false }, truth: ['mask'] },
      { flagged: { mask: false, sunglasses: true, veil: false }, truth: ['mask', 'sunglasses'] },
      { flagged: { mask: true, sunglasses: false, veil: false }, truth: [] },
      { flagged: { mask: true, sunglasses: true, veil: false }, truth: [] },
      { flagged: null, truth: ['mask'] },
    ];

    it('computes precision, recall and F1 from the flags', () => {
      const m = flagMetrics(attributes, ['mask', 'sunglasses', 'veil']);
      assert.deepEqual([m.mask.tp, m.mask.fp, m.mask.fn, m.mask.tn], [1, 2, 1, 0]);
      close(m.mask.precision, 1 / 3);
      close(m.mask.recall, 1 / 2);
      close(m.mask.f1, 0.4);
      assert.deepEqual([m.sunglasses.tp, m.sunglasses.fp, m.sunglasses.fn, m.sunglasses.tn], [1, 1, 0, 2]);
      close(m.sunglasses.f1, 2 / 3);
      assert.ok(Number.isNaN(m.veil.precision) && Number.isNaN(m.veil.recall) && Number.isNaN(m.veil.f1));
      assert.equal(flagNonResponses(attributes), 1);
    });

    it('leaves a non-response out wherever it comes, counting the images after it', () => {
      const names = ['mask', 'sunglasses', 'veil'];
      const nonResponse = attributes.filter((s) => s.flagged === null);
      const first = flagMetrics([...nonResponse, ...attributes.filter((s) => s.flagged !== null)], names);
      assert.deepEqual(first, flagMetrics(attributes, names));
      assert.equal(first.mask.tp + first.mask.fp + first.mask.fn + first.mask.tn, attributes.length - 1);
    });

    it('scores quality problems the same way: a failed measure is a flag, an image may fail several', () => {
      const pass = { blur: false, dark: false, grayscale: false };
      const quality: FlagSample[] = [
        { flagged: { ...pass, blur: true }, truth: ['blur'] },
        { flagged: { ...pass, blur: true, dark: true }, truth: ['blur', 'dark'] },
        { flagged: { ...pass, dark: true }, truth: [] },
        { flagged: pass, truth: ['grayscale'] },
        { flagged: pass, truth: [] },
        { flagged: null, truth: ['blur'] },
      ];
      const m = flagMetrics(quality, ['blur', 'dark', 'grayscale']);
      assert.deepEqual([m.blur.tp, m.blur.fp, m.blur.fn, m.blur.tn], [2, 0, 0, 3]);
      close(m.blur.precision, 1);
      close(m.blur.recall, 1);
      close(m.blur.f1, 1);
      assert.deepEqual([m.dark.tp, m.dark.fp, m.dark.fn, m.dark.tn], [1, 1, 0, 3]);
      close(m.dark.f1, 2 / 3);
      assert.deepEqual([m.grayscale.tp, m.grayscale.fp, m.grayscale.fn], [0, 0, 1]);
      assert.ok(Number.isNaN(m.grayscale.precision));
      close(m.grayscale.recall, 0);
      assert.equal(m.grayscale.f1, 0, 'nothing flagged of one image that fails: F1 is 0');
      assert.equal(flagNonResponses(quality), 1);
    });

    it('F1 is 2TP / (2TP + FP + FN): 0 when precision or recall alone is undefined, n/a only without TP, FP or FN', () => {
      const samples: FlagSample[] = [
        { flagged: { veil: false, eyeglasses: true, hat: false }, truth: ['veil'] },
        { flagged: { veil: false, eyeglasses: true, hat: false }, truth: ['veil'] },
        { flagged: { veil: false, eyeglasses: false, hat: false }, truth: [] },
      ];
      const m = flagMetrics(samples, ['veil', 'eyeglasses', 'hat']);
      assert.deepEqual([m.veil.tp, m.veil.fp, m.veil.fn, m.veil.f1], [0, 0, 2, 0], 'both carriers missed');
      assert.ok(Number.isNaN(m.veil.precision));
      assert.deepEqual([m.eyeglasses.tp, m.eyeglasses.fp, m.eyeglasses.fn, m.eyeglasses.f1], [0, 2, 0, 0], 'two false alarms');
      assert.ok(Number.isNaN(m.eyeglasses.recall));
      assert.ok(Number.isNaN(m.hat.f1), 'no carrier and no flag: n/a');
    });

    it('rejects a scored sample without the flag', () => {
      assert.throws(() => flagMetrics([{ flagged: { blur: true }, truth: [] }], ['dark']), TypeError);
    });
  });
});
