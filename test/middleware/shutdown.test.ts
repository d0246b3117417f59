// Graceful shutdown of the service process (SIGTERM, SIGINT): it stops accepting connections,
// finishes the running check, answers the queued ones 503 SERVICE_UNAVAILABLE with Retry-After,
// closes its Redis connection and exits 0. And FaceliveApp.close() neither rejects when the engine
// failed to load nor leaves the Redis connection open.

import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { createApp } from '../../examples/server';
import type { Credential } from '../../middleware';
import { type BrokenPack, packWithoutModels } from '../helpers/broken-pack';
import { selfieJpeg } from '../helpers/faces';
import { startRedisOrPending, type RedisServer } from '../helpers/redis';
import { authHeaders, listen, type Listening } from '../helpers/server';

const SERVER = path.join(__dirname, '..', '..', 'examples', 'server.js');
const LIVE: Credential = { appId: 'shutdown-live', apiKey: 'shutdown-key-0123456789', mode: 'live' };

/** Clients connected to redis-server other than the asking one. */
async function otherClients(url: string): Promise<number> {
  const probe = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const list = (await probe.call('CLIENT', 'LIST')) as string;
    return list.trim().split('\n').filter((line) => line.length > 0).length - 1;
  } finally {
    probe.disconnect();
  }
}

/** A GET on a new connection (fetch would reuse a kept-alive one). */
function freshGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
  });
}

interface Answer {
  readonly status: number;
  readonly code: string | null;
  readonly retryAfter: string | null;
}

describe('graceful shutdown', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let dir: string;
  let jpeg: Buffer;
  let images: Listening;
  let held: http.ServerResponse[];
  let brokenPack: BrokenPack | undefined;

  before(async function () {
    redis = await startRedisOrPending(this, 'the shutdown tests');
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-shutdown-'));
    brokenPack = packWithoutModels();
    jpeg = await selfieJpeg('frontal', 160, 120);
    held = [];
    images = await listen((req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url === '/held') held.push(res);
      else res.end(jpeg);
    });
  });

  after(async () => {
    for (const res of held.splice(0)) res.destroy();
    await images.close();
    await redis.destroy();
    rmSync(dir, { recursive: true, force: true });
    brokenPack?.remove();
  });

  async function startService(): Promise<{ child: ChildProcess; base: string; output: () => string }> {
    const config = path.join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ credentials: [LIVE], quotaStore: 'redis', redisUrl: redis.url, allowPrivateNetwork: true, maxInFlight: 1, maxQueue: 2, queueTimeoutMs: 30_000, shutdownTimeoutMs: 20_000 }),
    );
    const child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0', FACELIVE_CONFIG: config }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 60_000);
      child.stdout?.on('data', () => {
        const match = /"msg":"facelive listening","port":(\d+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${out}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 600; i += 1) {
      if ((await fetch(`${base}/healthz/ready`)).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { child, base, output: () => out };
  }

  async function post(base: string, image: string): Promise<Answer> {
    const res = await fetch(`${base}/v1/face/liveness`, { method: 'POST', headers: { ...authHeaders(LIVE), 'Content-Type': 'application/json' }, body: JSON.stringify({ image }) });
    const body = (await res.json()) as { error_code: string | null };
    return { status: res.status, code: body.error_code, retryAfter: res.headers.get('retry-after') };
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: the request under way finishes, new connections are refused, Redis is closed, exit 0`, async () => {
      const { child, base, output } = await startService();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        assert.equal((await fetch(`${base}/healthz/ready`)).status, 200);
        assert.ok((await otherClients(redis.url)) >= 1, 'the service holds a Redis connection');
        // Its URL image arrives only when the test says: the request is under way when the signal comes.
        // (Queued requests answered 503 on shutdown: back-pressure tests, close().)
        const running = post(base, `${images.url}/held`);
        for (let i = 0; i < 300 && held.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(held.length, 1, 'the first request is under way');
        child.kill(signal);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await assert.rejects(freshGet(`${base}/healthz`), /ECONNREFUSED/, 'no new connections once shutting down');
        for (const res of held.splice(0)) res.end(jpeg);
        const finished = await running;
        assert.equal(finished.status, 200, 'the request under way got its answer');
        assert.equal(await exited, 0);
        assert.match(output(), /"msg":"facelive shutting down"/);
        assert.match(output(), /"msg":"facelive stopped"/);
        assert.equal(await otherClients(redis.url), 0, 'the Redis connection was closed');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }

  it('a second SIGTERM while draining is logged and ignored: the request under way still gets 200, exit 0', async () => {
    const { child, base, output } = await startService();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      const running = post(base, `${images.url}/held`);
      for (let i = 0; i < 300 && held.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(held.length, 1, 'the request is under way');
      child.kill('SIGTERM');
      for (let i = 0; i < 100 && !/"msg":"facelive shutting down"/.test(output()); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      // A supervisor that repeats itself (with process.once, Node's default action ended the process here).
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual({ code: child.exitCode, signal: child.signalCode }, { code: null, signal: null }, 'still draining');
      assert.match(output(), /"msg":"facelive already shutting down; signal ignored","signal":"SIGTERM"/);
      for (const res of held.splice(0)) res.end(jpeg);
      assert.equal((await running).status, 200, 'the request under way got its answer');
      assert.deepEqual(await exited, { code: 0, signal: null });
      assert.match(output(), /"msg":"facelive stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('a second SIGINT (Ctrl-C twice) exits at once with status 130 and a log line, without waiting for the check', async () => {
    const { child, base, output } = await startService();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      const running = post(base, `${images.url}/held`).catch((err: unknown) => err);
      for (let i = 0; i < 300 && held.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(held.length, 1, 'the request is under way');
      child.kill('SIGINT');
      for (let i = 0; i < 100 && !/"msg":"facelive shutting down"/.test(output()); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      child.kill('SIGINT');
      assert.deepEqual(await exited, { code: 130, signal: null });
      assert.match(output(), /"msg":"facelive stopped at once on a second SIGINT[^"]*","signal":"SIGINT"/);
      await running;
    } finally {
      for (const res of held.splice(0)) res.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('FaceliveApp.close() resolves when the engine failed to load, and closes the Redis connection', async () => {
    const handle = createApp({ pack: brokenPack!.dir, credentials: [LIVE], quotaStore: 'redis', redisUrl: redis.url, logger: () => undefined });
    await assert.rejects(handle.liveness.ready());
    for (let i = 0; i < 100 && (await otherClients(redis.url)) === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await otherClients(redis.url), 1, 'connected');
    await handle.close();
    assert.equal(await otherClients(redis.url), 0, 'closed');
    await handle.close();
  });

  it('FaceliveApp.close() resolves while Redis is down', async function () {
    const down = await startRedisOrPending(this, 'the shutdown tests');
    let handle;
    try {
      handle = createApp({ pack: brokenPack!.dir, credentials: [LIVE], quotaStore: 'redis', redisUrl: down.url, logger: () => undefined });
    } finally {
      // Stopped whatever createApp did: a redis-server left running would outlive the test run.
      await down.destroy();
    }
    await handle.close();
  });

  it('a stop signal sent while it starts (its config still being read) is handled, not left to the default action that PID 1 does not have: it stops, exit 0', async function () {
    const fifoDir = mkdtempSync(path.join(os.tmpdir(), 'facelive-start-'));
    const fifo = path.join(fifoDir, 'config.json');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'facelive.js'), 'serve'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FACELIVE_CONFIG: fifo },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    let writer: number | undefined;
    try {
      // A writer can open the FIFO only once the service has opened it to read its config: it is then
      // past loading its modules, and stays in that read until the config is written.
      for (let i = 0; i < 600 && writer === undefined; i += 1) {
        try {
          writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      assert.ok(writer !== undefined, 'the service opened its config');
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
      try {
        writeSync(writer, '{}');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err; // it has ended: the assertion below says how
      }
      closeSync(writer);
      writer = undefined;
      // Without a handler installed that early, the signal's default action would have ended it (no
      // status, signal SIGTERM); as PID 1 the kernel would have dropped the signal and it would have
      // gone on serving. With one, the signal waits for the loop, whose handler then stops the service.
      assert.deepEqual(await exited, [0, null]);
      assert.match(stdout, /"msg":"facelive shutting down","signal":"SIGTERM"/);
    } finally {
      if (writer !== undefined) closeSync(writer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(fifoDir, { recursive: true, force: true });
    }
  });

  it('until the graceful shutdown is in place, a stop signal exits at once with the status its default action gives', async function () {
    const script = `const s = require(${JSON.stringify(path.join(__dirname, '..', '..', 'examples', 'early-signals.js'))}); s.exitOnStopSignals(); s.exitOnStopSignals(); process.stdout.write('held'); setTimeout(() => process.exit(5), 20000);`;
    for (const [signal, status] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, sig) => resolve([code, sig])));
      child.kill(signal);
      assert.deepEqual(await exited, [status, null]);
      assert.match(stderr, new RegExp(`stopped by ${signal} while starting`));
    }
  });
});
