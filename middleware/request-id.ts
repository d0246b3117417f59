// Request ids: reuse an X-Request-Id the app already set on the response or the caller's (sanitised,
// at most 128 chars), or make a UUID.

import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { MAX_REQUEST_ID_LENGTH } from '../core/engine';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** The core's own bound on a request id: a sanitised id is cut to it. */
export { MAX_REQUEST_ID_LENGTH };

/** Characters kept from a caller's id; everything else is dropped. */
const UNSAFE = /[^A-Za-z0-9._:\-]/g;

/** The caller's id reduced to safe characters and 128 chars, or undefined when nothing usable is left. */
export function sanitizeRequestId(value: unknown): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (typeof raw !== 'string') return undefined;
  const clean = raw.replace(UNSAFE, '').slice(0, MAX_REQUEST_ID_LENGTH);
  return clean.length > 0 ? clean : undefined;
}

/**
 * The request's id, decided once per response: an id already set on this response (by an earlier
 * call, or as its X-Request-Id header by the app's own middleware; sanitised), else the caller's
 * sanitised X-Request-Id, else a random UUID. Sets the response header when it still can.
 */
export function requestIdOf(req: Request, res: Response): string {
  const locals = res.locals as { faceLivenessRequestId?: string };
  let id = locals.faceLivenessRequestId;
  if (id === undefined) {
    const set = res.getHeader(REQUEST_ID_HEADER);
    id = sanitizeRequestId(typeof set === 'number' ? String(set) : set) ?? sanitizeRequestId(req.headers['x-request-id']) ?? randomUUID();
    locals.faceLivenessRequestId = id;
  }
  if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
