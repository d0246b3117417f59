// How `facelive eval` reads a check's attributes: the engine's decision (detected), not the probability
// against the threshold, since sunglasses are also weighed against the clear-eyeglasses probability.

import assert from 'node:assert/strict';
import { GROUPS } from '../../core/eval/groups';
import type { VerdictData } from '../../core/types';

const measure = (probability: number, threshold: number, detected: boolean) => ({ probability, threshold, detected });

describe('eval: attribute readings', function () {
  it('flags what the engine detected, also where a probability over its threshold was outweighed', function () {
    const data = {
      attributes: {
        sunglasses: measure(0.3, 0.21, false), // clear glasses read more: not detected
        mask: measure(0.9, 0.18, true),
        veil: measure(0.01, 0.05, false),
        hat: measure(0.01, 0.16, false),
        eyeglasses: measure(0.6, 0.33, true),
      },
    } as unknown as VerdictData;
    const reading = GROUPS.attribute.read(data)!;
    assert.deepEqual(reading.flagged, { sunglasses: false, mask: true, veil: false, hat: false, eyeglasses: true });
    assert.equal(reading.scores!.sunglasses, 0.3);
    assert.equal(reading.thresholds.sunglasses, 0.21);
  });
});
