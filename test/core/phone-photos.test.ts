// Photos as today's phones write them, through the core library: an Android motion photo and an
// Ultra HDR photo answer as their primary JPEG alone (the video after it is not read, the gain map
// not applied), an iPhone's HEIC or an AVIF is refused with a message naming it and what to send,
// and so is an HDR PNG, which the decoders would read as SDR.

import assert from 'node:assert/strict';
import sharp from 'sharp';
import { DEFAULT_LIMITS, type Engine } from '../../core';
import { decodeImage } from '../../core/image/decode';
import { heifKind } from '../../core/image/heif-brands';
import { sharedEngine } from '../helpers/engine';
import { selfieJpeg } from '../helpers/faces';
import { avifOf, hdrPng, heicLike, motionPhoto, mp4Bytes, ultraHdr, withCicp } from '../helpers/phone-formats';

/** The answer without what differs by design from one check to the next; an error by its code and message. */
function answer(check: Promise<unknown>): Promise<unknown> {
  return check.then(
    (result) => JSON.parse(JSON.stringify(result, (key, value) => (key === 'request_id' || key === 'timings_ms' ? undefined : value))),
    (err: { code?: string; message?: string }) => ({ error: err.code, message: err.message }),
  );
}

/** An ftyp box with these brands (major first), then nothing: enough for heifKind. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const box = Buffer.alloc(16 + 4 * compatible.length);
  box.writeUInt32BE(box.length, 0);
  box.write(`ftyp${major}`, 4, 'latin1');
  compatible.forEach((brand, i) => box.write(brand, 16 + 4 * i, 'latin1'));
  return box;
}

describe('photos as phones write them', function () {
  this.timeout(300_000);
  let engine: Engine;
  /** A 12-megapixel selfie, the size of a phone camera's photo. */
  let photo: Buffer;

  before(async () => {
    engine = await sharedEngine();
    photo = await selfieJpeg('frontal', 4032, 3024);
  });

  it('answers a motion photo as its JPEG alone, and counts the video against the size limit', async () => {
    const still = await answer(engine.check(photo, { validate_liveness: true }));
    assert.equal((still as { data?: { nface?: number } }).data?.nface, 1);
    const motion = motionPhoto(photo, 2_000_000);
    assert.deepStrictEqual(await answer(engine.check(motion, { validate_liveness: true })), still);
    const heavy = motionPhoto(photo, DEFAULT_LIMITS.maxImageBytes - photo.length + 1000);
    assert.deepStrictEqual(await answer(engine.check(heavy)), { error: 'INVALID_PAYLOAD_IMAGE_SIZE', message: `The image is larger than ${DEFAULT_LIMITS.maxImageBytes} bytes.` });
  });

  it('answers an Ultra HDR photo as its primary JPEG, with the primary\'s EXIF orientation applied and the gain map not applied', async () => {
    // Stored on its side, with orientation 6 (turn a quarter clockwise), as a phone held upright writes it.
    const sideways = await sharp(photo).rotate(270).withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer();
    const hdr = await ultraHdr(sideways);
    assert.ok((await sharp(hdr).metadata()).gainMap, 'libvips finds the gain map');
    const primary = await answer(engine.check(sideways));
    const result = await answer(engine.check(hdr)) as { data?: { image: unknown } };
    assert.deepStrictEqual(result.data?.image, { width: 4032, height: 3024, format: 'jpeg', orientation: 6 });
    assert.deepStrictEqual(result, primary);
  });

  it('names an iPhone\'s HEIC and an AVIF when it refuses them, and says what to send instead', async () => {
    // Refused by the brands, before any decoder: a small image does (encoding AVIF at 12 megapixels takes long).
    const small = await selfieJpeg('frontal', 640, 480);
    const heic = await heicLike(small);
    const avif = await avifOf(small);
    assert.equal((await sharp(avif).metadata()).format, 'heif', 'a real AVIF, which sharp could decode');
    for (const [kind, bytes] of [['HEIC', heic], ['AVIF', avif]] as const) {
      const ways = [
        engine.check(bytes),
        engine.check(`data:image/${kind.toLowerCase()};base64,${bytes.toString('base64')}`),
        decodeImage(bytes, DEFAULT_LIMITS.maxPixels, 'jimp'),
      ];
      for (const way of ways) {
        const refused = await answer(way) as { error?: string; message?: string };
        assert.equal(refused.error, 'INVALID_PAYLOAD_IMAGE_FORMAT', kind);
        assert.match(String(refused.message), new RegExp(`^The image is ${kind}\\b.*send a JPEG, PNG or WebP`), kind);
      }
    }
    // A video, whose first box is an ftyp too, is no image of any kind named.
    assert.deepStrictEqual(await answer(engine.check(mp4Bytes(4096))), { error: 'INVALID_PAYLOAD_IMAGE_FORMAT', message: 'The image is not a JPEG, PNG or WebP.' });
  });

  it('refuses an HDR PNG (PQ or HLG, named by its cICP chunk), which would be judged with the wrong tones, and says to send SDR', async () => {
    const small = await selfieJpeg('frontal', 640, 480);
    for (const transfer of ['PQ', 'HLG'] as const) {
      const png = await hdrPng(small, transfer);
      for (const way of [engine.check(png), decodeImage(png, DEFAULT_LIMITS.maxPixels, 'jimp')]) {
        const refused = await answer(way) as { error?: string; message?: string };
        assert.equal(refused.error, 'INVALID_PAYLOAD_IMAGE_FORMAT', transfer);
        assert.match(String(refused.message), new RegExp(`^The PNG is HDR \\(its cICP chunk names the ${transfer} transfer\\).*send the photo as SDR`), transfer);
      }
    }
    // A cICP chunk naming sRGB's transfer (13) changes nothing: the PNG answers as it does without it.
    const sdr = await sharp(small).toColourspace('rgb16').png().toBuffer();
    const plain = await answer(engine.check(sdr));
    assert.equal((plain as { data?: { nface?: number } }).data?.nface, 1);
    assert.deepStrictEqual(await answer(engine.check(withCicp(sdr, 13))), plain);
  });

  it('tells HEIC, AVIF and other HEIF files from their ftyp brands only', () => {
    assert.equal(heifKind(ftyp('heic', 'mif1', 'heic')), 'HEIC');
    assert.equal(heifKind(ftyp('mif1', 'MiHE', 'heic')), 'HEIC', 'a generic major brand, HEVC among the compatible ones');
    assert.equal(heifKind(ftyp('avif', 'mif1', 'avif', 'miaf')), 'AVIF');
    assert.equal(heifKind(ftyp('mif1', 'miaf', 'avif')), 'AVIF');
    assert.equal(heifKind(ftyp('mif1', 'miaf')), 'HEIF');
    assert.equal(heifKind(ftyp('isom', 'isom', 'mp42')), null);
    assert.equal(heifKind(ftyp('heic').subarray(0, 12)), null, 'cut short');
    assert.equal(heifKind(Buffer.concat([Buffer.from([0, 0, 0, 17]), ftyp('heic').subarray(4)])), null, 'a box length that is no whole number of brands');
  });
});
