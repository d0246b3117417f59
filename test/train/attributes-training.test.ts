// Smoke test of the attribute training toolchain end to end on a few generated images: the
// engine-side export (alignment, synthetic attributes), one epoch of PyTorch training with grouped
// folds, ONNX export and the onnxruntime-node parity check. Runs where /usr/bin/python3 has torch.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { selfieJpeg, SELFIE_NAMES } from '../helpers/faces';
import { requireTorch, TORCH_PYTHON } from '../helpers/python';

const root = path.resolve(__dirname, '..', '..', '..');
const python = TORCH_PYTHON;

describe('attribute training toolchain (smoke)', function () {
  this.timeout(300_000);
  let dir: string;

  before(function () {
    // A machine without Debian's PyTorch cannot run the training code; .ci/run installs it.
    requireTorch(this, 'the attribute training smoke test');
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-attr-train-'));
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports aligned crops with synthetic attributes, trains one epoch, exports ONNX with parity', async function () {
    const data = path.join(dir, 'data');
    mkdirSync(path.join(data, 'live'), { recursive: true });
    // Three sources (one per fixture face), two framings each.
    for (const name of SELFIE_NAMES) {
      writeFileSync(path.join(data, 'live', `${name}__a.jpg`), await selfieJpeg(name));
      writeFileSync(path.join(data, 'live', `${name}__b.jpg`), await sharp(await selfieJpeg(name, 480, 480)).flop().jpeg().toBuffer());
    }
    // Label corrections: one face left out, one relabelled as wearing clear glasses (so nothing is drawn on it).
    const corrections = path.join(dir, 'corrections.tsv');
    const first = SELFIE_NAMES[0]!, second = SELFIE_NAMES[1]!;
    writeFileSync(corrections, `# test corrections\ndata/live/${first}__b.jpg\texclude\tleft out\ndata/live/${second}__*\teyeglasses\tclear glasses\n`);
    const out = path.join(dir, 'export');
    const exported = spawnSync(process.execPath, [path.join(root, 'dist', 'models', 'train', 'export-attribute-regions.js'), '--out', out, '--synth', '3', '--seed', '5',
      '--labels', corrections, data], { encoding: 'utf8' });
    assert.equal(exported.status, 0, exported.stderr);
    const index = readFileSync(path.join(out, 'index.tsv'), 'utf8').trim().split('\n');
    const rows = index.slice(1).map((row) => row.split('\t'));
    const synthetic = rows.filter((row) => row[8] !== '').length;
    assert.equal(rows.length - synthetic, 5, 'the six faces but the one left out, bare');
    assert.ok(!rows.some((row) => row[1] === `data/live/${first}__b.jpg`), 'the excluded face is not exported');
    const relabelled = rows.filter((row) => row[1]!.startsWith(`data/live/${second}__`));
    assert.equal(relabelled.length, 2, 'both faces of the relabelled source, nothing drawn on them');
    for (const row of relabelled) assert.deepEqual(row.slice(3, 8), ['0', '0', '0', '0', '1'], 'labelled eyeglasses');
    assert.ok(synthetic >= 6 && synthetic <= 9, `three draws (one or two attributes each) per uncovered face (${synthetic})`);
    const meta = JSON.parse(readFileSync(path.join(out, 'meta.json'), 'utf8')) as { size: number };
    assert.equal(statSync(path.join(out, 'crops.u8')).size, (index.length - 1) * meta.size * meta.size * 3);

    // The second-pass recipe: an overriding corrections file listed first (it brings the excluded face
    // back), and faces with only clear glasses drawn on, drawn sunglasses replacing their clear label.
    const override = path.join(dir, 'override.tsv');
    writeFileSync(override, `data/live/${first}__b.jpg\tnone\tuncovered after all\n`);
    const out2 = path.join(dir, 'export2');
    const exported2 = spawnSync(process.execPath, [path.join(root, 'dist', 'models', 'train', 'export-attribute-regions.js'), '--out', out2, '--synth', '3', '--seed', '5',
      '--labels', override, '--labels', corrections, '--draw-on-clear-glasses', data], { encoding: 'utf8' });
    assert.equal(exported2.status, 0, exported2.stderr);
    const rows2 = readFileSync(path.join(out2, 'index.tsv'), 'utf8').trim().split('\n').slice(1).map((row) => row.split('\t'));
    assert.equal(rows2.filter((row) => row[8] === '').length, 6, 'the earlier file overrides the later one: no face left out');
    const glassesDrawn = rows2.filter((row) => row[1]!.startsWith(`data/live/${second}__`) && row[8] !== '');
    assert.ok(glassesDrawn.length >= 4, `the clear-glasses faces are drawn on (${glassesDrawn.length})`);
    for (const row of glassesDrawn) {
      const sunglassesDrawn = row[8]!.split('+').includes('sunglasses');
      assert.equal(row[7], sunglassesDrawn ? '0' : '1', `clear glasses kept unless sunglasses were drawn over them (${row[8]})`);
    }

    // Clear glasses drawn on real masked faces as often as sunglasses (--clear-glasses-on-covered).
    const masked = path.join(dir, 'masked.tsv');
    writeFileSync(masked, 'data/live/*\tmask\tevery face masked\n');
    const out3 = path.join(dir, 'export3');
    const exported3 = spawnSync(process.execPath, [path.join(root, 'dist', 'models', 'train', 'export-attribute-regions.js'), '--out', out3, '--synth', '1', '--seed', '5',
      '--labels', masked, '--clear-glasses-on-covered', '--inter-eye', '0.4', '--eye-y', '0.45', data], { encoding: 'utf8' });
    assert.equal(exported3.status, 0, exported3.stderr);
    // --inter-eye and --eye-y align another region (the eye band, zoomed); by default the pack's rule.
    const rule = (out: string): unknown => (JSON.parse(readFileSync(path.join(out, 'meta.json'), 'utf8')) as { rule: unknown }).rule;
    assert.deepEqual(rule(out3), { interEye: 0.4, eyeY: 0.45 });
    assert.deepEqual(rule(out), { interEye: 0.22, eyeY: 0.46 });
    const drawn3 = readFileSync(path.join(out3, 'index.tsv'), 'utf8').trim().split('\n').slice(1).map((row) => row.split('\t')).filter((row) => row[8] !== '');
    assert.deepEqual([...new Set(drawn3.map((row) => row[8]))].sort(), ['eyeglasses', 'sunglasses'], 'both kinds of glasses drawn on masked faces');
    for (const row of drawn3) {
      assert.deepEqual(row.slice(3, 8), row[8] === 'eyeglasses' ? ['0', '1', '0', '0', '1'] : ['1', '1', '0', '0', '0'], `mask kept, the drawn glasses added (${row[8]})`);
    }

    const onnx = path.join(dir, 'attributes.onnx');
    const report = path.join(dir, 'report.json');
    const oof = path.join(dir, 'oof.tsv');
    const trained = spawnSync(python, [path.join(root, 'models', 'train', 'attributes', 'train.py'), '--data', out, '--onnx', onnx, '--report', report, '--oof', oof,
      '--folds', '3', '--epochs', '1', '--parity-script', path.join(root, 'dist', 'models', 'train', 'attribute-parity.js')], { encoding: 'utf8', cwd: root });
    assert.equal(trained.status, 0, trained.stderr);
    const oofRows = readFileSync(oof, 'utf8').trim().split('\n').slice(1).map((row) => row.split('\t'));
    assert.equal(oofRows.length, rows.length, 'one out-of-fold line per crop');
    for (const row of oofRows) for (const v of row.slice(4)) assert.ok(Number(v) >= 0 && Number(v) <= 1, `a probability (${v})`);
    // Rescored against the test corrections: the relabelled source's two real faces wear clear glasses.
    const rescored = spawnSync(python, [path.join(root, 'models', 'train', 'attributes', 'rescore.py'), '--oof', oof, '--report', report, '--labels', corrections],
      { encoding: 'utf8', cwd: root });
    assert.equal(rescored.status, 0, rescored.stderr);
    assert.match(rescored.stdout, /\| eyeglasses \| \d+ \/ 2 found, \d+ \/ 3 false \|/);
    const r = JSON.parse(readFileSync(report, 'utf8')) as { parity_max_abs_diff: number; folds: { sources: string[] }[]; onnx_bytes: number; thresholds: Record<string, number> };
    assert.ok(r.parity_max_abs_diff <= 1e-4, `parity ${r.parity_max_abs_diff}`);
    assert.deepEqual(r.folds.flatMap((f) => f.sources).sort(), [...SELFIE_NAMES].sort(), 'each source held out in exactly one fold');
    assert.ok(r.onnx_bytes > 0 && r.onnx_bytes <= 4 * 1024 * 1024);
    for (const name of ['sunglasses', 'mask', 'hat', 'veil', 'eyeglasses']) assert.ok(r.thresholds[name]! > 0 && r.thresholds[name]! < 1, name);
  });

  it('weights the sunglasses loss only on faces with clear glasses and no sunglasses (--clear-glasses-weight)', function () {
    // Rows (labels in LABELS order): clear glasses; sunglasses; sunglasses and clear glasses; a mask.
    const script = [
      'import sys, torch', `sys.path.insert(0, ${JSON.stringify(path.join(root, 'models', 'train', 'attributes'))})`,
      'from train import loss_weights',
      'y = torch.tensor([[0., 0, 0, 0, 1], [1., 0, 0, 0, 0], [1., 0, 0, 0, 1], [0., 1, 0, 0, 0]])',
      'print(loss_weights(y, 10.0).tolist())',
    ].join('\n');
    const ran = spawnSync(python, ['-c', script], { encoding: 'utf8', cwd: root });
    assert.equal(ran.status, 0, ran.stderr);
    const w = JSON.parse(ran.stdout) as number[][];
    assert.deepEqual(w, [[10, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]);
  });
});
