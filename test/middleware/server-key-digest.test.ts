// The service started on a config file that holds only the SHA-256 of its keys (apiKeySha256): it
// answers the keys' requests and refuses others, and a malformed digest stops it before it listens.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { selfieJpeg } from '../helpers/faces';

const FACELIVE_JS = path.join(__dirname, '..', '..', 'bin', 'facelive.js');
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

const SHOP_KEY = 'shop-key-7fQ2mLx0';
const TRIAL_KEY = 'trial-key-Pw3nR8sd';

describe('facelive serve with digest credentials', function () {
  this.timeout(90_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-digest-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `facelive serve` on `config`: its URL once it listens, or its exit status and output if it stops first. */
  function serve(config: unknown): Promise<{ base?: string; code?: number | null; stdout: string; stderr: string; stop: () => Promise<void> }> {
    const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(config));
    const child = spawn(process.execPath, [FACELIVE_JS, 'serve'], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FACELIVE_CONFIG: file }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`neither listening nor stopped: ${stdout}${stderr}`));
      }, 60_000);
      const check = (): void => {
        const match = /"msg":"facelive listening","port":(\d+)/.exec(stdout);
        if (match !== null && stderr.includes('API:')) {
          clearTimeout(timer);
          resolve({ base: `http://127.0.0.1:${match[1]}`, stdout, stderr, stop });
        }
      };
      child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), check()));
      child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), check()));
      void exited.then((code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, stop });
      });
    });
  }

  it('answers 200 to the keys whose digests it holds (either case) and 401 to any other key', async () => {
    const face = (await selfieJpeg('right', 320, 240)).toString('base64');
    const service = await serve({ credentials: [
      { appId: 'shop', apiKeySha256: sha256(SHOP_KEY), mode: 'live' },
      { appId: 'trial', apiKeySha256: sha256(TRIAL_KEY).toUpperCase(), mode: 'testing', quota: 1 },
    ] });
    try {
      assert.ok(service.base !== undefined, `exited ${String(service.code)}: ${service.stderr}`);
      // Configured credentials: no generated development pair is printed.
      assert.doesNotMatch(service.stderr, /API-Key:/);
      const post = async (appId: string, apiKey: string): Promise<{ status: number; code: unknown }> => {
        const res = await fetch(`${service.base}/v1/face/liveness`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'App-ID': appId, 'API-Key': apiKey },
          body: JSON.stringify({ image: face }),
        });
        return { status: res.status, code: ((await res.json()) as { error_code: unknown }).error_code };
      };
      assert.deepEqual(await post('shop', SHOP_KEY), { status: 200, code: null });
      assert.deepEqual(await post('trial', TRIAL_KEY), { status: 200, code: null });
      assert.deepEqual(await post('trial', TRIAL_KEY), { status: 403, code: 'INSUFFICIENT_QUOTA_LIVENESS' }, 'the quota of 1 is spent');
      for (const [appId, apiKey] of [['shop', TRIAL_KEY], ['shop', sha256(SHOP_KEY)], ['trial', `${TRIAL_KEY}x`], ['nobody', SHOP_KEY]]) {
        assert.deepEqual(await post(appId, apiKey), { status: 401, code: 'UNAUTHORIZED' }, `${appId} with a wrong key`);
      }
    } finally {
      await service.stop();
    }
  });

  it('exits 1 before it listens on a malformed digest, naming the credential and not the digest', async () => {
    const short = sha256(SHOP_KEY).slice(2);
    const service = await serve({ credentials: [{ appId: 'shop', apiKeySha256: sha256(SHOP_KEY), mode: 'live' }, { appId: 'trial', apiKeySha256: short, mode: 'live' }] });
    await service.stop();
    assert.equal(service.code, 1, `${service.stdout}${service.stderr}`);
    assert.match(service.stderr, /credentials\[1\]\.apiKeySha256 \(App-ID "trial"\) but it has 62 hex digits/);
    assert.ok(!service.stderr.includes(short.slice(0, 16)), service.stderr);
    assert.doesNotMatch(service.stdout, /facelive listening/);
  });
});
