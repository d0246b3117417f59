// Each quality and attribute flag, and whether nface counts a face, follows from the numbers the
// answer reports beside it: a threshold set to a reported score, probability, size or angle judges
// that value as the README's rules say, so that a stored answer explains its own verdict.

import assert from 'node:assert/strict';
import { createEngine, type CheckResult } from '../../core';
import { engineWithManifest, sharedEngine } from '../helpers/engine';
import { groupPhoto, portraitJpeg, selfieJpeg, SELFIE_NAMES } from '../helpers/faces';

const QUALITY_SCORES = ['blur', 'dark', 'exposure', 'backlight'] as const;
const ATTRIBUTES = ['mask', 'veil', 'hat', 'eyeglasses', 'sunglasses'] as const;

/** The test faces: the three selfies and six portraits of the group photos. */
async function faces(): Promise<{ name: string; image: Buffer }[]> {
  const selfies = await Promise.all(SELFIE_NAMES.map(async (name) => ({ name, image: await selfieJpeg(name) })));
  const portraits = await Promise.all([0, 4, 8, 12, 16, 20].map(async (i) => ({ name: `portrait ${i}`, image: await portraitJpeg(i) })));
  return [...selfies, ...portraits];
}

function sections(result: CheckResult) {
  const { quality, attributes } = result.data;
  assert.ok(quality && attributes, 'quality and attributes computed');
  return { quality, attributes };
}

describe('reported values: each flag follows from the value the answer reports', function () {
  this.timeout(300_000);

  it('judges a quality measure or an attribute whose threshold is set to its reported value as at its threshold', async function () {
    const engine = await sharedEngine();
    for (const { name, image } of await faces()) {
      const { quality, attributes } = sections(await engine.check(image, { is_liveness: false }));
      const thresholds = {
        ...Object.fromEntries(QUALITY_SCORES.map((key) => [key, quality[key].score])),
        grayscale: quality.grayscale.score,
        face_size: quality.face_size.inter_eye_px,
        framing: quality.framing.image_to_face,
        ...Object.fromEntries(ATTRIBUTES.map((key) => [key, attributes[key]!.probability])),
      };
      const at = await createEngine({ thresholds, workerThreads: false });
      try {
        const again = sections(await at.check(image, { is_liveness: false }));
        // docs/quality.md: blur, dark, exposure and backlight fail above their thresholds, face size and
        // framing below theirs, and the image is grayscale at a score below its threshold.
        for (const key of QUALITY_SCORES) {
          assert.equal(again.quality[key].score, again.quality[key].threshold, `${name}: ${key} reported as before`);
          assert.equal(again.quality[key].pass, true, `${name}: ${key} ${again.quality[key].score} at its threshold passes`);
        }
        assert.equal(again.quality.face_size.pass, true, `${name}: face size ${again.quality.face_size.inter_eye_px} at its threshold passes`);
        assert.equal(again.quality.framing.pass, true, `${name}: framing ${again.quality.framing.image_to_face} at its threshold passes`);
        assert.deepEqual([again.quality.grayscale.value, again.quality.grayscale.pass], [false, true], `${name}: saturation ${again.quality.grayscale.score} at its threshold is not grayscale`);
        // docs/attributes.md: an attribute at or above its threshold is detected; sunglasses are not
        // where the eyeglasses probability is higher.
        for (const key of ATTRIBUTES) {
          const measure = again.attributes[key]!;
          const outweighed = key === 'sunglasses' && again.attributes.eyeglasses!.probability > measure.probability;
          assert.equal(measure.detected, !outweighed, `${name}: ${key} ${measure.probability} at its threshold ${measure.threshold}`);
        }
      } finally {
        await at.dispose();
      }
    }
  });

  it('passes a pose whose limits are set to its reported angles', async function () {
    const engine = await sharedEngine();
    for (const { name, image } of await faces()) {
      const { pose } = sections(await engine.check(image, { is_liveness: false })).quality;
      const limits = {
        max_yaw: Math.abs(pose.yaw), max_pitch: Math.abs(pose.pitch), max_roll: Math.abs(pose.roll),
        max_yaw_from_landmarks: Math.abs(pose.yaw_from_landmarks),
      };
      const at = await engineWithManifest((manifest) => ({ ...manifest, quality: { ...manifest.quality, ...limits } }));
      try {
        const again = sections(await at.engine.check(image, { is_liveness: false })).quality.pose;
        assert.deepEqual([again.yaw, again.pitch, again.roll, again.yaw_from_landmarks], [pose.yaw, pose.pitch, pose.roll, pose.yaw_from_landmarks], name);
        assert.equal(again.pass, true, `${name}: angles ${JSON.stringify(pose)} at their limits pass`);
      } finally {
        await at.close();
      }
    }
  });

  // docs/api.md, "How `nface` counts": a face counts when its score is at least the count rule's (0.8).
  it('counts a face whose reported score is the count rule\'s score', async function () {
    const engine = await sharedEngine();
    const sections = { is_liveness: false, is_quality: false, is_attribute: false };
    for (const photo of ['sample1.jpg', 'sample5.jpg', 'sample6.jpg']) {
      const image = groupPhoto(photo);
      const { faces: found } = (await engine.check(image, sections)).data;
      for (const [i, face] of found.entries()) {
        if (face.primary) continue;
        const at = await engineWithManifest((manifest) => {
          const detector = Object.values(manifest.models).find((entry) => entry.role === 'detector')!;
          const output = detector.output as { count: { minScore: number } };
          output.count = { ...output.count, minScore: face.score };
          return manifest;
        });
        try {
          const again = (await at.engine.check(image, sections)).data.faces[i]!;
          assert.equal(again.score, face.score, `${photo} face ${i}`);
          assert.equal(again.counted, true, `${photo} face ${i}: score ${again.score} at the count rule's counts`);
        } finally {
          await at.close();
        }
      }
    }
  });
});
