// faceLiveness() options: resolved at construction, a bad option is a TypeError naming it,
// and app.use(faceLiveness) (without the call) is refused.

import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { usableCpuCount } from '../../core/cpu-count';
import type { Engine } from '../../core/engine-types';
import { errorHandler, faceLiveness, type FaceLivenessOptions, MemoryQuotaStore, sanitizeRequestId } from '../../middleware';
import { jsonBodyLimitFor, resolveOptions } from '../../middleware/options';
import { withCpuQuota } from '../helpers/cpu-quota';
import { LIVE, sharedEngine } from '../helpers/server';

describe('faceLiveness() options', () => {
  let engine: Engine;

  before(async () => {
    engine = await sharedEngine();
  });

  const build = (options: unknown) => () => faceLiveness(options as FaceLivenessOptions);

  it('needs the auth option, and says how to turn it off', () => {
    assert.throws(build({ engine }), (err: unknown) => err instanceof TypeError && /auth/.test(err.message) && /false/.test(err.message));
  });

  it('accepts a valid set of options', () => {
    const router = faceLiveness({ engine, auth: { credentials: [LIVE] }, quota: new MemoryQuotaStore(), mode: 'annotate', logger: () => undefined, metrics: false });
    assert.equal(typeof router, 'function');
    assert.equal(typeof router.ready, 'function');
  });

  const bad: [string, (engine: Engine) => unknown, RegExp][] = [
    ['an unknown key, with a hint', (engine) => ({ engine, auth: false, mdoe: 'respond' }), /unknown option "mdoe".*Did you mean "mode"/],
    ['a bad mode', (engine) => ({ engine, auth: false, mode: 'reply' }), /for mode but received the string "reply"\./],
    ['auth of the wrong type', (engine) => ({ engine, auth: 'yes' }), /auth/],
    ['auth with extra keys', (engine) => ({ engine, auth: { credentials: [], users: [] } }), /auth\.users/],
    ['a credential without apiKey', (engine) => ({ engine, auth: { credentials: [{ appId: 'a', mode: 'live' }] } }), /auth\.credentials\[0\]\.apiKey/],
    ['a credential with a bad mode', (engine) => ({ engine, auth: { credentials: [{ appId: 'a', apiKey: 'k', mode: 'free' }] } }), /auth\.credentials\[0\]\.mode but received the string "free"\./],
    ['a testing credential without quota', (engine) => ({ engine, auth: { credentials: [{ appId: 'a', apiKey: 'k', mode: 'testing' }] } }), /auth\.credentials\[0\]\.quota/],
    ['a negative quota', (engine) => ({ engine, auth: { credentials: [{ appId: 'a', apiKey: 'k', mode: 'testing', quota: -1 }] } }), /quota.*but received -1\./],
    ['a live credential with a quota', (engine) => ({ engine, auth: { credentials: [{ appId: 'a', apiKey: 'k', mode: 'live', quota: 5 }] } }), /quota/],
    ['an App-ID repeated with its key', (engine) => ({ engine, auth: { credentials: [LIVE, LIVE] } }), /auth\.credentials\[1\] repeats the App-ID "[^"]+" and its key/],
    ['a quota store without reserve', (engine) => ({ engine, auth: false, quota: { refund() {} } }), /quota/],
    ['an engine that is not one', (engine) => ({ engine: {}, auth: false }), /engine/],
    ['engine and engineOptions together', (engine) => ({ engine, engineOptions: {}, auth: false }), /engineOptions/],
    ['limits with a ready engine', (engine) => ({ engine, limits: { maxImageBytes: 1 }, auth: false }), /limits/],
    ['an unknown limit', (engine) => ({ engineOptions: {}, limits: { maxBytes: 1 }, auth: false }), /maxBytes/],
    ['a limit of the wrong type', (engine) => ({ engineOptions: {}, limits: { urlTimeoutMs: 'soon' }, auth: false }), /limits\.urlTimeoutMs but received the string "soon"\./],
    ['a bad logger', (engine) => ({ engine, auth: false, logger: 'console' }), /for logger but received the string "console"\./],
    ['bad metrics', (engine) => ({ engine, auth: false, metrics: true }), /metrics/],
    ['no options object', (engine) => ('options'), /options object for faceLiveness\(options\) but received the string "options"\./],
    // Engine options are checked at construction too, not when the engine loads (every request 500).
    ['an engine threshold over 1', () => ({ engineOptions: { thresholds: { liveness: 2 } }, auth: false }), /thresholds\.liveness/],
    ['an unknown engine threshold', () => ({ engineOptions: { thresholds: { glasses: 0.5 } }, auth: false }), /glasses/],
    ['a pack without a manifest', () => ({ engineOptions: { pack: '/nonexistent/facelive-pack' }, auth: false }), /No model pack/],
    ['workerThreads of the wrong type', () => ({ engineOptions: { workerThreads: 'no' }, auth: false }), /workerThreads but received the string "no"\./],
    // Node.js fires a timer longer than 2^31 - 1 ms after 1 ms: every request would time out at once.
    ['a request deadline longer than a timer can wait', (engine) => ({ engine, auth: false, requestTimeoutMs: 3e9 }), /requestTimeoutMs/],
    ['a queue wait longer than a timer can wait', (engine) => ({ engine, auth: false, queueTimeoutMs: 3e9 }), /queueTimeoutMs/],
    ['a rate-limit window longer than a timer can wait', (engine) => ({ engine, auth: { credentials: [LIVE] }, rateLimit: { limit: 2, windowMs: 3e9 } }), /rateLimit\.windowMs/],
    ['an auth-failure window longer than a timer can wait', (engine) => ({ engine, auth: { credentials: [LIVE] }, authFailures: { limit: 3, windowMs: 3e9 } }), /authFailures\.windowMs/],
    ['authFailures null (false turns it off)', (engine) => ({ engine, auth: { credentials: [LIVE] }, authFailures: null }), /authFailures/],
    ['rateLimit without auth', (engine) => ({ engine, auth: false, rateLimit: { limit: 2 } }), /rateLimit.*auth/],
    ['a credential with a misspelt key', (engine) => ({ engine, auth: { credentials: [{ ...LIVE, livenessTreshold: 0.9 }] } }), /auth\.credentials\[0\].*"livenessTreshold"/],
    ['a credential\'s liveness threshold given as a string', (engine) => ({ engine, auth: { credentials: [{ ...LIVE, livenessThreshold: '0.9' }] } }), /auth\.credentials\[0\]\.livenessThreshold but received the string "0\.9"\./],
    ['a threshold pack that is not name@version', (engine) => ({ engine, auth: { credentials: [{ ...LIVE, livenessThreshold: 0.5, livenessThresholdPack: 'facelive-default 0.1.0' }] } }), /name@version .*auth\.credentials\[0\]\.livenessThresholdPack but received the string "facelive-default 0\.1\.0"\./],
    ['a threshold pack without a threshold', (engine) => ({ engine, auth: { credentials: [{ ...LIVE, livenessThresholdPack: 'facelive-default@0.1.0' }] } }), /auth\.credentials\[0\]\.livenessThresholdPack names the pack of a livenessThreshold, and auth\.credentials\[0\] has none\./],
    ['an empty engine pack path', () => ({ engineOptions: { pack: '' }, auth: false }), /pack but received an empty string\./],
    ['a limit of 0 that refuses every image', () => ({ engineOptions: {}, limits: { maxImageBytes: 0 }, auth: false }), /limits\.maxImageBytes/],
    // A fraction refused every image (maxPixels 0.5) or counted part of a byte or a millisecond.
    ['a fractional limit that refuses every image', () => ({ engineOptions: {}, limits: { maxPixels: 0.5 }, auth: false }), /positive whole number for limits\.maxPixels but received 0\.5: it would refuse every image\./],
    ['a fractional byte limit', () => ({ engineOptions: {}, limits: { maxImageBytes: 1000.5 }, auth: false }), /whole number for limits\.maxImageBytes but received 1000\.5\./],
    ['a fractional URL budget', () => ({ engineOptions: {}, limits: { urlTimeoutMs: 0.5 }, auth: false }), /limits\.urlTimeoutMs but received 0\.5: it would refuse every URL image\./],
    // Listed values that no request can send: every request with them got 401, nothing said at start.
    ['an API key with a space at its end', (engine) => ({ engine, auth: { credentials: [{ appId: 'a', apiKey: 'k ', mode: 'live' }] } }), /auth\.credentials\[0\]\.apiKey \(App-ID "a"\) can never match an API-Key header: it starts or ends with white space/],
    ['an App-ID with a space at its end', (engine) => ({ engine, auth: { credentials: [LIVE, { appId: 'c ', apiKey: 'k', mode: 'live' }] } }), /auth\.credentials\[1\]\.appId can never match an App-ID header: it starts or ends with white space/],
    ['an API key with a line break', (engine) => ({ engine, auth: { credentials: [{ appId: 'a', apiKey: 'k\nk', mode: 'live' }] } }), /auth\.credentials\[0\]\.apiKey .*control character/],
    ['an API key with a tab', (engine) => ({ engine, auth: { credentials: [{ appId: 'a', apiKey: 'k\tk', mode: 'live' }] } }), /auth\.credentials\[0\]\.apiKey .*control character/],
    ['an API key outside ASCII', (engine) => ({ engine, auth: { credentials: [{ appId: 'a', apiKey: 'ключ-секрет', mode: 'live' }] } }), /auth\.credentials\[0\]\.apiKey .*outside ASCII/],
    ['an App-ID outside ASCII', (engine) => ({ engine, auth: { credentials: [{ appId: 'магазин', apiKey: 'k', mode: 'live' }] } }), /auth\.credentials\[0\]\.appId .*outside ASCII/],
  ];
  for (const [name, options, message] of bad) {
    it(`throws a TypeError for ${name}`, () => {
      assert.throws(build(options(engine)), (err: unknown) => err instanceof TypeError && message.test(err.message));
    });
  }

  it('never quotes the API key it refuses, and takes one with spaces inside it (a header carries them)', async () => {
    for (const apiKey of ['Zq8-secret ', ' Zq8-secret', 'Zq8-secret\r\n', 'Zq8-sécret']) {
      assert.throws(build({ engine, auth: { credentials: [{ appId: 'a', apiKey, mode: 'live' }] } }), (err: unknown) => err instanceof TypeError && !err.message.includes('Zq8'));
    }
    const spaced = { appId: 'a', apiKey: 'a key with spaces', mode: 'live' as const };
    const app = express();
    app.use('/v1/face/liveness', faceLiveness({ engine, auth: { credentials: [spaced] }, metrics: false }));
    const res = await request(app).post('/v1/face/liveness').set({ 'App-ID': spaced.appId, 'API-Key': spaced.apiKey }).send({});
    assert.equal(res.body.error_code, 'MISSING_PAYLOAD_IMAGE', 'authenticated');
  });

  it('refuses to be called as middleware: app.use(faceLiveness), saying how to call it in the answer', async () => {
    const fakeReq = { method: 'POST', url: '/', headers: {} };
    assert.throws(
      () => (faceLiveness as unknown as (...args: unknown[]) => unknown)(fakeReq),
      (err: unknown) => err instanceof TypeError && /app\.use\(faceLiveness\)/.test(err.message),
    );
    const app = express();
    app.use('/v1/face/liveness', faceLiveness as unknown as express.RequestHandler);
    app.use(errorHandler());
    const res = await request(app).post('/v1/face/liveness').send({});
    assert.equal(res.status, 500);
    assert.equal(res.body.error_code, 'INTERNAL_SERVER_ERROR');
    assert.match(res.body.message, /must be called to build the middleware/);
  });

  it('creates no engine when it refuses an option (one left loaded could never be disposed of)', () => {
    let created = 0;
    const count = (): Promise<Engine> => {
      created += 1;
      return Promise.resolve(engine);
    };
    for (const late of [{ requestTimeoutMs: 3e9 }, { maxInFlight: 0 }, { rateLimit: { limit: 1 } }, { rateLimitStore: 'redis' }]) {
      assert.throws(() => resolveOptions({ engineOptions: {}, auth: false, metrics: false, ...late }, count), TypeError);
    }
    assert.equal(created, 0);
    resolveOptions({ engineOptions: {}, auth: false, metrics: false }, count);
    assert.equal(created, 1);
  });

  it('runs one check per CPU the process may use by default, a CPU quota counted, and queues as many', async () => {
    const resolve = () => resolveOptions({ engine, auth: false, metrics: false }, () => Promise.resolve(engine));
    assert.equal(resolve().maxInFlight, usableCpuCount());
    assert.equal(resolve().maxQueue, usableCpuCount());
    // A 1-CPU container: os.availableParallelism() still counts every CPU of the machine.
    await withCpuQuota('100000 100000\n', () => assert.deepEqual([resolve().maxInFlight, resolve().maxQueue], [1, 1]));
  });

  it('defaults the abuse limits as documented: 10 failed authentications a minute, no rate limit, a rate-limit window of a minute', () => {
    const resolve = (options: Record<string, unknown>) => resolveOptions({ engine, auth: { credentials: [LIVE] }, metrics: false, ...options }, () => Promise.resolve(engine));
    assert.deepEqual(resolve({}).authFailures, { limit: 10, windowMs: 60_000 });
    assert.deepEqual(resolve({ authFailures: { limit: 3 } }).authFailures, { limit: 3, windowMs: 60_000 });
    assert.equal(resolve({ authFailures: false }).authFailures, null);
    assert.equal(resolve({}).rateLimit, null);
    assert.deepEqual(resolve({ rateLimit: { limit: 5 } }).rateLimit, { limit: 5, windowMs: 60_000 });
  });

  it('takes durations up to what a timer can wait (2^31 - 1 ms), and limits over engineOptions.limits', () => {
    const resolved = resolveOptions({ engine, auth: false, metrics: false, requestTimeoutMs: 2 ** 31 - 1, queueTimeoutMs: 2 ** 31 - 1 }, () => Promise.resolve(engine));
    assert.deepEqual([resolved.requestTimeoutMs, resolved.queueTimeoutMs], [2 ** 31 - 1, 2 ** 31 - 1]);
    const merged = resolveOptions({ engineOptions: { limits: { maxImageBytes: 2000, maxRedirects: 1 } }, limits: { maxImageBytes: 1000 }, auth: false, metrics: false }, () => Promise.resolve(engine));
    assert.deepEqual([merged.limits.maxImageBytes, merged.limits.maxRedirects], [1000, 1]);
  });

  it('caps the default request deadline (the URL budget + 10 s) at what a timer can wait', () => {
    const resolved = resolveOptions({ engineOptions: {}, limits: { urlTimeoutMs: 2 ** 31 - 1 }, auth: false, metrics: false }, () => Promise.resolve(engine));
    assert.equal(resolved.requestTimeoutMs, 2 ** 31 - 1);
    assert.equal(resolveOptions({ engineOptions: {}, auth: false, metrics: false }, () => Promise.resolve(engine)).requestTimeoutMs, 25_000);
  });

  it('derives the JSON body limit from 5 MiB of image bytes as base64, with slack', () => {
    const limit = jsonBodyLimitFor(5 * 1024 * 1024);
    assert.ok(limit > Math.ceil((5 * 1024 * 1024) / 3) * 4, 'room for the whole base64 text');
    assert.ok(limit < 8 * 1024 * 1024, 'about 7 MiB');
    // The largest image, its base64 wrapped with CRLF every 64 characters (MIME uses 76), as JSON
    // writes it: each line break is the 4 characters \r\n.
    const image = Buffer.alloc(5 * 1024 * 1024, 0xa5).toString('base64').replace(/.{64}/g, '$&\r\n');
    const body = JSON.stringify({ image: `data:image/jpeg;base64,${image}`, is_quality: true, is_attribute: true, is_liveness: true, validate_quality: true, validate_attribute: true, validate_liveness: true, validate_nface: true });
    assert.ok(body.length <= limit, `${body.length} > ${limit}`);
  });

  it('a smaller maxImageBytes shrinks the body limit (413 -> INVALID_PAYLOAD_IMAGE_SIZE)', async () => {
    const router = faceLiveness({ engineOptions: {}, limits: { maxImageBytes: 1000 }, auth: false, metrics: false });
    const app = express();
    app.use('/x', router);
    const res = await request(app).post('/x').send({ image: 'A'.repeat(100_000) });
    assert.equal(res.body.error_code, 'INVALID_PAYLOAD_IMAGE_SIZE');
    assert.equal((await router.ready()).limits.maxImageBytes, 1000);
    await router.close();
  });

  it('sanitizeRequestId keeps safe characters only, at most 128', () => {
    assert.equal(sanitizeRequestId('abc-123_x.y:z'), 'abc-123_x.y:z');
    assert.equal(sanitizeRequestId('a b\r\nc'), 'abc');
    assert.equal(sanitizeRequestId('y'.repeat(200))?.length, 128);
    assert.equal(sanitizeRequestId('<>'), undefined);
    assert.equal(sanitizeRequestId(undefined), undefined);
  });
});
