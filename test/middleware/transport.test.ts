// Bodies the service should not keep reading: a body sent in thousands of 1-byte pieces (each piece
// costs body parsers far more memory than its byte) is refused at once, and a request refused before
// its body was read (here 401) ends its connection instead of leaving Node to read and discard the
// rest at the client's pace.

import assert from 'node:assert/strict';
import net from 'node:net';
import express from 'express';
import type { Engine } from '../../core/engine-types';
import { MAX_SMALL_PIECES } from '../../middleware/body-pieces';
import { errorHandler, faceLiveness } from '../../middleware';
import { listen, type Listening, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';

/** Sends raw bytes on a new connection; resolves with everything the server wrote once it closes the connection (or after `waitMs`). */
function exchange(port: number, head: string, body: Buffer, waitMs: number): Promise<{ answer: string; closedByServer: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let closedByServer = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ answer, closedByServer, ms: Date.now() - started });
    }, waitMs);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('end', () => {
      closedByServer = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer, closedByServer, ms: Date.now() - started });
    });
    socket.on('error', () => undefined);
    socket.write(head);
    socket.write(body);
  });
}

describe('transport: bodies the service does not keep reading', function () {
  this.timeout(60_000);
  let engine: Engine;
  let server: Listening;
  let port: number;

  before(async () => {
    engine = await sharedEngine();
    const app = express();
    app.use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false }));
    app.use(errorHandler());
    server = await listen(app);
    port = Number(new URL(server.url).port);
  });

  after(async () => {
    await server?.close();
  });

  it(`refuses a body sent in more than ${MAX_SMALL_PIECES} one-byte pieces with 400 INVALID_PAYLOAD, and closes the connection`, async () => {
    const head = `POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nApp-ID: ${LIVE.appId}\r\nAPI-Key: ${LIVE.apiKey}\r\n\r\n`;
    // The body never ends (no last chunk): only the refusal can answer before the wait runs out.
    const pieces = Buffer.from('1\r\n \r\n'.repeat(MAX_SMALL_PIECES * 2), 'latin1');
    const { answer, closedByServer, ms } = await exchange(port, head, pieces, 10_000);
    assert.match(answer, /^HTTP\/1\.1 400 /, answer.slice(0, 200));
    assert.match(answer, /"error_code":"INVALID_PAYLOAD"/);
    assert.match(answer, /pieces/);
    assert.ok(closedByServer, 'the server closed the connection');
    assert.ok(ms < 5_000, `${ms} ms`);
  });

  it('accepts the same number of bytes in ordinary pieces (answering about the image, not the pieces)', async () => {
    const json = JSON.stringify({ image: 'x'.repeat(MAX_SMALL_PIECES * 2) });
    const head = `POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\nConnection: close\r\nApp-ID: ${LIVE.appId}\r\nAPI-Key: ${LIVE.apiKey}\r\n\r\n`;
    const { answer } = await exchange(port, head, Buffer.from(json), 10_000);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.doesNotMatch(answer, /pieces/);
    assert.match(answer, /"error_code":"INVALID_PAYLOAD_IMAGE_(MISSING|FORMAT)"/);
  });

  it('ends the connection of a request refused before its body was read (401), not reading the rest', async () => {
    const head = `POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\nApp-ID: ${LIVE.appId}\r\nAPI-Key: wrong\r\n\r\n`;
    const { answer, closedByServer, ms } = await exchange(port, head, Buffer.from('{"image":"'), 10_000);
    assert.match(answer, /^HTTP\/1\.1 401 /);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    assert.ok(closedByServer, 'closed by the server, not left open to read 1 GB');
    assert.ok(ms < 5_000, `${ms} ms`);
  });
});
