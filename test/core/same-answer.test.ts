// The same image gets the same answer, bit for bit but for request_id and timings_ms: checked again,
// in another process, among other images' checks at once, with worker threads on or off, given as a
// Buffer, base64, a data URI or a contract body, with the options and thresholds in force spelt out,
// and as a PNG or a lossless WebP of the same pixels.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { createEngine, DEFAULT_PACK_DIR, type Engine } from '../../core';
import { readPack } from '../../core/models/manifest';
import { groupPhoto, landscapeJpeg, portraitJpeg, selfieJpeg, twoFaces } from '../helpers/faces';
import { sharedEngine } from '../helpers/engine';

const run = promisify(execFile);

/** The answer without what differs by design from one check to the next; an error by its code and message. */
function comparable(result: unknown): unknown {
  return JSON.parse(JSON.stringify(result, (key, value) => (key === 'request_id' || key === 'timings_ms' ? undefined : value)));
}

function answer(check: Promise<unknown>): Promise<unknown> {
  return check.then(comparable, (err: { code?: string; message?: string }) => ({ error: err.code, message: err.message }));
}

/** The images: a selfie, two faces, a group photo, a portrait and one without a face (an error). */
async function images(): Promise<{ name: string; image: Buffer }[]> {
  return [
    { name: 'selfie', image: await selfieJpeg() },
    { name: 'two faces', image: await twoFaces() },
    { name: 'group photo', image: groupPhoto('sample4.jpg') },
    { name: 'portrait', image: await portraitJpeg(9) },
    { name: 'no face', image: await landscapeJpeg() },
  ];
}

const ALL_VALIDATIONS = { validate_quality: true, validate_attribute: true, validate_liveness: true, validate_nface: true };
const DEFAULTS = { is_quality: true, is_attribute: true, is_liveness: true, validate_quality: false, validate_attribute: false, validate_liveness: false, validate_nface: false };

describe('the same image gets the same answer', function () {
  this.timeout(300_000);
  let engine: Engine;
  let single: Engine;
  let spelt: Engine;
  const threshold = readPack(DEFAULT_PACK_DIR).manifest.liveness.threshold;

  before(async () => {
    engine = await sharedEngine();
    single = await createEngine({ workerThreads: false });
    // Every threshold override at the pack's own value, and validate_attribute's default spelt out.
    const { quality: q, attributes: a } = readPack(DEFAULT_PACK_DIR).manifest;
    spelt = await createEngine({
      workerThreads: true,
      validateAttributes: ['sunglasses', 'mask'],
      thresholds: {
        liveness: threshold, blur: q.blur, dark: q.dark, grayscale: q.grayscale, exposure: q.exposure, backlight: q.backlight,
        face_size: q.face_size, framing: q.framing ?? 1.5, sunglasses: a.sunglasses, mask: a.mask, veil: a.veil, hat: a.hat, eyeglasses: a.eyeglasses ?? 0.5,
      },
    });
  });

  after(async () => {
    await Promise.all([single?.dispose(), spelt?.dispose()]);
  });

  it('again, among other images\' checks, without worker threads, in every input form and with the defaults spelt out', async () => {
    const all = await images();
    for (const [i, { name, image }] of all.entries()) {
      for (const options of [{}, ALL_VALIDATIONS]) {
        const reference = await answer(engine.check(image, options));
        const base64 = image.toString('base64');
        const others = all.filter((_, j) => j !== i).flatMap(({ image: other }) => [other, other]);
        const [amongOthers] = await Promise.all([answer(engine.check(image, options)), ...others.map((other) => engine.check(other, options).catch(() => null))]);
        const ways: Record<string, Promise<unknown>> = {
          'again': answer(engine.check(image, options)),
          'without worker threads': answer(single.check(image, options)),
          'as a Uint8Array': answer(engine.check(new Uint8Array(image), options)),
          'as base64': answer(engine.check(base64, options)),
          'as a data URI': answer(engine.check(`data:image/jpeg;base64,${base64}`, options)),
          'in a contract body': answer(engine.checkRequest({ image: base64, ...options })),
          'with every default spelt out': answer(engine.check(image, { ...DEFAULTS, ...options })),
          'with the pack\'s thresholds as overrides': answer(spelt.check(image, options)),
          'with the pack\'s liveness threshold as the check\'s': answer(engine.check(image, options, { livenessThreshold: threshold })),
        };
        assert.deepStrictEqual(amongOthers, reference, `${name} among 8 other checks`);
        for (const [way, result] of Object.entries(ways)) assert.deepStrictEqual(await result, reference, `${name} ${way}`);
      }
    }
  });

  it('in another process, with a fresh engine', async () => {
    const image = await selfieJpeg();
    const reference = await answer(engine.check(image, ALL_VALIDATIONS));
    const script = `
      const { createEngine } = require(${JSON.stringify(path.resolve(__dirname, '..', '..', 'core'))});
      const { selfieJpeg } = require(${JSON.stringify(path.resolve(__dirname, '..', 'helpers', 'faces'))});
      (async () => {
        const engine = await createEngine();
        process.stdout.write(JSON.stringify(await engine.check(await selfieJpeg(), ${JSON.stringify(ALL_VALIDATIONS)})));
        await engine.dispose();
      })();`;
    const { stdout } = await run(process.execPath, ['-e', script], { maxBuffer: 1 << 24 });
    assert.deepStrictEqual(comparable(JSON.parse(stdout)), reference);
  });

  it('as a PNG or a lossless WebP of the same pixels (but for image.format)', async () => {
    for (const { name, image } of await images()) {
      const pixels = sharp(image).removeAlpha();
      const png = await answer(engine.check(await pixels.clone().png().toBuffer()));
      const webp = await answer(engine.check(await pixels.clone().webp({ lossless: true }).toBuffer())) as { data?: { image: { format: string } } };
      if (webp.data) webp.data.image.format = 'png';
      assert.deepStrictEqual(webp, png, name);
    }
  });
});
