// The service behind npm start (examples/server): routes, OpenAPI document, dev credentials,
// config file handling, and the compiled entry point started as a real process.

import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { DEFAULT_PACK_DIR } from '../../core';
import { ERROR_CODES, ERROR_TABLE } from '../../core/errors';
import type { Engine } from '../../core/engine-types';
import { DEFAULT_OPTIONS, OPTION_NAMES } from '../../core/options';
import { createApp, MAX_REQUESTS_PER_CONNECTION, type FaceliveApp } from '../../examples/server';
import { checkConfig, loadConfig } from '../../examples/service-config';
import { openApiDocument } from '../../examples/openapi';
import { portFromEnv } from '../../examples/port';
import { selfieJpeg } from '../helpers/faces';
import { workerThreadsStartedBy } from '../helpers/worker-threads';
import { startRedisOrPending } from '../helpers/redis';
import { MAX_SMALL_PIECES } from '../../middleware/body-pieces';
import { exchange, listen, type Listening, sharedEngine } from '../helpers/server';

const SERVER_JS = path.join(__dirname, '..', '..', 'examples', 'server.js');
const FACELIVE_JS = path.join(__dirname, '..', '..', 'bin', 'facelive.js');

describe('examples/server', function () {
  this.timeout(60_000);
  let engine: Engine;
  let face: string;
  let dev: FaceliveApp;

  before(async () => {
    engine = await sharedEngine();
    face = (await selfieJpeg('right', 320, 240)).toString('base64');
    dev = createApp({ engine });
    await dev.liveness.ready();
  });

  after(async () => {
    await dev.close();
  });

  it('serves the liveness API with the generated development credential', async () => {
    assert.ok(dev.devCredential);
    const { appId, apiKey } = dev.devCredential;
    const res = await request(dev.app).post('/v1/face/liveness').set({ 'App-ID': appId, 'API-Key': apiKey }).send({ image: face });
    assert.equal(res.status, 200);
    assert.equal((await request(dev.app).post('/v1/face/liveness').send({ image: face })).status, 401);
  });

  it('GET /healthz reports live with the pack; GET /healthz/ready reports the engine and the quota store', async () => {
    const res = await request(dev.app).get('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok', engine: 'ready', pack: { name: engine.pack.name, version: engine.pack.version } });
    const ready = await request(dev.app).get('/healthz/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.deepEqual(ready.body.quota_store, { kind: 'memory', available: true });
    assert.equal(ready.body.draining, false);
  });

  it('sends security headers: no framing by other sites (the demo page holds an API key), nosniff, a CSP, the camera for its own pages only', async () => {
    for (const url of ['/', '/demo.js', '/openapi.json']) {
      const res = await request(dev.app).get(url);
      assert.equal(res.headers['x-frame-options'], 'DENY', url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /frame-ancestors 'none'/, url);
      assert.match(csp, /script-src 'self'/, url);
      assert.match(csp, /style-src 'self'(;|$)/, `${url}: styles from the service only, none inline`);
      assert.match(csp, /font-src 'self'(;|$)/, url);
      assert.doesNotMatch(csp, /upgrade-insecure-requests/, 'the service speaks plain HTTP');
      assert.equal(res.headers['strict-transport-security'], undefined, url);
      const permissions = String(res.headers['permissions-policy']);
      assert.match(permissions, /(^|, )camera=\(self\)(,|$)/, `${url}: the demo page's own camera only`);
      for (const feature of ['microphone', 'geolocation', 'display-capture']) assert.match(permissions, new RegExp(`(^|, )${feature}=\\(\\)(,|$)`), `${url}: ${feature} denied`);
    }
  });

  it('GET / serves the demo page and its assets from the source folder', async () => {
    const page = await request(dev.app).get('/');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /text\/html/);
    assert.match(page.text, /demo\.js/);
    assert.equal((await request(dev.app).get('/demo.js')).status, 200);
    assert.equal((await request(dev.app).get('/demo.css')).status, 200);
  });

  it('GET /demo-config.json gives the dev pair to loopback callers only, and never with configured credentials', async () => {
    const res = await request(dev.app).get('/demo-config.json');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { appId: dev.devCredential?.appId, apiKey: dev.devCredential?.apiKey });
    assert.equal(res.headers['cache-control'], 'no-store');
    const configured = createApp({ engine, credentials: [{ appId: 'a', apiKey: 'k', mode: 'live' }] });
    assert.equal(configured.devCredential, undefined);
    const none = await request(configured.app).get('/demo-config.json');
    // 200 with nothing in it, not a 404 that the browser would log as an error on every page load.
    assert.equal(none.status, 200);
    assert.deepEqual(none.body, {});
    await configured.close();
  });

  describe('GET /demo-config.json refuses anyone but a browser on this machine', () => {
    /** Serves the app on loopback, presenting every connection to it as coming from `peer`. */
    async function servedAs(peer: string): Promise<Listening> {
      return listen((req: http.IncomingMessage, res: http.ServerResponse) => {
        Object.defineProperty(req.socket, 'remoteAddress', { value: peer, configurable: true });
        (dev.app as unknown as http.RequestListener)(req, res);
      });
    }

    it('a caller whose socket is not loopback', async () => {
      const remote = await servedAs('203.0.113.7');
      try {
        const res = await request(remote.url).get('/demo-config.json');
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, {});
      } finally {
        await remote.close();
      }
      const local = await servedAs('127.0.0.1');
      try {
        assert.equal((await request(local.url).get('/demo-config.json')).status, 200, 'the same harness from loopback is served');
      } finally {
        await local.close();
      }
    });

    for (const [header, value] of [
      ['X-Forwarded-For', '198.51.100.23'],
      ['Forwarded', 'for=198.51.100.23;proto=https'],
      ['X-Real-IP', '198.51.100.23'],
      ['X-Forwarded-Host', 'kyc.example.com'],
      ['Via', '1.1 proxy'],
    ] as const) {
      it(`a loopback request forwarded by a proxy (${header})`, async () => {
        const res = await request(dev.app).get('/demo-config.json').set(header, value);
        assert.deepEqual(res.body, {});
        assert.doesNotMatch(JSON.stringify(res.body), new RegExp(dev.devCredential!.apiKey));
      });
    }

    it('a loopback request for another host name (DNS rebinding from a web page)', async () => {
      const res = await request(dev.app).get('/demo-config.json').set('Host', 'attacker.example:3000');
      assert.deepEqual(res.body, {});
      assert.equal((await request(dev.app).get('/demo-config.json').set('Host', 'localhost:3000')).status, 200);
    });
  });

  it('GET /metrics only when configured', async () => {
    assert.equal((await request(dev.app).get('/metrics')).status, 404);
    const withMetrics = createApp({ engine, metrics: true });
    const res = await request(withMetrics.app).get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.text, /facelive_request_duration_seconds/);
    await withMetrics.close();
  });

  describe('routes that take no body', () => {
    let served: Listening;
    let port: number;

    before(async () => {
      served = await listen(dev.app);
      port = Number(new URL(served.url).port);
    });

    after(async () => {
      await served?.close();
    });

    for (const [line, status] of [['POST /nope', 404], ['GET /healthz', 200], ['OPTIONS /v1/face/liveness', 200]] as const) {
      it(`${line} with an endless body gets its ${status} and the connection ends, the body read no further`, async () => {
        // An unknown path never got its 404 (Express's waits for the body to end); the others answered,
        // and Node then read the body for as long as it came.
        const head = `${line} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n`;
        const pieces = Buffer.from('1\r\n \r\n'.repeat(MAX_SMALL_PIECES * 2), 'latin1');
        const { answer, closedByServer, ms } = await exchange(port, head, pieces, 10_000, pieces.subarray(0, 100 * 6));
        assert.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), answer.slice(0, 200));
        assert.ok(closedByServer, 'the server closed the connection');
        assert.ok(ms < 5_000, `${ms} ms`);
        assert.match(answer, /\r\nConnection: close\r\n/i);
      });
    }

    it('a small body sent to one is read and dropped, and the answer keeps the connection open', async () => {
      const { answer, closedByServer } = await exchange(port, 'POST /nope HTTP/1.1\r\nHost: localhost\r\nContent-Length: 7\r\n\r\n', Buffer.from('{"a":1}'), 1_000);
      assert.match(answer, /^HTTP\/1\.1 404 /, answer.slice(0, 200));
      assert.match(answer, /\r\n\r\nNot found\.\n$/);
      assert.equal(closedByServer, false);
    });

    it('OPTIONS on its own routes still answers 200 with their methods (not the 404 of a path it does not have)', async () => {
      for (const route of ['/healthz', '/healthz/ready', '/openapi.json']) {
        const { answer } = await exchange(port, `OPTIONS ${route} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n`, Buffer.alloc(0), 1_000);
        assert.match(answer, /^HTTP\/1\.1 200 /, `${route}: ${answer.slice(0, 200)}`);
        assert.match(answer, /\r\nAllow: GET, HEAD\r\n/i, route);
      }
    });
  });

  describe('GET /openapi.json', () => {
    it('is an OpenAPI 3.1 document with the liveness operation', async () => {
      const res = await request(dev.app).get('/openapi.json');
      assert.equal(res.status, 200);
      assert.equal(res.body.openapi, '3.1.0');
      assert.ok(res.body.paths['/v1/face/liveness'].post);
      assert.deepEqual(res.body, JSON.parse(JSON.stringify(openApiDocument)));
    });

    it('matches the contract: fields, defaults, every code under its status', () => {
      const op = openApiDocument.paths['/v1/face/liveness'].post;
      const schema = openApiDocument.components.schemas.LivenessRequest;
      assert.deepEqual(Object.keys(schema.properties).sort(), ['image', ...OPTION_NAMES].sort());
      assert.deepEqual(schema.required, ['image']);
      for (const name of OPTION_NAMES) {
        assert.equal((schema.properties as Record<string, { default?: unknown }>)[name].default, DEFAULT_OPTIONS[name], name);
      }
      assert.deepEqual(openApiDocument.components.schemas.Error.properties.error_code.enum, ERROR_CODES);
      type ErrorResponse = { content?: { 'application/json': { schema: { allOf: { properties?: { error_code?: { enum: string[] } } }[] } } } };
      for (const code of ERROR_CODES) {
        // POST's answers under their status; a method the path does not have, under a response of its own.
        const response = code === 'METHOD_NOT_ALLOWED'
          ? (openApiDocument.components.responses.MethodNotAllowed as unknown as ErrorResponse)
          : (op.responses as unknown as Record<string, ErrorResponse>)[String(ERROR_TABLE[code].status)];
        assert.ok(response, `a response for ${ERROR_TABLE[code].status}`);
        assert.ok(response.content?.['application/json'].schema.allOf[1].properties?.error_code?.enum.includes(code), code);
      }
      assert.deepEqual(Object.keys(openApiDocument.components.securitySchemes).sort(), ['ApiKey', 'AppId']);
      assert.equal(openApiDocument.components.securitySchemes.AppId.name, 'App-ID');
      assert.equal(openApiDocument.components.securitySchemes.ApiKey.name, 'API-Key');
    });
  });

  describe('config', () => {
    let dir: string;

    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-config-'));
    });

    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('reads FACELIVE_CONFIG and refuses unknown keys or bad values', () => {
      const file = path.join(dir, 'ok.json');
      writeFileSync(file, JSON.stringify({ credentials: [{ appId: 'a', apiKey: 'k', mode: 'live' }], quotaStore: 'memory', allowPrivateNetwork: false }));
      assert.equal(loadConfig({ FACELIVE_CONFIG: file }).credentials?.length, 1);
      assert.deepEqual(loadConfig({}), {});
      assert.throws(() => checkConfig({ credential: [] }), /unknown key "credential"/);
      assert.throws(() => checkConfig({ quotaStore: 'mongo' }), /quotaStore/);
      assert.throws(() => checkConfig([]), /JSON object/);
      writeFileSync(path.join(dir, 'broken.json'), '{');
      assert.throws(() => loadConfig({ FACELIVE_CONFIG: path.join(dir, 'broken.json') }), /FACELIVE_CONFIG/);
      assert.throws(() => createApp({ engine, credentials: [{ appId: 'a', apiKey: 'k', mode: 'testing' }] }), /quota/);
      // Values that used to start a service that then failed every request, or ignored the setting.
      assert.throws(() => checkConfig({ redisCommandTimeoutMs: 0 }), /redisCommandTimeoutMs/);
      assert.throws(() => checkConfig({ shutdownTimeoutMs: 3e9 }), /shutdownTimeoutMs/);
      assert.throws(() => checkConfig({ limits: null }), /limits/);
      assert.throws(() => checkConfig({ limits: [] }), /limits/);
      assert.throws(() => checkConfig({ redisUrl: 'redis://127.0.0.1:6379' }), /redisUrl.*quotaStore/);
      assert.throws(() => checkConfig({ quotaStore: 'redis', redisUrl: 'http://127.0.0.1:6379' }), /redisUrl/);
      assert.throws(() => checkConfig({ allowPrivateNetwork: false, limits: { allowPrivateNetwork: true } }), /disagree/);
      assert.doesNotThrow(() => checkConfig({ quotaStore: 'redis', redisUrl: 'rediss://cache.internal:6380/0' }));
      assert.throws(() => createApp({ credentials: [{ appId: 'a', apiKey: 'k', mode: 'live', livenessTreshold: 0.9 } as never] }), /livenessTreshold/);
      assert.throws(() => createApp({ credentials: [{ appId: 'a', apiKey: 'k', mode: 'live' }], pack: path.join(dir, 'no-pack') }), /No model pack/);
    });

    it('takes workerThreads for the engine it creates (false: every model on the calling thread), and refuses one that is not a boolean', async () => {
      const file = path.join(dir, 'one-cpu.json');
      writeFileSync(file, JSON.stringify({ credentials: [{ appId: 'a', apiKey: 'k', mode: 'live' }], workerThreads: false }));
      const config = loadConfig({ FACELIVE_CONFIG: file });
      assert.equal(config.workerThreads, false);
      for (const workerThreads of [false, true]) {
        const { result: app, started } = await workerThreadsStartedBy(async () => {
          const created = createApp({ ...config, workerThreads });
          await created.liveness.ready();
          return created;
        });
        try {
          assert.equal(started, workerThreads ? 4 : 0, `workerThreads: ${workerThreads}`);
          const answer = await request(app.app).post('/v1/face/liveness').set({ 'App-ID': 'a', 'API-Key': 'k' }).send({ image: face });
          assert.equal(answer.status, 200);
          assert.equal(answer.body.data.nface, 1);
        } finally {
          await app.close();
        }
      }
      assert.throws(() => checkConfig({ workerThreads: 'false' }, 'FACELIVE_CONFIG'), /^TypeError: FACELIVE_CONFIG\.workerThreads must be a boolean\.$/);
      assert.throws(() => checkConfig({ workerThreads: 0 }), /config\.workerThreads must be a boolean/);
    });

    it('a config file that is not JSON is refused naming the file, line and column, quoting none of its text (secrets)', () => {
      const cases = [
        { text: '{"credentials": [{"appId": "a", "apiKey": Zx9-Kq7-wP2m-4471, "mode": "live"}]}', secret: 'Zx9-Kq7-wP2m-4471', where: 'at line 1, column 43' },
        { text: '{\n  "quotaStore": "redis",\n  "redisUrl": redis://user:hunter2@cache:6379\n}\n', secret: 'redis://user:hunter2@cache:6379', where: 'at line 3, column 15' },
        { text: '{"credentials": [{"appId": "a", "apiKey": "Qp7-cut-short', secret: 'Qp7-cut-short', where: 'it ends too soon, at line 1, column 57' },
      ];
      for (const { text, secret, where } of cases) {
        const file = path.join(dir, 'not-json.json');
        writeFileSync(file, text);
        let message = '';
        assert.throws(() => loadConfig({ FACELIVE_CONFIG: file }), (err: Error) => ((message = err.message), true));
        assert.equal(message, `FACELIVE_CONFIG: ${file} is not valid JSON (${where}).`);
        // V8's own message quoted about ten characters either side of the fault.
        for (let i = 0; i + 4 <= secret.length; i += 1) assert.ok(!message.includes(secret.slice(i, i + 4)), `"${secret.slice(i, i + 4)}" in ${message}`);
      }
    });

    it('quotaStore "redis" counts testing quota in Redis', async function () {
      const redis = await startRedisOrPending(this, 'the quotaStore "redis" test');
      const testing = { appId: `srv-${process.pid}`, apiKey: 'k', mode: 'testing' as const, quota: 1 };
      const app = createApp({ engine, credentials: [testing], quotaStore: 'redis', redisUrl: redis.url });
      try {
        const send = () => request(app.app).post('/v1/face/liveness').set({ 'App-ID': testing.appId, 'API-Key': testing.apiKey }).send({ image: face });
        assert.equal((await send()).status, 200);
        const second = await send();
        assert.equal(second.status, 403);
        assert.equal(second.body.error_code, 'INSUFFICIENT_QUOTA_LIVENESS');
      } finally {
        await app.close();
        await redis.stop();
      }
    });

    it('refuses credentials no request can send (they started silently and answered every request 401), never printing the key', () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ appId: 'a', apiKey: 'key-with-trailing-space ', mode: 'live' }, /auth\.credentials\[0\]\.apiKey \(App-ID "a"\) can never match an API-Key header: it starts or ends with white space/],
        [{ appId: 'c ', apiKey: 'k', mode: 'live' }, /auth\.credentials\[0\]\.appId can never match an App-ID header/],
        [{ appId: 'a', apiKey: 'ключ-секрет', mode: 'live' }, /auth\.credentials\[0\]\.apiKey .*outside ASCII/],
        [{ appId: 'a', apiKey: 'key-with\nnewline', mode: 'live' }, /auth\.credentials\[0\]\.apiKey .*control character/],
      ];
      for (const [credential, message] of cases) {
        assert.throws(
          () => createApp({ engine, credentials: [credential as never] }),
          (err: Error) => message.test(err.message) && !err.message.includes(String(credential.apiKey)),
          JSON.stringify(credential),
        );
      }
      // Through the config file, as an operator meets it: exit 1 before listening, the reason on stderr.
      const file = path.join(dir, 'unsendable-key.json');
      writeFileSync(file, JSON.stringify({ credentials: [{ appId: 'a', apiKey: 'Zq8-trailing-space ', mode: 'live' }] }));
      const result = spawnSync(process.execPath, [SERVER_JS], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FACELIVE_CONFIG: file }, timeout: 20_000, killSignal: 'SIGKILL' });
      const out = result.stdout.toString() + result.stderr.toString();
      assert.equal(result.status, 1, out);
      assert.match(out, /facelive: auth\.credentials\[0\]\.apiKey \(App-ID "a"\) can never match an API-Key header/);
      assert.doesNotMatch(out, /Zq8|facelive listening/);
    });

    it('refuses a fractional limit (maxPixels 0.5 started and then refused every image)', () => {
      assert.throws(() => createApp({ credentials: [{ appId: 'a', apiKey: 'k', mode: 'live' }], limits: { maxPixels: 0.5 } }), /limits\.maxPixels but received 0\.5: it would refuse every image/);
      assert.throws(() => createApp({ credentials: [{ appId: 'a', apiKey: 'k', mode: 'live' }], limits: { maxImageBytes: 1e6 + 0.5 } }), /whole number for limits\.maxImageBytes/);
    });

    it('PORT is decimal digits (white space around them ignored) or nothing: " " (a random port), 0x4790 (18320) and 1e4 (10000) are refused with exit 1', () => {
      assert.equal(portFromEnv(undefined, 3000), 3000);
      assert.equal(portFromEnv('', 3000), 3000);
      assert.equal(portFromEnv('0', 3000), 0, 'any free port, as documented');
      assert.equal(portFromEnv('65535', 3000), 65535);
      for (const text of [' ', '0x4790', '1e4', '-1', 'abc', '70000', '30 00', '+80', '3.0']) assert.throws(() => portFromEnv(text, 3000), /PORT must be a port number/, text);
      // White space around the digits comes from env files (a trailing space, CRLF line ends).
      for (const text of ['3000 ', '3000\r', ' 3000']) assert.equal(portFromEnv(text, 8080), 3000, JSON.stringify(text));
      for (const text of [' ', '0x4790', '1e4']) {
        const result = spawnSync(process.execPath, [SERVER_JS], { env: { ...process.env, PORT: text, HOST: '127.0.0.1', FACELIVE_CONFIG: '' }, timeout: 20_000, killSignal: 'SIGKILL' });
        const out = result.stdout.toString() + result.stderr.toString();
        assert.equal(result.status, 1, `PORT=${JSON.stringify(text)}: ${out}`);
        assert.ok(out.includes(`PORT must be a port number (decimal digits, 0 to 65535; 0 for any free port), not "${text}".`), out);
        assert.doesNotMatch(out, /facelive listening/);
      }
    });

    /** Starts `facelive serve` with one live credential; resolves once it listens and has printed its URLs. */
    async function startService(name: string): Promise<{ child: ChildProcessWithoutNullStreams; base: string; stderr: () => string }> {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify({ credentials: [{ appId: 'a', apiKey: 'k', mode: 'live' }] }));
      const child = spawn(process.execPath, [FACELIVE_JS, 'serve'], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FACELIVE_CONFIG: file } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not listening: ${stdout}${stderr}`)), 30_000);
        const check = (): void => {
          const match = /"msg":"facelive listening","port":(\d+)/.exec(stdout);
          if (match && stderr.includes('API:')) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        };
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${stdout}${stderr}`)));
      });
      return { child, base: `http://127.0.0.1:${port}`, stderr: () => stderr };
    }

    for (const closed of ['stdout', 'stdout and stderr'] as const) {
      const streams = closed === 'stdout' ? 'standard output is' : 'standard output and standard error are';
      it(`facelive serve goes on answering when its ${streams} closed (| head -1 ended it with EPIPE at the next log line)`, async () => {
        const { child, base, stderr } = await startService(`closed-${closed.replace(/ /g, '-')}`);
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        try {
          // The reader goes away, as head does after its line: the service's next write meets a closed pipe.
          child.stdout.destroy();
          if (closed === 'stdout and stderr') child.stderr.destroy();
          const headers = { 'Content-Type': 'application/json', 'App-ID': 'a', 'API-Key': 'k' };
          for (let i = 0; i < 30; i += 1) {
            // Each answer writes a log line.
            const res = await fetch(`${base}/v1/face/liveness`, { method: 'POST', headers, body: '{}' });
            assert.equal(res.status, 400, `request ${i + 1}`);
            assert.equal(((await res.json()) as { error_code: string }).error_code, 'MISSING_PAYLOAD_IMAGE');
          }
          const check = await fetch(`${base}/v1/face/liveness`, { method: 'POST', headers, body: JSON.stringify({ image: face }) });
          assert.equal(check.status, 200);
          assert.equal((await fetch(`${base}/healthz`)).status, 200);
          if (closed === 'stdout') {
            // Said once, where it can still be read.
            assert.equal(stderr().match(/standard output failed \(EPIPE\): the service goes on, without its log lines/g)?.length, 1, stderr());
          }
        } finally {
          child.kill('SIGTERM');
        }
        // The shutdown writes its log lines too, and still ends as it should.
        assert.equal(await exited, 0);
      });
    }

    it('node dist/examples/server.js exits 1 with the reason when its port is taken (it printed "listening" and exited 0)', async () => {
      const taken = http.createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as { port: number }).port;
      try {
        const entry = path.join(__dirname, '..', '..', 'examples', 'server.js');
        const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', FACELIVE_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        assert.equal(code, 1, `exit status; stdout: ${out}`);
        assert.match(err, new RegExp(`cannot listen on 127\\.0\\.0\\.1 port ${port}: .*EADDRINUSE`));
        assert.doesNotMatch(out, /facelive listening/);
      } finally {
        taken.close();
      }
    });

    /** Runs `node dist/examples/server.js` with FACELIVE_CONFIG `config` until it exits (killed after 30 s: 'still running'). */
    async function serveUntilExit(config: string): Promise<{ code: number | null | 'still running'; out: string; err: string }> {
      const entry = path.join(__dirname, '..', '..', 'examples', 'server.js');
      const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FACELIVE_CONFIG: config }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const code = await new Promise<number | null | 'still running'>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve('still running');
        }, 30_000);
        child.once('exit', (status) => {
          clearTimeout(timer);
          resolve(status);
        });
      });
      return { code, out, err };
    }

    it('node dist/examples/server.js exits 1 with the reason on stderr when a credential\'s threshold was calibrated on another pack', async () => {
      const config = path.join(dir, 'other-pack-threshold.json');
      writeFileSync(config, JSON.stringify({ credentials: [
        { appId: 'a', apiKey: 'k', mode: 'live' },
        { appId: 'fleet-b', apiKey: 'kb', mode: 'live', livenessThreshold: 0.4, livenessThresholdPack: 'facelive-default@0.0.1-old' },
      ] }));
      const { code, out, err } = await serveUntilExit(config);
      assert.equal(code, 1, `exit status; stdout: ${out}; stderr: ${err}`);
      assert.match(err, /The liveness threshold of App-ID "fleet-b" was calibrated on the model pack "facelive-default@0\.0\.1-old", and this service runs "facelive-default@[^"]+": calibrate it again/);
    });

    it('node dist/examples/server.js exits 1 with the reason on stderr when a model file of its pack is missing (it stayed up answering 500)', async () => {
      // The default pack with one model file left out: it passes the checks made before listening
      // (a manifest, thresholds) and fails only when the engine loads.
      const pack = mkdtempSync(path.join(os.tmpdir(), 'facelive-pack-'));
      try {
        const manifest = JSON.parse(readFileSync(path.join(DEFAULT_PACK_DIR, 'manifest.json'), 'utf8')) as { models: Record<string, { file: string }> };
        const files = Object.values(manifest.models).map((model) => model.file);
        const missing = files[files.length - 1];
        copyFileSync(path.join(DEFAULT_PACK_DIR, 'manifest.json'), path.join(pack, 'manifest.json'));
        for (const file of files.filter((name) => name !== missing)) symlinkSync(path.join(DEFAULT_PACK_DIR, file), path.join(pack, file));
        const config = path.join(dir, 'missing-model.json');
        writeFileSync(config, JSON.stringify({ pack, credentials: [{ appId: 'a', apiKey: 'k', mode: 'live' }] }));
        const { code, out, err } = await serveUntilExit(config);
        assert.equal(code, 1, `exit status; stdout: ${out}; stderr: ${err}`);
        assert.match(err, new RegExp(`engine failed to load: .*${missing.replace(/\./g, '\\.')}`));
      } finally {
        rmSync(pack, { recursive: true, force: true });
      }
    });

    it('node dist/examples/server.js starts on PORT, prints the dev pair once, answers, and stops on SIGTERM', async () => {
      const entry = path.join(__dirname, '..', '..', 'examples', 'server.js');
      const child = spawn(process.execPath, [entry], { env: { ...process.env, PORT: '0', FACELIVE_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      try {
        const port = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 20_000);
          child.stdout.on('data', () => {
            const match = /"msg":"facelive listening","port":(\d+)/.exec(out);
            if (match) {
              clearTimeout(timer);
              resolve(Number(match[1]));
            }
          });
          child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${out}`)));
        });
        await new Promise<void>((resolve) => {
          const seen = (): boolean => out.includes('API:');
          if (seen()) resolve();
          else child.stderr.on('data', () => seen() && resolve());
        });
        assert.match(out, new RegExp(`demo page: +http://localhost:${port}/\n`), 'prints the demo page URL');
        assert.match(out, new RegExp(`OpenAPI document: +http://localhost:${port}/openapi\\.json\n`), 'prints the OpenAPI URL');
        const appId = /App-ID:\s+(\S+)/.exec(out)?.[1];
        const apiKey = /API-Key:\s+(\S+)/.exec(out)?.[1];
        assert.ok(appId && apiKey, out);
        const base = `http://127.0.0.1:${port}`;
        let health = await fetch(`${base}/healthz/ready`);
        for (let i = 0; i < 50 && health.status !== 200; i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          health = await fetch(`${base}/healthz/ready`);
        }
        assert.equal(health.status, 200);
        // The log names the pack that decides the checks, as /healthz does.
        const { pack } = (await (await fetch(`${base}/healthz`)).json()) as { pack: { name: string; version: string } };
        for (let i = 0; i < 50 && !stdout.includes('"facelive engine ready"'); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
        const ready = stdout.split('\n').filter((l) => l.includes('"facelive engine ready"')).map((l) => JSON.parse(l) as { level: string; pack: unknown });
        assert.deepEqual(ready.map((entry) => [entry.level, entry.pack]), [['info', pack]], 'one log line names the pack once the engine is ready');
        const res = await fetch(`${base}/v1/face/liveness`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'App-ID': appId, 'API-Key': apiKey, 'X-Request-Id': 'proc-1' },
          body: JSON.stringify({ image: face }),
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-request-id'), 'proc-1');
        assert.equal(out.split('App-ID:').length - 1, 1, 'printed once');
        // Standard output is the log: one JSON entry a line, the banner and the pair on standard error.
        for (const line of stdout.split('\n').filter((l) => l !== '')) assert.doesNotThrow(() => JSON.parse(line), `not a JSON line on stdout: ${line}`);
        assert.ok(!stdout.includes(apiKey), 'the generated API-Key is not in the log');
        // On the development pair it listens on loopback only: another address of this machine is refused.
        assert.match(out, /listening on 127\.0\.0\.1 only while it runs on the development pair/);
        const external = Object.values(os.networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
        if (external !== undefined) {
          await assert.rejects(fetch(`http://${external.address}:${port}/healthz`), 'not reachable from another address');
        }
        // One connection carries at most 100 requests: 150 sent back to back get 100 answers, then the
        // connection ends (a client that never reads cannot make the service hold answers without bound).
        const pipelined = await new Promise<{ answers: number; ended: boolean }>((resolve) => {
          const socket = net.connect(port, '127.0.0.1');
          let text = '';
          const done = (ended: boolean): void => {
            socket.destroy();
            resolve({ answers: text.split('HTTP/1.1 200').length - 1, ended });
          };
          const timer = setTimeout(() => done(false), 10_000);
          socket.on('data', (chunk) => (text += chunk.toString('latin1')));
          socket.on('end', () => {
            clearTimeout(timer);
            done(true);
          });
          socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'.repeat(150));
        });
        assert.deepEqual(pipelined, { answers: MAX_REQUESTS_PER_CONNECTION, ended: true });
        assert.doesNotMatch(out, new RegExp(face.slice(0, 24).replace(/[+/]/g, '.')), 'no image data in the logs');
        const logLine = out.split('\n').find((line) => line.includes('"request_id":"proc-1"'));
        assert.ok(logLine, 'a JSON log line for the request');
        assert.equal(JSON.parse(logLine).status, 200);
      } finally {
        const exited = new Promise<number | null>((resolve) => {
          if (child.exitCode !== null) resolve(child.exitCode);
          else child.once('exit', (code) => resolve(code));
        });
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
      }
    });
  });
});
