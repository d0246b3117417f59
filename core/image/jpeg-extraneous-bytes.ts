// Drops the extraneous bytes between a JPEG's marker segments, as libjpeg skips them (with a
// warning) before it reads the next marker: bytes other than 0xFF, and 0xFF 0x00 pairs. Some
// webcams and IP cameras write such bytes into every frame; without them the file decodes to the
// same pixels, and its first libjpeg warning is one about the image data itself.

import { walkJpegMarkers, type JpegMarkers } from './jpeg-scans';

/**
 * The JPEG without the bytes libjpeg would skip before a marker that follows a segment header (the
 * same buffer when there are none). `extraneous` is their ranges from a walk already made.
 */
export function withoutExtraneousBytes(jpeg: Buffer, extraneous: JpegMarkers['extraneous'] = walkJpegMarkers(jpeg).extraneous): Buffer {
  if (extraneous.length === 0) return jpeg;
  const kept: Buffer[] = [];
  let keptUpTo = 0;
  for (const [from, to] of extraneous) {
    kept.push(jpeg.subarray(keptUpTo, from));
    keptUpTo = to;
  }
  kept.push(jpeg.subarray(keptUpTo));
  return Buffer.concat(kept);
}
