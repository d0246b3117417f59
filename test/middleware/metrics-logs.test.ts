// Prometheus metrics (private registry, opt-in router) and structured logs without image data.

import assert from 'node:assert/strict';
import net from 'node:net';
import express from 'express';
import { register as globalRegistry } from 'prom-client';
import request from 'supertest';
import type { Engine } from '../../core/engine-types';
import { FaceliveMetrics, faceLiveness, type LogEntry, metricsRouter } from '../../middleware';
import { FaceliveError } from '../../core/errors';
import { describeError } from '../../middleware/errors';
import { selfieJpeg, twoFaces } from '../helpers/faces';
import { imageTraces } from '../helpers/leaks';
import { authHeaders, listen, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';

describe('metrics and logs', function () {
  this.timeout(30_000);
  let engine: Engine;
  let face: string;

  before(async () => {
    engine = await sharedEngine();
    face = (await selfieJpeg('right', 320, 240)).toString('base64');
  });

  /** An app with the liveness middleware on PATH (metrics on its own registry) and its /metrics router; logs collected. */
  function appWithMetrics(): { app: express.Express; metrics: FaceliveMetrics; logs: LogEntry[] } {
    const metrics = new FaceliveMetrics();
    const logs: LogEntry[] = [];
    const app = express();
    app.use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics, logger: (entry) => logs.push(entry) }));
    app.use('/metrics', metricsRouter(metrics));
    return { app, metrics, logs };
  }

  it('counts verdicts and codes and times requests, on a private registry', async () => {
    const metrics = new FaceliveMetrics();
    const app = express();
    app.use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics }));
    app.use('/metrics', metricsRouter(metrics));

    assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face })).status, 200);
    assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: (await twoFaces()).toString('base64'), validate_nface: true })).body.error_code, 'FAIL_ON_8');
    assert.equal((await request(app).post(PATH).send({ image: face })).status, 401);
    assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({})).status, 400);

    const res = await request(app).get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /text\/plain/);
    assert.match(res.text, /facelive_requests_total\{outcome="pass",code="PASS"\} 1/);
    assert.match(res.text, /facelive_requests_total\{outcome="fail",code="FAIL_ON_8"\} 1/);
    assert.match(res.text, /facelive_requests_total\{outcome="error",code="UNAUTHORIZED"\} 1/);
    assert.match(res.text, /facelive_requests_total\{outcome="error",code="MISSING_PAYLOAD_IMAGE"\} 1/);
    assert.match(res.text, /facelive_request_duration_seconds_count\{outcome="error"\} 2/);
    assert.match(res.text, /facelive_request_duration_seconds_bucket\{le="\+Inf",outcome="pass"\} 1/);
    // The two checks answered 200 with liveness, under their App-ID, in the bucket of their probability.
    assert.match(res.text, new RegExp(`facelive_liveness_probability_count\\{app_id="${LIVE.appId}"\\} 2`));
    const checked = await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face });
    const p = checked.body.data.liveness.probability as number;
    const after = (await request(app).get('/metrics')).text;
    const bucket = (le: number): number =>
      Number(new RegExp(`facelive_liveness_probability_bucket\\{le="${le >= 1 ? '\\+Inf' : le}",app_id="${LIVE.appId}"\\} (\\d+)`).exec(after)?.[1]);
    const le = Math.ceil(p * 20) / 20;
    // The same face was checked twice (first and last): both in the bucket ending at its probability.
    const below = le > 0.05 ? bucket(Math.round((le - 0.05) * 100) / 100) : 0;
    assert.ok(bucket(le) - below >= 2, `the face (p = ${p}) counted in the bucket up to ${le}`);
    assert.match(after, new RegExp(`facelive_liveness_probability_count\\{app_id="${LIVE.appId}"\\} 3`));
    assert.equal((await globalRegistry.getMetricsAsJSON()).some((m) => m.name.startsWith('facelive_')), false, 'nothing on the global registry');
  });

  it('counts checks, failed validations and checks below their threshold by App-ID, each series from its first check', async () => {
    // A fleet whose threshold no score reaches: every one of its checks is below it.
    const strict = { appId: 'app-strict', apiKey: 'strict-key-0123456789', mode: 'live', livenessThreshold: 1 } as const;
    const metrics = new FaceliveMetrics();
    const app = express();
    app.use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE, strict] }, metrics }));
    app.use('/metrics', metricsRouter(metrics));
    const two = (await twoFaces()).toString('base64');

    const pass = await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face, validate_liveness: true });
    assert.equal(pass.body.error_code, null);
    assert.equal(pass.body.data.liveness.is_live, true);
    const nface = await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: two, validate_nface: true });
    assert.equal(nface.body.error_code, 'FAIL_ON_8');
    assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face, is_liveness: false })).body.error_code, null);
    assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({})).status, 400);
    assert.equal((await request(app).post(PATH).set(authHeaders(strict)).send({ image: face, validate_liveness: true })).body.error_code, 'FAIL_ON_1');
    // Below its threshold without validate_liveness: counted below it, not as a failed validation.
    assert.equal((await request(app).post(PATH).set(authHeaders(strict)).send({ image: face })).body.error_code, null);

    const text = (await request(app).get('/metrics')).text;
    const value = (series: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const live = LIVE.appId;
    assert.equal(value(`facelive_checks_total{app_id="${live}",outcome="pass"}`), 2);
    assert.equal(value(`facelive_checks_total{app_id="${live}",outcome="fail"}`), 1);
    assert.equal(value(`facelive_checks_total{app_id="app-strict",outcome="pass"}`), 1);
    assert.equal(value(`facelive_checks_total{app_id="app-strict",outcome="fail"}`), 1);
    assert.equal(value(`facelive_validation_failures_total{app_id="${live}",validation="nface"}`), 1);
    assert.equal(value(`facelive_validation_failures_total{app_id="${live}",validation="liveness"}`), 0, 'a series at 0, not missing');
    assert.equal(value(`facelive_validation_failures_total{app_id="${live}",validation="quality"}`), 0);
    assert.equal(value(`facelive_validation_failures_total{app_id="app-strict",validation="liveness"}`), 1);
    // The check without a liveness section is in neither the histogram nor the count below the threshold.
    assert.equal(value(`facelive_liveness_probability_count{app_id="${live}"}`), 2);
    assert.equal(value(`facelive_liveness_below_threshold_total{app_id="${live}"}`), 0, 'a series at 0, not missing');
    assert.equal(value(`facelive_liveness_probability_count{app_id="app-strict"}`), 2);
    assert.equal(value(`facelive_liveness_below_threshold_total{app_id="app-strict"}`), 2);
    assert.doesNotMatch(text, /(checks_total|validation_failures_total|below_threshold_total)\{[^}]*(MISSING_PAYLOAD_IMAGE|request_id|127\.0\.0\.1)/);
  });

  it('counts a method other than POST as METHOD_NOT_ALLOWED and logs it as one line a second with its count', async () => {
    const { app, metrics, logs } = appWithMetrics();
    for (const method of ['get', 'put', 'delete'] as const) assert.equal((await request(app)[method](PATH)).status, 405);
    assert.match((await request(app).get('/metrics')).text, /facelive_requests_total\{outcome="error",code="METHOD_NOT_ALLOWED"\} 3/);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const refused = logs.filter((entry) => entry.error_code === 'METHOD_NOT_ALLOWED');
    assert.equal(refused.length, 1, JSON.stringify(logs));
    assert.deepEqual([refused[0]!.status, refused[0]!.count, refused[0]!.level], [405, 3, 'warn']);
  });

  it('a client that closes its connection mid-body is neither counted nor logged as a bad request', async () => {
    const { app, metrics, logs } = appWithMetrics();
    const server = await listen(app);
    try {
      const port = Number(new URL(server.url).port);
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          const headers = Object.entries(authHeaders(LIVE)).map(([k, v]) => `${k}: ${v}\r\n`).join('');
          socket.write(`POST ${PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n${headers}\r\n{"image":"${'A'.repeat(1000)}`);
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 200);
        });
      });
      for (let i = 0; i < 50 && !logs.some((entry) => /abandoned/.test(String(entry.msg))); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(logs.some((entry) => /abandoned/.test(String(entry.msg))), 'logged as abandoned');
      assert.ok(!logs.some((entry) => entry.error_code === 'INVALID_PAYLOAD'), 'not as a bad request');
      assert.doesNotMatch((await request(app).get('/metrics')).text, /code="INVALID_PAYLOAD"/);
    } finally {
      await server.close();
    }
  });

  /** Sends `count` whole requests on raw sockets and closes each at once, without reading an answer. */
  async function hangUps(port: number, count: number, headers: Record<string, string>, body = ''): Promise<void> {
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    await Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`POST ${PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${lines}\r\n${body}`, () => {
          socket.destroy();
          resolve();
        });
      });
    })));
  }

  it('a wrong key whose client hangs up before the answer is still a 401 of the summary line and the metrics, not a line each', async () => {
    // An auth function that waits on I/O (a database) answers after the client has gone.
    const metrics = new FaceliveMetrics();
    const logs: LogEntry[] = [];
    const app = express();
    const auth = async (): Promise<null> => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return null;
    };
    app.use(PATH, faceLiveness({ engine, auth, authFailures: false, metrics, logger: (entry) => logs.push(entry) }));
    app.use('/metrics', metricsRouter(metrics));
    const server = await listen(app);
    try {
      await hangUps(Number(new URL(server.url).port), 20, { 'App-ID': 'someone', 'API-Key': 'wrong' });
      const counted = (): number => logs.filter((line) => line.error_code === 'UNAUTHORIZED').reduce((sum, line) => sum + Number(line.count), 0);
      for (let i = 0; i < 100 && counted() < 20; i += 1) await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(counted(), 20, 'every refusal in the summary lines');
      assert.deepEqual(logs.filter((line) => line.count === undefined).map((line) => line.msg), [], 'no line of its own for any of them');
      assert.match((await request(app).get('/metrics')).text, /facelive_requests_total\{outcome="error",code="UNAUTHORIZED"\} 20/);
    } finally {
      await server.close();
    }
  });

  it('requests abandoned by clients that were never authenticated are counted in one summary line, not a line each', async () => {
    const logs: LogEntry[] = [];
    const app = express();
    app.use(PATH, faceLiveness({ engine, auth: false, logger: (entry) => logs.push(entry) }));
    const server = await listen(app);
    try {
      // Each declares a body it never finishes sending.
      const port = Number(new URL(server.url).port);
      await Promise.all(Array.from({ length: 10 }, () => new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(`POST ${PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n{"image":"AAAA`);
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 100);
        });
      })));
      const summed = (): number => logs.filter((line) => /abandoned by unauthenticated clients/.test(String(line.msg))).reduce((sum, line) => sum + Number(line.count), 0);
      for (let i = 0; i < 100 && summed() < 10; i += 1) await new Promise((resolve) => setTimeout(resolve, 30));
      assert.equal(summed(), 10);
      assert.deepEqual(logs.filter((line) => line.count === undefined).map((line) => line.msg), []);
    } finally {
      await server.close();
    }
  });

  it('metrics: false records nothing; metricsRouter rejects a non-metrics argument', async () => {
    assert.throws(() => metricsRouter({} as FaceliveMetrics), TypeError);
    const metrics = new FaceliveMetrics();
    const app = express();
    app.use(PATH, faceLiveness({ engine, auth: false, metrics: false }));
    app.use('/metrics', metricsRouter(metrics));
    await request(app).post(PATH).send({ image: face });
    // (The 5xx series are there from the start, at 0.)
    const text = (await request(app).get('/metrics')).text;
    assert.doesNotMatch(text, /facelive_requests_total\{[^}]*\} [1-9]/);
    assert.doesNotMatch(text, /code="PASS"|facelive_checks_total\{/);
  });

  it('logs one structured entry per request, without image data or keys', async () => {
    const entries: LogEntry[] = [];
    const app = express();
    app.use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false, logger: (entry) => entries.push(entry) }));
    await request(app).post(PATH).set(authHeaders(LIVE)).set('X-Request-Id', 'log-1').send({ image: face });
    await request(app).post(PATH).set(authHeaders(LIVE)).set('X-Request-Id', 'log-2').set('Content-Type', 'application/json').send(`{"image": "${face.slice(0, 200)}`);
    await request(app).post(PATH).set(authHeaders(LIVE)).set('X-Request-Id', 'log-3').send({ image: `data:text/plain;base64,${face.slice(0, 400)}` });
    assert.equal(entries.length, 3);
    const [ok, parseError, formatError] = entries;
    assert.deepEqual(
      { level: ok.level, request_id: ok.request_id, app_id: ok.app_id, status: ok.status, code: ok.code, verdict: ok.verdict },
      { level: 'info', request_id: 'log-1', app_id: LIVE.appId, status: 200, code: 'PASS', verdict: 'PASS' },
    );
    assert.equal(typeof ok.duration_ms, 'number');
    assert.equal(parseError.error_code, 'INVALID_PAYLOAD');
    assert.equal(formatError.error_code, 'INVALID_PAYLOAD_IMAGE_FORMAT');
    const text = JSON.stringify(entries);
    assert.doesNotMatch(text, new RegExp(face.slice(0, 24).replace(/[+/]/g, '.')), 'no base64 of the image');
    assert.doesNotMatch(text, new RegExp(LIVE.apiKey), 'no API key');
  });

  it("logs an unexpected error's stack frames only, never its message, also one spanning lines", async () => {
    const selfie = await selfieJpeg('frontal', 320, 240);
    // base64 wrapped at 60 characters a line: the stack's first lines are the message's.
    const cause = new Error(`cannot read image\n${selfie.toString('base64').slice(0, 600).replace(/.{60}/g, '$&\n')}`);
    const entry = describeError(new FaceliveError('INTERNAL_SERVER_ERROR', undefined, { cause }));
    const frames = (entry.cause as { frames: string[] }).frames;
    assert.ok(frames.length > 0 && frames.every((frame) => frame.startsWith('at ')), frames.join('\n'));
    assert.deepEqual(imageTraces(entry, selfie), []);
  });

  it('accepts a pino-style logger object and survives a throwing logger', async () => {
    const levels: string[] = [];
    const entries: object[] = [];
    const app = express();
    app.use(
      PATH,
      faceLiveness({
        engine,
        auth: false,
        metrics: false,
        logger: {
          info: (entry: object) => {
            levels.push('info');
            entries.push(entry);
          },
          error: () => {
            levels.push('error');
            throw new Error('log sink down');
          },
        },
      }),
    );
    assert.equal((await request(app).post(PATH).send({ image: face })).status, 200);
    assert.deepEqual(levels, ['info']);
    // The level is the method called: an entry with its own `level` would give a pino line two.
    assert.ok(entries.every((entry) => !('level' in entry) && 'msg' in entry), JSON.stringify(entries));
    const throwing = express();
    throwing.use(PATH, faceLiveness({ engine, auth: false, metrics: false, logger: () => { throw new Error('nope'); } }));
    assert.equal((await request(throwing).post(PATH).send({ image: face })).status, 200);
  });
});
