// Slow and hostile image servers, through the whole HTTP stack (faceLiveness over real sockets),
// with the URL budget configured to 1.5 s so the test is fast: a 1-byte-a-second drip, a server
// that never answers, an endless body, a redirect loop, lying Content-Lengths and empty answers.
// Each gets its documented code within the budget, and the image server sees every socket closed
// afterwards.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Engine } from '../../core/engine-types';
import { errorHandler, faceLiveness } from '../../middleware';
import { listen, type Listening, sharedEngine } from '../helpers/server';

const BUDGET_MS = 1500;
const PATH = '/v1/face/liveness';

interface HostileServer {
  readonly origin: string;
  readonly open: Set<Socket>;
  close(): Promise<void>;
}

async function hostileServer(): Promise<HostileServer> {
  const open = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    res.on('error', () => undefined);
    if (url === '/drip') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(Buffer.from([0xff]));
      const timer = setInterval(() => res.write(Buffer.from([0xd8])), 1000);
      res.on('close', () => clearInterval(timer));
    } else if (url === '/never') {
      // Accepts the request and never answers.
    } else if (url === '/endless') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const chunk = Buffer.alloc(64 * 1024, 0xab);
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    } else if (url.startsWith('/loop')) {
      res.writeHead(302, { location: url === '/loop-a' ? '/loop-b' : '/loop-a' });
      res.end();
    } else if (url === '/short-body') {
      // Declares 100000 bytes, sends 10, then hangs up.
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '100000' });
      res.write(Buffer.alloc(10, 0xff));
      setTimeout(() => res.socket?.destroy(), 50);
    } else if (url === '/long-body') {
      // Declares 10 bytes and pours 6 MiB down the socket.
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '10' });
      res.socket?.write(Buffer.alloc(6 * 1024 * 1024, 0xff));
      res.socket?.end();
    } else if (url === '/empty') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '0' });
      res.end();
    } else if (url === '/no-content') {
      res.writeHead(204);
      res.end();
    } else if (url === '/stalled-length') {
      // Declares 100000 bytes, sends 10, and keeps the connection open.
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '100000' });
      res.write(Buffer.alloc(10, 0xff));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    open,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('slow and hostile URL image servers (URL budget 1.5 s)', function () {
  this.timeout(60_000);
  let engine: Engine;
  let hostile: HostileServer;
  let service: Listening;

  before(async () => {
    engine = await sharedEngine({ limits: { urlTimeoutMs: BUDGET_MS } });
    hostile = await hostileServer();
    const app = express();
    app.use(PATH, faceLiveness({ engine, auth: false, metrics: false }));
    app.use(errorHandler());
    service = await listen(app);
  });

  after(async () => {
    await service.close();
    await hostile.close();
  });

  const cases: readonly { path: string; what: string; code: string; minMs?: number }[] = [
    { path: '/drip', what: 'drips one byte a second', code: 'INVALID_PAYLOAD_IMAGE_TIMEOUT', minMs: BUDGET_MS - 100 },
    { path: '/never', what: 'never answers', code: 'INVALID_PAYLOAD_IMAGE_TIMEOUT', minMs: BUDGET_MS - 100 },
    { path: '/stalled-length', what: 'promises more bytes than it sends and stalls', code: 'INVALID_PAYLOAD_IMAGE_TIMEOUT', minMs: BUDGET_MS - 100 },
    { path: '/endless', what: 'sends an endless body', code: 'INVALID_PAYLOAD_IMAGE_SIZE' },
    { path: '/loop-a', what: 'redirects in a loop', code: 'INVALID_PAYLOAD_IMAGE_FORMAT' },
    { path: '/short-body', what: 'lies in Content-Length (declares more, hangs up)', code: 'INVALID_PAYLOAD_IMAGE_FORMAT' },
    { path: '/long-body', what: 'lies in Content-Length (declares 10 bytes, sends 6 MiB)', code: 'INVALID_PAYLOAD_IMAGE_FORMAT' },
    // The middleware checks the fetched bytes as the image: empty ones must not read as an empty image field (_MISSING).
    { path: '/empty', what: 'answers 200 with an empty body', code: 'INVALID_PAYLOAD_IMAGE_FORMAT' },
    { path: '/no-content', what: 'answers 204 No Content', code: 'INVALID_PAYLOAD_IMAGE_FORMAT' },
  ];

  for (const c of cases) {
    it(`a server that ${c.what}: 400 ${c.code} within the budget, sockets closed`, async () => {
      const started = Date.now();
      const res = await fetch(`${service.url}${PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ image: `${hostile.origin}${c.path}` }),
      });
      const elapsed = Date.now() - started;
      const body = (await res.json()) as { error_code: string };
      assert.equal(res.status, 400);
      assert.equal(body.error_code, c.code);
      assert.ok(elapsed < BUDGET_MS + 1000, `answered after ${elapsed} ms`);
      if (c.minMs !== undefined) assert.ok(elapsed >= c.minMs, `answered after ${elapsed} ms, before the budget ran out`);
      for (let i = 0; i < 100 && hostile.open.size > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(hostile.open.size, 0, 'every socket to the image server is closed');
    });
  }
});
