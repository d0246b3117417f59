// Counts a JPEG's scans (SOS markers) without decoding it. A progressive JPEG may hold thousands of
// tiny scans and still be valid; libjpeg then passes over every coefficient once per scan (one such
// 431 KB file at the pixel cap took 40 s of CPU), so the decoder refuses JPEGs with too many.

/** Most scans a JPEG may have: baseline files have one per component group, progressive ones about 10. */
export const MAX_JPEG_SCANS = 100;

/** JPEG markers that stand alone (no length field): TEM, RST0-7, SOI. */
export function isStandaloneMarker(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8);
}

/**
 * The number of SOS markers, walking the marker segments and skipping entropy-coded data (where a
 * 0xFF is followed by a stuffed 0x00 or a restart marker). Stops counting once past `limit`.
 */
export function countJpegScans(bytes: Buffer, limit = Number.POSITIVE_INFINITY): number {
  let scans = 0;
  let offset = 2;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) {
      // Entropy-coded data (or junk between segments): on to the next 0xFF.
      offset = bytes.indexOf(0xff, offset);
      if (offset < 0) break;
      continue;
    }
    while (offset < bytes.length && bytes[offset] === 0xff) offset += 1; // fill bytes (ITU T.81, B.1.1.2)
    if (offset >= bytes.length) break;
    const marker = bytes[offset]!;
    offset += 1;
    // A stuffed zero (0xFF in scan data) or a marker without a length field.
    if (marker === 0x00 || isStandaloneMarker(marker)) continue;
    if (marker === 0xd9 || offset + 2 > bytes.length) break; // EOI, or cut short
    const length = bytes.readUInt16BE(offset);
    if (length < 2) break;
    offset += length;
    if (marker === 0xda) {
      scans += 1;
      if (scans > limit) break;
    }
  }
  return scans;
}
