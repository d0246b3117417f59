// A stopping service keeps an idle keep-alive connection open a moment: a request its client sends on
// it right after the stop signal gets 503 with Retry-After and Connection: close (retryable, and the
// client moves to a new connection), where closing it at once cut that request off (ECONNRESET).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serveWithConfig } from '../helpers/service';

/** Sends `request` on `socket` and resolves with everything read until the server's answer ends or the connection does. */
function exchange(socket: net.Socket, request: string, complete: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = (): void => {
      socket.removeListener('data', onData);
      resolve(text);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (complete(text)) done();
    };
    socket.on('data', onData);
    socket.once('close', done);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      text += `[${err.code ?? err.message}]`;
      done();
    });
    socket.write(request);
  });
}

const ended = (text: string): boolean => {
  const head = text.indexOf('\r\n\r\n');
  const length = /\r\ncontent-length: *(\d+)/i.exec(text);
  return head >= 0 && length !== null && text.length >= head + 4 + Number(length[1]);
};

describe('a stopping service and its idle keep-alive connections', function () {
  this.timeout(90_000);
  let dir = '';

  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-idle-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers a request sent on an idle connection just after SIGTERM with 503, Retry-After and Connection: close', async () => {
    const service = await serveWithConfig(dir, { credentials: [{ appId: 'shop', apiKey: 'shop-key-7fQ2mLx0', mode: 'live' }] });
    assert.ok(service.base !== undefined, `exited ${String(service.code)}: ${service.stderr}`);
    const { port } = new URL(service.base);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const first = await exchange(socket, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n', ended);
    assert.match(first, /^HTTP\/1\.1 200 /);
    // The connection is idle now. Stop the service, and send on it as soon as the stop is under way.
    const stopped = service.stop();
    for (let waited = 0; !service.stdout.includes('facelive shutting down') && waited < 10_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    const body = '{}';
    const second = await exchange(
      socket,
      `POST /v1/face/liveness HTTP/1.1\r\nHost: x\r\nApp-ID: shop\r\nAPI-Key: shop-key-7fQ2mLx0\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ended,
    );
    socket.destroy();
    await stopped;
    assert.match(second, /^HTTP\/1\.1 503 /, `the request on the idle connection got: ${JSON.stringify(second.slice(0, 200))}`);
    assert.match(second, /\r\nretry-after: 5\r\n/i);
    assert.match(second, /\r\nconnection: close\r\n/i);
    assert.match(second, /"error_code":"SERVICE_UNAVAILABLE"/);
  });
});
