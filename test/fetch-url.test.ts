// fetchImageUrl against real HTTP servers on loopback: budget, byte cap, redirects, status, SSRF guard.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaceliveError } from '../core/errors';
import { fetchImageUrl, isPublicAddress } from '../core/image/fetch-url';
import { resolveLimits, type Limits } from '../core/limits';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface TestServer {
  readonly origin: string;
  readonly port: number;
  /** TCP connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

async function startServer(handler: Handler, host = '127.0.0.1'): Promise<TestServer> {
  const server = http.createServer(handler);
  const state = { connections: 0 };
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
  return {
    origin,
    port,
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
      } else if (path === '/page') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>not an image</title>');
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

  it('returns an HTML page as bytes (decoding, not fetching, rejects it)', async () => {
    const bytes = await fetchImageUrl(new URL(`${server.origin}/page`), loopback);
    assert.match(bytes.toString('utf8'), /not an image/);
  });

  it('gives INVALID_PAYLOAD_IMAGE_TIMEOUT when a slow drip passes the total budget', async () => {
    const started = Date.now();
    await expectCode(fetchImageUrl(new URL(`${server.origin}/drip`), { ...loopback, urlTimeoutMs: 1000 }), 'INVALID_PAYLOAD_IMAGE_TIMEOUT');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 900 && elapsed < 3000, `took ${elapsed} ms`);
  });

  it('gives INVALID_PAYLOAD_IMAGE_SIZE for a 6 MiB streamed body without Content-Length', async () => {
    await expectCode(fetchImageUrl(new URL(`${server.origin}/big-chunked`), loopback), 'INVALID_PAYLOAD_IMAGE_SIZE');
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
      ['not an address', false],
    ];
    for (const [address, expected] of cases) {
      it(`${address} -> ${expected ? 'public' : 'refused'}`, () => {
        assert.equal(isPublicAddress(address), expected);
      });
    }
  });
});
