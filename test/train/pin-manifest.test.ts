// Retraining ends by pinning the new file's sha256 in the manifests that name it (the engine checks
// every file against its manifest at load): models/train/pin_manifest.py.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTorch, TORCH_PYTHON } from '../helpers/python';

const repo = path.resolve(__dirname, '..', '..', '..');
const script = path.join(repo, 'models', 'train', 'pin_manifest.py');

describe('pin_manifest.py (retrained files pinned in the manifests)', function () {
  this.timeout(60_000);
  let dir: string;

  before(function () {
    requireTorch(this);
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-pin-'));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sets the sha256 of every entry naming the file, in each manifest, and leaves the others', () => {
    const main = path.join(dir, 'manifest.json');
    const other = path.join(dir, 'faceplugin.json');
    copyFileSync(path.join(repo, 'models', 'manifest.json'), main);
    copyFileSync(path.join(repo, 'models', 'faceplugin', 'manifest.json'), other);
    const model = path.join(dir, 'attributes.onnx');
    writeFileSync(model, 'a retrained model');
    const digest = createHash('sha256').update('a retrained model').digest('hex');
    const before = JSON.parse(readFileSync(main, 'utf8'));
    const result = spawnSync(TORCH_PYTHON, [script, model, main, other], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    for (const file of [main, other]) {
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(manifest.models.attributes.sha256, digest, file);
      assert.equal(manifest.models.attributes.source.sha256, digest, 'trained here: its source is itself');
    }
    const after = JSON.parse(readFileSync(main, 'utf8'));
    assert.deepEqual(after.models.liveness, before.models.liveness, 'other entries untouched');

    const liveness = path.join(dir, 'liveness_minifasnet_v2_facelive.onnx');
    writeFileSync(liveness, 'another');
    assert.equal(spawnSync(TORCH_PYTHON, [script, liveness, main], { encoding: 'utf8' }).status, 0);
    const pinned = JSON.parse(readFileSync(main, 'utf8')).models.liveness;
    assert.equal(pinned.sha256, createHash('sha256').update('another').digest('hex'));
    assert.equal(pinned.source.sha256, before.models.liveness.source.sha256, "converted from others' weights: their sha256 stays");
  });
});
