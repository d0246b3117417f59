// Fetches a URL image under the limits: http(s) only, one total time budget (DNS, redirects, body),
// a streamed byte cap, and an SSRF guard on every hop and on the address actually connected to.
//
// Error mapping (the contract has no code of its own for these, so they read as "the URL did not
// give an image"): a non-2xx answer, too many redirects, a redirect to a non-http(s) URL, a refused
// (non-public) address, a failed connection and a 2xx answer with an empty body (a 204, a 200 of no
// bytes: handed on, its bytes would read as an empty image field) are all
// INVALID_PAYLOAD_IMAGE_FORMAT, each with its own sentence. Over the budget is
// INVALID_PAYLOAD_IMAGE_TIMEOUT; over the byte cap (declared or streamed; a body compressed with
// gzip, deflate or br is decoded, and the cap applies to the image it holds) is
// INVALID_PAYLOAD_IMAGE_SIZE. A caller's AbortSignal stops the fetch at once (SERVICE_UNAVAILABLE: the
// request was abandoned). Messages never carry the URL's path or query, nor bytes.

import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Readable } from 'node:stream';
import ipaddr from 'ipaddr.js';
import { FaceliveError, summariseError } from '../errors';
import { maxEncodedImageBytes, type Limits } from '../limits';
import { contentCodings, decodersFor } from './content-coding';

/** Marks an address the guard refused, so the request's error can be told apart from a network failure. */
class RefusedAddressError extends Error {
  readonly code = 'EFACELIVE_REFUSED_ADDRESS';
}

type Hop = { readonly kind: 'redirect'; readonly location: URL } | { readonly kind: 'body'; readonly bytes: Buffer };

const REFUSED_MESSAGE = 'The image URL points to a private, loopback, link-local or otherwise non-public address, which is not allowed.';

/**
 * True when `address` is a public unicast address. IPv4-mapped IPv6 addresses are judged as the
 * IPv4 address they carry; IPv4-compatible ones (::/96, deprecated, e.g. ::7f00:1) are never
 * public; anything unparsable is not public.
 */
export function isPublicAddress(address: string): boolean {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return false;
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.parts.slice(0, 6).every((part) => part === 0)) return false;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

/** The host of a URL without IPv6 brackets. */
function bareHost(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * How host names resolve and which addresses count as public. Production uses DEFAULT_NETWORK
 * (the system resolver and isPublicAddress); tests inject a resolver and a rule so they can
 * exercise the guard offline, on loopback.
 */
export interface NetworkPolicy {
  /** Resolves every address of a host name, as dns.lookup with `all: true`. */
  readonly resolve: (hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) => void;
  /** True for an address that may be connected to. */
  readonly isPublic: (address: string) => boolean;
}

export const DEFAULT_NETWORK: NetworkPolicy = Object.freeze({
  resolve: (hostname: string, options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) =>
    dns.lookup(hostname, { ...options, all: true }, callback),
  isPublic: isPublicAddress,
});

/**
 * A `lookup` for http.request that resolves every address and refuses the request if any is
 * non-public. Being the socket's own lookup, the addresses it checks are the ones connected to.
 */
function guardedLookup(network: NetworkPolicy) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    network.resolve(hostname, options, (err, addresses) => {
      if (err) {
        callback(err, []);
        return;
      }
      if (addresses.length === 0 || addresses.some((entry) => !network.isPublic(entry.address))) {
        callback(new RefusedAddressError(REFUSED_MESSAGE), []);
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function formatError(message: string, cause?: unknown): FaceliveError {
  return new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', message, cause === undefined ? undefined : { cause });
}

function sizeError(limits: Limits): FaceliveError {
  return new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', `The image at the URL is larger than ${limits.maxImageBytes} bytes.`);
}

function timeoutError(limits: Limits): FaceliveError {
  return new FaceliveError('INVALID_PAYLOAD_IMAGE_TIMEOUT', `Fetching the image URL took longer than ${limits.urlTimeoutMs} ms.`);
}

function cancelledError(): FaceliveError {
  return new FaceliveError('SERVICE_UNAVAILABLE', 'Fetching the image URL was cancelled: the request was abandoned.');
}

function networkError(err: unknown): FaceliveError {
  if (err instanceof FaceliveError) return err;
  if (err instanceof RefusedAddressError) return formatError(REFUSED_MESSAGE);
  // Its name and code only: Node's HTTP parser errors carry up to 64 KiB of what the server sent.
  return formatError('The image URL could not be fetched (the connection failed or the answer was not valid HTTP).', summariseError(err));
}

/** Refuses a hop before any connection: wrong scheme, or a literal IP host outside the public ranges. */
function checkHop(url: URL, limits: Limits, first: boolean, network: NetworkPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    if (first) throw new FaceliveError('INVALID_PAYLOAD_IMAGE_MISSING', 'Only http and https image URLs are accepted.');
    throw formatError('The image URL redirected to a URL that is not http or https.');
  }
  const host = bareHost(url);
  if (!limits.allowPrivateNetwork && net.isIP(host) !== 0 && !network.isPublic(host)) {
    throw formatError(REFUSED_MESSAGE);
  }
}

/** One GET: resolves with a redirect target or the whole body, rejects with a FaceliveError (the abort's reason when `signal` aborts). */
function fetchOnce(url: URL, limits: Limits, signal: AbortSignal, network: NetworkPolicy): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    let settled = false;
    let req: http.ClientRequest | undefined;
    const settle = (action: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      action();
    };
    const fail = (err: FaceliveError): void => {
      settle(() => reject(err));
      req?.destroy();
    };
    function onAbort(): void {
      fail(signal.reason instanceof FaceliveError ? signal.reason : timeoutError(limits));
    }
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });

    const client = url.protocol === 'https:' ? https : http;
    req = client.request(url, {
      method: 'GET',
      agent: false,
      // The bytes as stored: without Accept-Encoding any coding is acceptable (RFC 9110), and a
      // server or CDN may gzip the body, which would reach the decoder compressed.
      headers: { accept: 'image/*', 'accept-encoding': 'identity', 'user-agent': 'facelive' },
      ...(limits.allowPrivateNetwork ? {} : { lookup: guardedLookup(network) as unknown as net.LookupFunction }),
    });
    req.on('error', (err) => fail(networkError(err)));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        res.destroy();
        let location: URL;
        try {
          location = new URL(res.headers.location, url);
        } catch {
          fail(formatError('The image URL redirected to an invalid URL.'));
          return;
        }
        settle(() => resolve({ kind: 'redirect', location }));
        req?.destroy();
        return;
      }
      if (status < 200 || status >= 300) {
        res.destroy();
        fail(formatError(`The image URL answered with HTTP status ${status}, not an image.`));
        return;
      }
      let codings: string[];
      try {
        codings = contentCodings(res.headers['content-encoding']);
      } catch (err) {
        res.destroy();
        fail(err as FaceliveError);
        return;
      }
      // A compressed body may be as long as the image's base64 would be; the image itself, once
      // decoded, no longer than the cap.
      const maxTransferred = codings.length === 0 ? limits.maxImageBytes : maxEncodedImageBytes(limits.maxImageBytes);
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxTransferred) {
        res.destroy();
        fail(sizeError(limits));
        return;
      }
      let transferred = 0;
      res.on('data', (chunk: Buffer) => {
        transferred += chunk.length;
        if (transferred > maxTransferred && !settled) {
          res.destroy();
          fail(sizeError(limits));
        }
      });
      const decoders = decodersFor(codings);
      let body: Readable = res;
      for (const decoder of decoders) {
        body.pipe(decoder);
        decoder.on('error', (err) => {
          res.destroy();
          fail(formatError(`The image URL's body does not decompress as its Content-Encoding (${codings.join(', ')}) says.`, summariseError(err)));
        });
        body = decoder;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      body.on('data', (chunk: Buffer) => {
        if (settled) return;
        total += chunk.length;
        if (total > limits.maxImageBytes) {
          res.destroy();
          for (const decoder of decoders) decoder.destroy();
          fail(sizeError(limits));
          return;
        }
        chunks.push(chunk);
      });
      body.on('end', () => {
        if (total === 0) fail(formatError(`The image URL answered with HTTP status ${status} and an empty body, not an image.`));
        else settle(() => resolve({ kind: 'body', bytes: Buffer.concat(chunks, total) }));
      });
      res.on('error', (err) => fail(networkError(err)));
      res.on('close', () => {
        if (!res.complete) fail(formatError('The connection closed before the whole image arrived.'));
      });
    });
    req.end();
  });
}

/** What fetchImageUrl() takes besides the URL and the limits. */
export interface FetchOptions {
  /** How host names resolve and which addresses are public; for tests (DEFAULT_NETWORK). */
  readonly network?: NetworkPolicy;
  /** Aborting it stops the fetch at once, with SERVICE_UNAVAILABLE (the request was abandoned). */
  readonly signal?: AbortSignal;
}

/**
 * Fetches `url` and returns its body, following at most `limits.maxRedirects` redirects, within
 * `limits.urlTimeoutMs` in total and `limits.maxImageBytes` of body. Unless
 * `limits.allowPrivateNetwork`, every hop's host must resolve only to public unicast addresses
 * (checked on the addresses handed to the socket, so DNS rebinding between check and connect
 * cannot slip through). The body is returned whatever its Content-Type (decoding judges it), but
 * never empty. `options.signal` cancels it; `options.network` is for tests.
 * @throws FaceliveError INVALID_PAYLOAD_IMAGE_TIMEOUT, _SIZE, _FORMAT (or _MISSING for a non-http(s) URL);
 * SERVICE_UNAVAILABLE once `options.signal` aborts.
 */
export async function fetchImageUrl(url: URL, limits: Limits, options: FetchOptions = {}): Promise<Buffer> {
  const { network = DEFAULT_NETWORK, signal } = options;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeoutError(limits)), limits.urlTimeoutMs);
  const cancel = (): void => controller.abort(cancelledError());
  if (signal?.aborted) cancel();
  else signal?.addEventListener('abort', cancel, { once: true });
  try {
    let current = url;
    for (let redirects = 0; ; redirects += 1) {
      checkHop(current, limits, redirects === 0, network);
      const hop = await fetchOnce(current, limits, controller.signal, network);
      if (hop.kind === 'body') return hop.bytes;
      if (redirects >= limits.maxRedirects) {
        throw formatError(`The image URL redirected more than ${limits.maxRedirects} times.`);
      }
      current = hop.location;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', cancel);
  }
}
