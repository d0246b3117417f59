// Connections that never send a whole request, closed. Node times out a request's headers only once
// its parser has begun a message, and a connection that sends nothing (or only the first bytes of a
// request line) was kept open for as long as its client liked: ten silent sockets were still open
// after 200 s, so a client could hold the process's file descriptors at no cost. closeSilentConnections
// (server) ends a connection whose first request has not arrived (its headers complete) within the
// server's headersTimeout (60 s by default); after its first request, Node's keep-alive and request
// timeouts take over. On an HTTPS server the timer starts once the TLS handshake is done (tls's own
// handshakeTimeout bounds the handshake). A connection handed over by an 'upgrade' (WebSocket) or
// 'connect' (tunnel) event is the app's from then on: such events come only to a server that listens
// for them, so the timer's own listener for them is added only once the app has one (adding it
// otherwise would change how Node answers those requests).

import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { describeValue } from '../core/value-kind';

/** The timer of each connection still waiting for its first request. */
const waiting = new WeakMap<Socket, NodeJS.Timeout>();
/** Servers already watched: a second call changes nothing. */
const watched = new WeakSet<Server>();

function stopWaiting(socket: Socket): void {
  const timer = waiting.get(socket);
  if (timer === undefined) return;
  clearTimeout(timer);
  waiting.delete(socket);
}

/**
 * Closes each connection of `server` that has not sent a whole request's headers within `timeoutMs`
 * of connecting (default: the server's headersTimeout, read when the connection opens).
 */
export function closeSilentConnections(server: Server, options: { readonly timeoutMs?: number | undefined } = {}): void {
  if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs >= 1 && options.timeoutMs <= 2147483647)) {
    throw new TypeError(`Expected timeoutMs to be a whole number of milliseconds from 1 to 2147483647 but received ${describeValue(options.timeoutMs)}.`);
  }
  // The socket a request arrives on: the TLS socket on an HTTPS server, not the TCP one under it.
  const opened = server instanceof tls.Server ? 'secureConnection' : 'connection';
  if (watched.has(server)) return;
  watched.add(server);
  const ours = new Map<string | symbol, (req: IncomingMessage) => void>();
  /** Stops the timer of a connection the app takes over through `event` (the app listens for it). */
  const followHandOver = (event: string | symbol): void => {
    if ((event !== 'upgrade' && event !== 'connect') || ours.has(event)) return;
    const listener = (req: IncomingMessage): void => stopWaiting(req.socket);
    ours.set(event, listener);
    server.prependListener(event, listener);
  };
  /** Once the app listens no more, neither does the timer: Node answers those requests as it would. */
  const dropHandOver = (event: string | symbol): void => {
    const listener = ours.get(event);
    if (listener === undefined || server.rawListeners(event).some((l) => l !== listener)) return;
    ours.delete(event);
    server.removeListener(event, listener);
  };
  for (const event of ['upgrade', 'connect']) if (server.listenerCount(event) > 0) followHandOver(event);
  server.on('newListener', followHandOver);
  server.on('removeListener', dropHandOver);
  server.on(opened, (socket: Socket) => {
    const timeoutMs = options.timeoutMs ?? (server.headersTimeout > 0 ? server.headersTimeout : 60_000);
    const timer = setTimeout(() => {
      waiting.delete(socket);
      socket.destroy();
    }, timeoutMs);
    timer.unref();
    waiting.set(socket, timer);
    socket.once('close', () => stopWaiting(socket));
  });
  // 'request' also comes for a request whose "100 Continue" was deferred (deferContinue re-emits it).
  server.on('request', (req: IncomingMessage) => stopWaiting(req.socket));
}
