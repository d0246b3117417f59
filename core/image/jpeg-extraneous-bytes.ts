// Drops the extraneous bytes between a JPEG's marker segments, as libjpeg skips them (with a
// warning) before it reads the next marker: bytes other than 0xFF, and 0xFF 0x00 pairs. Some
// webcams and IP cameras write such bytes into every frame; without them the file decodes to the
// same pixels, and its first libjpeg warning is one about the image data itself.

import { isStandaloneMarker } from './jpeg-scans';

/** Start of scan: entropy-coded data follows its header. */
const SOS = 0xda;
/** End of image: libjpeg reads nothing after it. */
const EOI = 0xd9;

/**
 * The JPEG without the bytes libjpeg would skip before a marker that follows a segment header
 * (the same buffer when there are none). Bytes right after a scan's entropy-coded data are left
 * alone: only decoding the scan tells where its data ends, so to this walk they are scan data.
 */
export function withoutExtraneousBytes(jpeg: Buffer): Buffer {
  const kept: Buffer[] = [];
  let keptUpTo = 0;
  const drop = (from: number, to: number): void => {
    kept.push(jpeg.subarray(keptUpTo, from));
    keptUpTo = to;
  };
  let offset = 2; // after SOI
  let inScanData = false;
  while (offset < jpeg.length) {
    if (jpeg[offset] !== 0xff) {
      const next = jpeg.indexOf(0xff, offset);
      const end = next < 0 ? jpeg.length : next;
      if (!inScanData) drop(offset, end);
      offset = end;
      continue;
    }
    const markerStart = offset;
    while (offset < jpeg.length && jpeg[offset] === 0xff) offset += 1; // fill bytes (ITU T.81, B.1.1.2)
    if (offset >= jpeg.length) break;
    const marker = jpeg[offset]!;
    offset += 1;
    if (marker === 0x00) {
      // A stuffed zero: a 0xFF of scan data, or between segments a pair libjpeg discards.
      if (!inScanData) drop(markerStart, offset);
      continue;
    }
    if (isStandaloneMarker(marker)) continue; // a restart marker keeps the scan going
    if (marker === EOI || offset + 2 > jpeg.length) break;
    const length = jpeg.readUInt16BE(offset);
    if (length < 2) break;
    offset += length;
    inScanData = marker === SOS;
  }
  if (kept.length === 0) return jpeg;
  kept.push(jpeg.subarray(keptUpTo));
  return Buffer.concat(kept);
}
