// A body parser of the app that ran before the router (an app-wide express.json()): whether it read a
// request's body, what the router then says once, and the Expect: 100-continue refusal it must not pre-empt.

import type { Request } from 'express';

/** Logged once per router when an app-wide body parser has read a request's body before it. */
export const BODY_READ_BEFORE_MESSAGE = 'a body parser of the app (such as app.use(express.json())) read a liveness request\'s body before facelive: '
  + 'its size limit applies instead of limits.maxImageBytes (express.json() refuses bodies over 100 kB by default), and bodies are read before credentials are checked. '
  + 'Mount faceLiveness before the app\'s body parsers, or keep them off its path; to answer their refusals on this path in the contract\'s body, '
  + 'mount errorHandler({ bodyParserErrors: true }) on it after the router.';

/** Whether a body parser that ran before this router (an app-wide express.json()) has read the body. */
export function readByAnotherParser(req: Request): boolean {
  // body-parser 1 (Express 4) marks a request whose body it has read; with body-parser 2 (Express 5)
  // the request stream has been read to its end. Either way every later body-parser passes it on.
  return (req as { _body?: unknown })._body === true || req.readableEnded;
}

/**
 * Whether a request that asks before sending its body (Expect: 100-continue) declares
 * (Content-Length) a body larger than `limit` bytes. It is refused unsent: otherwise it would be
 * told to send the whole body, only for the parser to refuse it once read. A client that is already
 * sending is not answered early: an answer that closes the connection under a body still arriving
 * reaches many clients as a broken pipe (Node's fetch: EPIPE), not as the 400 that says why; the
 * parser reads such a body to its end and refuses it then. A body an app-wide parser has already
 * read is left to that parser's limit.
 */
export function declaredTooLarge(req: Request, limit: number): boolean {
  return /100-continue/i.test(String(req.headers.expect ?? '')) && Number(req.headers['content-length']) > limit && !readByAnotherParser(req);
}
