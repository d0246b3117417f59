// Decoding: images larger than the models need are shrunk on load (coordinates still reported in
// image pixels), the peak memory of concurrent checks on large JPEGs and WebPs stays bounded, the
// jimp fallback reads a JPEG's size through 0xFF fill bytes before decoding, and each decoder says
// which EXIF orientation it applied.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { FaceliveError } from '../../core/errors';
import { decodeImage, headerSize, jpegExifOrientation, WORKING_MAX_SIDE } from '../../core/image/decode';
import { sharedEngine } from '../helpers/engine';
import { selfieJpeg } from '../helpers/faces';
import { claiming, withFillBytes, withStrayByte } from '../helpers/jpeg-edits';

const run = promisify(execFile);

/** Peak RSS growth allowed for 8 concurrent checks of a large image (docs/speed.md). */
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

  it('says which EXIF orientation it applied, 1 to 8, with sharp (JPEG, PNG, WebP) and with jimp (JPEG; it ignores a PNG\'s)', async function () {
    // 64x48 with a bright green square in its top-left corner: where the square lands after decoding
    // shows which way the pixels were turned or flipped.
    const upright = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#800000' } })
      .composite([{ input: { create: { width: 16, height: 16, channels: 3, background: '#00ff00' } }, left: 0, top: 0 }]).png().toBuffer();
    // The corner holding the square once each orientation is applied (top-left, top-right, bottom-left, bottom-right).
    const corner = ['', 'tl', 'tr', 'br', 'bl', 'tl', 'tr', 'br', 'bl'];
    const greenCorner = ({ raster }: Awaited<ReturnType<typeof decodeImage>>): string => {
      const green = (x: number, y: number): boolean => raster.data[(y * raster.width + x) * 3 + 1]! > 200;
      const right = raster.width - 3;
      const bottom = raster.height - 3;
      return [[2, 2, 'tl'], [right, 2, 'tr'], [2, bottom, 'bl'], [right, bottom, 'br']].filter(([x, y]) => green(x as number, y as number)).map(([, , name]) => name).join();
    };
    for (const format of ['jpeg', 'png', 'webp'] as const) {
      for (let orientation = 1; orientation <= 8; orientation += 1) {
        const bytes = await sharp(upright)[format]().withMetadata({ orientation }).toBuffer();
        const size = orientation >= 5 ? [48, 64] : [64, 48];
        const decoded = await decodeImage(bytes, 40e6);
        assert.deepEqual([decoded.orientation, decoded.width, decoded.height, greenCorner(decoded)], [orientation, ...size, corner[orientation]], `${format} ${orientation}, sharp`);
        if (format === 'webp') continue;
        const jimp = await decodeImage(bytes, 40e6, 'jimp');
        const applied = format === 'jpeg' ? orientation : 1;
        assert.deepEqual([jimp.orientation, jimp.width, jimp.height, greenCorner(jimp)], [applied, ...(applied >= 5 ? [48, 64] : [64, 48]), corner[applied]], `${format} ${orientation}, jimp`);
        if (format === 'jpeg') assert.equal(jpegExifOrientation(bytes), orientation);
      }
    }
    assert.equal((await decodeImage(upright, 40e6)).orientation, 1, 'no EXIF');
    assert.equal(jpegExifOrientation(await selfieJpeg('frontal', 64, 48)), 1, 'no EXIF');
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
    assert.deepEqual(large.data.image, { width: 4800, height: 3600, format: 'jpeg', orientation: 1 });
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
