// Redis outages under traffic, against a real redis-server this file starts, stops, restarts and
// pauses (SIGSTOP/SIGCONT on its own PID): testing-mode requests get 503 SERVICE_UNAVAILABLE with
// Retry-After within the command timeout (no hang), live-mode requests keep working, /healthz/ready follows the store, the state
// change is logged once each way, ioredis prints nothing, and quota is exact after recovery.

import assert from 'node:assert/strict';
import type { Engine } from '../../core/engine-types';
import { createApp, type FaceliveApp } from '../../examples/server';
import type { Credential, LogEntry, RedisQuotaStore } from '../../middleware';
import { landscapeJpeg, selfieJpeg } from '../helpers/faces';
import { startRedisOrPending, type RedisServer } from '../helpers/redis';
import { authHeaders, listen, type Listening, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
const TESTING: Credential = { appId: 'outage-testing', apiKey: 'outage-key-0123456789', mode: 'testing', quota: 100_000 };

interface Answer {
  readonly credential: 'testing' | 'live';
  readonly image: 'face' | 'noFace';
  readonly status: number;
  readonly code: string | null;
  readonly retryAfter: string | null;
  readonly ms: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('Redis outage under traffic (quotaStore "redis")', function () {
  this.timeout(120_000);
  let engine: Engine;
  let face: string;
  let noFace: string;
  let redis: RedisServer;
  let handle: FaceliveApp;
  let server: Listening;
  let logs: LogEntry[];
  let consoleErrors: string[];
  const originalConsoleError = console.error;

  before(async () => {
    engine = await sharedEngine();
    face = (await selfieJpeg('right', 160, 120)).toString('base64');
    noFace = (await landscapeJpeg(160, 120)).toString('base64');
  });

  beforeEach(async function () {
    redis = await startRedisOrPending(this, 'the Redis outage tests', { persistent: true });
    logs = [];
    consoleErrors = [];
    console.error = (...args: unknown[]) => {
      consoleErrors.push(args.map(String).join(' '));
    };
    handle = createApp({
      engine,
      credentials: [TESTING, LIVE],
      quotaStore: 'redis',
      redisUrl: redis.url,
      redisCommandTimeoutMs: 800,
      maxInFlight: 2,
      maxQueue: 16,
      queueTimeoutMs: 10_000,
      logger: (entry) => logs.push(entry),
    });
    server = await listen(handle.app);
  });

  afterEach(async () => {
    console.error = originalConsoleError;
    await server.close();
    await handle.close();
    await redis.destroy();
  });

  async function post(credential: 'testing' | 'live', image: 'face' | 'noFace'): Promise<Answer> {
    const started = Date.now();
    const res = await fetch(`${server.url}${PATH}`, {
      method: 'POST',
      headers: { ...authHeaders(credential === 'testing' ? TESTING : LIVE), 'Content-Type': 'application/json' },
      body: JSON.stringify({ image: image === 'face' ? face : noFace }),
    });
    const body = (await res.json()) as { error_code: string | null };
    return { credential, image, status: res.status, code: body.error_code, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
  }

  /** Three workers posting until stopped: testing face, testing no-face, live face. */
  function traffic(): { answers: Answer[]; stop(): Promise<void> } {
    const answers: Answer[] = [];
    let running = true;
    const worker = async (credential: 'testing' | 'live', image: 'face' | 'noFace'): Promise<void> => {
      while (running) answers.push(await post(credential, image));
    };
    const workers = [worker('testing', 'face'), worker('testing', 'noFace'), worker('live', 'face')];
    return {
      answers,
      stop: async () => {
        running = false;
        await Promise.all(workers);
      },
    };
  }

  async function readiness(): Promise<{ status: number; available: boolean }> {
    const res = await fetch(`${server.url}/healthz/ready`);
    const body = (await res.json()) as { quota_store: { available: boolean } };
    return { status: res.status, available: body.quota_store.available };
  }

  function checkAnswers(answers: readonly Answer[]): void {
    assert.ok(answers.length > 10, `only ${answers.length} answers`);
    for (const answer of answers) {
      assert.notEqual(answer.status, 500, JSON.stringify(answer));
      if (answer.status === 503) {
        // Bounded by the command timeout, not the client's retries (generous: the machine may be busy).
        assert.ok(answer.ms < 3000, `a 503 took ${answer.ms} ms: ${JSON.stringify(answer)}`);
        assert.equal(answer.code, 'SERVICE_UNAVAILABLE');
        assert.ok(Number(answer.retryAfter) >= 1, 'Retry-After on every 503');
      }
      if (answer.credential === 'live') assert.equal(answer.status, 200, 'live credentials never need the store');
      if (answer.image === 'noFace') assert.ok(answer.status === 400 || answer.status === 503, JSON.stringify(answer));
    }
  }

  async function assertExactQuota(answers: readonly Answer[]): Promise<void> {
    const store = handle.quota as RedisQuotaStore;
    await waitFor(async () => store.status === 'up' && store.pendingReleases === 0, 10_000);
    const charged = answers.filter((a) => a.credential === 'testing' && a.status === 200).length;
    assert.equal(await store.used(TESTING.appId), charged, 'one unit per answer of 200, none for the rest');
  }

  function assertLoggedOncePerChange(): void {
    // One line per change: down, up (again for any extra blip a loaded machine may cause), never twice in a row.
    const changes = logs.filter((entry) => entry.msg.startsWith('quota store')).map((entry) => entry.msg);
    assert.ok(changes.length >= 2, JSON.stringify(changes));
    changes.forEach((msg, i) => assert.equal(msg, i % 2 === 0 ? 'quota store unreachable' : 'quota store reachable again', JSON.stringify(changes)));
    assert.equal(changes.length % 2, 0, 'back up at the end');
    assert.deepEqual(
      consoleErrors.filter((line) => /ioredis/i.test(line)),
      [],
    );
  }

  it('redis-server stopped and started again: 503 + Retry-After for testing mode, live unaffected, quota exact', async () => {
    assert.equal((await readiness()).status, 200);
    const load = traffic();
    await sleep(1500);
    await redis.stop();
    await sleep(2500);
    const during = await readiness();
    assert.deepEqual(during, { status: 503, available: false });
    await redis.start();
    await waitFor(async () => (await readiness()).status === 200, 10_000);
    await sleep(1000);
    await load.stop();

    checkAnswers(load.answers);
    const unavailable = load.answers.filter((a) => a.status === 503);
    assert.ok(unavailable.length > 0, 'some testing requests met the outage');
    assert.ok(load.answers.some((a) => a.credential === 'testing' && a.status === 200), 'testing traffic worked before and after');
    await assertExactQuota(load.answers);
    assertLoggedOncePerChange();
  });

  it('redis-server paused (no answer, connection open): 503 within the command timeout, quota exact after it resumes', async () => {
    const load = traffic();
    await sleep(1500);
    redis.pause();
    try {
      await sleep(2500);
      const during = await readiness();
      assert.deepEqual(during, { status: 503, available: false });
    } finally {
      redis.resume();
    }
    await waitFor(async () => (await readiness()).status === 200, 10_000);
    await sleep(1000);
    await load.stop();

    checkAnswers(load.answers);
    assert.ok(load.answers.some((a) => a.status === 503), 'some testing requests met the pause');
    await assertExactQuota(load.answers);
    assertLoggedOncePerChange();
  });
});

describe('Redis unreachable from the start (quotaStore "redis")', function () {
  this.timeout(60_000);

  it('answers every request (live 200, testing 503) and leaves no rejection unhandled, through repeated script loads', async () => {
    const engine = await sharedEngine();
    const face = (await selfieJpeg('right', 160, 120)).toString('base64');
    // A port nothing listens on: every Redis command and script load fails from the first one.
    const nowhere = await listen((_req: unknown, res: { end(): void }) => res.end());
    const port = new URL(nowhere.url).port;
    await nowhere.close();
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => {
      unhandled.push(reason);
    };
    const warnings: string[] = [];
    const warned = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('unhandledRejection', record);
    process.on('warning', warned);
    // Room for each round's three live checks at once: the default places follow the CPUs (one in
    // flight and one queued on one CPU), where the third would be refused at capacity.
    const handle = createApp({
      engine, credentials: [TESTING, LIVE], quotaStore: 'redis', redisUrl: `redis://127.0.0.1:${port}`,
      redisCommandTimeoutMs: 300, maxInFlight: 2, maxQueue: 16, queueTimeoutMs: 10_000, logger: () => undefined,
    });
    const server = await listen(handle.app);
    try {
      for (let round = 0; round < 3; round += 1) {
        // Sent together: commands that wait for the first connection share one wait.
        const answers = await Promise.all([LIVE, TESTING, LIVE, TESTING, LIVE, TESTING].map((credential) => fetch(`${server.url}${PATH}`, {
          method: 'POST',
          headers: { ...authHeaders(credential), 'Content-Type': 'application/json' },
          body: JSON.stringify({ image: face }),
        }).then(async (res) => [credential.mode, res.status, ((await res.json()) as { message: string }).message] as const)));
        for (const [mode, status, message] of answers) {
          assert.equal(status, mode === 'live' ? 200 : 503, `${mode}, round ${round}: ${message}`);
          // Refused for the store, not for want of a place.
          if (mode === 'testing') assert.match(message, /quota store is unreachable/, `round ${round}`);
        }
      }
      await sleep(200);
      assert.deepEqual(unhandled.map(String), []);
      assert.deepEqual(warnings.filter((name) => name === 'MaxListenersExceededWarning'), [], 'no pile of listeners on the connection');
    } finally {
      process.off('unhandledRejection', record);
      process.off('warning', warned);
      await server.close();
      await handle.close();
    }
  });
});
