// Images that are valid but hostile or misleading to decode: a progressive JPEG of a great many
// scans (each one more pass over every coefficient) is refused before decoding, stray bytes that
// libjpeg skips between segments are dropped and change nothing, and transparent pixels are judged
// as seen (over white), not by the colour an encoder left under them.

import assert from 'node:assert/strict';
import sharp from 'sharp';
import { FaceliveError } from '../../core/errors';
import { decodeImage, headerSize } from '../../core/image/decode';
import { withoutExtraneousBytes } from '../../core/image/jpeg-extraneous-bytes';
import { countJpegScans, MAX_JPEG_SCANS } from '../../core/image/jpeg-scans';
import { heldWholeWhileDecoding } from '../../core/image/whole-decodes';
import { sharedEngine } from '../helpers/engine';
import { selfieJpeg } from '../helpers/faces';
import { withJunkBetweenScans, withStrayByte } from '../helpers/jpeg-edits';

/** A JPEG marker segment: FF, marker, 2-byte length, payload. */
function segment(marker: number, payload: readonly number[]): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, Buffer.from(payload)]);
}

/**
 * A valid progressive greyscale JPEG of 8x8 grey pixels with `acScans` refinement scans after its
 * DC scan: every AC band is refined bit by bit with all-zero data (a legal file, which libjpeg
 * decodes; the scans only cost time).
 */
function manyScanJpeg(acScans: number): Buffer {
  const parts = [Buffer.from([0xff, 0xd8]), segment(0xdb, [0, ...Array<number>(64).fill(1)])];
  parts.push(segment(0xc2, [8, 0, 8, 0, 8, 1, 1, 0x11, 0])); // SOF2: 8x8, one component
  parts.push(segment(0xc4, [0x00, 1, ...Array<number>(15).fill(0), 0])); // DC table: one code, category 0
  parts.push(segment(0xc4, [0x10, 1, ...Array<number>(15).fill(0), 0x00])); // AC table: one code, EOB
  parts.push(segment(0xda, [1, 1, 0x00, 0, 0, 0]), Buffer.from([0x7f])); // DC first scan: one 0 bit, padded with 1s
  let made = 0;
  for (let k = 1; k < 64 && made < acScans; k++) {
    for (let al = 13; al >= 0 && made < acScans; al--, made++) {
      const successive = al === 13 ? 13 : ((al + 1) << 4) | al;
      parts.push(segment(0xda, [1, 1, 0x00, k, k, successive]), Buffer.from([0x7f])); // one EOB code (0), padded
    }
  }
  parts.push(Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

describe('decoding hostile and misleading images', function () {
  this.timeout(60_000);

  it('counts the scans of baseline and progressive JPEGs, through the stuffed bytes of their scan data', async () => {
    const selfie = await selfieJpeg('frontal', 320, 240);
    assert.equal(countJpegScans(selfie), 1);
    const progressive = await sharp(selfie).jpeg({ progressive: true }).toBuffer();
    assert.ok(countJpegScans(progressive) >= 5 && countJpegScans(progressive) <= 12, `${countJpegScans(progressive)} scans`);
    assert.equal(countJpegScans(manyScanJpeg(150)), 151);
    assert.equal(countJpegScans(manyScanJpeg(150), 20), 21, 'stops counting past the limit');
  });

  it('tells progressive JPEGs, interlaced PNGs and WebPs (held whole while they decode, so large ones decode one at a time) from baseline JPEGs and plain PNGs, through a stray byte libjpeg skips', async () => {
    const selfie = await selfieJpeg('frontal', 320, 240);
    const progressive = await sharp(selfie).jpeg({ progressive: true }).toBuffer();
    const heldWhole = async (image: Buffer) => heldWholeWhileDecoding(await sharp(image).metadata());
    assert.equal(await heldWhole(selfie), false);
    assert.equal(await heldWhole(progressive), true);
    assert.equal(await heldWhole(withStrayByte(progressive)), true);
    assert.equal(headerSize(withStrayByte(progressive), 'jpeg'), null, 'a walk of the markers stops at the stray byte');
    assert.equal(await heldWhole(await sharp(selfie).png().toBuffer()), false);
    assert.equal(await heldWhole(await sharp(selfie).png({ progressive: true }).toBuffer()), true);
    assert.equal(await heldWhole(await sharp(selfie).webp({ lossless: true }).toBuffer()), true);
    assert.equal(await heldWhole(await sharp(selfie).webp().toBuffer()), true);
  });

  it('decodes a JPEG with a stray byte between segments (a warning libjpeg recovers from, as in some webcams\' frames) to the same pixels', async () => {
    const selfie = await selfieJpeg('frontal', 320, 240);
    const progressive = await sharp(selfie).jpeg({ progressive: true }).toBuffer();
    const junk = Buffer.from([0x00, 0xff, 0x00, 0x5a]);
    for (const [jpeg, edited] of [[selfie, withStrayByte(selfie)], [progressive, withStrayByte(progressive)], [progressive, withJunkBetweenScans(progressive, junk)]]) {
      const [clean, stray] = await Promise.all([decodeImage(jpeg, 40_000_000), decodeImage(edited, 40_000_000)]);
      assert.ok(Buffer.from(stray.raster.data).equals(Buffer.from(clean.raster.data)));
    }
  });

  it('drops the bytes libjpeg skips between segments (other than 0xFF, and 0xFF 0x00 pairs), between header segments and between scans, and leaves scan data alone', async () => {
    const selfie = await selfieJpeg('frontal', 320, 240);
    const progressive = await sharp(selfie).jpeg({ progressive: true }).toBuffer();
    assert.equal(withoutExtraneousBytes(selfie), selfie, 'a clean file is returned as it is');
    assert.equal(withoutExtraneousBytes(progressive), progressive);
    assert.ok(withoutExtraneousBytes(withStrayByte(selfie)).equals(selfie));
    assert.ok(withoutExtraneousBytes(withStrayByte(withStrayByte(progressive))).equals(progressive));
    assert.ok(withoutExtraneousBytes(withJunkBetweenScans(progressive, Buffer.from([0x00, 0xff, 0x00, 0x5a, 0xff, 0xff, 0x00]))).equals(progressive));
    // Bytes after a scan's data are scan data to a walk of the markers: only decoding tells them apart.
    const afterScanData = progressive.indexOf(Buffer.from([0xff, 0xc4]), progressive.indexOf(Buffer.from([0xff, 0xda])));
    const junkAfterScanData = Buffer.concat([progressive.subarray(0, afterScanData), Buffer.from([0x00]), progressive.subarray(afterScanData)]);
    assert.equal(withoutExtraneousBytes(junkAfterScanData), junkAfterScanData);
  });

  it(`refuses a JPEG of more than ${MAX_JPEG_SCANS} scans as INVALID_PAYLOAD_IMAGE_FORMAT, and decodes one just under`, async () => {
    const under = manyScanJpeg(MAX_JPEG_SCANS - 1);
    const decoded = await decodeImage(under, 40_000_000);
    assert.deepEqual([decoded.width, decoded.height], [8, 8], 'the generated file is a valid JPEG');
    for (const decoder of ['auto', 'jimp'] as const) {
      await assert.rejects(
        decodeImage(manyScanJpeg(MAX_JPEG_SCANS), 40_000_000, decoder),
        (err: unknown) => err instanceof FaceliveError && err.code === 'INVALID_PAYLOAD_IMAGE_FORMAT' && /scans/.test(err.message),
      );
    }
  });

  it('judges transparent pixels as seen over white: the colour stored under them changes nothing, and an invisible face is not found', async () => {
    const { data, info } = await sharp(await selfieJpeg('frontal', 320, 240)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: 4 as const } };
    // The left half transparent, over the face's own pixels in one file and over black in the other.
    const keep = Buffer.from(data);
    const black = Buffer.from(data);
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width / 2; x++) {
        const i = (y * info.width + x) * 4;
        keep[i + 3] = 0;
        black.fill(0, i, i + 4);
      }
    }
    const [keptPng, blackPng] = await Promise.all([sharp(keep, raw).png().toBuffer(), sharp(black, raw).png().toBuffer()]);
    for (const decoder of ['auto', 'jimp'] as const) {
      const [a, b] = await Promise.all([decodeImage(keptPng, 40_000_000, decoder), decodeImage(blackPng, 40_000_000, decoder)]);
      assert.ok(Buffer.from(a.raster.data).equals(Buffer.from(b.raster.data)), `${decoder}: the same picture decodes to the same pixels`);
      assert.deepEqual([...a.raster.data.subarray(0, 3)], [255, 255, 255], `${decoder}: transparent reads as white`);
    }
    const invisible = Buffer.from(data);
    for (let i = 3; i < invisible.length; i += 4) invisible[i] = 0;
    const engine = await sharedEngine();
    await assert.rejects(
      engine.check(await sharp(invisible, raw).png().toBuffer()),
      (err: unknown) => err instanceof FaceliveError && err.code === 'FACE_NOT_DETECTED',
    );
  });
});
