// Smoke test of the orientation model's training toolchain on a few generated images: the engine-side
// export (each face put upright, turned every way, cut around the detector's box, labelled with the
// turn back), grouped folds, ONNX export and the onnxruntime-node parity check. Runs where
// /usr/bin/python3 has torch (.ci/run installs it).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { selfieJpeg, SELFIE_NAMES } from '../helpers/faces';
import { requireTorch, TORCH_PYTHON } from '../helpers/python';

const root = path.resolve(__dirname, '..', '..', '..');

describe('orientation training toolchain (smoke)', function () {
  this.timeout(300_000);
  let dir: string;

  before(function () {
    requireTorch(this, 'the orientation training smoke test');
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-orientation-train-'));
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports each face turned every way with the turn back as its label, trains by grouped folds, exports ONNX with parity', async function () {
    const data = path.join(dir, 'data');
    mkdirSync(path.join(data, 'live'), { recursive: true });
    // Three sources, one per fixture face, two sizes each.
    for (const name of SELFIE_NAMES) {
      writeFileSync(path.join(data, 'live', `${name}__a.jpg`), await selfieJpeg(name));
      writeFileSync(path.join(data, 'live', `${name}__b.jpg`), await selfieJpeg(name, 480, 360));
    }
    const out = path.join(dir, 'export');
    const exported = spawnSync(process.execPath, [path.join(root, 'dist', 'models', 'train', 'export-orientation-crops.js'), out, data], { encoding: 'utf8' });
    assert.equal(exported.status, 0, exported.stderr);
    const rows = readFileSync(path.join(out, 'index.tsv'), 'utf8').trim().split('\n').slice(1).map((row) => row.split('\t'));
    const crop = JSON.parse(readFileSync(path.join(out, 'crop.json'), 'utf8')) as { size: number };
    assert.equal(statSync(path.join(out, 'crops.u8')).size, rows.length * crop.size * crop.size * 3);
    // Every face found upright; most found turned too; each image's turns labelled 0, 270, 180, 90.
    const labels = new Map<string, string[]>();
    for (const row of rows) labels.set(row[1]!, [...(labels.get(row[1]!) ?? []), row[4]!]);
    assert.equal(labels.size, 6);
    for (const [file, turns] of labels) {
      assert.equal(turns[0], '0', `${file} upright first`);
      assert.ok(turns.every((t) => ['0', '90', '180', '270'].includes(t)), `${file}: ${turns.join(',')}`);
    }
    assert.ok(rows.length >= 18, `${rows.length} crops`);
    const onnx = path.join(dir, 'orientation.onnx');
    const trained = spawnSync(TORCH_PYTHON, [path.join(root, 'models', 'train', 'train_orientation.py'), '--data', out, '--onnx', onnx,
      '--report', path.join(dir, 'report.json'), '--folds', '3', '--epochs', '1', '--threads', '1',
      '--parity-script', path.join(root, 'dist', 'models', 'train', 'attribute-parity.js')], { encoding: 'utf8', cwd: root });
    assert.equal(trained.status, 0, trained.stderr + trained.stdout);
    const report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as { held_out: { n: number }; parity_max_abs_diff: number; sources: number };
    assert.equal(report.held_out.n, rows.length, 'every crop scored by a fold that never saw its source');
    assert.equal(report.sources, 3);
    assert.ok(report.parity_max_abs_diff <= 1e-4, `parity ${report.parity_max_abs_diff}`);
    assert.ok(statSync(onnx).size > 100_000);
  });
});
