// The service's metricsPort: /metrics on a port of its own (plus NODE_APP_INSTANCE, one port per
// process of a cluster) and not on the API's port; bad values refused before anything starts.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metricsPortFor } from '../../examples/metrics-listener';
import { checkConfig } from '../../examples/service-config';
import { serveWithConfig } from '../helpers/service';

/** Waits for `read()` to return something, up to 10 s. */
async function eventually<T>(read: () => T | undefined): Promise<T> {
  for (let waited = 0; waited < 10_000; waited += 50) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out');
}

describe('facelive serve with metricsPort', function () {
  this.timeout(90_000);
  let dir = '';

  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-metrics-port-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves /metrics on its own port, and not on the API port', async () => {
    const service = await serveWithConfig(dir, { credentials: [{ appId: 'shop', apiKey: 'shop-key-7fQ2mLx0', mode: 'live' }], metricsPort: 0 });
    try {
      assert.ok(service.base !== undefined, `exited ${String(service.code)}: ${service.stderr}`);
      const port = await eventually(() => /"msg":"facelive metrics listening","port":(\d+)/.exec(service.stdout)?.[1]);
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^# HELP facelive_/m);
      const onApi = await fetch(`${service.base}/metrics`);
      assert.equal(onApi.status, 404);
    } finally {
      await service.stop();
    }
  });

  it('adds the process\'s instance number (NODE_APP_INSTANCE) to the port', () => {
    assert.equal(metricsPortFor(9400, {}), 9400);
    assert.equal(metricsPortFor(9400, { NODE_APP_INSTANCE: '0' }), 9400);
    assert.equal(metricsPortFor(9400, { NODE_APP_INSTANCE: '3' }), 9403);
    assert.equal(metricsPortFor(0, { NODE_APP_INSTANCE: '3' }), 0, 'any free port stays any free port');
    assert.throws(() => metricsPortFor(9400, { NODE_APP_INSTANCE: 'one' }), /NODE_APP_INSTANCE must be a whole number/);
    assert.throws(() => metricsPortFor(65535, { NODE_APP_INSTANCE: '1' }), /past the last port/);
  });

  it('refuses a metricsPort that is not a port, or with metrics false', () => {
    assert.throws(() => checkConfig({ metricsPort: 70000 }), /metricsPort must be a port number/);
    assert.throws(() => checkConfig({ metricsPort: '9400' }), /metricsPort must be a non-negative integer/);
    assert.throws(() => checkConfig({ metricsPort: 9400, metrics: false }), /metricsPort serves the metrics that config\.metrics false turns off/);
  });
});
