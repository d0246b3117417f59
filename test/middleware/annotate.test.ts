// Annotate mode (req.faceLiveness, errors to next(err) as FaceliveError) and errorHandler() on its own.

import assert from 'node:assert/strict';
import http from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import type { Engine } from '../../core/engine-types';
import { ERROR_TABLE, FaceliveError } from '../../core/errors';
import { errorHandler, faceLiveness, type LogEntry, toContractError } from '../../middleware';
import { selfieJpeg, twoFaces } from '../helpers/faces';
import { imageTraces } from '../helpers/leaks';
import { authHeaders, listen, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';

describe('faceLiveness() annotate mode', function () {
  this.timeout(30_000);
  let engine: Engine;
  let face: string;
  let seen: unknown[];
  let app: express.Express;

  before(async () => {
    engine = await sharedEngine();
    face = (await selfieJpeg('right', 320, 240)).toString('base64');
    app = express();
    app.use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE] }, mode: 'annotate', metrics: false }));
    app.post(PATH, (req, res) => {
      const result = req.faceLiveness;
      assert.ok(result !== undefined);
      res.status(200).json({ wrapped: true, verdict: result.error_code ?? 'PASS', nface: result.data.nface, request_id: result.data.request_id });
    });
    app.get(PATH, (_req, res) => {
      res.status(200).json({ own: 'GET' });
    });
    const spy: ErrorRequestHandler = (err, _req, _res, next) => {
      seen.push(err);
      next(err);
    };
    app.use(spy);
    app.use(errorHandler());
  });

  beforeEach(() => {
    seen = [];
  });

  it('sets req.faceLiveness and calls next()', async () => {
    const res = await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face });
    assert.equal(res.status, 200);
    assert.equal(res.body.wrapped, true);
    assert.equal(res.body.verdict, 'PASS');
    assert.equal(res.body.request_id, res.headers['x-request-id']);
    assert.deepEqual(seen, []);
  });

  it('leaves methods other than POST to the app: its own GET route on the path is reached, no 405', async () => {
    const own = await request(app).get(PATH);
    assert.deepEqual([own.status, own.body], [200, { own: 'GET' }]);
    const unrouted = await request(app).delete(PATH);
    assert.equal(unrouted.status, 404, 'a method the app has no route for is the app\'s 404');
    assert.equal(unrouted.headers.allow, undefined);
    assert.deepEqual(seen, []);
  });

  it('passes a FAIL verdict on as a result, not an error', async () => {
    const res = await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: (await twoFaces()).toString('base64'), validate_nface: true });
    assert.equal(res.body.verdict, 'FAIL_ON_8');
    assert.equal(res.body.nface, 2);
  });

  for (const [name, send, code] of [
    ['a 401', (r: request.Test) => r.send({ image: face }), 'UNAUTHORIZED'],
    ['a body-parser error', (r: request.Test) => r.set(authHeaders(LIVE)).set('Content-Type', 'application/json').send('{'), 'INVALID_PAYLOAD'],
    ['an engine 400', (r: request.Test) => r.set(authHeaders(LIVE)).send({ image: face, is_liveness: false, validate_liveness: true }), 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY'],
    ['a multer error', (r: request.Test) => r.set(authHeaders(LIVE)).attach('image', Buffer.alloc(5 * 1024 * 1024 + 1), 'x.jpg'), 'INVALID_PAYLOAD_IMAGE_SIZE'],
  ] as const) {
    it(`hands ${name} to next(err) as a FaceliveError (${code})`, async () => {
      const res = await send(request(app).post(PATH));
      assert.equal(seen.length, 1);
      assert.ok(seen[0] instanceof FaceliveError);
      assert.equal((seen[0] as FaceliveError).code, code);
      assert.equal(res.status, ERROR_TABLE[code].status);
      assert.equal(res.body.error_code, code);
      assert.equal(res.body.request_id, res.headers['x-request-id'], 'the handler reuses the request id');
    });
  }
});

describe('errors handed on hold no image data', function () {
  this.timeout(30_000);
  let selfie: Buffer;
  let bodies: ReadonlyArray<readonly [string, string, Buffer | string]>;

  before(async () => {
    selfie = await selfieJpeg('frontal', 320, 240);
    const base64 = selfie.toString('base64');
    bodies = [
      // body-parser attaches the body it read to an error thrown in its verify (the depth scan's).
      ['the image bytes posted as JSON', 'application/json', selfie],
      ['JSON nested too deep', 'application/json', `{"image":"${base64}","x":${'['.repeat(40)}${']'.repeat(40)}}`],
      ['a charset the depth scan cannot decode', 'application/json; charset=utf-32', `{"image":"${base64}"}`],
      // ... and to its own parse error.
      ['JSON cut short', 'application/json', `{"image":"${base64}`],
    ];
  });

  function rawPost(url: string, type: string, body: Buffer | string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { ...authHeaders(LIVE), 'Content-Type': type } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Posts each body, checking what reached the app's error handler, the log and the answer. */
  async function post(app: express.Express, seen: unknown[], entries: LogEntry[], path: string): Promise<void> {
    const server = await listen(app);
    for (const [name, type, body] of bodies) {
      seen.length = 0;
      entries.length = 0;
      // Sent as it is (supertest would send a Buffer as JSON).
      const res = await rawPost(`${server.url}${path}`, type, body);
      assert.equal(res.status, 400, name);
      assert.equal(JSON.parse(res.text).error_code, 'INVALID_PAYLOAD', name);
      assert.equal(seen.length, 1, name);
      assert.deepEqual(imageTraces(seen[0], selfie), [], `${name}: the error handed on holds the image`);
      assert.deepEqual(imageTraces(entries, selfie), [], `${name}: the log holds the image`);
      assert.deepEqual(imageTraces(res.text, selfie), [], `${name}: the answer holds the image`);
    }
    await server.close();
  }

  it("in annotate mode, to the app's error handler", async () => {
    const seen: unknown[] = [];
    const entries: LogEntry[] = [];
    const app = express();
    app.use(PATH, faceLiveness({ engine: await sharedEngine(), auth: { credentials: [LIVE] }, mode: 'annotate', metrics: false, logger: (entry) => entries.push(entry) }));
    app.use(((err, _req, _res, next) => {
      seen.push(err);
      next(err);
    }) as ErrorRequestHandler);
    app.use(errorHandler({ logger: (entry) => entries.push(entry) }));
    await post(app, seen, entries, PATH);
  });

  it("through errorHandler() and toContractError(), from the app's own body parser", async () => {
    const seen: unknown[] = [];
    const entries: LogEntry[] = [];
    const app = express();
    app.post('/own', express.json({ limit: '1mb' }), (_req, res) => {
      res.json({ ok: true });
    });
    app.use(((err, _req, _res, next) => {
      seen.push(toContractError(err));
      next(err);
    }) as ErrorRequestHandler);
    app.use(errorHandler({ logger: (entry) => entries.push(entry) }));
    bodies = bodies.filter(([name]) => name !== 'JSON nested too deep');
    await post(app, seen, entries, '/own');
  });
});

describe('errorHandler()', () => {
  const app = express();
  app.post('/small', express.json({ limit: '1kb' }), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/facelive', () => {
    throw new FaceliveError('FACE_NOT_DETECTED');
  });
  app.get('/crash', () => {
    throw new Error('secret detail: password=hunter2');
  });
  app.get('/async-crash', async () => {
    throw new TypeError('boom');
  });
  app.use(errorHandler());

  it("maps body-parser's 413 to 400 INVALID_PAYLOAD_IMAGE_SIZE", async () => {
    const res = await request(app).post('/small').send({ image: 'A'.repeat(5000) });
    assert.equal(res.status, 400);
    assert.equal(res.body.error_code, 'INVALID_PAYLOAD_IMAGE_SIZE');
  });

  it("maps body-parser's 400 parse error to INVALID_PAYLOAD, without quoting the body", async () => {
    const res = await request(app).post('/small').set('Content-Type', 'application/json').send('{"image": "c2VjcmV0');
    assert.equal(res.status, 400);
    assert.equal(res.body.error_code, 'INVALID_PAYLOAD');
    assert.doesNotMatch(res.text, /c2VjcmV0/);
  });

  it('answers a FaceliveError with its table status and code', async () => {
    const res = await request(app).get('/facelive').set('X-Request-Id', 'abc-1');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { message: ERROR_TABLE.FACE_NOT_DETECTED.message, error_code: 'FACE_NOT_DETECTED', request_id: 'abc-1' });
    assert.equal(res.headers['x-request-id'], 'abc-1');
  });

  it('answers anything else with 500 INTERNAL_SERVER_ERROR and no stack or message', async () => {
    for (const path of ['/crash', '/async-crash']) {
      const res = await request(app).get(path);
      assert.equal(res.status, 500);
      assert.equal(res.body.error_code, 'INTERNAL_SERVER_ERROR');
      assert.equal(res.body.message, ERROR_TABLE.INTERNAL_SERVER_ERROR.message);
      assert.doesNotMatch(res.text, /hunter2|boom|\.js:\d+/);
      assert.equal(typeof res.body.request_id, 'string');
    }
  });
});
