// fetchImageUrl against real HTTP servers on loopback: budget, byte cap, redirects, status, SSRF guard,
// the caller's AbortSignal.

import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaceliveError } from '../core/errors';
import type dns from 'node:dns';
import netModule from 'node:net';
import type net from 'node:net';
import { fetchImageUrl, isPublicAddress, type NetworkPolicy } from '../core/image/fetch-url';
import { resolveLimits, type Limits } from '../core/limits';
import { selfieJpeg } from './helpers/faces';
import { imageTraces } from './helpers/leaks';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  readonly origin: string;
  readonly port: number;
  /** TCP connections accepted so far. */
  connections: number;
  /** The server side of the connections accepted so far. */
  readonly sockets: readonly net.Socket[];
  close(): Promise<void>;
}

async function startServer(handler: Handler, host = '127.0.0.1', port = 0): Promise<TestServer> {
  const server = http.createServer(handler);
  const state = { connections: 0 };
  server.on('connection', (socket: net.Socket) => {
    state.connections += 1;
    sockets.push(socket);
  });
  const sockets: net.Socket[] = [];
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const origin = host.includes(':') ? `http://[${host}]:${bound}` : `http://${host}:${bound}`;
  return {
    origin,
    port: bound,
    sockets,
    get connections() {
      return state.connections;
    },
    set connections(value: number) {
      state.connections = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves when the server side of `socket` has closed; rejects after `ms`. */
function closedWithin(socket: net.Socket | undefined, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!socket) return reject(new Error('no connection was made'));
    if (socket.destroyed) return resolve();
    const timer = setTimeout(() => reject(new Error(`the connection was still open ${ms} ms after the error`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const loopback: Limits = resolveLimits({ allowPrivateNetwork: true });
const guarded: Limits = resolveLimits({ allowPrivateNetwork: false });

async function expectCode(promise: Promise<unknown>, code: string): Promise<FaceliveError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FaceliveError, `expected a FaceliveError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but the fetch succeeded`);
}

describe('fetchImageUrl', function () {
  this.timeout(10_000);
  let server: TestServer;
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

  before(async () => {
    server = await startServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      if (path === '/image') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(png);
      } else if (path === '/negotiated') {
        // A server (or CDN) that compresses whenever the request does not ask for the identity coding
        // (RFC 9110: no Accept-Encoding means any coding is acceptable).
        const identityOnly = /^\s*identity\s*$/i.test(String(req.headers['accept-encoding'] ?? ''));
        res.writeHead(200, { 'content-type': 'image/png', ...(identityOnly ? {} : { 'content-encoding': 'gzip' }) });
        res.end(identityOnly ? png : zlib.gzipSync(png));
      } else if (path.startsWith('/stored/')) {
        // An object store holding the image compressed sends it so, whatever the request asked for.
        const coding = decodeURIComponent(path.slice('/stored/'.length));
        const encode: Record<string, (b: Buffer) => Buffer> = {
          gzip: zlib.gzipSync, 'x-gzip': zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync,
          'gzip, br': (b) => zlib.brotliCompressSync(zlib.gzipSync(b)), compress: (b) => b,
        };
        res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': coding });
        res.end(encode[coding]!(png));
      } else if (path === '/stored-bomb') {
        // 6 MiB of image in a few KiB of gzip.
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-encoding': 'gzip' });
        res.end(zlib.gzipSync(Buffer.alloc(6 * 1024 * 1024)));
      } else if (path === '/stored-corrupt') {
        res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' });
        res.end(zlib.gzipSync(png).subarray(0, 12));
      } else if (path === '/page') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>not an image</title>');
      } else if (path === '/empty') {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '0' });
        res.end();
      } else if (path === '/no-content') {
        res.writeHead(204);
        res.end();
      } else if (path === '/drip') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        const timer = setInterval(() => res.write(Buffer.alloc(1)), 100);
        res.on('close', () => clearInterval(timer));
      } else if (path === '/big-chunked') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        const chunk = Buffer.alloc(256 * 1024);
        let sent = 0;
        const pump = (): void => {
          while (sent < 6 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        res.on('error', () => undefined);
        pump();
      } else if (path === '/endless') {
        // Streams without end: only the client closing the connection stops it.
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        const chunk = Buffer.alloc(64 * 1024);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.on('error', () => undefined);
        pump();
      } else if (path === '/big-declared') {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(6 * 1024 * 1024) });
        res.write(Buffer.alloc(1024));
        // Never sends the rest: the client must fail on the header alone.
      } else if (path === '/lying-length') {
        res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '10' });
        res.on('error', () => undefined);
        res.socket?.write(Buffer.alloc(6 * 1024 * 1024));
        res.socket?.end();
      } else if (path.startsWith('/redirect/')) {
        const left = Number(path.split('/')[2]);
        res.writeHead(302, { location: left > 0 ? `/redirect/${left - 1}` : '/image' });
        res.end();
      } else if (path === '/to-ftp') {
        res.writeHead(302, { location: 'ftp://example.com/x.png' });
        res.end();
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    });
  });

  after(async () => {
    await server.close();
  });

  it('returns the body of a 200 answer', async () => {
    const bytes = await fetchImageUrl(new URL(`${server.origin}/image`), loopback);
    assert.deepEqual(bytes, png);
  });

  it('asks for the image bytes uncompressed (Accept-Encoding: identity), so a compressing server sends them as they are', async () => {
    const bytes = await fetchImageUrl(new URL(`${server.origin}/negotiated`), loopback);
    assert.deepEqual(bytes, png);
  });

  it('decodes a body stored and sent compressed (gzip, x-gzip, deflate, br, and two codings) whatever was asked for, as a browser does', async () => {
    for (const coding of ['gzip', 'x-gzip', 'deflate', 'br', 'gzip, br']) {
      const bytes = await fetchImageUrl(new URL(`${server.origin}/stored/${encodeURIComponent(coding)}`), loopback);
      assert.deepEqual(bytes, png, coding);
    }
  });

  it('refuses a coding it cannot decode, naming it; a body that does not decompress; and a decoded image over the cap', async () => {
    const unknown = await expectCode(fetchImageUrl(new URL(`${server.origin}/stored/compress`), loopback), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    assert.match(unknown.message, /Content-Encoding "compress"/);
    const corrupt = await expectCode(fetchImageUrl(new URL(`${server.origin}/stored-corrupt`), loopback), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    assert.match(corrupt.message, /does not decompress/);
    await expectCode(fetchImageUrl(new URL(`${server.origin}/stored-bomb`), loopback), 'INVALID_PAYLOAD_IMAGE_SIZE');
  });

  it('returns an HTML page as bytes (decoding, not fetching, rejects it)', async () => {
    const bytes = await fetchImageUrl(new URL(`${server.origin}/page`), loopback);
    assert.match(bytes.toString('utf8'), /not an image/);
  });

  it('gives INVALID_PAYLOAD_IMAGE_FORMAT for a 200 with an empty body and for a 204: the URL gave no image', async () => {
    // Handed on as empty bytes, they would read as an empty image field (INVALID_PAYLOAD_IMAGE_MISSING).
    for (const [path, status] of [['/empty', 200], ['/no-content', 204]] as const) {
      const err = await expectCode(fetchImageUrl(new URL(`${server.origin}${path}`), loopback), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.match(err.message, new RegExp(`status ${status} and an empty body`));
    }
  });

  it('gives INVALID_PAYLOAD_IMAGE_TIMEOUT when a slow drip passes the total budget', async () => {
    const started = Date.now();
    await expectCode(fetchImageUrl(new URL(`${server.origin}/drip`), { ...loopback, urlTimeoutMs: 1000 }), 'INVALID_PAYLOAD_IMAGE_TIMEOUT');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 3000, `took ${elapsed} ms`);
  });

  it('stops at once when the caller aborts (the request was abandoned): SERVICE_UNAVAILABLE, connection closed', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const err = await expectCode(fetchImageUrl(new URL(`${server.origin}/drip`), { ...loopback, urlTimeoutMs: 5000 }, { signal: controller.signal }), 'SERVICE_UNAVAILABLE');
    assert.match(err.message, /cancelled/);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    await closedWithin(server.sockets.at(-1), 2000);
  });

  it('connects nowhere when the caller has aborted already', async () => {
    const before = server.connections;
    await expectCode(fetchImageUrl(new URL(`${server.origin}/image`), loopback, { signal: AbortSignal.abort() }), 'SERVICE_UNAVAILABLE');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.connections, before);
  });

  it('gives INVALID_PAYLOAD_IMAGE_SIZE for a 6 MiB streamed body without Content-Length', async () => {
    await expectCode(fetchImageUrl(new URL(`${server.origin}/big-chunked`), loopback), 'INVALID_PAYLOAD_IMAGE_SIZE');
  });

  describe('closes the connection after an error', () => {
    it('after the time budget runs out (the server stops dripping)', async () => {
      await expectCode(fetchImageUrl(new URL(`${server.origin}/drip`), { ...loopback, urlTimeoutMs: 500 }), 'INVALID_PAYLOAD_IMAGE_TIMEOUT');
      await closedWithin(server.sockets.at(-1), 2000);
    });

    it('after a streamed body passes the byte cap (the server would stream forever)', async () => {
      await expectCode(fetchImageUrl(new URL(`${server.origin}/endless`), loopback), 'INVALID_PAYLOAD_IMAGE_SIZE');
      await closedWithin(server.sockets.at(-1), 2000);
    });

    it('after a Content-Length over the cap', async () => {
      await expectCode(fetchImageUrl(new URL(`${server.origin}/big-declared`), loopback), 'INVALID_PAYLOAD_IMAGE_SIZE');
      await closedWithin(server.sockets.at(-1), 2000);
    });
  });

  it('gives INVALID_PAYLOAD_IMAGE_SIZE early when Content-Length is over the cap', async () => {
    const started = Date.now();
    await expectCode(fetchImageUrl(new URL(`${server.origin}/big-declared`), loopback), 'INVALID_PAYLOAD_IMAGE_SIZE');
    assert.ok(Date.now() - started < 2000);
  });

  it('does not trust a small Content-Length: a body past it fails', async () => {
    // A body longer than its Content-Length is either a parse error or a truncated image; it never passes the cap.
    const err = await fetchImageUrl(new URL(`${server.origin}/lying-length`), loopback).then(
      (bytes) => bytes,
      (e: unknown) => e,
    );
    if (Buffer.isBuffer(err)) assert.ok(err.length <= 10);
    else assert.ok(err instanceof FaceliveError);
  });

  it('follows up to 3 redirects', async () => {
    const bytes = await fetchImageUrl(new URL(`${server.origin}/redirect/2`), loopback);
    assert.deepEqual(bytes, png);
  });

  it('gives INVALID_PAYLOAD_IMAGE_FORMAT after 5 redirects', async () => {
    const err = await expectCode(fetchImageUrl(new URL(`${server.origin}/redirect/4`), loopback), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    assert.match(err.message, /redirected more than 3 times/);
  });

  it('gives INVALID_PAYLOAD_IMAGE_FORMAT for a redirect to a non-http(s) URL', async () => {
    await expectCode(fetchImageUrl(new URL(`${server.origin}/to-ftp`), loopback), 'INVALID_PAYLOAD_IMAGE_FORMAT');
  });

  it('gives INVALID_PAYLOAD_IMAGE_FORMAT for a 404, without the query in the message', async () => {
    const err = await expectCode(fetchImageUrl(new URL(`${server.origin}/missing?token=secret123`), loopback), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    assert.match(err.message, /404/);
    assert.doesNotMatch(err.message, /secret123|token/);
  });

  it('gives INVALID_PAYLOAD_IMAGE_FORMAT when nothing listens', async () => {
    const gone = await startServer((_req, res) => res.end());
    await gone.close();
    await expectCode(fetchImageUrl(new URL(`${gone.origin}/x`), loopback), 'INVALID_PAYLOAD_IMAGE_FORMAT');
  });

  describe('an answer that is not valid HTTP, followed by the image: the error holds none of it', () => {
    // Node's HTTP parser error carries `rawPacket`, what it was parsing: here the image's bytes.
    let selfie: Buffer;
    let raw: net.Server;
    let port: number;
    let head: string;

    before(async () => {
      selfie = await selfieJpeg('frontal', 320, 240);
      raw = netModule.createServer((socket) => {
        socket.on('error', () => undefined);
        socket.once('data', () => socket.end(Buffer.concat([Buffer.from(head, 'latin1'), selfie])));
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      port = (raw.address() as AddressInfo).port;
    });

    after(async () => {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    });

    for (const [name, answer] of [
      ['a control character in a header value', (n: number) => `HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nX-Name: caf\x01e\r\nContent-Length: ${n}\r\n\r\n`],
      ['two different Content-Lengths', (n: number) => `HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: ${n}\r\nContent-Length: ${n + 1}\r\n\r\n`],
      ['a chunk size that is not hex', () => 'HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
      ['an invalid status line', () => 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ] as const) {
      it(name, async () => {
        head = answer(selfie.length);
        const err = await expectCode(fetchImageUrl(new URL(`http://127.0.0.1:${port}/selfie.jpg`), loopback), 'INVALID_PAYLOAD_IMAGE_FORMAT');
        // The parser refused the answer (the test sends what it means to) ...
        assert.match(String((err.cause as { code?: unknown } | undefined)?.code), /^HPE_/);
        // ... and neither the error nor its cause holds any of the image.
        assert.deepEqual(imageTraces(err, selfie), []);
      });
    }
  });

  it('refuses a non-http(s) URL as INVALID_PAYLOAD_IMAGE_MISSING', async () => {
    await expectCode(fetchImageUrl(new URL('ftp://example.com/x.png'), loopback), 'INVALID_PAYLOAD_IMAGE_MISSING');
  });

  describe('with private networks not allowed', () => {
    let v6: TestServer;

    before(async () => {
      v6 = await startServer((_req, res) => res.end('x'), '::1');
    });

    after(async () => {
      await v6.close();
    });

    it('refuses http://127.0.0.1:PORT/x without connecting', async () => {
      const before = server.connections;
      const err = await expectCode(fetchImageUrl(new URL(`http://127.0.0.1:${server.port}/image`), guarded), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.match(err.message, /non-public/);
      assert.equal(server.connections, before);
    });

    it('refuses http://[::1]:PORT/x without connecting', async () => {
      const err = await expectCode(fetchImageUrl(new URL(`http://[::1]:${v6.port}/x`), guarded), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.match(err.message, /non-public/);
      assert.equal(v6.connections, 0);
    });

    it('refuses an IPv4-mapped IPv6 loopback literal', async () => {
      const before = server.connections;
      await expectCode(fetchImageUrl(new URL(`http://[::ffff:127.0.0.1]:${server.port}/image`), guarded), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.equal(server.connections, before);
    });

    it('refuses a host name that resolves to loopback (checked in the socket lookup)', async () => {
      const before = server.connections;
      const err = await expectCode(fetchImageUrl(new URL(`http://localhost:${server.port}/image`), guarded), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.match(err.message, /non-public/);
      assert.equal(server.connections, before);
    });
  });

  describe('the guard on every hop and every address (a test resolver; 127.0.0.2 plays a public address)', () => {
    // Two servers on the same port: "public" 127.0.0.2 and private 127.0.0.1. The test's network
    // policy resolves made-up names and counts 127.0.0.2 as public, so the guard runs offline.
    let publicServer: TestServer;
    let privateServer: TestServer;
    const served = Buffer.from('the public image');
    const secret = Buffer.from('the private image');
    let answers: Record<string, string[][]>;
    let asked: string[];
    const network: NetworkPolicy = {
      resolve(hostname: string, _options: dns.LookupOptions, callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void) {
        asked.push(hostname);
        const queue = answers[hostname];
        if (!queue || queue.length === 0) {
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
          return;
        }
        const next = queue.length > 1 ? queue.shift()! : queue[0]!;
        setImmediate(() => callback(null, next.map((address) => ({ address, family: 4 }))));
      },
      isPublic: (address: string) => address === '127.0.0.2' || isPublicAddress(address),
    };
    const publicUrl = (host: string, path: string) => new URL(`http://${host}:${publicServer.port}${path}`);

    before(async () => {
      publicServer = await startServer((req, res) => {
        if (req.url === '/to-private-literal') {
          res.writeHead(302, { location: `http://127.0.0.1:${publicServer.port}/image` });
          res.end();
        } else if (req.url === '/to-private-name') {
          res.writeHead(302, { location: `http://private.test:${publicServer.port}/image` });
          res.end();
        } else if (req.url === '/to-public-name') {
          res.writeHead(302, { location: `http://public.test:${publicServer.port}/image` });
          res.end();
        } else {
          res.end(served);
        }
      }, '127.0.0.2');
      privateServer = await startServer((_req, res) => res.end(secret), '127.0.0.1', publicServer.port);
    });

    after(async () => {
      await publicServer.close();
      await privateServer.close();
    });

    beforeEach(() => {
      asked = [];
      answers = {
        'public.test': [['127.0.0.2']],
        'private.test': [['127.0.0.1']],
        'mixed.test': [['127.0.0.2', '127.0.0.1']],
        'rebind.test': [['127.0.0.2'], ['127.0.0.1']],
      };
    });

    it('fetches from a public name, and follows a redirect to another public name (the harness works)', async () => {
      assert.deepEqual(await fetchImageUrl(publicUrl('public.test', '/image'), guarded, { network }), served);
      assert.deepEqual(await fetchImageUrl(publicUrl('127.0.0.2', '/to-public-name'), guarded, { network }), served);
    });

    it('refuses a redirect to a private literal address without connecting to it', async () => {
      const before = privateServer.connections;
      const err = await expectCode(fetchImageUrl(publicUrl('public.test', '/to-private-literal'), guarded, { network }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.match(err.message, /non-public/);
      assert.equal(privateServer.connections, before);
    });

    it('refuses a redirect to a name that resolves to a private address without connecting to it', async () => {
      const before = privateServer.connections;
      const err = await expectCode(fetchImageUrl(publicUrl('public.test', '/to-private-name'), guarded, { network }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.match(err.message, /non-public/);
      assert.equal(privateServer.connections, before);
    });

    it('refuses a name resolving to a public and a private address, connecting to neither', async () => {
      const before = [publicServer.connections, privateServer.connections];
      const err = await expectCode(fetchImageUrl(publicUrl('mixed.test', '/image'), guarded, { network }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.match(err.message, /non-public/);
      assert.deepEqual([publicServer.connections, privateServer.connections], before);
    });

    it('connects to the address it checked when the resolver answers public, then private (DNS rebinding)', async () => {
      const before = privateServer.connections;
      const bytes = await fetchImageUrl(publicUrl('rebind.test', '/image'), guarded, { network });
      assert.deepEqual(bytes, served, 'the body came from the address that was checked');
      assert.deepEqual(asked, ['rebind.test'], 'the name was resolved once, by the socket itself');
      assert.equal(privateServer.connections, before, 'the private address was never connected to');
    });
  });

  describe('isPublicAddress', () => {
    const cases: [string, boolean][] = [
      ['8.8.8.8', true],
      ['2001:4860:4860::8888', true],
      ['::ffff:8.8.8.8', true],
      ['127.0.0.1', false],
      ['10.1.2.3', false],
      ['172.16.0.1', false],
      ['192.168.1.1', false],
      ['169.254.169.254', false],
      ['100.64.0.1', false],
      ['0.0.0.0', false],
      ['255.255.255.255', false],
      ['224.0.0.1', false],
      ['::1', false],
      ['::', false],
      ['fe80::1', false],
      ['fc00::1', false],
      ['::ffff:127.0.0.1', false],
      ['::ffff:10.0.0.1', false],
      ['::127.0.0.1', false],
      ['::7f00:1', false], // ::127.0.0.1 written in hex: IPv4-compatible, which ipaddr.js calls unicast
      ['::a00:1', false],
      ['::808:808', false],
      ['not an address', false],
    ];
    for (const [address, expected] of cases) {
      it(`${address} -> ${expected ? 'public' : 'refused'}`, () => {
        assert.equal(isPublicAddress(address), expected);
      });
    }
  });
});
