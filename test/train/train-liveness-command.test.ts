// The liveness training command's arguments (models/train/train-liveness.sh): its usage, and paths read
// from the caller's folder though it works from the repository's. Checked before the build, so no
// training runs here (the smoke test, liveness-training.test.ts, runs the steps themselves).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const script = path.resolve(__dirname, '..', '..', '..', 'models', 'train', 'train-liveness.sh');

describe('train-liveness.sh (arguments)', function () {
  this.timeout(60_000);
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-train-args-'));
    mkdirSync(path.join(dir, 'data', 'live'), { recursive: true });
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });
  const train = (...args: string[]) => spawnSync('bash', [script, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });

  it('prints its usage for --help, and with it exits 2 when arguments are missing', function () {
    const help = train('--help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: models\/train\/train-liveness.sh WORK_DIR SILENT_FACE_PTH_DIR DATA_DIR/);
    assert.match(help.stdout, /FACELIVE_TRAIN_FOLDS/);
    for (const args of [[], ['work', 'weights']]) {
      const missing = train(...args);
      assert.equal(missing.status, 2, `${args.join(' ')}: ${missing.stderr}`);
      assert.match(missing.stderr, /^usage: /);
    }
  });

  it('reads relative paths from the folder it is run in', function () {
    const result = train('work', 'weights', 'data');
    assert.equal(result.status, 2, result.stderr);
    assert.ok(result.stderr.includes(`no 2.7_80x80_MiniFASNetV2.pth in ${path.join(dir, 'weights')} `), result.stderr);
  });
});
