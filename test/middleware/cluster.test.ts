// The service as a node:cluster worker (PM2's cluster mode is node:cluster): a worker that cannot
// start exits with status 1 and the reason, as a single process does. Real workers forked from
// this process.

import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packWithoutModels } from '../helpers/broken-pack';

const BIN = path.join(__dirname, '..', '..', 'bin', 'facelive.js');
const LIVE = { appId: 'cluster-live', apiKey: 'cluster-live-key-0123', mode: 'live' };

describe('the service as a cluster worker', function () {
  this.timeout(180_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-cluster-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function configFile(name: string, config: object): string {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  /** A worker that should fail to start: its exit status (null if still running after 60 s) and output. */
  async function failedWorker(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
    cluster.setupPrimary({ exec: BIN, args: ['serve'], silent: true });
    const forked = cluster.fork({ PORT: '0', ...env });
    let out = '';
    forked.process.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    forked.process.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => forked.once('exit', (status: number | null) => resolve(status)));
    const timer = setTimeout(() => forked.process.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    return { code, out };
  }

  it('a worker whose engine cannot load exits 1 with the reason', async () => {
    const broken = packWithoutModels();
    try {
      const { code, out } = await failedWorker({ FACELIVE_CONFIG: configFile('broken.json', { credentials: [LIVE], pack: broken.dir }) });
      assert.equal(code, 1, out);
      assert.match(out, /facelive: the engine failed to load: /);
    } finally {
      broken.remove();
    }
  });

  it('a worker with a bad configuration exits 1 with the reason (its IPC channel kept it running)', async () => {
    const { code, out } = await failedWorker({ FACELIVE_CONFIG: configFile('unknown-key.json', { credentials: [LIVE], nope: 1 }) });
    assert.equal(code, 1, out);
    assert.match(out, /facelive: FACELIVE_CONFIG has an unknown key "nope"/);
  });
});
