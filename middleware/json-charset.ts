// The charset parameter of a JSON body. JSON has none (RFC 8259, section 11: adding one "really has no
// effect on compliant recipients"), and JSON exchanged between systems is UTF-8 (section 8.1). But
// body-parser refuses any charset not named utf-* (415, which answered "not valid JSON"): a valid
// body sent with charset=utf8, us-ascii or iso-8859-1 was refused. So JSON is read as UTF-8 whatever
// its charset parameter says, unless it names UTF-16 or UTF-32, which body-parser decodes as before.
// decodedAsUtf8() gives the router's scan of such a body the same text body-parser reads.

import type { RequestHandler } from 'express';
import { FaceliveError } from '../core/errors';
import { unsupportedCharsetMessage } from './errors';

/** The charset parameter of a Content-Type, its value quoted or not. */
const CHARSET_PARAMETER = /;\s*charset\s*=\s*("[^"]*"|[^;\s]*)/i;

/** Charsets body-parser decodes: the JSON bytes are not ASCII-compatible in them. */
const DECODED_CHARSETS = /^"?utf-(16|32)/i;

/** A Content-Type with its charset parameter naming UTF-8, unless it names a charset body-parser decodes. */
export function readAsUtf8(contentType: string): string {
  const charset = CHARSET_PARAMETER.exec(contentType);
  if (charset === null || DECODED_CHARSETS.test(charset[1])) return contentType;
  return contentType.replace(CHARSET_PARAMETER, '; charset=utf-8');
}

/** `parser` (express.json()) reading every body whose charset is not UTF-16 or UTF-32 as UTF-8. */
export function jsonAsUtf8(parser: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['content-type'];
    const read = given === undefined ? given : readAsUtf8(given);
    if (read === given) {
      parser(req, res, next);
      return;
    }
    // body-parser reads the charset as it starts (synchronously); the app still sees the header as sent.
    req.headers['content-type'] = read;
    try {
      parser(req, res, next);
    } finally {
      req.headers['content-type'] = given;
    }
  };
}

/**
 * A body in `encoding` as UTF-8 bytes; a charset that TextDecoder does not know (UTF-32) is refused as
 * such. Plain UTF-16 is big-endian behind a big-endian byte order mark (TextDecoder's utf-16 reads
 * little-endian only; body-parser follows the mark).
 */
export function decodedAsUtf8(buf: Buffer, encoding: string): Buffer {
  let decoder: TextDecoder;
  const bigEndianMark = /^utf-?16$/i.test(encoding) && buf[0] === 0xfe && buf[1] === 0xff;
  try {
    decoder = new TextDecoder(bigEndianMark ? 'utf-16be' : encoding);
  } catch {
    throw new FaceliveError('INVALID_PAYLOAD', unsupportedCharsetMessage(encoding));
  }
  return Buffer.from(decoder.decode(buf));
}
