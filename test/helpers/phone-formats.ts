// Image files as today's phones write them, made at test time from a test JPEG: an iPhone's HEIC
// (the HEIF container of a sharp AVIF with HEVC brands and item types: no HEVC encoder is at hand,
// and facelive refuses the file by its brands before any decoder sees it), an AVIF, and an MP4.

import { randomFillSync } from 'node:crypto';
import sharp from 'sharp';

/** An MP4 of `length` bytes: an ftyp box, then an mdat box of random bytes. */
export function mp4Bytes(length: number): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypisom', 4, 'latin1');
  ftyp.writeUInt32BE(0x200, 12);
  ftyp.write('isommp42', 16, 'latin1');
  const mdat = Buffer.alloc(length - 24);
  mdat.writeUInt32BE(mdat.length, 0);
  mdat.write('mdat', 4, 'latin1');
  randomFillSync(mdat, 8);
  return Buffer.concat([ftyp, mdat]);
}

/** An AVIF of the image, as sharp's libheif and aom write it. */
export function avifOf(image: Buffer): Promise<Buffer> {
  return sharp(image).avif({ quality: 60 }).toBuffer();
}

/**
 * An iPhone-style HEIC: the AVIF's HEIF container with the major brand heic (compatible: mif1, heic,
 * miaf, as long as the AVIF's list, so that every offset in the file holds), and its item and
 * codec-configuration types renamed to HEVC's (hvc1, hvcC).
 */
export async function heicLike(image: Buffer): Promise<Buffer> {
  const heic = Buffer.from(await avifOf(image));
  const ftypLength = heic.readUInt32BE(0);
  const brands = ['mif1', 'heic', 'miaf', 'MiHE', 'MiPr', 'MiHB'].slice(0, (ftypLength - 16) / 4);
  heic.write('heic', 8, 'latin1');
  brands.forEach((brand, i) => heic.write(brand, 16 + 4 * i, 'latin1'));
  for (const [from, to] of [['av01', 'hvc1'], ['av1C', 'hvcC']] as const) {
    for (let at = heic.indexOf(from, ftypLength, 'latin1'); at >= 0; at = heic.indexOf(from, at + 4, 'latin1')) heic.write(to, at, 'latin1');
  }
  return heic;
}
