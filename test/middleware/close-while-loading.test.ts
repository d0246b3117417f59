// close() on a middleware whose engine is still loading (its models, then its warm-up): it waits
// for the load only within its timeoutMs, and the engine is disposed of once it has loaded. And the
// service stopped during its start-up exits within shutdownTimeoutMs, not after the warm-up.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogEntry } from '../../middleware/options';
import { FaceliveError } from '../../core';
import { faceLiveness } from '../../middleware';
import { selfieJpeg } from '../helpers/faces';

const SERVER = path.join(__dirname, '..', '..', 'examples', 'server.js');

describe('close() while the engine is loading', function () {
  this.timeout(120_000);

  it('resolves within its timeoutMs, before the engine has loaded, and the engine is disposed of once it has', async () => {
    const entries: LogEntry[] = [];
    const order: string[] = [];
    const router = faceLiveness({ engineOptions: { workerThreads: true }, auth: false, metrics: false, logger: (entry) => entries.push(entry) });
    const loaded = router.ready().then((engine) => {
      order.push('engine loaded');
      return engine;
    });
    await router.close({ timeoutMs: 0 });
    order.push('close resolved');
    const engine = await loaded;
    assert.deepEqual(order, ['close resolved', 'engine loaded'], 'close() did not wait for the load and warm-up');
    assert.ok(entries.some((e) => e.msg === 'engine still loading at shutdown; disposed of once loaded'), 'logged');
    // Disposed of as soon as it loaded: a check is refused as on any disposed engine.
    await assert.rejects(engine.check(await selfieJpeg('frontal', 160, 120)), (err: FaceliveError) => err.code === 'SERVICE_UNAVAILABLE');
  });

  it('waits for an engine that loads within timeoutMs and disposes of it before resolving', async () => {
    const router = faceLiveness({ engineOptions: {}, auth: false, metrics: false, logger: () => undefined });
    const loaded = router.ready();
    await router.close({ timeoutMs: 60_000 });
    const engine = await loaded;
    await assert.rejects(engine.check(await selfieJpeg('frontal', 160, 120)), (err: FaceliveError) => err.code === 'SERVICE_UNAVAILABLE');
  });

  it('the service stopped by SIGTERM as it starts exits 0 within shutdownTimeoutMs, without waiting for the warm-up', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-close-loading-'));
    try {
      const config = path.join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ shutdownTimeoutMs: 100 }));
      const child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FACELIVE_CONFIG: config }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 60_000);
        child.stdout.on('data', () => {
          if (!out.includes('"msg":"facelive listening"')) return;
          clearTimeout(timer);
          resolve();
        });
      });
      child.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      const messages = [...out.matchAll(/"msg":"([^"]*)"/g)].map((m) => m[1]);
      assert.deepEqual(messages, ['facelive listening', 'facelive shutting down', 'engine still loading at shutdown; disposed of once loaded', 'facelive stopped'], out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
