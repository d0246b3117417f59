// Liveness and pose models in worker threads: the same scores as on the main thread, a worker that
// holds several models answering each run from the right one, a bad request refused without taking
// the worker down, the option checked and its default (no threads where the process may use one
// CPU), and a disposed engine's workers gone (its checks reject instead of hanging).

import assert from 'node:assert/strict';
import { createEngine, DEFAULT_PACK_DIR } from '../../core';
import type { Engine } from '../../core/engine-types';
import { readPack } from '../../core/models/manifest';
import { createRegistry } from '../../core/models/registry';
import { usableCpuCount } from '../../core/cpu-count';
import { withCpuQuota } from '../helpers/cpu-quota';
import { selfieJpeg } from '../helpers/faces';
import { workerThreadsStartedBy } from '../helpers/worker-threads';

describe('engine: liveness and pose in worker threads', function () {
  this.timeout(120_000);
  let threaded: Engine;
  let single: Engine;

  before(async () => {
    [threaded, single] = await Promise.all([createEngine({ workerThreads: true }), createEngine({ workerThreads: false })]);
  });

  after(async () => {
    await Promise.all([threaded?.dispose(), single?.dispose()]);
  });

  it('scores every selfie exactly as the main thread does, and runs checks concurrently', async () => {
    for (const name of ['frontal', 'right', 'downward'] as const) {
      const jpeg = await selfieJpeg(name, 640, 480);
      const [a, b, c] = await Promise.all([threaded.check(jpeg), threaded.check(jpeg), single.check(jpeg)]);
      assert.deepEqual(a.data.liveness, c.data.liveness, name);
      assert.deepEqual(b.data.liveness, c.data.liveness, name);
      assert.deepEqual(a.data.quality, c.data.quality, name);
    }
  });

  it('a worker holding several models runs each request on its own model, in any interleaving', async () => {
    const pack = readPack(DEFAULT_PACK_DIR);
    const keys = ['liveness', 'liveness_v1se', 'pose'];
    const [shared, main] = await Promise.all([createRegistry(pack, { workers: [keys] }), createRegistry(pack)]);
    try {
      let seed = 7;
      const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 255;
      const inputs = keys.flatMap((key) => [0, 1].map(() => {
        const { width, height } = pack.manifest.models[key]!.input;
        return { key, data: Float32Array.from({ length: 3 * width * height }, random) };
      }));
      // Requests to the shared worker go out together, alternating between its models.
      const fromWorker = await Promise.all(inputs.map(({ key, data }) => shared.get(key).run(data.slice())));
      for (const [i, { key, data }] of inputs.entries()) {
        const expected = await main.get(key).run(data.slice());
        assert.deepEqual(Object.keys(fromWorker[i]!).sort(), Object.keys(expected).sort(), key);
        for (const name of Object.keys(expected)) assert.deepEqual(fromWorker[i]![name]!.data, expected[name]!.data, `${key} ${name}`);
      }
    } finally {
      await Promise.all([shared.dispose(), main.dispose()]);
    }
  });

  it('a worker refuses a bad request and goes on answering the good ones', async () => {
    const registry = await createRegistry(readPack(DEFAULT_PACK_DIR), { workers: [['liveness']] });
    try {
      const model = registry.get('liveness');
      // Ten values for an 80x80 input: onnxruntime throws while making the tensor.
      await assert.rejects(model.run(new Float32Array(10)), /size/);
      const outputs = await model.run(new Float32Array(3 * 80 * 80).fill(100));
      assert.deepEqual(outputs.output!.dims, [1, 3]);
    } finally {
      await registry.dispose();
    }
  });

  it('rejects a workerThreads that is not a boolean', async () => {
    await assert.rejects(createEngine({ workerThreads: 'yes' as unknown as boolean }), /workerThreads/);
  });

  it('starts the threads by default only where the process may use more than one CPU; a value given wins', async () => {
    /** The worker threads an engine created with `options` starts (the engine is disposed of). */
    const threadsOf = async (options?: { workerThreads?: boolean }): Promise<number> => {
      const { result: engine, started } = await workerThreadsStartedBy(() => createEngine(options));
      await engine.dispose();
      return started;
    };
    const sideModels = 4; // three liveness models and the pose model
    assert.equal(await threadsOf(), usableCpuCount() > 1 ? sideModels : 0, `${usableCpuCount()} CPUs here`);
    assert.equal(await threadsOf({ workerThreads: false }), 0);
    // A 1-CPU container, whatever the machine's CPU count.
    await withCpuQuota('100000 100000\n', async () => {
      assert.equal(await threadsOf(), 0, 'none under a quota of one CPU');
      assert.equal(await threadsOf({ workerThreads: true }), sideModels, 'true wins');
    });
  });

  it('a disposed engine rejects its checks', async () => {
    const engine = await createEngine({ workerThreads: true });
    await engine.dispose();
    await assert.rejects(engine.check(await selfieJpeg('frontal', 320, 240)));
  });
});
