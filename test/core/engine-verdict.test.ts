// The engine on real faces: face counts, quality flags flipped by real degradations, sections
// switched off, and every FAIL_ON bit of the verdict.

import assert from 'node:assert/strict';
import sharp from 'sharp';
import { createEngine, FaceliveError, type AttributeName, type CheckResult, type Engine } from '../../core';
import { engineWithManifest, sharedEngine } from '../helpers/engine';
import { MAX_FACES_WITH_LANDMARKS } from '../../core/engine';
import {
  GROUP_PHOTOS, SELFIE_NAMES, blurredSelfie, blurredTwoFaces, darkenedSelfie, darkenedSelfieOnWall, framedGrayscaleSelfie, grainySelfie, grayscaleSelfie, groupPhoto,
  selfieJpeg, selfieOnWall, selfiePng, twoFaces,
} from '../helpers/faces';

function qualityFlags(result: CheckResult): { blur: boolean; dark: boolean; grayscale: boolean } {
  const q = result.data.quality;
  assert.ok(q, 'quality section expected');
  return { blur: !q.blur.pass, dark: !q.dark.pass, grayscale: q.grayscale.value };
}

describe('engine: verdicts on real faces', function () {
  let engine: Engine;

  before(async function () {
    engine = await sharedEngine();
  });

  for (const photo of GROUP_PHOTOS) {
    it(`counts the ${photo.faces} faces of ${photo.name} (counted by hand)`, async function () {
      const result = await engine.check(groupPhoto(photo.name), { is_attribute: false, is_quality: false });
      assert.equal(result.data.nface, photo.faces);
      assert.equal(result.data.faces.length, photo.faces);
      assert.equal(result.data.faces.filter((f) => f.primary).length, 1);
      const areas = result.data.faces.map((f) => f.box.width * f.box.height);
      assert.equal(areas[0], Math.max(...areas), 'the primary face is the largest and comes first');
      for (const [i, face] of result.data.faces.entries()) {
        // The contract lists landmarks of each face: 68, most of them inside that face's own box.
        assert.equal(face.landmarks?.length, 68, `face ${i} has 68 landmarks`);
        const { x, y, width, height } = face.box;
        const inside = face.landmarks!.filter((p) => p.x >= x - width / 4 && p.x <= x + width * 1.25 && p.y >= y - height / 4 && p.y <= y + height * 1.25);
        assert.ok(inside.length >= 60, `face ${i}: ${inside.length} of 68 landmarks in or next to its box`);
      }
    });
  }

  it(`gives landmarks to the ${MAX_FACES_WITH_LANDMARKS} largest faces of a crowd and lists the others without`, async function () {
    // A 7x7 grid of the selfie, the first tile twice as large: 49 faces, the primary the largest.
    const tile = await sharp(await selfieJpeg()).resize(160, 120).jpeg().toBuffer();
    const large = await sharp(await selfieJpeg()).resize(320, 240).jpeg().toBuffer();
    const tiles: { input: Buffer; left: number; top: number }[] = [{ input: large, left: 0, top: 0 }];
    for (let row = 0; row < 7; row++) {
      for (let col = 0; col < 7; col++) if (row >= 2 || col >= 2) tiles.push({ input: tile, left: col * 160, top: row * 120 });
    }
    const crowd = await sharp({ create: { width: 1120, height: 840, channels: 3, background: '#808080' } }).composite(tiles).jpeg().toBuffer();
    const { data } = await engine.check(crowd, { is_liveness: false, is_attribute: false, is_quality: false });
    assert.ok(data.faces.length > MAX_FACES_WITH_LANDMARKS, `${data.faces.length} faces`);
    const withPoints = data.faces.filter((f) => f.landmarks !== undefined);
    assert.equal(withPoints.length, MAX_FACES_WITH_LANDMARKS);
    assert.ok(data.faces[0]!.primary && data.faces[0]!.landmarks?.length === 68, 'the primary face has its landmarks');
    // Listed largest first (by the detector's boxes): the first ones have landmarks, the rest none.
    assert.ok(data.faces.slice(0, MAX_FACES_WITH_LANDMARKS).every((f) => f.landmarks?.length === 68), 'the first faces listed have them');
    assert.ok(data.faces.slice(MAX_FACES_WITH_LANDMARKS).every((f) => f.landmarks === undefined), 'the later ones have none');
  });

  for (const name of SELFIE_NAMES) {
    it(`finds one face with 68 landmarks inside its box in the "${name}" selfie`, async function () {
      const { data } = await engine.check(await selfieJpeg(name));
      assert.equal(data.nface, 1);
      const face = data.faces[0]!;
      assert.equal(face.landmarks?.length, 68);
      const inside = face.landmarks!.filter((p) => p.x >= face.box.x - 10 && p.x <= face.box.x + face.box.width + 10 && p.y >= face.box.y - 10 && p.y <= face.box.y + face.box.height + 10);
      assert.ok(inside.length >= 60, `${inside.length} of 68 landmarks inside the box`);
      assert.ok(data.quality!.face_size.inter_eye_px > 40);
    });
  }

  it('reads PNG as well as JPEG, base64 and data URIs as well as Buffers', async function () {
    const png = await selfiePng();
    const fromBuffer = await engine.check(png);
    const fromBase64 = await engine.check(png.toString('base64'));
    const fromDataUri = await engine.check(`data:image/png;base64,${png.toString('base64')}`);
    assert.equal(fromBuffer.data.image.format, 'png');
    assert.equal(fromBuffer.data.liveness!.probability, fromBase64.data.liveness!.probability);
    assert.equal(fromBuffer.data.liveness!.probability, fromDataUri.data.liveness!.probability);
  });

  it('applies EXIF orientation before detecting', async function () {
    // Pixels stored rotated by 90 degrees, with the EXIF tag that says how to turn them upright.
    const stored = await sharp(await selfieJpeg()).rotate(90).withMetadata({ orientation: 8 }).jpeg().toBuffer();
    const { data } = await engine.check(stored, { is_attribute: false });
    assert.deepEqual(data.image, { width: 640, height: 480, format: 'jpeg', orientation: 8 });
    assert.equal(data.nface, 1);
    assert.ok(Math.abs(data.quality!.pose.roll) < 20, `upright face, roll ${data.quality!.pose.roll}`);
  });

  it('serves concurrent checks with the same answers', async function () {
    const image = await selfieJpeg();
    const results = await Promise.all(Array.from({ length: 12 }, () => engine.check(image)));
    assert.equal(new Set(results.map((r) => r.data.liveness!.probability)).size, 1);
  });

  it('an undamaged selfie raises no quality flag', async function () {
    assert.deepEqual(qualityFlags(await engine.check(await selfieJpeg())), { blur: false, dark: false, grayscale: false });
  });

  it('Gaussian blur flips blur only', async function () {
    assert.deepEqual(qualityFlags(await engine.check(await blurredSelfie())), { blur: true, dark: false, grayscale: false });
  });

  it('darkening flips dark only', async function () {
    assert.deepEqual(qualityFlags(await engine.check(await darkenedSelfie())), { blur: false, dark: true, grayscale: false });
  });

  // The face's own luma reads skin tone as well as light; the scene around it says what the light was.
  it('a face darker than the dark threshold passes in a lit scene, and fails when the scene is dark or the face under half the threshold', async function () {
    const inDarkScene = await engine.check(await darkenedSelfie(0.18), { is_liveness: false, is_attribute: false });
    const inLitScene = await engine.check(await darkenedSelfieOnWall(0.18), { is_liveness: false, is_attribute: false });
    const tooDark = await engine.check(await darkenedSelfieOnWall(0.08), { is_liveness: false, is_attribute: false });
    const dark = (r: CheckResult) => r.data.quality!.dark;
    assert.ok(!dark(inDarkScene).pass, `alone: dark ${dark(inDarkScene).score}`);
    assert.ok(dark(inLitScene).pass, `on a light wall: dark ${dark(inLitScene).score}`);
    // The wall excuses at most a face half as bright as the threshold: the scene moves the score, bounded.
    assert.ok(dark(inLitScene).score < dark(inDarkScene).score && dark(inLitScene).score >= 2 * dark(inDarkScene).score - 1 - 0.02);
    assert.ok(!dark(tooDark).pass, `x0.08 on a light wall: dark ${dark(tooDark).score}`);
  });

  it('desaturation flips grayscale only', async function () {
    assert.deepEqual(qualityFlags(await engine.check(await grayscaleSelfie())), { blur: false, dark: false, grayscale: true });
  });

  // Grain adds fine-scale energy that a plain Laplacian reads as detail: a blurred face with
  // phone-camera noise (sd 6 grey levels) must still read blurred, and the noise alone must not.
  it('Gaussian blur under camera grain still flips blur; grain alone does not', async function () {
    assert.deepEqual(qualityFlags(await engine.check(await grainySelfie(6, 5))), { blur: true, dark: false, grayscale: false });
    assert.deepEqual(qualityFlags(await engine.check(await grainySelfie(6))), { blur: false, dark: false, grayscale: false });
  });

  // Colour is measured on the face: a white wall around it, or a coloured frame around a grey photo, does not decide it.
  it('a colour selfie on a wide near-white wall is not grayscale', async function () {
    assert.deepEqual(qualityFlags(await engine.check(await selfieOnWall(4))), { blur: false, dark: false, grayscale: false });
  });

  it('a desaturated selfie in a red frame is grayscale', async function () {
    assert.deepEqual(qualityFlags(await engine.check(await framedGrayscaleSelfie())), { blur: false, dark: false, grayscale: true });
  });

  // Backlight compares the face with what is beside and above it, not with the image's top band.
  it('a normally lit selfie on a light wall is not backlit', async function () {
    const { data } = await engine.check(await selfieOnWall(3), { is_liveness: false, is_attribute: false });
    assert.ok(data.quality!.backlight.pass, `backlight ${data.quality!.backlight.score}`);
  });

  it('framing passes on the selfie and fails on the same face cut to its box, without failing validate_quality', async function () {
    const image = await selfieJpeg();
    const framed = await engine.check(image, { is_attribute: false, is_liveness: false, validate_quality: true });
    const box = framed.data.faces[0]!.box;
    const { width, height } = framed.data.image;
    assert.equal(framed.data.quality!.framing.image_to_face, Math.round(Math.min(width / box.width, height / box.height) * 100) / 100);
    assert.ok(framed.data.quality!.framing.pass, `image spans ${framed.data.quality!.framing.image_to_face} face boxes`);
    // The same face with a fifth of its box around it: what a face-cropping app sends.
    const margin = 0.1;
    const left = Math.max(0, Math.round(box.x - box.width * margin));
    const top = Math.max(0, Math.round(box.y - box.height * margin));
    const tight = await sharp(image).extract({
      left, top, width: Math.min(width - left, Math.round(box.width * (1 + 2 * margin))), height: Math.min(height - top, Math.round(box.height * (1 + 2 * margin))),
    }).jpeg({ quality: 95 }).toBuffer();
    const cut = await engine.check(tight, { is_attribute: false, is_liveness: false, validate_quality: true });
    const framing = cut.data.quality!.framing;
    assert.ok(framing.image_to_face < framing.threshold && !framing.pass, `cut to the face: ${framing.image_to_face}`);
    assert.equal(framing.threshold, 1.5);
    assert.equal(cut.data.status, framed.data.status, 'framing is an extension: validate_quality does not fail on it');
    const lenient = await createEngine({ thresholds: { framing: 1 } });
    try {
      const again = await lenient.check(tight, { is_attribute: false, is_liveness: false });
      assert.ok(again.data.quality!.framing.pass && again.data.quality!.framing.threshold === 1);
    } finally {
      await lenient.dispose();
    }
  });

  it('scores are in [0,1] with their thresholds, and sections switched off are absent', async function () {
    const all = await engine.check(await selfieJpeg());
    const { liveness, quality, attributes } = all.data;
    assert.ok(liveness && quality && attributes);
    for (const value of [liveness.probability, quality.blur.score, quality.dark.score, ...Object.values(attributes).map((a) => a.probability)]) {
      assert.ok(value >= 0 && value <= 1, `${value} in [0,1]`);
    }
    assert.equal(liveness.is_live, liveness.probability >= liveness.threshold);
    const none = await engine.check(await selfieJpeg(), { is_liveness: false, is_quality: false, is_attribute: false });
    assert.ok(!('liveness' in none.data) && !('quality' in none.data) && !('attributes' in none.data));
    assert.equal(none.data.nface, 1);
    assert.equal(none.data.pack.name, engine.pack.name);
    assert.match(none.data.request_id, /^[0-9a-f-]{36}$/);
    const tagged = await engine.check(await selfieJpeg(), {}, { requestId: 'req-42' });
    assert.equal(tagged.data.request_id, 'req-42');
  });

  it('takes a liveness threshold per check (a camera fleet\'s calibrated one) over its own', async function () {
    const image = await selfieJpeg('right');
    const base = await engine.check(image, { is_quality: false, is_attribute: false, validate_liveness: true });
    const p = base.data.liveness!.probability;
    const at = await engine.check(image, { is_quality: false, is_attribute: false, validate_liveness: true }, { livenessThreshold: p });
    assert.equal(at.data.liveness!.threshold, p);
    assert.equal(at.data.liveness!.is_live, true);
    assert.deepEqual([at.data.status, at.data.fail_code], ['PASS', 0]);
    const above = Math.min(1, p + 1e-6);
    const over = await engine.check(image, { is_quality: false, is_attribute: false, validate_liveness: true }, { livenessThreshold: above });
    assert.equal(over.data.liveness!.probability, p, 'the score does not depend on the threshold');
    assert.equal(over.data.liveness!.is_live, false);
    assert.deepEqual([over.data.status, over.data.fail_code], ['FAIL', 1]);
    const again = await engine.check(image, { is_quality: false, is_attribute: false });
    assert.equal(again.data.liveness!.threshold, base.data.liveness!.threshold, 'the engine\'s own threshold is untouched');
    for (const bad of [-0.1, 1.5, Number.NaN, '0.5', null]) {
      assert.throws(() => engine.check(image, {}, { livenessThreshold: bad as number }), /context\.livenessThreshold/);
      assert.throws(() => engine.checkRequest({ image: image.toString('base64') }, { livenessThreshold: bad as number }), TypeError);
    }
    assert.throws(() => engine.check(image, {}, { livenessThreshold: '0.5' as never }), /for context\.livenessThreshold but received the string "0\.5"\./);
    assert.throws(() => engine.check(image, {}, { livenessThreshold: 1.5 }), /for context\.livenessThreshold but received 1\.5\./);
  });

  it('refuses a per-check threshold calibrated on another pack, naming both packs; on its own pack it decides as before', async function () {
    const image = await selfieJpeg('right');
    const flags = { is_quality: false, is_attribute: false, validate_liveness: true } as const;
    const running = `${engine.pack.name}@${engine.pack.version}`;
    const own = await engine.check(image, flags, { livenessThreshold: 1, livenessThresholdPack: running });
    assert.deepEqual([own.data.liveness!.threshold, own.data.fail_code], [1, 1]);
    for (const refused of [engine.check(image, flags, { livenessThreshold: 1, livenessThresholdPack: 'old-pack@0.0.1' }), engine.checkRequest({ image: image.toString('base64') }, { livenessThreshold: 1, livenessThresholdPack: 'old-pack@0.0.1' })]) {
      await assert.rejects(refused, (err: FaceliveError) => err.code === 'INTERNAL_SERVER_ERROR' && err.message.includes(`calibrated on the model pack "old-pack@0.0.1", and this service runs "${running}"`));
    }
    assert.throws(() => engine.check(image, flags, { livenessThreshold: 1, livenessThresholdPack: 'old-pack' }), /name@version .*context\.livenessThresholdPack/);
    assert.throws(() => engine.check(image, flags, { livenessThresholdPack: running }), /context\.livenessThresholdPack names the pack of a livenessThreshold/);
  });

  it('uses the context as it was when check() was called, though the caller changes its object while the check runs', async function () {
    const image = await selfieJpeg('right');
    const flags = { is_quality: false, is_attribute: false, validate_liveness: true } as const;
    const context = { requestId: 'req-A', livenessThreshold: 1 };
    const pending = engine.check(image, flags, context);
    const pendingRequest = engine.checkRequest({ image: image.toString('base64'), ...flags }, context);
    context.requestId = 'req-B';
    context.livenessThreshold = 0; // would pass any face
    for (const result of await Promise.all([pending, pendingRequest])) {
      assert.equal(result.data.request_id, 'req-A');
      assert.equal(result.data.liveness!.threshold, 1);
      assert.deepEqual([result.data.status, result.data.fail_code], ['FAIL', 1]);
    }
    // A value that would have been refused at the call is never used either.
    const checked = { livenessThreshold: 0.5 as unknown };
    const later = engine.check(image, flags, checked as { livenessThreshold: number });
    checked.livenessThreshold = 'garbage';
    assert.equal((await later).data.liveness!.threshold, 0.5);
  });

  it('refuses a context that is not an object or a request id that is not 1 to 128 characters, at once', async function () {
    const image = await selfieJpeg();
    for (const context of [null, 5, []]) {
      assert.throws(() => engine.check(image, {}, context as never), /object for the check context/);
      assert.throws(() => engine.checkRequest({ image: image.toString('base64') }, context as never), /object for the check context/);
    }
    for (const requestId of [42, { a: 1 }, '', 'x'.repeat(129)]) {
      assert.throws(() => engine.check(image, {}, { requestId: requestId as string }), /context\.requestId/);
    }
    assert.equal((await engine.check(image, { is_quality: false, is_attribute: false, is_liveness: false }, { requestId: 'r'.repeat(128) })).data.request_id, 'r'.repeat(128));
  });

  it('answers a check after dispose() with SERVICE_UNAVAILABLE', async function () {
    const own = await createEngine({ workerThreads: false });
    await own.dispose();
    await assert.rejects(own.check(await selfieJpeg()), (err: unknown) => err instanceof FaceliveError && err.code === 'SERVICE_UNAVAILABLE');
    assert.equal(own.failure(), undefined, 'disposed on purpose is no failure');
    // Before anything about the request: a shutting-down instance says "retry elsewhere", not "your request is wrong".
    const unavailable = (err: unknown): boolean => err instanceof FaceliveError && err.code === 'SERVICE_UNAVAILABLE';
    await assert.rejects(own.check(undefined as unknown as Buffer), unavailable);
    await assert.rejects(own.check('!!!'), unavailable);
    await assert.rejects(own.check(await selfieJpeg(), { validate_quality: true, is_quality: false }), unavailable);
    await assert.rejects(own.checkRequest({}), unavailable);
    await assert.rejects(own.checkRequest(null), unavailable);
    await assert.rejects(own.loadRequest({}), unavailable);
  });

  it('fuses the liveness models by the weights in the pack\'s manifest (a weighted mean)', async function () {
    const image = await selfieJpeg('right');
    const weights = [0.3, 0.35, 0.35];
    for (const weighted of [[1, 0, 0], [0, 0, 2], weights]) {
      const pack = await engineWithManifest((manifest) => ({ ...manifest, liveness: { ...manifest.liveness, weights: weighted } }));
      try {
        const liveness = (await pack.engine.check(image, { is_quality: false, is_attribute: false })).data.liveness!;
        const keys = Object.keys(liveness.models);
        assert.equal(keys.length, weighted.length);
        const mean = keys.reduce((sum, key, i) => sum + liveness.models[key]! * weighted[i]!, 0) / weighted.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(liveness.probability - mean) < 1e-9, `weights ${weighted.join('/')}: ${liveness.probability} against ${mean}`);
      } finally {
        await pack.close();
      }
    }
  });

  it('is deterministic: the same image gives the same numbers', async function () {
    const a = await engine.check(await selfieJpeg('right'));
    const b = await engine.check(await selfieJpeg('right'));
    assert.deepEqual({ ...a.data, request_id: '', timings_ms: null }, { ...b.data, request_id: '', timings_ms: null });
  });
});

describe('engine: every FAIL_ON bit', function () {
  // Thresholds set through the engine options decide each validation on real images:
  // liveness threshold 0 always passes and above any reachable probability always fails; the
  // attribute threshold likewise; quality fails on the blurred selfie; nface on two faces.
  let passing: Engine;
  let failing: Engine;

  before(async function () {
    passing = await createEngine({ thresholds: { liveness: 0, sunglasses: 1, mask: 1 } });
    failing = await createEngine({ thresholds: { liveness: 1, sunglasses: 0, mask: 0 } });
  });

  after(async function () {
    await passing.dispose();
    await failing.dispose();
  });

  for (let n = 0; n < 16; n++) {
    it(`gives ${n === 0 ? 'PASS' : `FAIL_ON_${n}`} when ${n === 0 ? 'nothing fails' : 'exactly those validations fail'}`, async function () {
      const engine = n & 1 || n & 2 ? failing : passing;
      const mixed = Boolean(n & 1) !== Boolean(n & 2);
      const image = n & 8 ? (n & 4 ? await blurredTwoFaces() : await twoFaces()) : n & 4 ? await blurredSelfie() : await selfieJpeg();
      const requested = {
        // A validation that must not fail is still requested where the image and engine let it pass.
        liveness: Boolean(n & 1) || !mixed,
        attribute: Boolean(n & 2) || !mixed,
        quality: true,
        nface: true,
      };
      const result = await engine.check(image, {
        validate_liveness: requested.liveness,
        validate_attribute: requested.attribute,
        validate_quality: requested.quality,
        validate_nface: requested.nface,
      });
      assert.equal(result.data.fail_code, n);
      assert.equal(result.error_code, n === 0 ? null : `FAIL_ON_${n}`);
      assert.equal(result.data.status, n === 0 ? 'PASS' : 'FAIL');
      assert.equal(result.message === 'PASS', n === 0);
      // data.validations says what was asked for and, in bit order, what failed of it.
      assert.deepEqual(result.data.validations.requested, requested);
      assert.deepEqual(result.data.validations.failed, (['liveness', 'attribute', 'quality', 'nface'] as const).filter((_, bit) => n & (1 << bit)));
    });
  }

  it('fails no validation that was not requested, however the image fares: PASS for two blurred faces on the failing engine', async function () {
    const image = await blurredTwoFaces();
    const result = await failing.check(image);
    // Each section still reports what would have failed it.
    assert.equal(result.data.nface, 2);
    assert.equal(result.data.liveness!.is_live, false);
    assert.equal(result.data.attributes!.mask.detected, true);
    assert.equal(result.data.quality!.blur.pass, false);
    assert.deepEqual([result.data.status, result.data.fail_code, result.error_code, result.message], ['PASS', 0, null, 'PASS']);
    assert.deepEqual(result.data.validations, { requested: { liveness: false, attribute: false, quality: false, nface: false }, failed: [] });
    // Each validation alone fails on its own bit only.
    const bits = { validate_liveness: 1, validate_attribute: 2, validate_quality: 4, validate_nface: 8 } as const;
    for (const [flag, bit] of Object.entries(bits)) {
      const one = await failing.check(image, { [flag]: true });
      assert.equal(one.data.fail_code, bit, flag);
    }
  });

  it('validate_quality fails on blur, dark or grayscale, each alone', async function () {
    for (const [name, image] of [['blur', await blurredSelfie()], ['dark', await darkenedSelfie()], ['grayscale', await grayscaleSelfie()]] as const) {
      const result = await passing.check(image, { is_attribute: false, validate_quality: true });
      const q = result.data.quality!;
      assert.deepEqual([!q.blur.pass, !q.dark.pass, !q.grayscale.pass], [name === 'blur', name === 'dark', name === 'grayscale'], name);
      assert.deepEqual([result.error_code, result.data.validations.failed], ['FAIL_ON_4', ['quality']], name);
    }
  });

  it('validate_quality does not fail on the extension measures (exposure, backlight, face size, framing, pose)', async function () {
    // A pack whose face size, framing and pose limits no face meets.
    const strict = await engineWithManifest((manifest) => ({
      ...manifest,
      quality: { ...manifest.quality, face_size: 10_000, framing: 100, max_yaw: 0, max_pitch: 0, max_roll: 0, max_yaw_from_landmarks: 0 },
    }));
    try {
      const selfie = await selfieJpeg();
      const box = (await strict.engine.check(selfie, { is_attribute: false, is_liveness: false, is_quality: false })).data.faces[0]!.box;
      const region = { left: Math.round(box.x), top: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) };
      // Overexposed (clipped highlights), and the face alone in shadow before a lit room (backlit, not dark: docs/quality.md).
      const overexposed = await sharp(selfie).linear(1.8, 0).jpeg().toBuffer();
      const shadow = await sharp(selfie).extract(region).linear(0.3, 0).toBuffer();
      const backlit = await sharp(selfie).composite([{ input: shadow, left: region.left, top: region.top }]).jpeg().toBuffer();
      for (const [name, image, extensionsFailing] of [['selfie', selfie, []], ['overexposed', overexposed, ['exposure']], ['backlit', backlit, ['backlight']]] as const) {
        const result = await strict.engine.check(image, { is_attribute: false, is_liveness: false, validate_quality: true });
        const q = result.data.quality!;
        for (const measure of extensionsFailing) assert.equal(q[measure].pass, false, `${name}: ${measure} ${q[measure].score}`);
        assert.deepEqual([q.face_size.pass, q.framing.pass, q.pose.pass], [false, false, false], name);
        assert.deepEqual([q.blur.pass, q.dark.pass, q.grayscale.pass], [true, true, true], name);
        assert.deepEqual([result.data.status, result.error_code, result.data.validations.failed], ['PASS', null, []], name);
      }
    } finally {
      await strict.close();
    }
  });

  it('keeps the options it was created with, though the caller changes its objects while the models load or afterwards', async function () {
    const names: AttributeName[] = ['hat'];
    const limits = { maxPixels: 40_000_000 };
    const thresholds: Record<string, unknown> = { hat: 0, sunglasses: 1, mask: 1, liveness: 0.5 };
    const pending = createEngine({ thresholds: thresholds as { hat: number }, validateAttributes: names, limits });
    // While the models load:
    names.push('not-an-attribute' as AttributeName);
    limits.maxPixels = 100;
    thresholds.liveness = 'x';
    const hatValidated = await pending;
    try {
      assert.equal(hatValidated.limits.maxPixels, 40_000_000);
      assert.equal((await hatValidated.check(await selfieJpeg(), { is_quality: false, is_attribute: false })).data.liveness!.threshold, 0.5);
      names.length = 0;
      const result = await hatValidated.check(await selfieJpeg(), { validate_attribute: true });
      assert.equal(result.error_code, 'FAIL_ON_2', 'hat is still validated');
      assert.deepEqual(result.data.validations.failed, ['attribute']);
    } finally {
      await hatValidated.dispose();
    }
  });

  it('validate_attribute fails on sunglasses or mask only unless configured otherwise', async function () {
    const hatOnly = await createEngine({ thresholds: { hat: 0, veil: 0, sunglasses: 1, mask: 1 } });
    const hatValidated = await createEngine({ thresholds: { hat: 0, sunglasses: 1, mask: 1 }, validateAttributes: ['hat'] });
    try {
      const image = await selfieJpeg();
      const a = await hatOnly.check(image, { validate_attribute: true });
      assert.equal(a.data.attributes!.hat.detected, true);
      assert.equal(a.error_code, null);
      const b = await hatValidated.check(image, { validate_attribute: true });
      assert.equal(b.error_code, 'FAIL_ON_2');
    } finally {
      await hatOnly.dispose();
      await hatValidated.dispose();
    }
  });
});
