// The Content-Encoding of a URL image's answer, undone. The image is asked for uncompressed
// (Accept-Encoding: identity), but a server that stores it compressed (an object store holding it
// with Content-Encoding: gzip) sends it so whatever was asked, and a browser shows it as the image:
// gzip, deflate and br are decoded, as browsers do; any other coding is refused, naming it.

import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { FaceliveError } from '../errors';
import { quote } from '../quote';

/** The codings decoded, by the names Content-Encoding gives them. */
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/**
 * The codings a Content-Encoding header names, in the order they were applied, `identity` left out
 * (none for an absent or empty header).
 * @throws FaceliveError INVALID_PAYLOAD_IMAGE_FORMAT for a coding that cannot be decoded.
 */
export function contentCodings(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : header ?? '';
  const codings = text.split(',').map((coding) => coding.trim().toLowerCase()).filter((coding) => coding !== '' && coding !== 'identity');
  const unknown = codings.find((coding) => !Object.hasOwn(DECODERS, coding));
  if (unknown !== undefined) {
    throw new FaceliveError(
      'INVALID_PAYLOAD_IMAGE_FORMAT',
      `The image URL answered with Content-Encoding ${quote(unknown, 40)}, which cannot be decoded; serve the image uncompressed, or compressed with gzip, deflate or br.`,
    );
  }
  return codings;
}

/** Decoders that undo `codings` (as contentCodings() gives them), the last applied first. */
export function decodersFor(codings: readonly string[]): Transform[] {
  return [...codings].reverse().map((coding) => DECODERS[coding]!());
}
