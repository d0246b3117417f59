// Connections that never send a whole request are closed (closeSilentConnections): Node itself left a
// connection that sent nothing, or only the first byte of a request line, open indefinitely.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { closeSilentConnections } from '../../middleware';
import { listen, type Listening } from '../helpers/server';

/** Resolves with the milliseconds until the server closes `socket`, or undefined if it is still open after `waitMs`. */
function closedWithin(socket: net.Socket, waitMs: number): Promise<number | undefined> {
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
    socket.on('data', () => undefined);
  });
}

describe('closeSilentConnections', function () {
  this.timeout(30_000);
  let server: Listening;
  let port: number;

  before(async () => {
    server = await listen((_req: http.IncomingMessage, res: http.ServerResponse) => res.end('ok'));
    closeSilentConnections(server.server, { timeoutMs: 400 });
    port = Number(new URL(server.url).port);
  });

  after(async () => {
    await server.close();
  });

  it('closes a connection that sends nothing, and one that sends only the first byte of a request, after the timeout', async () => {
    const silent = await connect(port);
    const oneByte = await connect(port);
    oneByte.write('P');
    const [a, b] = await Promise.all([closedWithin(silent, 5_000), closedWithin(oneByte, 5_000)]);
    assert.ok(a !== undefined && a >= 300 && a < 2_000, `silent connection closed after ${a} ms`);
    assert.ok(b !== undefined && b >= 300 && b < 2_000, `one-byte connection closed after ${b} ms`);
  });

  it('leaves a connection whose first request came in time to Node (kept alive past the timeout)', async () => {
    const socket = await connect(port);
    const answered = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.match(await answered, /^HTTP\/1\.1 200/);
    assert.equal(await closedWithin(socket, 1_200), undefined, 'still open after three times the timeout');
    socket.destroy();
  });

  it('leaves a connection the app takes over (a WebSocket upgrade, a CONNECT tunnel) to the app, whether it listens before or after the call', async () => {
    // An upgrade listener added before, on a server of its own.
    const upgrading = await listen((_req: http.IncomingMessage, res: http.ServerResponse) => res.end('ok'));
    // Each takes the socket over: it answers, and closes it when the client does (the server allows half-open sockets).
    const takeOver = (answer: string) => (_req: http.IncomingMessage, socket: net.Socket): void => {
      socket.once('end', () => socket.destroy());
      socket.write(answer);
    };
    upgrading.server.on('upgrade', takeOver('HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n'));
    closeSilentConnections(upgrading.server, { timeoutMs: 400 });
    // A CONNECT listener added after, on the shared server.
    server.server.on('connect', takeOver('HTTP/1.1 200 Connection Established\r\n\r\n'));
    try {
      const upgraded = await connect(Number(new URL(upgrading.url).port));
      upgraded.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n');
      const tunnel = await connect(port);
      tunnel.write('CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n');
      const [a, b] = await Promise.all([closedWithin(upgraded, 1_200), closedWithin(tunnel, 1_200)]);
      assert.equal(a, undefined, 'the upgraded connection stays open past the timeout');
      assert.equal(b, undefined, 'the tunnel stays open past the timeout');
      upgraded.destroy();
      tunnel.destroy();
    } finally {
      server.server.removeAllListeners('connect');
      await upgrading.close();
    }
  });

  it('once the app stops listening for upgrades, an Upgrade request is answered as Node answers it without a listener', async () => {
    const listener = (_req: http.IncomingMessage, socket: net.Socket): void => {
      socket.destroy();
    };
    server.server.on('upgrade', listener);
    server.server.removeListener('upgrade', listener); // as a WebSocket server's close() does
    assert.equal(server.server.listenerCount('upgrade'), 0, 'no listener of its own is left behind');
    const socket = await connect(port);
    const answered = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n');
    assert.match(await answered, /^HTTP\/1\.1 200/, 'the request handler answers it');
    socket.destroy();
  });

  it('called twice on one server, changes nothing: a request answered after the timeout still gets its answer', async () => {
    const slow = await listen((_req: http.IncomingMessage, res: http.ServerResponse) => {
      setTimeout(() => res.end('late'), 800);
    });
    closeSilentConnections(slow.server, { timeoutMs: 300 });
    closeSilentConnections(slow.server, { timeoutMs: 300 });
    try {
      const answer = await (await fetch(slow.url)).text();
      assert.equal(answer, 'late');
    } finally {
      await slow.close();
    }
  });

  it('refuses a timeout that is not a whole number of milliseconds', () => {
    for (const timeoutMs of [0, 1.5, -1, Number.NaN, '400']) {
      assert.throws(() => closeSilentConnections(http.createServer(), { timeoutMs: timeoutMs as number }), /timeoutMs/);
    }
  });
});
