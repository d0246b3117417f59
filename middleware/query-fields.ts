// The request's fields go in its body. A flag sent in the query string (?validate_liveness=true) was
// ignored, and the check ran with that validation off while the caller believed it on; so a query
// parameter named as a field of the body (image, or a flag in any spelling the body's rule for
// misspelt flags catches) is refused, as a misspelt body flag is. Other parameters (a cache buster)
// are ignored.

import type { Request } from 'express';
import { FaceliveError } from '../core/errors';
import { flagNamed } from '../core/options';

/** The body field a query parameter's name stands for, if any. */
function fieldNamed(name: string): string | undefined {
  return name.trim().toLowerCase() === 'image' ? 'image' : flagNamed(name);
}

/** Throws INVALID_PAYLOAD when `req`'s query string names a field of the request body. */
export function refuseFieldsInQuery(req: Request): void {
  const start = req.url.indexOf('?');
  if (start < 0) return;
  // The raw query string, whatever query parser the app chose (qs would nest a[b] under a).
  for (const name of new URLSearchParams(req.url.slice(start + 1)).keys()) {
    const field = fieldNamed(name);
    if (field !== undefined) {
      throw new FaceliveError('INVALID_PAYLOAD', `The query string names the field ${field}; send the request's fields in the JSON body (or the multipart form), not in the URL.`);
    }
  }
}
