// A model worker thread that exits unasked: the engine says so (failure()), its checks fail at once
// with INTERNAL_SERVER_ERROR instead of waiting for an answer that will not come, the engine is then
// disposed without taking the process down, and the service's /healthz and /healthz/ready answer 503
// so that an orchestrator restarts it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import workerThreads from 'node:worker_threads';
import request from 'supertest';
import { createEngine, FaceliveError } from '../../core';
import { createApp } from '../../examples/server';
import { selfieJpeg } from '../helpers/faces';

/** Creates an engine while recording the worker threads it starts (`onStart` sees each as it is made). */
async function engineWithWorkers(onStart?: (worker: workerThreads.Worker, index: number) => void): Promise<{ engine: Awaited<ReturnType<typeof createEngine>>; workers: workerThreads.Worker[] }> {
  const workers: workerThreads.Worker[] = [];
  const Original = workerThreads.Worker;
  class Recorded extends Original {
    constructor(...args: ConstructorParameters<typeof Original>) {
      super(...args);
      workers.push(this);
      onStart?.(this, workers.length - 1);
    }
  }
  (workerThreads as { Worker: typeof Original }).Worker = Recorded;
  try {
    return { engine: await createEngine({ workerThreads: true }), workers };
  } finally {
    (workerThreads as { Worker: typeof Original }).Worker = Original;
  }
}

/** Engines the dispose test fails and disposes: without the fix, about two in three of them abort the process. */
const ENGINES_TRIED = 8;

describe('engine: a model worker thread that exits', function () {
  this.timeout(60_000);

  it('is reported by failure() and fails checks at once; a disposed engine reports nothing', async () => {
    const { engine, workers } = await engineWithWorkers();
    try {
      const jpeg = await selfieJpeg('frontal', 320, 240);
      await engine.check(jpeg);
      assert.equal(engine.failure(), undefined);
      assert.equal(workers.length, 4, 'three liveness models and the pose model, a thread each');
      await workers[0]!.terminate();
      assert.match(engine.failure() ?? '', /exited/);
      const started = Date.now();
      await assert.rejects(engine.check(jpeg), (err: unknown) => err instanceof FaceliveError && err.code === 'INTERNAL_SERVER_ERROR');
      assert.ok(Date.now() - started < 5_000, 'the check failed at once');
      // Checks that need only the models still running go on.
      const { data } = await engine.check(jpeg, { is_liveness: false, is_quality: false });
      assert.equal(data.nface, 1);
    } finally {
      await engine.dispose();
    }
    assert.equal(engine.failure(), undefined);
  });

  it('dispose() right after a check that failed while its other models still ran: the process lives on', () => {
    // In a child process, since the failure this guards against aborts the whole process (SIGABRT):
    // the failed check can leave model runs in the other threads (it fails as soon as one liveness
    // model refuses), and ending a thread while onnxruntime runs a model in it is fatal. Whether runs
    // are left depends on how fast each thread is, so the child tries several engines.
    const core = path.join(__dirname, '..', '..', 'core');
    const faces = path.join(__dirname, '..', 'helpers', 'faces');
    const script = `
      const workerThreads = require('node:worker_threads');
      let workers = [];
      const Original = workerThreads.Worker;
      workerThreads.Worker = class extends Original { constructor(...args) { super(...args); workers.push(this); } };
      const { createEngine } = require(${JSON.stringify(core)});
      const { selfieJpeg } = require(${JSON.stringify(faces)});
      const livenessOnly = { is_liveness: true, is_quality: false, is_attribute: false };
      (async () => {
        const jpeg = await selfieJpeg('frontal', 320, 240);
        const codes = new Set();
        for (let round = 0; round < ${ENGINES_TRIED}; round++) {
          workers = [];
          const engine = await createEngine({ workerThreads: true });
          await engine.check(jpeg, livenessOnly);
          await workers[0].terminate();
          codes.add(await engine.check(jpeg, livenessOnly).then(() => 'PASS', (err) => err.code));
          await engine.dispose();
        }
        process.stdout.write(JSON.stringify({ codes: [...codes], disposed: true }));
      })();`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(child.signal, null, `the process was ended by ${child.signal}: ${child.stderr.slice(-300)}`);
    assert.equal(child.status, 0, child.stderr.slice(-300));
    assert.deepEqual(JSON.parse(child.stdout), { codes: ['INTERNAL_SERVER_ERROR'], disposed: true });
  });

  it('that exits while loading its models: createEngine still settles, and the models run on the main thread', async () => {
    // Terminated before it could say 'ready', and without an 'error' event: createEngine used to wait forever.
    const { engine, workers } = await engineWithWorkers((worker, index) => {
      if (index === 0) void worker.terminate();
    });
    try {
      assert.equal(workers.length, 4);
      const { data } = await engine.check(await selfieJpeg('frontal', 320, 240));
      assert.equal(typeof data.liveness?.probability, 'number');
      assert.equal(engine.failure(), undefined);
    } finally {
      await engine.dispose();
    }
  });

  it('dispose() called twice: both calls resolve only once every worker thread has exited', async () => {
    const { engine, workers } = await engineWithWorkers();
    const exited = workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    let exitedCount = 0;
    for (const one of exited) void one.then(() => exitedCount++);
    const running = engine.check(await selfieJpeg('frontal', 320, 240));
    const first = engine.dispose();
    await engine.dispose();
    assert.equal(exitedCount, workers.length, 'the second dispose() resolved before the threads were released');
    await first;
    assert.equal((await running).data.nface, 1, 'the running check finished');
  });

  it("turns the service's /healthz and /healthz/ready to 503 with the reason", async () => {
    const { engine, workers } = await engineWithWorkers();
    const app = createApp({ engine });
    try {
      await app.liveness.ready();
      assert.equal((await request(app.app).get('/healthz')).status, 200);
      await workers[workers.length - 1]!.terminate();
      const health = await request(app.app).get('/healthz');
      assert.equal(health.status, 503);
      assert.equal(health.body.engine, 'failed');
      assert.match(health.body.reason, /exited/);
      const ready = await request(app.app).get('/healthz/ready');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.engine, 'failed');
    } finally {
      await app.close();
      await engine.dispose();
    }
  });
});
