// Bodies the service should not keep reading: a body sent in thousands of 1-byte pieces (each piece
// costs body parsers far more memory than its byte) is refused at once, and a request refused before
// its body was read (here 401), or answered without it (OPTIONS), whose body is over the limit ends its
// connection instead of leaving Node to read and discard the rest at the client's pace. One within the limit is read and dropped
// first, so that the refusal reaches a client still sending it (Node's fetch, in another process).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import express from 'express';
import type { Engine } from '../../core/engine-types';
import { MAX_SMALL_PIECES } from '../../middleware/body-pieces';
import { type Credential, deferContinue, errorHandler, faceLiveness } from '../../middleware';
import { BODY_TOO_LARGE_MESSAGE } from '../../middleware/errors';
import { jsonBodyLimitFor } from '../../middleware/options';
import { selfieJpeg } from '../helpers/faces';
import { exchange, listen, type Listening, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
/** A testing credential whose quota is used up: refused with 403 once its turn comes. */
const USED_UP: Credential = Object.freeze({ appId: 'app-used-up', apiKey: 'used-up-key-0123456789', mode: 'testing', quota: 0 });

/**
 * POSTs a JSON body of `image` text `imageLength` characters long with Node's fetch, from a process of
 * its own (a client on the server's event loop does not see the connection closed under its body as
 * one elsewhere does). Resolves with the status and error_code, or with the transport error's code.
 */
function fetchFromAnotherProcess(url: string, headers: Record<string, string>, imageLength: number): Promise<{ status?: number; error_code?: string; failed?: string }> {
  const script = `
    const [url, headers, length] = [process.argv[1], JSON.parse(process.argv[2]), Number(process.argv[3])];
    fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ image: 'A'.repeat(length) }) })
      .then(async (res) => ({ status: res.status, error_code: (await res.json()).error_code }), (err) => ({ failed: String(err.cause?.code ?? err.message) }))
      .then((answer) => process.stdout.write(JSON.stringify(answer)));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script, url, JSON.stringify(headers), String(imageLength)], { timeout: 60_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout) as { status?: number; error_code?: string; failed?: string });
    });
  });
}

/** The router on a server that leaves "100 Continue" to it (deferContinue), as the service is. */
async function serveDeferringContinue(engine: Engine, credentials: readonly Credential[] = [LIVE]): Promise<{ server: Listening; port: number }> {
  const app = express();
  app.use(PATH, faceLiveness({ engine, auth: { credentials }, metrics: false }));
  app.use(errorHandler());
  const server = await listen(app);
  deferContinue(server.server);
  return { server, port: Number(new URL(server.url).port) };
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

  for (const size of [1, 200]) {
    it(`refuses a body sent in more than ${MAX_SMALL_PIECES} pieces of ${size} byte${size === 1 ? '' : 's'} (under 256 on average) with 400 INVALID_PAYLOAD, and closes the connection`, async () => {
      const head = `POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nApp-ID: ${LIVE.appId}\r\nAPI-Key: ${LIVE.apiKey}\r\n\r\n`;
      // The body never ends (no last chunk): only the refusal can answer before the wait runs out.
      const pieces = Buffer.from(`${size.toString(16)}\r\n${' '.repeat(size)}\r\n`.repeat(MAX_SMALL_PIECES * 2), 'latin1');
      const { answer, closedByServer, ms } = await exchange(port, head, pieces, 10_000);
      assert.match(answer, /^HTTP\/1\.1 400 /, answer.slice(0, 200));
      assert.match(answer, /"error_code":"INVALID_PAYLOAD"/);
      assert.match(answer, /pieces/);
      assert.ok(closedByServer, 'the server closed the connection');
      assert.ok(ms < 5_000, `${ms} ms`);
    });
  }

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

  it('OPTIONS with an endless body, without credentials, gets its 200 with Allow and the connection ends, the body read no further', async () => {
    // Left to Express, this answered 200 and went on reading the body for as long as it came.
    const head = `OPTIONS ${PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const pieces = Buffer.from('1\r\n \r\n'.repeat(MAX_SMALL_PIECES * 2), 'latin1');
    const { answer, closedByServer, ms } = await exchange(port, head, pieces, 10_000, pieces.subarray(0, 100 * 6));
    assert.match(answer, /^HTTP\/1\.1 200 /, answer.slice(0, 200));
    assert.ok(closedByServer, 'the server closed the connection');
    assert.ok(ms < 5_000, `${ms} ms`);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    assert.match(answer, /\r\nAllow: POST, OPTIONS\r\n/i);
  });

  it('OPTIONS with a small body has it read and dropped, and answers on a connection kept open', async () => {
    const head = `OPTIONS ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n`;
    const { answer, closedByServer } = await exchange(port, head, Buffer.from('{"image":""}'), 1_000);
    assert.match(answer, /^HTTP\/1\.1 200 /, answer.slice(0, 200));
    assert.doesNotMatch(answer, /\r\nConnection: close\r\n/i);
    assert.equal(closedByServer, false);
  });
});

describe('transport: Expect: 100-continue is answered only once a request is admitted (deferContinue)', function () {
  this.timeout(60_000);
  let server: Listening;
  let port: number;
  let image: string;

  before(async () => {
    const engine = await sharedEngine();
    image = (await selfieJpeg('frontal', 320, 240)).toString('base64');
    ({ server, port } = await serveDeferringContinue(engine));
  });

  after(async () => {
    await server?.close();
  });

  /** Sends the head asking to continue; sends the body only after a "100 Continue". Resolves with what the server wrote first, and all of it. */
  function askFirst(apiKey: string, body: string): Promise<{ first: string; answer: string }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let answer = '';
      let first: string | undefined;
      let sent = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no final answer; got ${JSON.stringify(answer.slice(0, 200))}`));
      }, 20_000);
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
        first ??= answer.split('\r\n')[0];
        if (!sent && /^HTTP\/1\.1 100 Continue\r\n\r\n$/.test(answer)) {
          sent = true;
          socket.write(body);
        }
        if (/\r\n\r\n\{.*\}$/s.test(answer)) {
          clearTimeout(timer);
          socket.destroy();
          resolve({ first: first!, answer });
        }
      });
      socket.on('error', () => undefined);
      socket.write(`POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
        + `Expect: 100-continue\r\nApp-ID: ${LIVE.appId}\r\nAPI-Key: ${apiKey}\r\n\r\n`);
    });
  }

  it('a refused request gets its 401 without a "100 Continue", so the client never uploads the image', async () => {
    const { first, answer } = await askFirst('wrong', JSON.stringify({ image }));
    assert.match(first, /^HTTP\/1\.1 401 /, answer.slice(0, 200));
    assert.doesNotMatch(answer, /100 Continue/);
  });

  it('an admitted request gets "100 Continue", then its answer once the body is sent', async () => {
    const { first, answer } = await askFirst(LIVE.apiKey, JSON.stringify({ image, is_quality: false, is_attribute: false }));
    assert.equal(first, 'HTTP/1.1 100 Continue');
    assert.match(answer, /HTTP\/1\.1 200 OK/);
  });
});

/**
 * Registers the suite's hooks: before it, the router served on a server deferring 100 Continue (the
 * credentials LIVE and USED_UP) and the body limit it applies; after it, the server closed.
 */
function servedWithBodyLimit(): { readonly server: Listening; readonly port: number; readonly limit: number } {
  const served = { server: undefined as unknown as Listening, port: 0, limit: 0 };
  before(async () => {
    const engine = await sharedEngine();
    served.limit = jsonBodyLimitFor(engine.limits.maxImageBytes);
    Object.assign(served, await serveDeferringContinue(engine, [LIVE, USED_UP]));
  });
  after(async () => {
    await served.server?.close();
  });
  return served;
}

describe('transport: a body declared larger than the limit', function () {
  this.timeout(60_000);
  const served = servedWithBodyLimit();

  /** A request head declaring `length` bytes of body. */
  const head = (length: number, contentType: string, expect: boolean, credential: Credential = LIVE, expectation = '100-continue'): string =>
    `POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n`
    + `${expect ? `Expect: ${expectation}\r\n` : ''}App-ID: ${credential.appId}\r\nAPI-Key: ${credential.apiKey}\r\n\r\n`;

  // An expectation's token is case-insensitive (RFC 9110), as Node reads it.
  for (const [name, contentType, expectation] of [['JSON', 'application/json', '100-continue'], ['multipart', 'multipart/form-data; boundary=facelive', '100-continue'], ['JSON', 'application/json', '100-Continue']] as const) {
    it(`${name}, Expect: ${expectation}: 400 INVALID_PAYLOAD_IMAGE_SIZE at once, no "100 Continue", the body never asked for`, async () => {
      // The body never comes: only an answer given without it arrives before the wait runs out
      // (waiting for it would run into the 25 s deadline, a 503).
      const { answer, closedByServer, ms } = await exchange(served.port, head(served.limit + 1, contentType, true, LIVE, expectation), Buffer.alloc(0), 10_000);
      assert.match(answer, /^HTTP\/1\.1 400 /, answer.slice(0, 200));
      assert.doesNotMatch(answer, /100 Continue/);
      assert.match(answer, /"error_code":"INVALID_PAYLOAD_IMAGE_SIZE"/);
      assert.ok(answer.includes(JSON.stringify(BODY_TOO_LARGE_MESSAGE)), answer);
      assert.match(answer, /\r\nConnection: close\r\n/i);
      assert.ok(closedByServer, 'the server closed the connection');
      assert.ok(ms < 5_000, `${ms} ms`);
    });
  }

  it('comes before the testing quota: a used-up testing credential asking first gets the 400, not the 403', async () => {
    const { answer } = await exchange(served.port, head(served.limit + 1, 'application/json', true, USED_UP), Buffer.alloc(0), 10_000);
    assert.match(answer, /^HTTP\/1\.1 400 /, answer.slice(0, 200));
    assert.match(answer, /"error_code":"INVALID_PAYLOAD_IMAGE_SIZE"/);
  });

  it('a body declared at exactly the limit is asked for ("100 Continue")', async () => {
    const { answer } = await exchange(served.port, head(served.limit, 'application/json', true), Buffer.alloc(0), 1_000);
    assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n/, answer.slice(0, 200));
  });

  it('without Expect, the body already on its way is read, then refused with the 400: no answer cuts the upload short', async () => {
    // An early answer that closes the connection under a body still arriving reached Node's fetch as
    // EPIPE (a transport error, not the 400): 7 of about 9,000 fuzzed requests.
    const body = Buffer.alloc(served.limit + 1, 0x41);
    const answered = await new Promise<{ answer: string; sentAll: boolean; answeredBeforeAllSent: boolean }>((resolve) => {
      const socket = net.connect(served.port, '127.0.0.1');
      let answer = '';
      let sentAll = false;
      let answeredBeforeAllSent = false;
      socket.on('data', (chunk) => {
        if (!sentAll) answeredBeforeAllSent = true;
        answer += chunk.toString('latin1');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve({ answer, sentAll, answeredBeforeAllSent }));
      socket.write(head(body.length, 'application/json', false));
      // The body in 8 pieces 50 ms apart: an answer before the last one would cut the upload short.
      const pieces = 8, size = Math.ceil(body.length / pieces);
      let i = 0;
      const next = (): void => {
        socket.write(body.subarray(i * size, (i + 1) * size));
        i += 1;
        if (i < pieces) setTimeout(next, 50);
        else { sentAll = true; setTimeout(() => socket.end(), 2_000); }
      };
      next();
    });
    assert.equal(answered.answeredBeforeAllSent, false, 'answered while the body was still being sent');
    assert.match(answered.answer, /^HTTP\/1\.1 400 /, answered.answer.slice(0, 200));
    assert.match(answered.answer, /"error_code":"INVALID_PAYLOAD_IMAGE_SIZE"/);
  });
});

describe('transport: a refusal before the body reaches a client already sending it', function () {
  this.timeout(120_000);
  const served = servedWithBodyLimit();

  // Node's fetch sends a body without asking first. An answer that closed the connection under a body
  // of 7 MB (within the limit) reached it as EPIPE every time, and as often as not from about 3 MB.
  for (const [what, headers, status, code] of [
    ['a used-up testing credential', { 'App-ID': USED_UP.appId, 'API-Key': USED_UP.apiKey }, 403, 'INSUFFICIENT_QUOTA_LIVENESS'],
    ['a wrong API-Key', { 'App-ID': LIVE.appId, 'API-Key': 'wrong' }, 401, 'UNAUTHORIZED'],
  ] as const) {
    it(`Node's fetch of a 7 MB body with ${what} gets its ${status} ${code}`, async () => {
      assert.ok(7_000_000 + 20 <= served.limit, `a 7 MB body is over the ${served.limit}-byte limit`);
      for (let i = 0; i < 3; i += 1) {
        assert.deepEqual(await fetchFromAnotherProcess(`${served.server.url}${PATH}`, headers, 7_000_000), { status, error_code: code });
      }
    });
  }

  it('a refused body that grows past the limit (chunked) is read no further: the connection ends with the answer', async () => {
    const head = `POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nApp-ID: ${LIVE.appId}\r\nAPI-Key: wrong\r\n\r\n`;
    // A chunk declared larger than the limit, sent up to one byte past the limit and then stalled: only a
    // refusal that stops reading there answers before the wait runs out. (Nothing is left unread, so
    // the close reaches the client as such, not as a reset.)
    const chunk = Buffer.concat([Buffer.from(`${(served.limit * 2).toString(16)}\r\n`), Buffer.alloc(served.limit + 1, 0x41)]);
    const { answer, closedByServer, ms } = await exchange(served.port, head, chunk, 10_000);
    assert.match(answer, /^HTTP\/1\.1 401 /, answer.slice(0, 200));
    assert.match(answer, /\r\nConnection: close\r\n/i);
    assert.ok(closedByServer, 'the server closed the connection');
    assert.ok(ms < 5_000, `${ms} ms`);
  });

  it(`a refused body sent in more than ${MAX_SMALL_PIECES} one-byte pieces is read no further: the connection ends with the answer`, async () => {
    const head = `POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nApp-ID: ${LIVE.appId}\r\nAPI-Key: wrong\r\n\r\n`;
    const pieces = Buffer.from('1\r\n \r\n'.repeat(MAX_SMALL_PIECES * 2), 'latin1');
    const { answer, closedByServer, ms } = await exchange(served.port, head, pieces, 10_000);
    assert.match(answer, /^HTTP\/1\.1 401 /, answer.slice(0, 200));
    assert.ok(closedByServer, 'the server closed the connection');
    assert.ok(ms < 5_000, `${ms} ms`);
  });

  it('a refused body within the limit is read to its end and answered on a connection kept open', async () => {
    const body = JSON.stringify({ image: 'A'.repeat(1_000_000) });
    const head = `POST ${PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nApp-ID: ${USED_UP.appId}\r\nAPI-Key: ${USED_UP.apiKey}\r\n\r\n`;
    const { answer, closedByServer } = await exchange(served.port, head, Buffer.from(body), 2_000);
    assert.match(answer, /^HTTP\/1\.1 403 /, answer.slice(0, 200));
    assert.match(answer, /"error_code":"INSUFFICIENT_QUOTA_LIVENESS"/);
    assert.doesNotMatch(answer, /\r\nConnection: close\r\n/i);
    assert.equal(closedByServer, false);
  });
});
