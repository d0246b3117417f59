// Expect: 100-continue, answered only once a request is admitted. Node answers "100 Continue" at
// once to every request that asks, unless the server listens for 'checkContinue': so a client with a
// wrong key, over its quota or at capacity would upload its whole image (curl asks before bodies of
// 1 MB and more) only to be refused. deferContinue(server) makes the server leave that answer to
// faceLiveness, which sends it after authentication, rate limit, capacity and quota, right before it
// reads the body; a refused request gets its final answer instead, and the client sends nothing.

import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Requests whose "100 Continue" the server left to the route. */
const deferred = new WeakSet<IncomingMessage>();

/**
 * Leaves "100 Continue" to faceLiveness on this server. Only for a server whose routes that take a
 * request body are faceLiveness routes: any other route would leave such a client waiting for its
 * own timeout (about a second for curl) before it sends the body anyway.
 */
export function deferContinue(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    deferred.add(req);
    server.emit('request', req, res);
  });
}

/** Whether a request still waits for the "100 Continue" its server deferred: its client has not sent its body. */
export function awaitsContinue(req: IncomingMessage): boolean {
  return deferred.has(req);
}

/** Sends "100 Continue" for a request whose server deferred it, once: the request is admitted. */
export function continueIfDeferred(req: IncomingMessage, res: ServerResponse): void {
  if (deferred.delete(req)) res.writeContinue();
}
