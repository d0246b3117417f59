// Reads and drops the rest of a refused request's body before its answer. An answer that closes the
// connection under a body still arriving reaches many clients (Node's fetch: EPIPE, from 3 MB or so)
// as a broken pipe, not as the 401, 403, 405, 429 or 503 that says why. The bytes are neither parsed nor
// kept, and no more than the body limit is read within the request's deadline: a body larger than
// that, or one sent in a great many tiny pieces, still ends the connection with the answer, unread.
// discardOrClose() does both for any answer that does not read the body (a refusal, OPTIONS, a 404).

import type { Request, Response } from 'express';
import { guardBodyPieces } from './body-pieces';
import { awaitsContinue } from './expect-continue';

/**
 * Whether the rest of `req`'s body may be read and dropped before it is answered: the client is
 * sending it (it did not ask first, or was told to go on) and does not declare more than `limit`
 * bytes (a chunked body is counted as it comes).
 */
export function mayDiscardBody(req: Request, limit: number): boolean {
  if (req.complete || req.socket.destroyed || awaitsContinue(req)) return false;
  const declared = req.headers['content-length'];
  return declared === undefined || Number(declared) <= limit;
}

/**
 * Reads the rest of `req`'s body and drops it. Resolves true once the body has ended; false, with
 * the request paused, when it passes `limit` bytes, comes in a great many tiny pieces, the client
 * leaves, or `deadline` rejects first.
 */
export async function discardBody(req: Request, limit: number, deadline: Promise<never>): Promise<boolean> {
  const pieces = guardBodyPieces(req);
  let received = 0;
  let stop!: (ended: boolean) => void;
  const finished = new Promise<boolean>((resolve) => (stop = resolve));
  const count = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limit) stop(false);
  };
  const ended = (): void => stop(true);
  const left = (): void => stop(false);
  req.on('data', count);
  req.once('end', ended);
  req.once('close', left);
  req.once('error', left);
  req.resume();
  try {
    const done = await Promise.race([finished, pieces.refused, deadline]).catch(() => false);
    if (!done) req.pause();
    return done;
  } finally {
    pieces.stop();
    req.off('data', count);
    req.off('end', ended);
    req.off('close', left);
    req.off('error', left);
  }
}

/**
 * Makes sure that the rest of a body `res` does not read cannot keep the connection reading after
 * the answer: it is read and dropped first (discardBody), or, where it may not be (over `limit`,
 * in a great many tiny pieces, not sent yet, past `deadline`), the answer closes the connection.
 * Without this, Node reads and discards the rest after the answer at the client's pace, however long
 * it takes to come: an endless body sent a byte at a time kept a core busy for minutes.
 */
export async function discardOrClose(req: Request, res: Response, limit: number, deadline: Promise<never>): Promise<void> {
  if (req.complete || res.headersSent) return;
  const discarded = mayDiscardBody(req, limit) && (await discardBody(req, limit, deadline));
  if (!discarded && !res.headersSent) res.setHeader('Connection', 'close');
}
