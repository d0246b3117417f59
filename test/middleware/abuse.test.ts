// Abuse limits: the failed-authentication cool-down per client address (429 + Retry-After, also
// for the right key while cooling down; a burst of good requests never trips it), the optional
// per-credential rate limit, and both shared between two instances through Redis.

import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import type { Engine } from '../../core/engine-types';
import { createApp, type FaceliveApp } from '../../examples/server';
import { type Credential, errorHandler, faceLiveness, type FaceLivenessOptions } from '../../middleware';
import { selfieJpeg } from '../helpers/faces';
import { startRedisOrPending, type RedisServer } from '../helpers/redis';
import { authHeaders, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
const OTHER: Credential = { appId: 'app-other', apiKey: 'other-key-0123456789', mode: 'live' };
const WRONG = { 'App-ID': LIVE.appId, 'API-Key': 'not-the-key' };

describe('abuse limits (429 TOO_MANY_REQUESTS)', function () {
  this.timeout(60_000);
  let engine: Engine;
  let face: string;

  before(async () => {
    engine = await sharedEngine();
    face = (await selfieJpeg('frontal', 160, 120)).toString('base64');
  });

  function appWith(options: Partial<FaceLivenessOptions>): express.Express {
    const app = express();
    app.set('trust proxy', true);
    app.use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE, OTHER] }, metrics: false, maxQueue: 100, queueTimeoutMs: 30_000, ...options } as FaceLivenessOptions));
    app.use(errorHandler());
    return app;
  }

  const from = (address: string) => ({ 'X-Forwarded-For': address });

  describe('failed-authentication cool-down per client address', () => {
    it('after `limit` 401s an address gets 429 with Retry-After, even with the right key; other addresses are unaffected; it ends with the window', async () => {
      const app = appWith({ authFailures: { limit: 3, windowMs: 1500 } });
      for (let i = 0; i < 3; i += 1) {
        const res = await request(app).post(PATH).set(WRONG).set(from('203.0.113.7')).send({ image: face });
        assert.equal(res.status, 401);
      }
      const blocked = await request(app).post(PATH).set(authHeaders(LIVE)).set(from('203.0.113.7')).send({ image: face });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.body.error_code, 'TOO_MANY_REQUESTS');
      const retryAfter = Number(blocked.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${String(blocked.headers['retry-after'])}`);
      assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).set(from('203.0.113.8')).send({ image: face })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).set(from('203.0.113.7')).send({ image: face })).status, 200);
    });

    it('counts only failed authentications: 30 concurrent good requests from one address all pass', async () => {
      const app = appWith({ authFailures: { limit: 3, windowMs: 60_000 } });
      const answers = await Promise.all(Array.from({ length: 30 }, () => request(app).post(PATH).set(authHeaders(LIVE)).set(from('203.0.113.9')).send({ image: face })));
      assert.deepEqual(
        answers.map((res) => res.status),
        answers.map(() => 200),
      );
    });

    it('a concurrent burst of wrong keys from one address gets `limit` 401s and 429 for the rest', async () => {
      const app = appWith({ authFailures: { limit: 5, windowMs: 60_000 } });
      const answers = await Promise.all(Array.from({ length: 60 }, () => request(app).post(PATH).set(WRONG).set(from('203.0.113.44')).send({})));
      const statuses = answers.map((res) => res.status);
      assert.equal(statuses.filter((s) => s === 401).length, 5, 'as many key guesses as the limit, however many are sent at once');
      assert.equal(statuses.filter((s) => s === 429).length, 55);
      assert.ok(answers.filter((res) => res.status === 429).every((res) => Number(res.headers['retry-after']) >= 1));
    });

    it('logs refusals anyone can provoke in bulk (401, 429) as one line a second with their count', async () => {
      const logs: Record<string, unknown>[] = [];
      const app = appWith({ authFailures: { limit: 5, windowMs: 60_000 }, logger: (entry: Record<string, unknown>) => logs.push(entry) });
      await Promise.all(Array.from({ length: 40 }, () => request(app).post(PATH).set(WRONG).set(from('203.0.113.45')).send({})));
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const refused = logs.filter((entry) => entry.error_code === 'UNAUTHORIZED' || entry.error_code === 'TOO_MANY_REQUESTS');
      assert.ok(refused.length <= 4, `${refused.length} lines for 40 refusals`);
      assert.equal(refused.reduce((sum, entry) => sum + Number(entry.count), 0), 40);
      const cooling = logs.find((entry) => entry.msg === 'client address cooling down after failed authentications');
      assert.equal(cooling?.client, '203.0.113.45', 'the cooling address is named');
    });

    it('logs no client-written text as the address when X-Forwarded-For is not an address (trust proxy set too high)', async () => {
      const logs: Record<string, unknown>[] = [];
      const app = appWith({ authFailures: { limit: 2, windowMs: 60_000 }, logger: (entry: Record<string, unknown>) => logs.push(entry) });
      for (let i = 0; i < 3; i += 1) await request(app).post(PATH).set(WRONG).set(from('forged\u0085line')).send({});
      const cooling = logs.find((entry) => entry.msg === 'client address cooling down after failed authentications');
      assert.ok(cooling, 'the cool-down is logged');
      assert.doesNotMatch(String(cooling.client), /forged/);
      assert.match(String(cooling.client), /not an IP address/);
    });

    it('counts an IPv6 client by its /64: its other addresses cool down too, another /64 of the same /56 does not', async () => {
      const app = appWith({ authFailures: { limit: 3, windowMs: 60_000 } });
      // 2001:db8:1:100::/56 holds 2001:db8:1:100::/64 (this client) and 2001:db8:1:1ff::/64 (a neighbour).
      for (let i = 0; i < 3; i += 1) assert.equal((await request(app).post(PATH).set(WRONG).set(from(`2001:db8:1:100::${i + 1}`)).send({})).status, 401);
      const rotated = await request(app).post(PATH).set(authHeaders(LIVE)).set(from('2001:db8:1:100:ffff:ffff:ffff:fffe')).send({ image: face });
      assert.equal(rotated.status, 429, 'another address of the same /64');
      const neighbour = await request(app).post(PATH).set(authHeaders(LIVE)).set(from('2001:db8:1:1ff::1')).send({ image: face });
      assert.equal(neighbour.status, 200, 'another /64 of the same /56');
    });

    it('is on by default (10 failures a minute) and off with authFailures: false', async () => {
      const byDefault = appWith({});
      const statuses: number[] = [];
      for (let i = 0; i < 11; i += 1) statuses.push((await request(byDefault).post(PATH).set(WRONG).set(from('198.51.100.1')).send({})).status);
      assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
      const off = appWith({ authFailures: false });
      for (let i = 0; i < 12; i += 1) assert.equal((await request(off).post(PATH).set(WRONG).set(from('198.51.100.2')).send({})).status, 401);
    });
  });

  describe('per-credential rate limit', () => {
    it('gives each App-ID `limit` requests per window, then 429 with Retry-After', async () => {
      const app = appWith({ rateLimit: { limit: 2, windowMs: 60_000 } });
      assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face })).status, 200);
      assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({})).status, 400);
      const limited = await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error_code, 'TOO_MANY_REQUESTS');
      assert.ok(Number(limited.headers['retry-after']) > 50);
      assert.equal((await request(app).post(PATH).set(authHeaders(OTHER)).send({ image: face })).status, 200, 'counted per credential');
      // The rate limit comes before the request's own 400s (docs/api.md, "Order of the checks over HTTP"): a flag in the query string too.
      const queried = await request(app).post(`${PATH}?validate_liveness=true`).set(authHeaders(LIVE)).send({ image: face });
      assert.deepEqual([queried.status, queried.body.error_code], [429, 'TOO_MANY_REQUESTS']);
    });

    it('refuses a malformed rateLimit option at construction', () => {
      assert.throws(() => faceLiveness({ engine, auth: false, rateLimit: { windowMs: 1000 } as never }), /rateLimit needs a limit/);
      assert.throws(() => faceLiveness({ engine, auth: false, rateLimit: { limit: 0 } }), /rateLimit\.limit/);
      assert.throws(() => faceLiveness({ engine, auth: false, authFailures: { limt: 3 } as never }), /authFailures\.limt/);
    });
  });

  describe('shared through Redis (quotaStore "redis")', () => {
    let redis: RedisServer;
    let first: FaceliveApp;
    let second: FaceliveApp;

    before(async function () {
      redis = await startRedisOrPending(this, 'the Redis rate-limit tests');
      const config = { engine, credentials: [LIVE], quotaStore: 'redis' as const, redisUrl: redis.url, authFailures: { limit: 2, windowMs: 60_000 }, rateLimit: { limit: 3 }, trustProxy: 1, redisCommandTimeoutMs: 5000 };
      first = createApp(config);
      second = createApp(config);
    });

    after(async () => {
      await first.close();
      await second.close();
      await redis.destroy();
    });

    it('failures seen by one instance cool the address down on the other; the rate limit is shared too', async () => {
      assert.equal((await request(first.app).post(PATH).set(WRONG).set(from('192.0.2.1')).send({})).status, 401);
      assert.equal((await request(second.app).post(PATH).set(WRONG).set(from('192.0.2.1')).send({})).status, 401);
      const blocked = await request(first.app).post(PATH).set(authHeaders(LIVE)).set(from('192.0.2.1')).send({ image: face });
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers['retry-after']) > 50);
      // Rate limit of 3 a minute for the App-ID, counted across both instances.
      const statuses: number[] = [];
      for (const handle of [first, second, first, second]) {
        statuses.push((await request(handle.app).post(PATH).set(authHeaders(LIVE)).set(from('192.0.2.2')).send({ image: face })).status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
    });
  });
});
