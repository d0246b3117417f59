// multipart/form-data bodies: the parser (multer, in memory, under the JSON body limit) and the form
// read as a contract body. A form is judged as the same request sent as JSON would be: its flags'
// own 400s come before the image's size, and fields that are not flags are ignored (up to a bound).

import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import { FaceliveError } from '../core/errors';
import { OPTION_NAMES } from '../core/options';
import { BODY_TOO_LARGE_MESSAGE } from './errors';

/** Text fields a form may hold besides the flags and an image field: a client's own, ignored as in JSON. */
export const MAX_EXTRA_FORM_FIELDS = 32;

/** Text fields a form may hold in all: the flags, an image sent as text, and the extra ones. */
const MAX_FORM_TEXT_FIELDS = OPTION_NAMES.length + 1 + MAX_EXTRA_FORM_FIELDS;

/** Whether a request sends a multipart/form-data body (any other is read as JSON). */
export function isMultipart(req: Request): boolean {
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');
}

/**
 * The parser of a form with one file part named `image`. The whole body may be no larger than a
 * JSON body (`bodyLimit`), counted while it streams: busboy's limits are per field, so without this
 * count every text field could hold as much as the whole limit. The file is bounded by that limit
 * only; the engine judges the image's own size after the flags, as for JSON (a file limit of
 * maxImageBytes answered INVALID_PAYLOAD_IMAGE_SIZE before the flags were read, hiding their 400s).
 */
export function formParser(bodyLimit: number): RequestHandler {
  return multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: bodyLimit, files: 1, fields: MAX_FORM_TEXT_FIELDS, parts: MAX_FORM_TEXT_FIELDS + 1, fieldSize: bodyLimit },
    streamHandler: (req: Request, busboy: NodeJS.WritableStream & { destroy(err?: Error): void }) => {
      let received = 0;
      const count = (chunk: Buffer): void => {
        received += chunk.length;
        if (received > bodyLimit) {
          req.off('data', count);
          busboy.destroy(new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', BODY_TOO_LARGE_MESSAGE));
        }
      };
      req.on('data', count);
      req.pipe(busboy);
    },
  } as multer.Options).single('image');
}

/** A parsed form as a contract body: the `image` file part as bytes, 'true'/'false' text flags as booleans. */
export function formBody(req: Request): Record<string, unknown> {
  const fields = (req.body ?? {}) as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const isFlag = (OPTION_NAMES as readonly string[]).includes(key);
    // Defined, not assigned: assigning a field named __proto__ set the body's prototype, and the
    // form's __proto__[image] was then read as its image (JSON keeps such a field as its own).
    Object.defineProperty(body, key, {
      value: isFlag && value === 'true' ? true : isFlag && value === 'false' ? false : value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (req.file !== undefined) {
    if (body.image !== undefined) throw new FaceliveError('INVALID_PAYLOAD', 'Send the image either as a file part or as a text field, not both.');
    body.image = req.file.buffer;
  }
  return body;
}
