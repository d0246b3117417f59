// The learned attribute check: landmark alignment, seeded synthetic rendering, and the classifier
// flipping on pairs of the same fixture face with and without rendered sunglasses or a mask.

import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../core';
import { alignFace, alignTemplate, applySimilarity, fitSimilarity, fivePoints } from '../../core/faces/align';
import type { Raster } from '../../core/image/raster';
import { attributeProbabilities, checkAttributes } from '../../core/checks/attributes';
import { geometryFromPoints } from '../../core/faces/landmarks';
import { modelsOfRole, validateManifest, type Manifest } from '../../core/models/manifest';
import { readPack } from '../../core/models/manifest';
import { createRegistry } from '../../core/models/registry';
import { DEFAULT_PACK_DIR } from '../../core';
import type { Point } from '../../core/types';
import { renderAttribute, renderAttributes, SYNTHETIC_KINDS, type SyntheticKind } from '../../models/train/attribute-render';
import { sharedEngine } from '../helpers/engine';
import { decodedRaster as decoded, withAttributeDrawn } from '../helpers/rendered';
import { selfieJpeg, SELFIE_NAMES } from '../helpers/faces';

describe('attributes: alignment', function () {
  it('fits a similarity that maps points exactly when one exists', function () {
    const from: Point[] = [{ x: 10, y: 20 }, { x: 50, y: 22 }, { x: 30, y: 40 }, { x: 15, y: 60 }, { x: 45, y: 61 }];
    const angle = 0.3, scale = 1.7;
    const to = from.map((p) => ({ x: scale * (Math.cos(angle) * p.x - Math.sin(angle) * p.y) + 5, y: scale * (Math.sin(angle) * p.x + Math.cos(angle) * p.y) - 8 }));
    const s = fitSimilarity(from, to);
    for (let i = 0; i < from.length; i++) {
      const q = applySimilarity(s, from[i]!);
      assert.ok(Math.hypot(q.x - to[i]!.x, q.y - to[i]!.y) < 1e-9);
    }
  });

  it('puts the eyes where the template says, whatever the face size and tilt', function () {
    // A synthetic image: a bright dot at each eye centre of a tilted, scaled 68-point face.
    const rule = { interEye: 0.24, eyeY: 0.4 };
    const template = alignTemplate(rule);
    const width = 400, height = 300;
    const data = new Uint8Array(width * height * 3);
    const toImage = fitSimilarity(template.map((p) => ({ x: p.x * 64, y: p.y * 64 })), [
      { x: 150, y: 130 }, { x: 250, y: 150 }, { x: 195, y: 190 }, { x: 160, y: 240 }, { x: 230, y: 253 },
    ]);
    const points: Point[] = Array.from({ length: 68 }, () => ({ x: 200, y: 200 }));
    const eyes = [applySimilarity(toImage, { x: template[0]!.x * 64, y: template[0]!.y * 64 }), applySimilarity(toImage, { x: template[1]!.x * 64, y: template[1]!.y * 64 })];
    for (let i = 36; i <= 41; i++) points[i] = eyes[0]!;
    for (let i = 42; i <= 47; i++) points[i] = eyes[1]!;
    points[30] = applySimilarity(toImage, { x: template[2]!.x * 64, y: template[2]!.y * 64 });
    points[48] = applySimilarity(toImage, { x: template[3]!.x * 64, y: template[3]!.y * 64 });
    points[54] = applySimilarity(toImage, { x: template[4]!.x * 64, y: template[4]!.y * 64 });
    for (const e of eyes) {
      for (let dy = -3; dy <= 3; dy++) for (let dx = -3; dx <= 3; dx++) data.fill(255, ((Math.round(e.y) + dy) * width + Math.round(e.x) + dx) * 3, ((Math.round(e.y) + dy) * width + Math.round(e.x) + dx) * 3 + 3);
    }
    assert.equal(fivePoints(points).length, 5);
    const crop = alignFace({ data, width, height, channels: 3 }, points, 64, rule);
    const brightest = (x0: number, x1: number): Point => {
      let best = { x: 0, y: 0 }, max = -1;
      for (let y = 0; y < 64; y++) for (let x = x0; x < x1; x++) {
        const v = crop.data[(y * 64 + x) * 3]!;
        if (v > max) { max = v; best = { x: x + 0.5, y: y + 0.5 }; }
      }
      return best;
    };
    const left = brightest(0, 32), right = brightest(32, 64);
    assert.ok(Math.hypot(left.x - template[0]!.x * 64, left.y - template[0]!.y * 64) <= 1.5, `left eye at ${JSON.stringify(left)}`);
    assert.ok(Math.hypot(right.x - template[1]!.x * 64, right.y - template[1]!.y * 64) <= 1.5, `right eye at ${JSON.stringify(right)}`);
  });
});

describe('attributes: synthetic rendering', function () {
  let face: Raster;
  let points: Point[];

  before(async function () {
    const engine = await sharedEngine();
    const jpeg = await selfieJpeg('frontal');
    face = await decoded(jpeg);
    points = (await engine.check(jpeg, { is_liveness: false, is_quality: false })).data.faces[0]!.landmarks!.map((p) => ({ ...p }));
  });

  for (const kind of SYNTHETIC_KINDS) {
    it(`draws the same ${kind} for the same seed, another for another seed, and leaves the input alone`, function () {
      const before = Buffer.from(face.data);
      const a = renderAttribute(face, points, kind, 1234);
      const b = renderAttribute(face, points, kind, 1234);
      const c = renderAttribute(face, points, kind, 99);
      assert.ok(Buffer.from(a.data).equals(Buffer.from(b.data)), 'same seed, same pixels');
      assert.ok(!Buffer.from(a.data).equals(Buffer.from(c.data)), 'another seed, other pixels');
      assert.ok(!Buffer.from(a.data).equals(before), 'something was drawn');
      assert.ok(Buffer.from(face.data).equals(before), 'the input raster is unchanged');
    });
  }

  it('draws several attributes together (sunglasses under a cap), deterministically for a seed', function () {
    const both = renderAttributes(face, points, ['cap', 'sunglasses'], 1234);
    const again = renderAttributes(face, points, ['sunglasses', 'cap'], 1234);
    assert.ok(Buffer.from(both.data).equals(Buffer.from(again.data)), 'same seed and kinds in any order, same pixels');
    const differ = (a: Raster, b: Raster): number => { let n = 0; for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) n++; return n; };
    // The pair changes more pixels than the cap alone, and the eye band too.
    const capOnly = renderAttribute(face, points, 'cap', 1234);
    assert.ok(differ(both, face) > differ(capOnly, face), 'the lenses are drawn as well as the cap');
    const eye = points[37]!;
    const at = (r: Raster): number => r.data[(Math.round(eye.y) * r.width + Math.round(eye.x)) * 3]!;
    assert.notEqual(at(both), at(face), 'a lens covers the eye');
    assert.equal(at(capOnly), at(face), 'the cap alone leaves the eye alone');
  });
});

describe('attributes: the classifier on rendered pairs', function () {
  let engine: Engine;
  const bare = new Map<string, { sunglasses: number; mask: number }>();

  before(async function () {
    engine = await sharedEngine();
  });

  async function probabilities(jpeg: Buffer) {
    const { data } = await engine.check(jpeg, { is_liveness: false, is_quality: false });
    assert.ok(data.attributes);
    return data.attributes;
  }

  async function rendered(name: (typeof SELFIE_NAMES)[number], kind: SyntheticKind, seed: number): Promise<Buffer> {
    return withAttributeDrawn(engine, await selfieJpeg(name), kind, seed);
  }

  for (const name of SELFIE_NAMES) {
    it(`reads no sunglasses on the bare "${name}" selfie${name === 'right' ? '' : ', and no mask'}`, async function () {
      const a = await probabilities(await selfieJpeg(name));
      assert.equal(a.sunglasses.detected, false, `sunglasses ${a.sunglasses.probability}`);
      // The side-lit "right" selfie, its chin at the photo's edge, reads as masked (0.29 against
      // 0.23): a known false alarm of this model, stated in models/attributes.md; its mask pair is
      // checked by probability below.
      if (name !== 'right') assert.equal(a.mask.detected, false, `mask ${a.mask.probability}`);
      bare.set(name, { sunglasses: a.sunglasses.probability, mask: a.mask.probability });
    });

    it(`flips to sunglasses when lenses are drawn on the "${name}" selfie (5 seeds)`, async function () {
      const base = bare.get(name)?.sunglasses ?? (await probabilities(await selfieJpeg(name))).sunglasses.probability;
      const threshold = (await probabilities(await selfieJpeg(name))).sunglasses.threshold;
      const drawn: number[] = [];
      for (const seed of [11, 12, 13, 14, 15]) drawn.push((await probabilities(await rendered(name, 'sunglasses', seed))).sunglasses.probability);
      // At least 4 of 5 on every test face (all 5 when this model was trained, the lowest 0.98 on the
      // tilted, side-lit "right" selfie, against a threshold of 0.33).
      assert.ok(drawn.filter((p) => p >= threshold).length >= 4, `drawn ${drawn.join(', ')} vs threshold ${threshold}`);
      const mean = drawn.reduce((a, b) => a + b, 0) / drawn.length;
      assert.ok(mean >= base + 0.4, `mean drawn ${mean} vs bare ${base}`);
    });

    it(`flips to mask when a mask is drawn on the "${name}" selfie`, async function () {
      const base = bare.get(name)?.mask ?? (await probabilities(await selfieJpeg(name))).mask.probability;
      let found = 0;
      for (const seed of [21, 22, 23]) {
        const image = await rendered(name, 'mask', seed);
        // The detector may miss a masked face: that is a detection miss, not the classifier's.
        const result = await engine.check(image, { is_liveness: false, is_quality: false }).catch((err: { code?: string }) => {
          if (err.code === 'FACE_NOT_DETECTED') return null;
          throw err;
        });
        if (!result) continue;
        found++;
        const a = result.data.attributes!;
        assert.equal(a.mask.detected, true, `seed ${seed}: mask ${a.mask.probability}`);
        assert.ok(a.mask.probability >= base + 0.5, `seed ${seed}: mask ${a.mask.probability} vs bare ${base}`);
        assert.equal(a.sunglasses.detected, false, `seed ${seed}: sunglasses ${a.sunglasses.probability}`);
      }
      assert.ok(found >= 2, `the face was found on ${found} of 3 masked images`);
    });
  }

  it('reads drawn clear eyeglasses (some with a coating\'s coloured sheen) as not sunglasses', async function () {
    let asSunglasses = 0;
    const read: string[] = [];
    for (const name of SELFIE_NAMES) {
      for (let seed = 31; seed <= 40; seed++) {
        const a = await probabilities(await rendered(name, 'eyeglasses', seed));
        if (a.sunglasses.detected) asSunglasses++;
        read.push(`${name}/${seed}: ${a.sunglasses.probability}`);
      }
    }
    // 2 of 30 with this model, both on the "downward" selfie (eyes half closed under the lenses), by
    // its sunglasses probability alone too; the previous, narrower model 1 of 30 (3 without the
    // eyeglasses rule); the model before the drawn sheen, 7 of 30.
    assert.ok(asSunglasses <= 2, `${asSunglasses} of 30 read as sunglasses: ${read.join(', ')}`);
  });

  it('does not detect sunglasses where the model reads clear eyeglasses more, whatever the sunglasses threshold', async function () {
    const anyLens = await createEngine({ thresholds: { sunglasses: 0 } });
    try {
      let outweighed = 0;
      let detected = 0;
      for (const kind of ['eyeglasses', 'sunglasses'] as const) {
        for (let seed = 31; seed <= 34; seed++) {
          const { data } = await anyLens.check(await rendered('frontal', kind, seed), { is_liveness: false, is_quality: false });
          const a = data.attributes!;
          const clearer = a.eyeglasses!.probability > a.sunglasses.probability;
          assert.equal(a.sunglasses.detected, !clearer, `${kind}/${seed}: sunglasses ${a.sunglasses.probability}, eyeglasses ${a.eyeglasses!.probability}`);
          if (clearer) outweighed++; else detected++;
        }
      }
      // Both sides of the rule are exercised: clear lenses read as eyeglasses, dark ones as sunglasses.
      assert.ok(outweighed >= 2 && detected >= 4, `${outweighed} outweighed, ${detected} detected`);
    } finally {
      await anyLens.dispose();
    }
  });

  it('reports eyeglasses as an extension that never fails validate_attribute', async function () {
    const strict = await createEngine({ thresholds: { eyeglasses: 0 } });
    try {
      const result = await strict.check(await selfieJpeg(), { is_liveness: false, is_quality: false, validate_attribute: true });
      assert.equal(result.data.attributes!.eyeglasses!.detected, true);
      assert.equal(result.error_code, null);
    } finally {
      await strict.dispose();
    }
  });

  it('the pack names its attribute model, its aligned input and calibrated thresholds; a pack without one is refused', function () {
    const { manifest } = readPack(DEFAULT_PACK_DIR);
    const entries = Object.values(manifest.models).filter((e) => e.role === 'attributes');
    assert.equal(entries.length, 1);
    const entry = entries[0]!;
    assert.ok(entry.align && entry.output.type === 'attributes');
    assert.deepEqual(entry.output.labels.slice(0, 4), ['sunglasses', 'mask', 'hat', 'veil']);
    for (const t of [manifest.attributes.sunglasses, manifest.attributes.mask, manifest.attributes.hat, manifest.attributes.veil]) assert.ok(t > 0 && t < 1);
    const without = { ...manifest, models: Object.fromEntries(Object.entries(manifest.models).filter(([, e]) => e.role !== 'attributes')) } as Manifest;
    assert.throws(() => validateManifest(without, 'manifest.json'), /role attributes/);
    const unaligned = { ...manifest, models: { ...manifest.models, attributes: { ...entry, align: undefined } } } as unknown as Manifest;
    assert.throws(() => validateManifest(unaligned, 'manifest.json'), /align/);
  });
});

// docs/attributes.md: each probability is compared with its threshold as the answer reports it, an
// attribute at or above it is detected, and sunglasses only where the eyeglasses probability is not higher ("even at or above the
// sunglasses threshold" they are not detected where it is).
describe('attributes: a probability exactly at its threshold', function () {
  it('detects every attribute at its threshold and none just above it, the eyeglasses rule on sunglasses alone', async function () {
    const pack = readPack(DEFAULT_PACK_DIR);
    const [key, entry] = modelsOfRole(pack.manifest, 'attributes')[0]!;
    const registry = await createRegistry({ ...pack, manifest: { ...pack.manifest, models: { [key]: entry } } });
    try {
      const engine = await sharedEngine();
      // A face with clear glasses drawn on it: the model reads them as eyeglasses more than sunglasses.
      const jpeg = await withAttributeDrawn(engine, await selfieJpeg('frontal'), 'eyeglasses', 31);
      const found = (await engine.check(jpeg, { is_liveness: false, is_quality: false, is_attribute: false })).data.faces[0]!;
      const geometry = geometryFromPoints(found.landmarks!.map((p) => ({ ...p })));
      const image = await decoded(jpeg);
      const model = registry.get(key);
      const p = await attributeProbabilities(model, image, geometry);
      assert.ok(p.eyeglasses! > p.sunglasses!, `eyeglasses ${p.eyeglasses}, sunglasses ${p.sunglasses}`);
      const names = ['sunglasses', 'mask', 'veil', 'hat', 'eyeglasses'] as const;
      // Each probability as the answer reports it (to 4 decimals), which the flag judges.
      const reported = await checkAttributes(model, image, geometry, pack.manifest.attributes);
      const at = Object.fromEntries(names.map((name) => [name, reported[name]!.probability])) as Record<(typeof names)[number], number>;
      for (const name of names) assert.ok(Math.abs(at[name] - p[name]!) <= 5e-5, name);
      const atThreshold = await checkAttributes(model, image, geometry, { ...pack.manifest.attributes, ...at });
      for (const name of ['mask', 'veil', 'hat', 'eyeglasses'] as const) assert.equal(atThreshold[name]!.detected, true, `${name} at its threshold ${at[name]}`);
      assert.equal(atThreshold.sunglasses.detected, false, 'outweighed by eyeglasses, even at its threshold');
      const justAbove = Object.fromEntries(names.map((name) => [name, at[name] + 1e-9]));
      const above = await checkAttributes(model, image, geometry, { ...pack.manifest.attributes, ...justAbove });
      for (const name of names) assert.equal(above[name]!.detected, false, `${name} under its threshold`);
    } finally {
      await registry.dispose();
    }
  });
});
