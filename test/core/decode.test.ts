// Decoding: images larger than the models need are shrunk on load (coordinates still reported in
// image pixels), the peak memory of concurrent checks on large JPEGs and WebPs stays bounded, and
// the jimp fallback reads a JPEG's size through 0xFF fill bytes before decoding.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { FaceliveError } from '../../core/errors';
import { decodeImage, headerSize, WORKING_MAX_SIDE } from '../../core/image/decode';
import { sharedEngine } from '../helpers/engine';
import { selfieJpeg } from '../helpers/faces';
import { claiming, withFillBytes, withStrayByte } from '../helpers/jpeg-edits';

const run = promisify(execFile);

/** Peak RSS growth allowed for 8 concurrent checks of a large image (README: "Memory"). */
const PEAK_GROWTH_BOUND_MIB = 256;

/** The selfie upscaled to width x height: a real face in a large, still small (in bytes) JPEG. */
async function largeSelfie(width: number, height: number, progressive = false): Promise<Buffer> {
  return sharp(await selfieJpeg('frontal', 640, 480)).resize(width, height).jpeg({ quality: 80, progressive }).toBuffer();
}

/**
 * The selfie enlarged to width x height as a lossless WebP; enlarged in blocks (nearest neighbour),
 * which lossless coding packs into a few hundred kilobytes in seconds.
 */
async function largeLosslessWebp(width: number, height: number): Promise<Buffer> {
  return sharp(await selfieJpeg('frontal', 640, 480)).resize(width, height, { kernel: 'nearest' }).webp({ lossless: true, effort: 1 }).toBuffer();
}

describe('decoding large images', function () {
  this.timeout(120_000);

  it('reads a JPEG size through 0xFF fill bytes, so the jimp fallback refuses a 9000x9000 JPEG before decoding it', async function () {
    const small = await selfieJpeg('frontal', 64, 48);
    const filled = withFillBytes(small);
    assert.deepEqual(headerSize(filled, 'jpeg'), { width: 64, height: 48 });
    assert.equal((await decodeImage(filled, 40e6)).raster.width, 64, 'libjpeg accepts the fill bytes too');
    const huge = claiming(filled, 9000, 9000);
    assert.deepEqual(headerSize(huge, 'jpeg'), { width: 9000, height: 9000 });
    await assert.rejects(decodeImage(huge, 40e6, 'jimp'), (err: unknown) => err instanceof FaceliveError && err.code === 'INVALID_PAYLOAD_IMAGE_SIZE' && /9000x9000/.test(err.message));
  });

  it('the jimp fallback refuses a JPEG whose size cannot be read rather than decoding it blind', async function () {
    const small = await selfieJpeg('frontal', 64, 48);
    const noFrame = Buffer.concat([small.subarray(0, 2), Buffer.from([0xff, 0xd9])]);
    assert.equal(headerSize(noFrame, 'jpeg'), null);
    await assert.rejects(decodeImage(noFrame, 40e6, 'jimp'), (err: unknown) => err instanceof FaceliveError && err.code === 'INVALID_PAYLOAD_IMAGE_FORMAT');
  });

  it(`shrinks an image on load to ${WORKING_MAX_SIDE} px on its longest side, with sharp and with jimp`, async function () {
    const big = await largeSelfie(2400, 1800);
    for (const decoder of ['auto', 'jimp'] as const) {
      const decoded = await decodeImage(big, 40e6, decoder);
      assert.equal(Math.max(decoded.raster.width, decoded.raster.height), WORKING_MAX_SIDE, decoder);
      assert.deepEqual([decoded.width, decoded.height], [2400, 1800], decoder);
      assert.ok(Math.abs(decoded.scale - 2400 / WORKING_MAX_SIDE) < 1e-9, decoder);
    }
    const small = await decodeImage(await selfieJpeg(), 40e6);
    assert.deepEqual([small.raster.width, small.raster.height, small.scale], [640, 480, 1], 'smaller images are not resized');
  });

  it('reports the face box, landmarks, image size and face size of a shrunk image in the image\'s own pixels', async function () {
    const engine = await sharedEngine();
    const factor = 7.5;
    const small = await engine.check(await selfieJpeg('frontal', 640, 480));
    const large = await engine.check(await largeSelfie(640 * factor, 480 * factor));
    assert.deepEqual(large.data.image, { width: 4800, height: 3600, format: 'jpeg' });
    const a = small.data.faces[0]!.box;
    const b = large.data.faces[0]!.box;
    for (const key of ['x', 'y', 'width', 'height'] as const) {
      assert.ok(Math.abs(b[key] - a[key] * factor) < 0.05 * a.width * factor, `${key}: ${b[key]} vs ${a[key] * factor}`);
    }
    const eyes = (r: typeof small) => r.data.quality!.face_size.inter_eye_px;
    assert.ok(Math.abs(eyes(large) / eyes(small) - factor) < 0.5, `inter-eye ${eyes(large)} vs ${eyes(small)} x ${factor}`);
    assert.ok(large.data.faces[0]!.landmarks!.every((p) => p.x >= b.x - b.width && p.x <= b.x + 2 * b.width), 'landmarks in image pixels');
  });

  // A progressive JPEG is held whole while it decodes (no shrink on load): before its decodes ran one
  // at a time and sharp's cache was off, 8 of them grew RSS by about 1,000 MiB. With one stray byte
  // after APP0 (which libjpeg skips), the same file was not known as progressive and grew it by 450.
  // A lossless WebP is decoded whole at full size, 4 bytes a pixel: 8 of 17 megapixels grew it by 400.
  const large = [
    { name: '39-megapixel baseline JPEG', size: [7200, 5400], make: () => largeSelfie(7200, 5400) },
    { name: '39-megapixel progressive JPEG', size: [7200, 5400], make: () => largeSelfie(7200, 5400, true) },
    { name: '39-megapixel progressive JPEG with a stray byte between segments', size: [7200, 5400], make: async () => withStrayByte(await largeSelfie(7200, 5400, true)) },
    { name: '17-megapixel lossless WebP', size: [4800, 3600], make: () => largeLosslessWebp(4800, 3600) },
  ];
  for (const { name, size, make } of large) it(`8 concurrent checks of a ${name} raise peak RSS by less than ${PEAK_GROWTH_BOUND_MIB} MiB (child process)`, async function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-memory-'));
    try {
      const file = path.join(dir, 'large.img');
      const image = await make();
      assert.ok(image.length < 5 * 1024 * 1024, `${image.length} bytes fit the byte cap`);
      writeFileSync(file, image);
      const probe = path.join(__dirname, '..', 'helpers', 'peak-memory.js');
      const { stdout } = await run(process.execPath, [probe, file, '8'], { maxBuffer: 1024 * 1024 });
      const report = JSON.parse(stdout) as { image: { width: number; height: number }; nface: number[]; growthMiB: number; peakAfterMiB: number };
      assert.deepEqual([report.image.width, report.image.height], size);
      assert.deepEqual(report.nface, [1, 1, 1, 1, 1, 1, 1, 1], 'every check found the face');
      assert.ok(report.growthMiB < PEAK_GROWTH_BOUND_MIB, `peak RSS grew by ${report.growthMiB} MiB (peak ${report.peakAfterMiB} MiB)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('decoding colour profiles', function () {
  this.timeout(60_000);

  /** Largest difference of two rasters of the same size, in grey levels. */
  function largestDifference(a: Uint8Array, b: Uint8Array): number {
    assert.equal(a.length, b.length);
    let largest = 0;
    for (let i = 0; i < a.length; i += 1) largest = Math.max(largest, Math.abs(a[i]! - b[i]!));
    return largest;
  }

  it('converts a Display P3 image to sRGB at 16 bits per channel as at 8 (16-bit files were read unconverted, up to 12 levels off)', async function () {
    // A selfie pushed towards saturation, so that the gamuts' difference shows in its skin and background.
    const srgb = await sharp(await selfieJpeg()).modulate({ saturation: 1.8 }).png().toBuffer();
    const reference = (await decodeImage(srgb, 40e6)).raster.data;
    const p3 = sharp(srgb).withIccProfile('p3');
    const variants = {
      '8-bit P3 PNG': await p3.clone().png().toBuffer(),
      '16-bit P3 PNG': await p3.clone().toColourspace('rgb16').png().toBuffer(),
      '16-bit P3 PNG with alpha': await p3.clone().toColourspace('rgb16').ensureAlpha().png().toBuffer(),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      assert.ok((await sharp(bytes).metadata()).icc, `${name} carries its profile`);
      const difference = largestDifference((await decodeImage(bytes, 40e6)).raster.data, reference);
      assert.ok(difference <= 8, `${name}: ${difference} levels from the sRGB original`);
    }
    // Without a profile, 16-bit pixels are sRGB already: read as they are.
    const plain16 = await sharp(srgb).toColourspace('rgb16').png().toBuffer();
    assert.ok(largestDifference((await decodeImage(plain16, 40e6)).raster.data, reference) <= 1, '16-bit PNG without a profile');
  });
});
