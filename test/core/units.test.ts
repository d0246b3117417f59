// Unit checks of the small core pieces: options parsing, image classification, crop geometry, sniffing, error codes,
// thresholds and limits as resolved, the blur and dark scores.

import assert from 'node:assert/strict';
import { DEFAULT_OPTIONS, FaceliveError, isErrorCode, OPTION_NAMES, parseOptions, resolveLimits } from '../../core';
import { FLAG_BY_LETTERS, flagNamed, refuseMisspeltFlags } from '../../core/options';
import { classifyImage, loadImageBytes } from '../../core/image/source';
import { decodeImage, headerSize, sniffFormat } from '../../core/image/decode';
import { selfieJpeg } from '../helpers/faces';
import { pngClaiming } from '../helpers/bad-inputs';
import { areaResampleGray, cropBox, resample, toGray, type Raster } from '../../core/image/raster';
import { failCode, errorCodeOf } from '../../core/verdict';
import { DEFAULT_FRAMING, resolveThresholds } from '../../core/thresholds';
import { readPack } from '../../core/models/manifest';
import { DEFAULT_PACK_DIR } from '../../core/engine';
import { blurScore, darkScore } from '../../core/checks/quality';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return err instanceof FaceliveError ? err.code : `not a FaceliveError: ${String(err)}`;
  }
  return 'no error';
};

describe('core units', function () {
  it('options: defaults, booleans only, dependency rules', function () {
    assert.deepEqual(parseOptions({}), DEFAULT_OPTIONS);
    assert.deepEqual(parseOptions(undefined), DEFAULT_OPTIONS);
    assert.equal(parseOptions({ is_quality: false }).is_quality, false);
    assert.equal(code(() => parseOptions({ is_quality: 'false' })), 'INVALID_PAYLOAD');
    assert.equal(code(() => parseOptions({ validate_quality: true, is_quality: false })), 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY');
    assert.equal(code(() => parseOptions({ validate_attribute: true, is_attribute: false })), 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY');
    assert.equal(code(() => parseOptions({ validate_liveness: true, is_liveness: false })), 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY');
    assert.equal(parseOptions({ validate_nface: true }).validate_nface, true);
  });

  it('options: a body key is looked up once by its letters among the flags, so a body of 300,000 keys is scanned key by key', function () {
    // Each flag's letters are computed once (they were recomputed for every flag and every key of a body).
    assert.equal(FLAG_BY_LETTERS.size, OPTION_NAMES.length, 'no two flags share their letters');
    for (const flag of OPTION_NAMES) assert.equal(FLAG_BY_LETTERS.get(flag.replace(/_/g, '')), flag);
    assert.equal(flagNamed('validate_liveness'), 'validate_liveness');
    assert.equal(flagNamed('validateLiveness'), 'validate_liveness');
    assert.equal(flagNamed('VALIDATE-NFACE'), 'validate_nface');
    assert.equal(flagNamed('client_reference'), undefined);
    // The same answers as before for a body of many keys, at the top level or inside one object.
    const body: Record<string, unknown> = { image: 'x' };
    for (let i = 0; i < 300_000; i++) body[`k${i}`] = i;
    assert.doesNotThrow(() => refuseMisspeltFlags({ image: 'x', meta: body }));
    assert.doesNotThrow(() => refuseMisspeltFlags(body));
    body.isQuality = false;
    assert.throws(() => refuseMisspeltFlags(body), /^FaceliveError: Unknown field "isQuality"; the flag is named is_quality\.$/);
    delete body.isQuality;
    body.validate_nface = true;
    assert.throws(() => refuseMisspeltFlags({ image: 'x', meta: body }), /^FaceliveError: Field "meta" holds the flag validate_nface; send the flags as fields of the body itself\.$/);
  });

  it('source: base64, data URI and URL are told apart without I/O', async function () {
    const limits = resolveLimits();
    assert.equal(classifyImage('https://example.org/a.jpg').kind, 'url');
    assert.equal(classifyImage('aGVsbG8=').kind, 'base64');
    assert.equal(classifyImage('aGVs\nbG8=').kind, 'base64');
    assert.equal(classifyImage('data:image/jpeg;base64,aGVsbG8=').kind, 'base64');
    assert.deepEqual(await loadImageBytes(classifyImage('data:image/jpeg;base64,aGVsbG8='), limits), Buffer.from('hello'));
    assert.equal(code(() => classifyImage('a')), 'INVALID_PAYLOAD_IMAGE_MISSING');
    assert.equal(code(() => classifyImage('http://')), 'INVALID_PAYLOAD_IMAGE_MISSING');
    assert.equal(code(() => classifyImage(42)), 'INVALID_PAYLOAD');
    await assert.rejects(loadImageBytes(classifyImage(Buffer.alloc(11)), resolveLimits({ maxImageBytes: 10 })), /larger than 10 bytes/);
  });

  it('sniffs JPEG, PNG and WebP and nothing else', function () {
    assert.equal(sniffFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'jpeg');
    assert.equal(sniffFormat(Buffer.from('89504e470d0a1a0a0000', 'hex')), 'png');
    assert.equal(sniffFormat(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1')), 'webp');
    assert.equal(sniffFormat(Buffer.from('GIF89a', 'latin1')), null);
    assert.equal(sniffFormat(Buffer.from('<html>', 'latin1')), null);
  });

  it('decodes with sharp, or with the pure-JS jimp fallback to the same size and nearly the same pixels', async function () {
    const jpeg = await selfieJpeg();
    const a = await decodeImage(jpeg, 40e6);
    const b = await decodeImage(jpeg, 40e6, 'jimp');
    assert.deepEqual([a.raster.width, a.raster.height, b.raster.width, b.raster.height], [640, 480, 640, 480]);
    let diff = 0;
    for (let i = 0; i < a.raster.data.length; i++) diff += Math.abs(a.raster.data[i]! - b.raster.data[i]!);
    assert.ok(diff / a.raster.data.length < 3, `mean abs difference ${diff / a.raster.data.length}`);
    await assert.rejects(decodeImage(pngClaiming(), 40e6, 'jimp'), (err: unknown) => err instanceof FaceliveError && err.code === 'INVALID_PAYLOAD_IMAGE_SIZE');
    assert.deepEqual(headerSize(jpeg, 'jpeg'), { width: 640, height: 480 });
    await assert.rejects(decodeImage(jpeg, 640 * 479, 'jimp'), (err: unknown) => err instanceof FaceliveError && err.code === 'INVALID_PAYLOAD_IMAGE_SIZE');
  });

  it('crop rules: shift keeps the scaled size inside the image, clip cuts it at the border', function () {
    const box = { x: 10, y: 10, width: 40, height: 40 };
    const shifted = cropBox(box, { scale: 2, mode: 'shift', square: true }, 200, 100);
    assert.deepEqual(shifted, { x: 0, y: 0, width: 80, height: 80 });
    const clipped = cropBox(box, { scale: 2, mode: 'clip', square: true }, 200, 100);
    assert.deepEqual(clipped, { x: 0, y: 0, width: 70, height: 70 });
    // The shift scale is capped so the crop fits: (H-1)/h = 99/40 < 4.
    const capped = cropBox(box, { scale: 4, mode: 'shift', square: false }, 200, 100);
    assert.ok(Math.abs(capped.height - 99) < 1e-9 && capped.y === 0);
  });

  it('errors: Retry-After seconds for TOO_MANY_REQUESTS and SERVICE_UNAVAILABLE only, whole, at least 1, 1 by default', function () {
    for (const retrying of ['TOO_MANY_REQUESTS', 'SERVICE_UNAVAILABLE'] as const) {
      assert.equal(new FaceliveError(retrying).retryAfterS, 1);
      assert.equal(new FaceliveError(retrying, undefined, { retryAfterS: 0 }).retryAfterS, 1, 'never "retry at once"');
      assert.equal(new FaceliveError(retrying, undefined, { retryAfterS: 1.2 }).retryAfterS, 2, 'rounded up: never earlier than told');
      assert.equal(new FaceliveError(retrying, undefined, { retryAfterS: 59 }).retryAfterS, 59);
    }
    assert.equal(new FaceliveError('INVALID_PAYLOAD', undefined, { retryAfterS: 3 }).retryAfterS, undefined);
    assert.deepEqual(new FaceliveError('FACE_NOT_DETECTED').toJSON(), { message: 'No face was found in the image.', error_code: 'FACE_NOT_DETECTED' });
    // Only the table's own codes are codes, not the names every object inherits.
    assert.equal(isErrorCode('FACE_NOT_DETECTED'), true);
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'FAIL_ON_1']) assert.equal(isErrorCode(name), false, name);
  });

  it('verdict codes: bits sum to FAIL_ON_n', function () {
    assert.equal(failCode([]), 0);
    assert.equal(failCode(['liveness', 'nface']), 9);
    assert.equal(failCode(['liveness', 'attribute', 'quality', 'nface']), 15);
    assert.equal(errorCodeOf(0), null);
    assert.equal(errorCodeOf(6), 'FAIL_ON_6');
  });

  it('thresholds: framing from the manifest, a default for packs that predate it, and overrides above 1', function () {
    const { manifest } = readPack(DEFAULT_PACK_DIR);
    assert.equal(resolveThresholds(manifest).quality.framing, manifest.quality.framing);
    const { framing: _omitted, ...older } = manifest.quality;
    void _omitted;
    assert.equal(resolveThresholds({ ...manifest, quality: older as typeof manifest.quality }).quality.framing, DEFAULT_FRAMING);
    assert.equal(resolveThresholds(manifest, { framing: 2.5 }).quality.framing, 2.5);
    assert.throws(() => resolveThresholds(manifest, { blur: 2.5 }), /thresholds.blur in \[0,1\]/);
    assert.throws(() => resolveThresholds(manifest, { framing: -1 }), /thresholds.framing/);
    // A pack's own framing threshold is kept; the default is the README's 1.5.
    assert.equal(resolveThresholds({ ...manifest, quality: { ...manifest.quality, framing: 2 } }).quality.framing, 2);
    assert.equal(DEFAULT_FRAMING, 1.5);
  });

  it('thresholds: max_yaw_from_landmarks from the manifest, else the yaw limit + 10', function () {
    const { manifest } = readPack(DEFAULT_PACK_DIR);
    const { max_yaw_from_landmarks: _omitted, ...older } = manifest.quality;
    void _omitted;
    assert.equal(resolveThresholds({ ...manifest, quality: older as typeof manifest.quality }).quality.max_yaw_from_landmarks, manifest.quality.max_yaw + 10);
    assert.equal(resolveThresholds({ ...manifest, quality: { ...older, max_yaw: 20 } as typeof manifest.quality }).quality.max_yaw_from_landmarks, 30);
    assert.equal(resolveThresholds({ ...manifest, quality: { ...manifest.quality, max_yaw_from_landmarks: 55 } }).quality.max_yaw_from_landmarks, 55);
  });

  it('thresholds: every documented override replaces the pack\'s value, in [0,1] except face_size and framing; other names are refused', function () {
    const { manifest } = readPack(DEFAULT_PACK_DIR);
    const overrides = {
      liveness: 0.41, blur: 0.42, dark: 0.43, grayscale: 0.044, exposure: 0.45, backlight: 0.46, face_size: 64, framing: 2.2,
      sunglasses: 0.47, mask: 0.48, veil: 0.49, hat: 0.51, eyeglasses: 0.52,
    };
    const resolved = resolveThresholds(manifest, overrides);
    assert.equal(resolved.liveness, overrides.liveness);
    for (const key of ['blur', 'dark', 'grayscale', 'exposure', 'backlight', 'face_size', 'framing'] as const) assert.equal(resolved.quality[key], overrides[key], key);
    for (const key of ['sunglasses', 'mask', 'veil', 'hat', 'eyeglasses'] as const) assert.equal(resolved.attributes[key], overrides[key], key);
    for (const key of ['liveness', 'blur', 'dark', 'grayscale', 'exposure', 'backlight', 'sunglasses', 'mask', 'veil', 'hat', 'eyeglasses']) {
      assert.doesNotThrow(() => resolveThresholds(manifest, { [key]: 0 }), key);
      assert.doesNotThrow(() => resolveThresholds(manifest, { [key]: 1 }), key);
      assert.throws(() => resolveThresholds(manifest, { [key]: 1.01 }), new RegExp(`thresholds\\.${key} in \\[0,1\\]`));
    }
    for (const key of ['glasses', 'max_yaw', 'pose']) assert.throws(() => resolveThresholds(manifest, { [key]: 0.5 } as never), new RegExp(`Unknown threshold "${key}"`));
  });

  it('limits: the documented defaults, and maxRedirects may be 0', function () {
    assert.deepEqual({ ...resolveLimits() }, { maxImageBytes: 5 * 1024 * 1024, maxPixels: 40_000_000, urlTimeoutMs: 15_000, maxRedirects: 3, allowPrivateNetwork: false, allowUrlImages: true });
    assert.equal(resolveLimits({ maxRedirects: 0 }).maxRedirects, 0);
    assert.throws(() => resolveLimits({ maxRedirects: -1 }), /non-negative whole number for limits\.maxRedirects/);
    assert.equal(resolveLimits({ urlTimeoutMs: 2 ** 31 - 1 }).urlTimeoutMs, 2 ** 31 - 1);
  });
});

describe('area resampling to grey (the blur measure)', function () {
  it('equals bilinear samples at k times the size averaged k x k, within the rounding to bytes it skips', function () {
    // A seeded noisy raster: grain is what an area average must not skip.
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const raster: Raster = { width: 300, height: 200, channels: 3, data: Uint8Array.from({ length: 300 * 200 * 3 }, () => Math.floor(random() * 256)) };
    for (const [region, n, k] of [[{ x: 20.3, y: 10.7, width: 250, height: 170 }, 96, 3], [{ x: -15, y: -5, width: 120, height: 150 }, 64, 2], [{ x: 200, y: 120, width: 140, height: 110 }, 64, 3]] as const) {
      const fast = areaResampleGray(raster, region, n, n, k);
      const big = toGray(resample(raster, region, n * k, n * k));
      let worst = 0;
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          let sum = 0;
          for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) sum += big[(y * k + dy) * n * k + x * k + dx]!;
          worst = Math.max(worst, Math.abs(fast[y * n + x]! - sum / (k * k)));
        }
      }
      assert.ok(worst <= 0.5, `off by ${worst} grey levels`);
    }
  });
});

describe('the blur score', function () {
  it('is 1 / (1 + sharpness / 0.03): 0.5 at a sharpness of 0.03, 1 with no detail, towards 0 when sharp', function () {
    assert.equal(blurScore(0.03), 0.5);
    assert.equal(blurScore(0), 1);
    assert.ok(Math.abs(blurScore(0.09) - 0.25) < 1e-12);
    assert.ok(Math.abs(blurScore(0.02) - 0.6) < 1e-12, 'the default threshold 0.6 is a sharpness of 0.02');
  });
});

describe('the dark score (face luma, excused by a lit scene up to twice)', function () {
  it('reads the face alone in a dark scene, half the scene in a lit one, and never more than twice the face', function () {
    const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} against ${expected}`);
    close(darkScore(30, 40), 1 - 30 / 128);     // the scene is no brighter than the face can be excused by
    close(darkScore(30, 100), 1 - 50 / 128);    // half the scene's luma
    close(darkScore(30, 200), 1 - 60 / 128);    // at most twice the face's
    close(darkScore(10, 255), 1 - 20 / 128);    // so a face under half the threshold's luma stays dark
    close(darkScore(100, 0), 1 - 100 / 128);    // a dark scene never makes a face darker
    close(darkScore(30), 1 - 30 / 128);         // without a scene, the face alone
    assert.equal(darkScore(200, 255), 0);
    assert.equal(darkScore(0, 255), 1);
  });
});
