// Real bad inputs for the 400 codes: a GIF, random bytes, a truncated JPEG (cut, or cut and closed
// with an end marker), a PNG whose header claims 50000x50000 pixels, and an image file of more than 5 MiB.

import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** A 1x1 GIF89a as a data URI. */
export const GIF_DATA_URI = 'data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';

/** Deterministic pseudo-random bytes. */
export function randomBytes(length: number, seed = 7): Buffer {
  const out = Buffer.alloc(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = s >>> 16;
  }
  return out;
}

/** The first half of a real JPEG. */
export function truncate(jpeg: Buffer): Buffer {
  return jpeg.subarray(0, Math.floor(jpeg.length / 2));
}

/** The first 60 % of a real JPEG closed with an end marker (EOI): its scan data stops short. */
export function cutAndClosed(jpeg: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), Buffer.from([0xff, 0xd9])]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A small, well-formed PNG header that claims width x height pixels (a decompression bomb's shape). */
export function pngClaiming(width = 50000, height = 50000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1024))), chunk('IEND', Buffer.alloc(0))]);
}

/** A real PNG of noise larger than 6 MiB. */
export async function sixMebibytePng(): Promise<Buffer> {
  const width = 1600;
  const height = 1400;
  const png = await sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
  if (png.length < 6 * 1024 * 1024) throw new Error(`expected more than 6 MiB, made ${png.length}`);
  return png;
}
