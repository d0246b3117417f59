// Testing-mode quota with both stores (memory, and Redis on a redis-server started here): 403 when
// used up, refunds for non-200 answers, and exactly q answers of 200 under 200 concurrent requests.

import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import type { Engine } from '../../core/engine-types';
import { type AuthFunction, type Credential, errorHandler, FaceliveMetrics, faceLiveness, type LogEntry, MemoryQuotaStore, type QuotaStore, RedisQuotaStore } from '../../middleware';
import { landscapeJpeg, selfieJpeg } from '../helpers/faces';
import { startRedisOrPending, type RedisServer } from '../helpers/redis';
import { authHeaders, listen, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
/** These tests pile up 200 requests at once on purpose: a queue that holds them all. */
/** No outage is simulated here: a generous command timeout keeps a loaded CI machine from reading as one. */
const SLOW_MACHINE_TIMEOUT_MS = 5000;
const UNBOUNDED = { maxQueue: 1000, queueTimeoutMs: 600_000, requestTimeoutMs: 600_000 } as const;

interface StoreCase {
  readonly name: string;
  make(context: Mocha.Context): Promise<QuotaStore & { close?(): Promise<void> }>;
}

let redis: RedisServer | undefined;
let prefixCounter = 0;

const STORES: readonly StoreCase[] = [
  { name: 'MemoryQuotaStore', make: async () => new MemoryQuotaStore() },
  {
    name: 'RedisQuotaStore',
    make: async (context) => {
      redis ??= await startRedisOrPending(context, 'the RedisQuotaStore tests');
      prefixCounter += 1;
      return new RedisQuotaStore({ url: redis.url, prefix: `facelive-test-${process.pid}-${prefixCounter}:`, commandTimeoutMs: SLOW_MACHINE_TIMEOUT_MS });
    },
  },
];

describe('quota (testing-mode credentials)', function () {
  this.timeout(120_000);
  let engine: Engine;
  let face: string;
  let noFace: string;

  before(async () => {
    engine = await sharedEngine();
    face = (await selfieJpeg('right', 160, 120)).toString('base64');
    noFace = (await landscapeJpeg(160, 120)).toString('base64');
  });

  after(async () => {
    await redis?.stop();
  });

  for (const storeCase of STORES) {
    describe(storeCase.name, () => {
      let store: QuotaStore & { close?(): Promise<void> };
      let made: typeof store | undefined;

      beforeEach(async function () {
        store = made = await storeCase.make(this);
      });

      afterEach(async () => {
        await made?.close?.();
        made = undefined;
      });

      function appWith(credentials: Credential[]): express.Express {
        const app = express();
        app.use(PATH, faceLiveness({ engine, auth: { credentials }, quota: store, metrics: false, ...UNBOUNDED }));
        app.use(errorHandler());
        return app;
      }

      it('reserve is atomic and bounded; refund never goes below zero', async () => {
        assert.equal(await store.reserve('a', 2), true);
        assert.equal(await store.reserve('a', 2), true);
        assert.equal(await store.reserve('a', 2), false);
        assert.equal(await store.used?.('a'), 2);
        await store.refund('a');
        assert.equal(await store.used?.('a'), 1);
        await store.refund('a');
        await store.refund('a');
        assert.equal(await store.used?.('a'), 0);
        assert.equal(await store.reserve('b', 0), false);
        await store.reset?.();
      });

      it('gives 403 INSUFFICIENT_QUOTA_LIVENESS once the quota is used up; live credentials are unmetered', async () => {
        const testing: Credential = { appId: 't-1', apiKey: 'k-1', mode: 'testing', quota: 2 };
        const app = appWith([testing, LIVE]);
        for (let i = 0; i < 2; i += 1) {
          const ok = await request(app).post(PATH).set(authHeaders(testing)).send({ image: face });
          assert.equal(ok.status, 200, JSON.stringify(ok.body));
        }
        const refused = await request(app).post(PATH).set(authHeaders(testing)).send({ image: face });
        assert.equal(refused.status, 403);
        assert.equal(refused.body.error_code, 'INSUFFICIENT_QUOTA_LIVENESS');
        assert.equal(refused.body.request_id, refused.headers['x-request-id']);
        assert.equal(await store.used?.('t-1'), 2);
        for (let i = 0; i < 3; i += 1) assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: face })).status, 200);
        assert.equal(await store.used?.(LIVE.appId), 0);
      });

      it('charges only answers of 200: 400s are refunded', async () => {
        const testing: Credential = { appId: 't-2', apiKey: 'k-2', mode: 'testing', quota: 1 };
        const app = appWith([testing]);
        const noFaceAnswer = await request(app).post(PATH).set(authHeaders(testing)).send({ image: noFace });
        assert.equal(noFaceAnswer.body.error_code, 'FACE_NOT_DETECTED');
        const badJson = await request(app).post(PATH).set(authHeaders(testing)).set('Content-Type', 'application/json').send('{');
        assert.equal(badJson.body.error_code, 'INVALID_PAYLOAD');
        const multipartTooBig = await request(app).post(PATH).set(authHeaders(testing)).attach('image', Buffer.alloc(5 * 1024 * 1024 + 1), 'big.jpg');
        assert.equal(multipartTooBig.body.error_code, 'INVALID_PAYLOAD_IMAGE_SIZE');
        assert.equal(await store.used?.('t-2'), 0);
        assert.equal((await request(app).post(PATH).set(authHeaders(testing)).send({ image: face })).status, 200);
        assert.equal(await store.used?.('t-2'), 1);
        // Used up: 403 comes before the body's own 400s.
        const after = await request(app).post(PATH).set(authHeaders(testing)).send({});
        assert.equal(after.body.error_code, 'INSUFFICIENT_QUOTA_LIVENESS');
      });

      it('a quota of 0 always answers 403', async () => {
        const testing: Credential = { appId: 't-0', apiKey: 'k-0', mode: 'testing', quota: 0 };
        const res = await request(appWith([testing])).post(PATH).set(authHeaders(testing)).send({ image: face });
        assert.equal(res.body.error_code, 'INSUFFICIENT_QUOTA_LIVENESS');
        assert.equal(res.status, 403);
      });

      it('200 concurrent requests against a quota of 50 give exactly 50 answers of 200', async () => {
        const testing: Credential = { appId: 't-50', apiKey: 'k-50', mode: 'testing', quota: 50 };
        const server = await listen(appWith([testing]));
        try {
          const answers = await Promise.all(
            Array.from({ length: 200 }, () =>
              fetch(`${server.url}${PATH}`, {
                method: 'POST',
                headers: { ...authHeaders(testing), 'Content-Type': 'application/json' },
                body: JSON.stringify({ image: face }),
              }).then(async (res) => ({ status: res.status, body: (await res.json()) as { error_code: string | null } })),
            ),
          );
          const ok = answers.filter((a) => a.status === 200);
          const refused = answers.filter((a) => a.status === 403);
          assert.equal(ok.length, 50);
          assert.equal(refused.length, 150, JSON.stringify(answers.filter((a) => a.status !== 200 && a.status !== 403).slice(0, 2)));
          assert.ok(refused.every((a) => a.body.error_code === 'INSUFFICIENT_QUOTA_LIVENESS'));
          assert.equal(await store.used?.('t-50'), 50);
        } finally {
          await server.close();
        }
      });

      it('under concurrency with failing requests mixed in, 200s never exceed the quota and are charged exactly', async () => {
        const testing: Credential = { appId: 't-mix', apiKey: 'k-mix', mode: 'testing', quota: 30 };
        const server = await listen(appWith([testing]));
        try {
          const answers = await Promise.all(
            Array.from({ length: 120 }, (_, i) =>
              fetch(`${server.url}${PATH}`, {
                method: 'POST',
                headers: { ...authHeaders(testing), 'Content-Type': 'application/json' },
                body: JSON.stringify({ image: i % 2 === 0 ? face : noFace }),
              }).then((res) => res.status),
            ),
          );
          const ok = answers.filter((s) => s === 200).length;
          assert.ok(ok <= 30, `${ok} answers of 200`);
          assert.ok(ok > 0);
          assert.equal(answers.filter((s) => s !== 200 && s !== 400 && s !== 403).length, 0);
          assert.equal(await store.used?.('t-mix'), ok, 'the store counts exactly the 200s');
        } finally {
          await server.close();
        }
      });
    });
  }

  describe('an auth function that returns the App-ID (tenants looked up case-insensitively)', () => {
    const SPELLINGS = ['shop', 'shop', 'SHOP', 'Shop', 'sHop', 'shOp', 'SHOp'];
    /** Like a database whose collation ignores case: every spelling finds the tenant "shop". */
    const lookup = (mode: 'live' | 'testing'): AuthFunction => (appId, apiKey) =>
      appId.toLowerCase() === 'shop' && apiKey === 'shop-key' ? { appId: 'shop', mode, ...(mode === 'testing' ? { quota: 1 } : {}) } : null;

    async function sendAll(options: Partial<Parameters<typeof faceLiveness>[0]>): Promise<number[]> {
      const app = express();
      app.use(PATH, faceLiveness({ engine, metrics: false, ...UNBOUNDED, ...options } as Parameters<typeof faceLiveness>[0]));
      app.use(errorHandler());
      const statuses: number[] = [];
      for (const appId of SPELLINGS) statuses.push((await request(app).post(PATH).set({ 'App-ID': appId, 'API-Key': 'shop-key' }).send({ image: face })).status);
      return statuses;
    }

    it('counts quota, rate limit, logs and metrics under the returned App-ID, not each spelling of the header', async () => {
      const store = new MemoryQuotaStore();
      const metrics = new FaceliveMetrics();
      const logs: LogEntry[] = [];
      const quotaOf1 = await sendAll({ auth: lookup('testing'), quota: store, metrics, logger: (entry: LogEntry) => logs.push(entry) });
      assert.deepEqual(quotaOf1, [200, 403, 403, 403, 403, 403, 403], 'one answer of 200 on a quota of 1');
      assert.equal(store.used('shop'), 1);
      assert.deepEqual([...new Set(logs.filter((entry) => 'app_id' in entry).map((entry) => entry.app_id))], ['shop']);
      const series = [...(await metrics.registry.metrics()).matchAll(/app_id="([^"]*)"/g)].map((match) => match[1]);
      assert.deepEqual([...new Set(series)], ['shop'], 'one metric series');
      const rateOf2 = await sendAll({ auth: lookup('live'), rateLimit: { limit: 2, windowMs: 60_000 } });
      assert.deepEqual(rateOf2, [200, 200, 429, 429, 429, 429, 429], 'one rate limit');
    });

    it('uses the header\'s App-ID when the function returns none (or null, or empty), a number as its text, and answers 500 for another type', async () => {
      const logs: LogEntry[] = [];
      const app = express();
      app.use(
        PATH,
        faceLiveness({
          engine,
          metrics: false,
          logger: (entry: LogEntry) => logs.push(entry),
          auth: (appId) => {
            // A database row: its id may be a number, null or empty.
            const rows: Record<string, unknown> = { empty: '', null: null, number: 7, object: { id: 7 }, yes: true };
            return appId in rows ? { appId: rows[appId] as never, mode: 'live' } : { mode: 'live' };
          },
        }),
      );
      app.use(errorHandler());
      const counted: [string, string | undefined][] = [];
      for (const appId of ['Header-Name', 'null', 'empty', 'number']) {
        assert.equal((await request(app).post(PATH).set({ 'App-ID': appId, 'API-Key': 'k' }).send({ image: face })).status, 200, appId);
        counted.push([appId, logs.filter((entry) => entry.msg === 'liveness checked').at(-1)?.app_id as string | undefined]);
      }
      assert.deepEqual(counted, [['Header-Name', 'Header-Name'], ['null', 'null'], ['empty', 'empty'], ['number', '7']]);
      for (const appId of ['object', 'yes']) {
        const res = await request(app).post(PATH).set({ 'App-ID': appId, 'API-Key': 'k' }).send({ image: face });
        assert.equal(res.body.error_code, 'INTERNAL_SERVER_ERROR', appId);
      }
    });
  });

  it('RedisQuotaStore leaves no key behind for a refunded reservation; a release before its reservation leaves a tombstone', async function () {
    redis ??= await startRedisOrPending(this, 'the RedisQuotaStore tests');
    const prefix = `facelive-tickets-${process.pid}:`;
    const store = new RedisQuotaStore({ url: redis.url, prefix, commandTimeoutMs: SLOW_MACHINE_TIMEOUT_MS });
    const keys = async (): Promise<string[]> => ((await store.sendCommand('KEYS', `${prefix}*`)) as string[]).sort();
    try {
      // A refused request (its answer not a 200): reserved, then refunded. Nothing stays but the counter.
      assert.equal(await store.reserve('t', 5, 'refused'), true);
      assert.deepEqual(await keys(), [`${prefix}t`, `${prefix}ticket:refused`]);
      await store.refund('t', 'refused');
      assert.deepEqual(await keys(), [`${prefix}t`]);
      assert.equal(await store.used('t'), 0);
      // Released again (a resent release): no second unit given back, no unit taken.
      assert.equal(await store.reserve('t', 5, 'kept'), true);
      await store.refund('t', 'refused');
      assert.equal(await store.used('t'), 1);
      // A release that arrives before its reservation (the reservation's answer was lost): the tombstone
      // makes the late reservation a no-op, and stays until it expires.
      await store.refund('t', 'late');
      assert.equal(await store.reserve('t', 5, 'late'), false);
      assert.equal(await store.used('t'), 1);
      assert.equal(await store.sendCommand('GET', `${prefix}ticket:late`), 'released');
      assert.ok(Number(await store.sendCommand('TTL', `${prefix}ticket:late`)) > 0, 'the tombstone expires');
    } finally {
      await store.reset();
      await store.close();
    }
  });

  it('RedisQuotaStore shares one quota between two app instances', async function () {
    redis ??= await startRedisOrPending(this, 'the RedisQuotaStore tests');
    const prefix = `facelive-shared-${process.pid}:`;
    const storeA = new RedisQuotaStore({ url: redis.url, prefix, commandTimeoutMs: SLOW_MACHINE_TIMEOUT_MS });
    const storeB = new RedisQuotaStore({ url: redis.url, prefix, commandTimeoutMs: SLOW_MACHINE_TIMEOUT_MS });
    const testing: Credential = { appId: 't-shared', apiKey: 'k-shared', mode: 'testing', quota: 3 };
    try {
      const make = (store: QuotaStore): express.Express => {
        const app = express();
        app.use(PATH, faceLiveness({ engine, auth: { credentials: [testing] }, quota: store, metrics: false, ...UNBOUNDED }));
        return app;
      };
      const apps = [make(storeA), make(storeB)];
      const statuses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => request(apps[i % 2]).post(PATH).set(authHeaders(testing)).send({ image: face }).then((r) => r.status)),
      );
      assert.equal(statuses.filter((s) => s === 200).length, 3);
      assert.equal(statuses.filter((s) => s === 403).length, 7);
    } finally {
      await storeA.reset();
      await storeA.close();
      await storeB.close();
    }
  });
});
