// `facelive serve --check`: the configuration tried as the service would start on it, then exit
// without listening: 0 and one sentence for a file it would start on; 1 and the reason for one it
// would refuse, a threshold calibrated on another pack included (found only once the pack is loaded).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FACELIVE_JS = path.join(__dirname, '..', '..', 'bin', 'facelive.js');

describe('facelive serve --check', function () {
  this.timeout(90_000);
  let dir = '';

  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-check-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  function check(config: unknown): { status: number | null; stdout: string; stderr: string } {
    const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(config));
    // A service that listened would log "facelive listening" on standard output and not exit.
    const result = spawnSync(process.execPath, [FACELIVE_JS, 'serve', '--check'], {
      env: { ...process.env, FACELIVE_CONFIG: file, PORT: '0', HOST: '127.0.0.1' },
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
    return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString().replace(file, 'FILE') };
  }

  it('exits 0 with one sentence for a file the service would start on, without listening or logging', () => {
    const { status, stdout, stderr } = check({
      credentials: [
        { appId: 'shop', apiKey: 'shop-key-old-Zq8vW2x9', mode: 'live' },
        { appId: 'shop', apiKey: 'shop-key-new-Pw3nR8sd', mode: 'live' },
      ],
      flags: { validate_liveness: true },
    });
    assert.equal(status, 0, stderr);
    assert.equal(stdout, '');
    assert.match(stderr, /^facelive: FILE: the service would start on it: 2 credentials of 1 App-ID, pack facelive-default@\S+\.\n$/);
  });

  it('exits 1 with the reason for a file it would refuse', () => {
    const cases: [unknown, RegExp][] = [
      [{ credentials: [{ appId: 'shop', apiKey: 'k1-Zq8vW2x9', mode: 'live' }, { appId: 'shop', apiKey: 'k2-Pw3nR8sd', mode: 'testing', quota: 3 }] }, /repeats the App-ID "shop" with other settings/],
      [{ credential: [] }, /unknown key "credential"/],
      [{ flags: { validate_liveness: 'yes' } }, /Expected true or false for flags\.validate_liveness/],
      [{ pack: path.join(os.tmpdir(), 'no-such-facelive-pack') }, /no-such-facelive-pack/],
    ];
    for (const [config, reason] of cases) {
      const { status, stdout, stderr } = check(config);
      assert.equal(status, 1, JSON.stringify(config));
      assert.equal(stdout, '');
      assert.match(stderr, reason);
    }
  });

  it('exits 1 for a threshold calibrated on another pack, which only the loaded pack tells', () => {
    const { status, stderr } = check({ credentials: [{ appId: 'shop', apiKey: 'k1-Zq8vW2x9', mode: 'live', livenessThreshold: 0.5, livenessThresholdPack: 'facelive-default@9.9.9' }] });
    assert.equal(status, 1);
    assert.match(stderr, /The liveness threshold of App-ID "shop" was calibrated on the model pack "facelive-default@9\.9\.9"/);
  });
});
