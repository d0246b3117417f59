// Annotate mode (req.faceLiveness, errors to next(err) as FaceliveError) and errorHandler() on its own:
// it answers facelive's errors and hands the app's own on unchanged.

import assert from 'node:assert/strict';
import http from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import type { Engine } from '../../core/engine-types';
import { ERROR_TABLE, FaceliveError } from '../../core/errors';
import { Gauge } from 'prom-client';
import { errorHandler, FaceliveMetrics, faceLiveness, type LogEntry, metricsRouter, toContractError } from '../../middleware';
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

  it('leaves the caching of its answer to the app; errorHandler() marks the errors it answers no-store', async () => {
    const answered = await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face, is_attribute: false });
    assert.equal(answered.status, 200);
    assert.equal(answered.headers['cache-control'], undefined, 'the app\'s route answers, and decides');
    const refused = await request(app).post(PATH).send({ image: face });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['cache-control'], 'no-store');
    assert.equal(refused.headers['x-content-type-options'], 'nosniff');
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

  it("from the app's own body parser, converted with toContractError() before errorHandler()", async () => {
    const seen: unknown[] = [];
    const entries: LogEntry[] = [];
    const app = express();
    app.post('/own', express.json({ limit: '1mb' }), (_req, res) => {
      res.json({ ok: true });
    });
    app.use(((err, _req, _res, next) => {
      const converted = toContractError(err);
      seen.push(converted);
      next(converted);
    }) as ErrorRequestHandler);
    app.use(errorHandler({ logger: (entry) => entries.push(entry) }));
    bodies = bodies.filter(([name]) => name !== 'JSON nested too deep');
    await post(app, seen, entries, '/own');
  });
});

describe('errorHandler()', () => {
  const entries: LogEntry[] = [];
  /** What reached the app's own error handler, mounted after errorHandler(). */
  const handedOn: unknown[] = [];
  const dbError = new Error('database connection lost');
  const app = express();
  app.get('/admin', (_req, _res, next) => {
    next(Object.assign(new Error('Unauthorized'), { status: 401 }));
  });
  app.get('/gone', (_req, _res, next) => {
    next(Object.assign(new Error('Gone'), { statusCode: 404 }));
  });
  app.get('/profile', () => {
    throw dbError;
  });
  app.get('/async-crash', async () => {
    throw new TypeError('boom');
  });
  app.post('/api/profile', express.json({ limit: '1kb' }), (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/facelive', () => {
    throw new FaceliveError('FACE_NOT_DETECTED');
  });
  app.get('/facelive-crash', () => {
    throw new FaceliveError('INTERNAL_SERVER_ERROR', undefined, { cause: new Error('secret detail: password=hunter2') });
  });
  app.get('/other-copy', () => {
    // A FaceliveError of another copy of the package (a second install): not this copy's class.
    throw Object.assign(new Error('No face was found in the image.'), { name: 'FaceliveError', code: 'FACE_NOT_DETECTED', status: 400 });
  });
  app.use('/metrics', metricsRouter(failingMetrics()));
  app.use(errorHandler({ logger: (entry) => entries.push(entry) }));
  app.use(((err, _req, res, _next) => {
    handedOn.push(err);
    const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode ?? 500;
    res.status(status).json({ host: true, message: (err as Error).message });
  }) as ErrorRequestHandler);

  beforeEach(() => {
    entries.length = 0;
    handedOn.length = 0;
  });

  it("hands the app's own errors on unchanged to the app's handler after it, and logs nothing", async () => {
    for (const [path, status, message] of [
      ['/admin', 401, 'Unauthorized'],
      ['/gone', 404, 'Gone'],
      ['/profile', 500, 'database connection lost'],
      ['/async-crash', 500, 'boom'],
    ] as const) {
      handedOn.length = 0;
      const res = await request(app).get(path);
      assert.deepEqual([res.status, res.body], [status, { host: true, message }], path);
      assert.equal(handedOn.length, 1, path);
      assert.ok(!(handedOn[0] instanceof FaceliveError), path);
    }
    await request(app).get('/profile');
    assert.equal(handedOn.at(-1), dbError, 'the very error the route threw');
    assert.deepEqual(entries, []);
  });

  it("hands the app's own body parser's errors on: malformed JSON and a body over its limit", async () => {
    const malformed = await request(app).post('/api/profile').set('Content-Type', 'application/json').send('{"name": ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.host, true);
    const large = await request(app).post('/api/profile').send({ name: 'A'.repeat(5000) });
    assert.equal(large.status, 413);
    assert.equal(large.body.host, true);
    assert.deepEqual(handedOn.map((err) => (err as { type?: string }).type), ['entity.parse.failed', 'entity.too.large']);
    assert.deepEqual(entries, []);
  });

  it('answers a FaceliveError with its table status and code', async () => {
    const res = await request(app).get('/facelive').set('X-Request-Id', 'abc-1');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { message: ERROR_TABLE.FACE_NOT_DETECTED.message, error_code: 'FACE_NOT_DETECTED', request_id: 'abc-1' });
    assert.equal(res.headers['x-request-id'], 'abc-1');
    const other = await request(app).get('/other-copy');
    assert.deepEqual([other.status, other.body.error_code], [400, 'FACE_NOT_DETECTED'], "another copy's FaceliveError too");
    assert.deepEqual(handedOn, []);
  });

  it("answers facelive's INTERNAL_SERVER_ERROR with 500 and no stack or message, and logs it", async () => {
    const res = await request(app).get('/facelive-crash');
    assert.equal(res.status, 500);
    assert.equal(res.body.error_code, 'INTERNAL_SERVER_ERROR');
    assert.equal(res.body.message, ERROR_TABLE.INTERNAL_SERVER_ERROR.message);
    assert.doesNotMatch(res.text, /hunter2|\.js:\d+/);
    assert.equal(typeof res.body.request_id, 'string');
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.level, 'error');
    assert.equal(entries[0]!.request_id, res.body.request_id);
  });

  it("answers an error of facelive's metricsRouter() as facelive's (500 INTERNAL_SERVER_ERROR), not the app's", async () => {
    const res = await request(app).get('/metrics');
    assert.deepEqual([res.status, res.body.error_code], [500, 'INTERNAL_SERVER_ERROR']);
    assert.deepEqual(handedOn, []);
    assert.equal(entries.length, 1);
  });
});

/** Metrics whose exposition fails: a gauge whose collect() throws. */
function failingMetrics(): FaceliveMetrics {
  const metrics = new FaceliveMetrics();
  new Gauge({ name: 'failing_gauge', help: 'collect() throws', registers: [metrics.registry], collect: () => { throw new Error('collect failed'); } });
  return metrics;
}
