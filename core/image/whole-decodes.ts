// Decodes that hold the whole image in memory while they run (progressive JPEGs, interlaced PNGs,
// WebPs), told from the decoders' own reading of the header, and a queue that runs those one at a time.

import type { Metadata } from 'sharp';

/**
 * Whether the decoder holds the whole image while it decodes, from sharp's metadata: `isProgressive`
 * is libjpeg's "more than one scan" (progressive, or a baseline JPEG sending its components in
 * separate scans) and libpng's interlacing, as the decoders themselves read the header. A walk of
 * the markers of our own missed files libjpeg accepts (one stray byte between two segments).
 * Every WebP counts: libwebp decodes a lossless one whole at full size, 4 bytes a pixel, before it
 * shrinks it (8 at once of 39 megapixels grew RSS by 760-820 MiB), and 8 lossy ones at once grew it
 * by 292-317 MiB (161-170 one at a time).
 */
export function heldWholeWhileDecoding(meta: Pick<Metadata, 'format' | 'isProgressive'>): boolean {
  return meta.isProgressive === true || meta.format === 'webp';
}

let wholeDecodes: Promise<void> = Promise.resolve();

/**
 * Runs the decodes of large images that are held whole while they decode one at a time in the
 * process: 8 concurrent 7200x5400 progressive JPEGs grew RSS by 486 MiB at once, against 97-151
 * one at a time. Baseline JPEGs and plain PNGs stream through the shrink in strips and are not held up.
 */
export function oneWholeAtATime<T>(decode: () => Promise<T>): Promise<T> {
  const turn = wholeDecodes.then(decode, decode);
  // The chain keeps no result alive (a raster until the next such decode) and survives a failure.
  wholeDecodes = turn.then(() => undefined, () => undefined);
  return turn;
}
