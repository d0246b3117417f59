// Liveness models in a worker thread: the same scores as on the main thread, the option checked,
// and a disposed engine's worker gone (its checks reject instead of hanging).

import assert from 'node:assert/strict';
import { createEngine } from '../../core';
import type { Engine } from '../../core/engine-types';
import { selfieJpeg } from '../helpers/faces';

describe('engine: liveness in a worker thread', function () {
  this.timeout(120_000);
  let threaded: Engine;
  let single: Engine;

  before(async () => {
    [threaded, single] = await Promise.all([createEngine(), createEngine({ workerThreads: false })]);
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

  it('rejects a workerThreads that is not a boolean', async () => {
    await assert.rejects(createEngine({ workerThreads: 'yes' as unknown as boolean }), /workerThreads/);
  });

  it('a disposed engine rejects its checks', async () => {
    const engine = await createEngine();
    await engine.dispose();
    await assert.rejects(engine.check(await selfieJpeg('frontal', 320, 240)));
  });
});
