// The service's own routes (health, OpenAPI, demo page and its config, metrics) take no request body,
// nor does a path it does not have. A body sent to one anyway is read and dropped before the answer
// (at most OWN_ROUTES_BODY_LIMIT bytes within OWN_ROUTES_BODY_MS), or the answer closes the
// connection, as the liveness router does for its refusals. Before, Node read the rest after the
// answer at the client's pace, and Express's 404 waited for the body to end: an endless body sent a
// byte at a time to GET /healthz was read for as long as it came, and POST /nope never got its 404.

import type { RequestHandler } from 'express';
import { discardOrClose } from '../middleware/discard-body';

/** The most of a body that the service's own routes read (and drop) before they answer. */
export const OWN_ROUTES_BODY_LIMIT = 64 * 1024;
/** How long they wait for such a body to end. */
export const OWN_ROUTES_BODY_MS = 5_000;

/** Reads and drops a body sent to a route that takes none, or has the answer close the connection. */
export function dropUnwantedBodies(): RequestHandler {
  return (req, res, next) => {
    // Most requests here (a health check, a page) have no body, or all of it already: nothing to wait for.
    if (req.complete) {
      next();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error('body still arriving')), OWN_ROUTES_BODY_MS);
      timer.unref();
    });
    discardOrClose(req, res, OWN_ROUTES_BODY_LIMIT, expired)
      .finally(() => clearTimeout(timer))
      .then(() => next(), next);
  };
}

/**
 * The service's 404, answered at once: Express's own waits for the request's body to end, and reads
 * it meanwhile (dropUnwantedBodies has already dropped it or marked the connection to close).
 * OPTIONS goes on to Express, which answers it with the methods of the path's routes (200 and
 * `Allow`), or with its own 404 where the path has none.
 */
export function notFound(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'OPTIONS') {
      next();
      return;
    }
    res.status(404).type('text/plain').send('Not found.\n');
  };
}
