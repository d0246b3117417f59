// The service under a process manager: as a node:cluster worker (PM2's cluster mode is
// node:cluster) it says at start-up what its generated pair and per-process counts mean, and exits
// when it cannot start; with an IPC channel it sends 'ready' once its engine is (PM2's wait_ready).
// Real workers forked from this process, and a child process with an IPC channel.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packWithoutModels } from '../helpers/broken-pack';
import { GENERATED_PAIR_NOTE, PER_PROCESS_LIMITS_WARNING, SHARED_METRICS_PORT_WARNING } from '../../examples/cluster-notes';

const BIN = path.join(__dirname, '..', '..', 'bin', 'facelive.js');
const LIVE = { appId: 'cluster-live', apiKey: 'cluster-live-key-0123', mode: 'live' };
const TESTING = { appId: 'cluster-testing', apiKey: 'cluster-testing-key-0123', mode: 'testing', quota: 100 };

interface Started {
  /** Standard output and standard error up to the line that says where it listens. */
  readonly stdout: string;
  readonly stderr: string;
}

/** Waits for the process's listening note on stderr, then stops it. */
function untilListening(stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream, stop: () => void, exited: Promise<unknown>): Promise<Started> {
  let out = '';
  let err = '';
  let listening = false;
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${out}${err}`)), 120_000);
    stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (!listening && /facelive: listening on http/.test(err)) {
        listening = true;
        clearTimeout(timer);
        stop();
        void exited.then(() => resolve({ stdout: out, stderr: err }));
      }
    });
    void exited.then(() => {
      if (!listening) reject(new Error(`exited before listening: ${out}${err}`));
    });
  });
}

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

  function worker(env: NodeJS.ProcessEnv): Promise<Started> {
    cluster.setupPrimary({ exec: BIN, args: ['serve'], silent: true });
    const forked: Worker = cluster.fork({ PORT: '0', ...env });
    const exited = new Promise((resolve) => forked.once('exit', resolve));
    return untilListening(forked.process.stdout!, forked.process.stderr!, () => forked.process.kill('SIGKILL'), exited);
  }

  function plainProcess(env: NodeJS.ProcessEnv): Promise<Started> {
    const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    return untilListening(child.stdout, child.stderr, () => child.kill('SIGKILL'), exited);
  }

  it("started with an IPC channel (PM2's wait_ready), it sends 'ready' once its engine is ready", async () => {
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, PORT: '0', FACELIVE_CONFIG: configFile('ready.json', { credentials: [LIVE] }) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    try {
      const message = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message: ${out}`)), 60_000);
        child.once('message', (received) => {
          clearTimeout(timer);
          resolve(received);
        });
        void exited.then(() => reject(new Error(`exited: ${out}`)));
      });
      assert.equal(message, 'ready');
      const port = Number(/"msg":"facelive listening","port":(\d+)/.exec(out)?.[1]);
      const ready = await fetch(`http://127.0.0.1:${port}/healthz/ready`);
      assert.equal(ready.status, 200, await ready.text());
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, out);
    }
  });

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

  it('a worker on a generated pair says that the other workers have pairs of their own', async () => {
    const { stderr } = await worker({ FACELIVE_CONFIG: '' });
    assert.match(stderr, /API-Key: /);
    assert.ok(stderr.includes(GENERATED_PAIR_NOTE), stderr);
  });

  it('a worker with a testing quota in the memory store warns that counts are per process', async () => {
    const { stdout, stderr } = await worker({ FACELIVE_CONFIG: configFile('testing.json', { credentials: [LIVE, TESTING] }) });
    const warning = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string })
      .find((entry) => entry.msg === PER_PROCESS_LIMITS_WARNING);
    assert.equal(warning?.level, 'warn', stdout);
    assert.ok(!stderr.includes(GENERATED_PAIR_NOTE));
  });

  it('a worker serving metrics on the shared port warns that scrapes reach the workers in turn; one with metricsPort does not', async () => {
    const shared = await worker({ FACELIVE_CONFIG: configFile('metrics-shared.json', { credentials: [LIVE], metrics: true }) });
    assert.ok(shared.stdout.includes(SHARED_METRICS_PORT_WARNING), shared.stdout);
    const own = await worker({ FACELIVE_CONFIG: configFile('metrics-own.json', { credentials: [LIVE], metrics: true, metricsPort: 0 }) });
    assert.ok(!own.stdout.includes(SHARED_METRICS_PORT_WARNING), own.stdout);
  });

  it('a worker whose credentials are all live, and a process that is no worker, say neither', async () => {
    const live = await worker({ FACELIVE_CONFIG: configFile('live.json', { credentials: [LIVE] }) });
    assert.ok(!live.stdout.includes(PER_PROCESS_LIMITS_WARNING), live.stdout);
    const single = await plainProcess({ FACELIVE_CONFIG: configFile('single.json', { credentials: [LIVE, TESTING] }) });
    assert.ok(!single.stdout.includes(PER_PROCESS_LIMITS_WARNING), single.stdout);
    const generated = await plainProcess({ FACELIVE_CONFIG: '' });
    assert.match(generated.stderr, /API-Key: /);
    assert.ok(!generated.stderr.includes(GENERATED_PAIR_NOTE), generated.stderr);
  });
});
