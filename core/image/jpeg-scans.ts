// Walks a JPEG's marker segments without decoding it, once, for what the decoder needs to know
// first: how many scans (SOS markers) it holds, and which bytes libjpeg would skip with a warning
// before a marker. A progressive JPEG may hold thousands of tiny scans and still be valid; libjpeg
// then passes over every coefficient once per scan (one such 431 KB file at the pixel cap took 40 s
// of CPU), so the decoder refuses JPEGs with too many.

/** Most scans a JPEG may have: baseline files have one per component group, progressive ones about 10. */
export const MAX_JPEG_SCANS = 100;

/** JPEG markers that stand alone (no length field): TEM, RST0-7, SOI. */
export function isStandaloneMarker(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8);
}

/** Start of scan: entropy-coded data follows its header. */
const SOS = 0xda;
/** End of image: libjpeg reads nothing after it. */
const EOI = 0xd9;

/** What one walk of a JPEG's markers found. */
export interface JpegMarkers {
  /** SOS markers, counted until past the walk's limit. */
  readonly scans: number;
  /**
   * [from, to) ranges of extraneous bytes: what libjpeg skips (with a warning) before a marker that
   * follows a segment header, bytes other than 0xFF and 0xFF 0x00 pairs. Bytes right after a scan's
   * entropy-coded data are not among them: only decoding the scan tells where its data ends.
   */
  readonly extraneous: readonly (readonly [number, number])[];
}

/**
 * Walks the marker segments, skipping entropy-coded data (where a 0xFF is followed by a stuffed 0x00
 * or a restart marker). Stops once past `limit` scans, at EOI, or where the file is cut short.
 */
export function walkJpegMarkers(bytes: Buffer, limit = Number.POSITIVE_INFINITY): JpegMarkers {
  let scans = 0;
  const extraneous: [number, number][] = [];
  let offset = 2; // after SOI
  let inScanData = false;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) {
      // Entropy-coded data, or junk between segments: on to the next 0xFF.
      const next = bytes.indexOf(0xff, offset);
      const end = next < 0 ? bytes.length : next;
      if (!inScanData) extraneous.push([offset, end]);
      offset = end;
      continue;
    }
    const markerStart = offset;
    while (offset < bytes.length && bytes[offset] === 0xff) offset += 1; // fill bytes (ITU T.81, B.1.1.2)
    if (offset >= bytes.length) break;
    const marker = bytes[offset]!;
    offset += 1;
    if (marker === 0x00) {
      // A stuffed zero: a 0xFF of scan data, or between segments a pair libjpeg discards.
      if (!inScanData) extraneous.push([markerStart, offset]);
      continue;
    }
    if (isStandaloneMarker(marker)) continue; // a restart marker keeps the scan going
    if (marker === EOI || offset + 2 > bytes.length) break; // EOI, or cut short
    const length = bytes.readUInt16BE(offset);
    if (length < 2) break;
    offset += length;
    inScanData = marker === SOS;
    if (inScanData) {
      scans += 1;
      if (scans > limit) break;
    }
  }
  return { scans, extraneous };
}

/** The number of SOS markers (see walkJpegMarkers); stops counting once past `limit`. */
export function countJpegScans(bytes: Buffer, limit = Number.POSITIVE_INFINITY): number {
  return walkJpegMarkers(bytes, limit).scans;
}
