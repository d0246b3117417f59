// Who may receive the generated development credentials from GET /demo-config.json: a browser on
// the service's own machine, addressed to a loopback host and not forwarded by a proxy (a reverse
// proxy on the same host makes every visitor's socket look like loopback).

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** Headers a proxy adds when it forwards a request: their presence means the peer is not the client. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'];

/** The Host header names this machine's loopback (guards against DNS rebinding from a web page). */
function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name === '127.0.0.1' || name === '[::1]';
}

/**
 * True when a request may receive the generated demo credentials: from loopback, addressed to a
 * loopback host, and not forwarded by a proxy.
 */
export function isLocalDemoCaller(req: { socket: { remoteAddress?: string }; headers: Record<string, unknown> }): boolean {
  if (!isLoopback(req.socket.remoteAddress)) return false;
  if (FORWARDING_HEADERS.some((name) => req.headers[name] !== undefined)) return false;
  return isLoopbackHostHeader(typeof req.headers.host === 'string' ? req.headers.host : undefined);
}
