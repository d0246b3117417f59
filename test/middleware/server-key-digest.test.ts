// The service started on a config file that holds only the SHA-256 of its keys (apiKeySha256): it
// answers the keys' requests and refuses others, and a malformed digest stops it before it listens.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { selfieJpeg } from '../helpers/faces';
import { serveWithConfig, type StartedService } from '../helpers/service';

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

  const serve = (config: unknown): Promise<StartedService> => serveWithConfig(dir, config);

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
