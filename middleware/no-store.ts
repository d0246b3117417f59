// Headers of facelive's own answers. They carry biometric data (face boxes, 68 landmarks, liveness
// scores) or refusals about it: no cache, shared or the browser's, may keep them (OWASP REST
// Security: Cache-Control: no-store for sensitive data; a 405 is cacheable by default), and their
// JSON is not to be read as another type (X-Content-Type-Options: nosniff).

import type { Response } from 'express';

/** Marks an answer as not to be stored by any cache, nor sniffed as another content type. */
export function markNotStored(res: Response): void {
  if (res.headersSent) return;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}
