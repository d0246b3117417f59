// Smoke test of the liveness training pipeline, end to end on a few generated images: crops exported
// by the engine (TypeScript), frozen-trunk features, grouped folds, a per-source report and the pack's
// threshold pinned in a manifest, the final model exported to ONNX and checked against PyTorch in
// onnxruntime-node. Needs python3-torch and python3-onnx.

import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { selfieJpeg, SELFIE_NAMES } from '../helpers/faces';
import { requireTorch, TORCH_PYTHON } from '../helpers/python';
import { binomialInterval } from '../../core/eval/interval';

const repo = path.resolve(__dirname, '..', '..', '..');
const trainDir = path.join(repo, 'models', 'train');

function spawn(command: string, args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: repo, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', ...env }, timeout: 600_000 });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawn(command, args, env);
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** A screen-like recapture: a pixel grid and a colour cast over the face, then blurred. */
async function screenCopy(jpeg: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const o = (y * info.width + x) * 3;
      const dim = x % 3 === 0 || y % 3 === 0 ? 0.65 : 1;
      data[o] = Math.min(255, data[o]! * dim * 0.9 + 10);
      data[o + 1] = Math.min(255, data[o + 1]! * dim);
      data[o + 2] = Math.min(255, data[o + 2]! * dim * 1.1 + 15);
    }
  }
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).blur(0.8).jpeg({ quality: 80 }).toBuffer();
}

describe('liveness training pipeline (smoke)', function () {
  this.timeout(900_000);
  let work: string;

  before(async function () {
    requireTorch(this);
    work = mkdtempSync(path.join(os.tmpdir(), 'facelive-train-'));
    // Six "sources" (three selfies x two framings), each with live images and screen copies, in class
    // folders named in another case (read as live/ and spoof_replay/).
    const data = path.join(work, 'data');
    for (const label of ['Live', 'Spoof_Replay']) mkdirSync(path.join(data, label), { recursive: true });
    let n = 0;
    for (const name of SELFIE_NAMES) {
      for (const [w, h] of [[640, 480], [480, 480]] as const) {
        const source = `smoke${n++}`;
        for (let k = 0; k < 2; k++) {
          const live = await sharp(await selfieJpeg(name, w, h)).modulate({ brightness: 0.9 + 0.2 * k }).jpeg({ quality: 90 }).toBuffer();
          writeFileSync(path.join(data, 'Live', `${source}__live${k}.jpg`), live);
          writeFileSync(path.join(data, 'Spoof_Replay', `${source}__screen${k}.jpg`), await screenCopy(live));
        }
      }
    }
  });

  after(function () {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('exports crops with the engine, trains by grouped folds, exports ONNX with parity', function () {
    const env = { FACELIVE_TRAIN_FOLDS: '3' };
    run('node', [path.join(repo, 'dist', 'models', 'train', 'export-crops.js'), path.join(work, 'crops'), path.join(work, 'data')]);
    const index = readFileSync(path.join(work, 'crops', 'index.tsv'), 'utf8').trim().split('\n');
    assert.equal(index.length, 1 + 24, 'one row per image');
    assert.ok(index.slice(1).every((row) => row.split('\t')[5] === 'ok'), 'every face found');
    assert.deepEqual([...new Set(index.slice(1).map((row) => row.split('\t')[3]))], ['live', 'spoof_replay'], 'the folders read as their labels');

    const script = path.join(trainDir, 'train_liveness.py');
    // The shipped depth: conv1 to conv_23 frozen, the rest trained.
    const frozen = ['--frozen', 'conv_23'];
    run(TORCH_PYTHON, [script, 'trunk', work, path.join(work, 'crops'), 's27', 'random', '--copies', '2', ...frozen], env);
    const features = path.join(repo, 'dist', 'models', 'train', 'trunk-features.js');
    run('node', [features, path.join(work, 'trunk_s27.onnx'), path.join(work, 'crops', 'crops_s27.u8'), '80', path.join(work, 'features_s27_0.f32')]);
    run('node', [features, path.join(work, 'trunk_s27.onnx'), path.join(work, 'aug_s27_1.u8'), '80', path.join(work, 'features_s27_1.f32')]);
    run(TORCH_PYTHON, [script, 'cv', work, 'smoke', '--weights', 'random', '--epochs', '2', '--mixstyle', '0.5', ...frozen], env);
    const report = JSON.parse(run(TORCH_PYTHON, [path.join(trainDir, 'liveness_report.py'), work, 's27', 'smoke', '--json', path.join(work, 'report.json'), '--markdown', path.join(work, 'report.md')], env));
    assert.equal(report.sources, 6);
    assert.ok(report.auc_mean >= 0 && report.auc_mean <= 1);
    // The README's table: each source's BPCER with the interval `facelive eval` gives the same counts.
    const table = readFileSync(path.join(work, 'report.md'), 'utf8').split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| source'));
    const rows = (JSON.parse(readFileSync(path.join(work, 'report.json'), 'utf8')) as { rows: { source: string; live: number; bpcer: number | null }[] }).rows;
    assert.equal(table.length, rows.length);
    for (const row of rows) {
      const cells = table.find((line) => line.startsWith(`| ${row.source} |`))!.split('|').map((cell) => cell.trim());
      if (row.bpcer === null || row.live === 0) {
        assert.equal(cells[7], '–');
        continue;
      }
      const { lower, upper } = binomialInterval(Math.round(row.bpcer * row.live), row.live);
      assert.equal(cells[7], `${(100 * lower).toFixed(1)}-${(100 * upper).toFixed(1)} %`, row.source);
    }

    // The pack's threshold (the report's "shipped") pinned in a copy of the manifest, as train-liveness.sh
    // pins it in models/manifest.json.
    const manifest = path.join(work, 'manifest.json');
    copyFileSync(path.join(repo, 'models', 'manifest.json'), manifest);
    const before = (JSON.parse(readFileSync(manifest, 'utf8')) as { liveness: { threshold: number } }).liveness.threshold;
    const pinned = run(TORCH_PYTHON, [path.join(trainDir, 'pin_manifest.py'), '--liveness-threshold', path.join(work, 'report.json'), manifest]);
    const after = (JSON.parse(readFileSync(manifest, 'utf8')) as { liveness: { threshold: number } }).liveness.threshold;
    assert.ok(Math.abs(after - report.shipped_threshold) <= 0.0005 && Number(after.toFixed(3)) === after, `${after} against ${report.shipped_threshold}`);
    assert.ok(pinned.includes(`liveness threshold ${before} -> ${after}`), pinned);
    // The version then names the retrained files, so that every check's pack.version tells the pack apart;
    // marking again gives the same mark, and another file another.
    const versionOf = (): string => (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    const shipped = versionOf();
    run(TORCH_PYTHON, [path.join(trainDir, 'pin_manifest.py'), '--mark-retrained', manifest]);
    const marked = versionOf();
    assert.match(marked, new RegExp(`^${shipped.replace(/\./g, '\\.')}\\+retrained\\.[0-9a-f]{8}$`));
    run(TORCH_PYTHON, [path.join(trainDir, 'pin_manifest.py'), '--mark-retrained', manifest]);
    assert.equal(versionOf(), marked);
    const changed = JSON.parse(readFileSync(manifest, 'utf8')) as { models: Record<string, { sha256: string }> };
    const firstKey = Object.keys(changed.models)[0]!;
    changed.models[firstKey]!.sha256 = '0'.repeat(64);
    writeFileSync(manifest, JSON.stringify(changed));
    run(TORCH_PYTHON, [path.join(trainDir, 'pin_manifest.py'), '--mark-retrained', manifest]);
    assert.notEqual(versionOf(), marked);
    assert.ok(versionOf().startsWith(`${shipped}+retrained.`));

    // Distillation (measured): --fold-scores keeps each fold's model's score on every face, and a
    // student trained with --teacher/--distill is pulled towards its teacher in each fold.
    run(TORCH_PYTHON, [script, 'cv', work, 'teacher', '--weights', 'random', '--epochs', '1', '--fold-scores', ...frozen], env);
    const distillCheck = `
import json, os, subprocess, sys, numpy as np
sys.path.insert(0, sys.argv[1])
from liveness_data import grouped_folds
work, script = sys.argv[2], sys.argv[3]
meta = json.load(open(os.path.join(work, 'meta_s27.json')))
folds = grouped_folds(np.array(meta['sources']), 3, seed=0)
scores, oof = np.load(os.path.join(work, 'folds_teacher.npy')), np.load(os.path.join(work, 'oof_teacher.npy'))
assert scores.shape == (3, len(oof)), scores.shape
for f in range(3):
    assert np.array_equal(scores[f, folds == f], oof[folds == f]), f
np.save(os.path.join(work, 'all_live.npy'), np.ones(len(oof), dtype=np.float32))
def student(name, *extra):
    subprocess.run([sys.executable, script, 'cv', work, name, '--weights', 'random', '--epochs', '40', '--lr', '0.01', '--frozen', 'conv_23', *extra], check=True, capture_output=True)
    return np.load(os.path.join(work, f'oof_{name}.npy'))
plain, taught = student('plain'), student('taught', '--teacher', 'all_live', 'teacher=0', '--distill', '20')
assert taught.mean() > plain.mean() + 0.05, (plain.mean(), taught.mean())
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', distillCheck, trainDir, work, script], env).trim(), 'ok');

    const onnx = path.join(work, 'smoke.onnx');
    run(TORCH_PYTHON, [script, 'final', work, 'smoke', onnx, '--weights', 'random', '--epochs', '1', '--mixstyle', '0.5', ...frozen], env);
    assert.ok(existsSync(onnx));
    const parity = run('node', [path.join(repo, 'dist', 'models', 'train', 'check-parity.js'), onnx, '4', '3', '80', '80']);
    assert.match(parity, /max abs difference/);

    // StyleNorm (measured, not used): the fixed statistics travel in the exported file, and onnxruntime
    // reproduces PyTorch on it too.
    const styled = path.join(work, 'styled.onnx');
    run(TORCH_PYTHON, [script, 'final', work, 'styled', styled, '--weights', 'random', '--epochs', '1', '--style-norm', '1', ...frozen], env);
    assert.match(run('node', [path.join(repo, 'dist', 'models', 'train', 'check-parity.js'), styled, '4', '3', '80', '80']), /max abs difference/);

    // The source-adversarial loss, Group DRO, sampling balanced by framing x face width and the pairwise AUC loss (measured, not used)
    // train through the same path and export alike.
    const adversarial = path.join(work, 'adversarial.onnx');
    run(TORCH_PYTHON, [script, 'final', work, 'adversarial', adversarial, '--weights', 'random', '--epochs', '1', '--source-adv', '0.1', '--group-dro', '0.05', '--balance-framing', '2', '--pairwise', '0.5', ...frozen], env);
    assert.match(run('node', [path.join(repo, 'dist', 'models', 'train', 'check-parity.js'), adversarial, '4', '3', '80', '80']), /max abs difference/);

    // The shipped files: the fine-tuned head with the released one (pair), or alone; both give class
    // probabilities, and onnxruntime reproduces PyTorch on them.
    for (const alone of [[], ['--alone']]) {
      const shipped = path.join(work, `shipped${alone.length ? '-alone' : ''}.onnx`);
      run(TORCH_PYTHON, [script, 'fuse', work, 'smoke', shipped, '--weights', 'random', ...frozen, ...alone], env);
      assert.match(run('node', [path.join(repo, 'dist', 'models', 'train', 'check-parity.js'), shipped, '4', '3', '80', '80']), /max abs difference/);
      const bytes = readFileSync(`${shipped}.parity-out.bin`);
      const out = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      assert.equal(out.length, 12);
      for (let i = 0; i < 4; i++) assert.ok(Math.abs(out[i * 3]! + out[i * 3 + 1]! + out[i * 3 + 2]! - 1) < 1e-5, 'class probabilities');
    }
  });

  it('predicts what calibrating on a camera\'s own live faces gives, with the threshold rule `facelive eval --calibrate` uses', function () {
    // Seven sources score live faces high; the eighth, a camera whose scores all run low, loses every
    // live face at a threshold chosen on the others and about 2 in 21 after calibrating on 20 of them.
    const check = `
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
from liveness_calibration import calibrated_threshold, simulate
# The same threshold as core/eval/metrics.ts calibrateThreshold on these live scores (its unit test).
assert calibrated_threshold(np.array([0.9, 0.8, 0.6, 0.6, 0.3]), 0.2) == 0.6
assert calibrated_threshold(np.array([0.9, 0.8, 0.6, 0.6, 0.3]), 0.05) == 0.3
# --for-new-faces: calibrateThresholdForNewFaces's unit test.
assert calibrated_threshold(np.array([0.9, 0.8, 0.6, 0.6, 0.3]), 0.34, 'new_faces') == 0.6
assert calibrated_threshold(np.array([0.9, 0.8, 0.6, 0.6, 0.3]), 0.16, 'new_faces') is None
rng = np.random.default_rng(1)
scores, sources, labels = [], [], []
for s in range(8):
    lo, hi = (0.2, 0.4) if s == 7 else (0.6, 1.0)
    scores += list(rng.uniform(lo, hi, 60)) + list(rng.uniform(0.0, 0.1 if s == 7 else 0.4, 40))
    sources += [f'cam{s}'] * 100
    labels += ['live'] * 60 + ['spoof_print'] * 40
result = simulate(np.array(scores), {'sources': sources, 'labels': labels}, [20], [0.05], 200)[0]
low = next(r for r in result['sources'] if r['source'] == 'cam7')
assert low['held_out_bpcer'] == 1.0, low
assert abs(low['calibrated_bpcer'] - 2 / 21) < 0.03 and low['calibrated_apcer'] == 0.0, low
assert result['summary']['sources'] == 8
strict = simulate(np.array(scores), {'sources': sources, 'labels': labels}, [20], [0.05], 200, rules=('new_faces',))[0]
low = next(r for r in strict['sources'] if r['source'] == 'cam7')
assert abs(low['calibrated_bpcer'] - 1 / 21) < 0.03, low
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir]).trim(), 'ok');
  });

  it('exports PReLU as max(x, slope * x) with the same outputs, and keeps a PReLU whose slope is above 1', function () {
    const check = `
import sys, torch
sys.path.insert(0, sys.argv[1])
from minifasnet import MaxPReLU, MiniFASNet, random_v2_state, served
model = MiniFASNet(random_v2_state(3)); model.load_state_dict(random_v2_state(3)); model.eval()
with torch.no_grad():
    for p in model.modules():
        if isinstance(p, torch.nn.PReLU):
            p.weight.uniform_(-0.4, 0.9)
    model.conv1.prelu.weight[0] = 1.5  # max(x, 1.5 x) would be wrong for x > 0: this one must stay a PReLU
x = torch.randn(8, 3, 80, 80) * 60 + 120
out = served(model)
kinds = [type(m).__name__ for m in out.modules() if isinstance(m, (torch.nn.PReLU, MaxPReLU))]
assert kinds.count('PReLU') == 1 and type(out.conv1.prelu).__name__ == 'PReLU', kinds
assert kinds.count('MaxPReLU') == len(kinds) - 1 > 10, kinds
with torch.no_grad():
    assert torch.equal(model(x), out(x)), 'the served form changed an output'
assert type(model.conv2_dw.prelu).__name__ == 'PReLU', 'the model itself was changed'
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir]).trim(), 'ok');
  });

  it('lays the export out for blocked CPU kernels: every depthwise stage padded to a multiple of 16, PReLU on relu, the same outputs', function () {
    const file = path.join(work, 'layout.onnx');
    const exportCheck = `
import sys, numpy as np, onnx, torch
sys.path.insert(0, sys.argv[1])
from minifasnet import MiniFASNet, random_v2_state
from train_liveness import export
from nchwc_layout import BLOCK, rewrite
model = MiniFASNet(random_v2_state(5)); model.load_state_dict(random_v2_state(5)); model.eval()
with torch.no_grad():
    for p in model.modules():
        if isinstance(p, torch.nn.BatchNorm2d):
            p.running_mean.uniform_(-0.5, 0.5); p.bias.uniform_(-0.5, 0.5)
        if isinstance(p, torch.nn.PReLU):
            p.weight.uniform_(-0.4, 0.9)
    model.conv_3.model[1].conv.prelu.weight[2] = 1.5  # exported as a PRelu op (not max(x, a * x)): rewritten too
widths = [m.groups for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1]
assert any(w % BLOCK for w in widths), widths
export(model, sys.argv[2])
g = onnx.load(sys.argv[2]).graph
inits = {i.name: i for i in g.initializer}
ops = [n.op_type for n in g.node]
assert 'Max' not in ops and 'PRelu' not in ops, sorted(set(ops))
groups = [a.i for n in g.node if n.op_type == 'Conv' for a in n.attribute if a.name == 'group' and a.i > 1]
assert len(groups) == len(widths) and all(v % BLOCK == 0 for v in groups), groups
assert rewrite(sys.argv[2], sys.argv[2] + '.again.onnx') == (0, 0), 'not idempotent'
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', exportCheck, trainDir, file]).trim().split('\n').pop(), 'ok');
    // onnxruntime reproduces the unpadded PyTorch model's outputs on the seeded inputs.
    assert.match(run('node', [path.join(repo, 'dist', 'models', 'train', 'check-parity.js'), file, '4', '3', '80', '80']), /max abs difference/);
  });

  it('holds out one source a fold where there are fewer sources than folds, and refuses a single source', function () {
    // The first test's features in new WORK folders, the faces regrouped into two sources and into
    // one; FACELIVE_TRAIN_FOLDS unset, so six folds are asked for.
    const script = path.join(trainDir, 'train_liveness.py');
    const meta = JSON.parse(readFileSync(path.join(work, 'meta_s27.json'), 'utf8')) as { sources: string[] };
    const regrouped = (name: string, source: (s: string) => string): string => {
      const dir = path.join(work, name);
      mkdirSync(dir);
      for (const file of ['features_s27_0.f32', 'features_s27_1.f32']) copyFileSync(path.join(work, file), path.join(dir, file));
      writeFileSync(path.join(dir, 'meta_s27.json'), JSON.stringify({ ...meta, sources: meta.sources.map(source) }));
      return dir;
    };
    const cv = (dir: string) => spawn(TORCH_PYTHON, [script, 'cv', dir, 'smoke', '--weights', 'random', '--epochs', '1', '--frozen', 'conv_23'], { FACELIVE_TRAIN_FOLDS: undefined });
    const two = regrouped('two', (s) => (Number(s.replace('smoke', '')) < 3 ? 'cameraA' : 'cameraB'));
    const trained = cv(two);
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stderr, /2 sources: 2 grouped folds instead of 6/);
    assert.equal(trained.stdout.match(/^fold \d+: 12 held out \(1 sources\)/gm)?.length, 2, trained.stdout);
    const report = JSON.parse(run(TORCH_PYTHON, [path.join(trainDir, 'liveness_report.py'), two, 's27', 'smoke'], { FACELIVE_TRAIN_FOLDS: undefined }));
    assert.equal(report.sources, 2);

    const one = regrouped('one', () => 'unknown');
    const refused = cv(one);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /needs faces of at least two sources; found only the source 'unknown'.*before "__"/);
    assert.ok(!existsSync(path.join(one, 'oof_smoke.npy')), 'nothing trained');
  });

  it('every committed liveness file is in the blocked layout already (the export step\'s last pass changes nothing)', function () {
    const manifest = JSON.parse(readFileSync(path.join(repo, 'models', 'manifest.json'), 'utf8')) as { models: Record<string, { role: string; file: string }> };
    const files = Object.values(manifest.models).filter((m) => m.role === 'liveness').map((m) => path.join(repo, 'models', m.file));
    assert.ok(files.length >= 3, files.join());
    const check = `
import sys, onnx
sys.path.insert(0, sys.argv[1])
from nchwc_layout import pad_depthwise, relu_prelu
for f in sys.argv[2:]:
    model = onnx.load(f)
    assert (pad_depthwise(model), relu_prelu(model)) == (0, 0), f
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir, ...files]).trim(), 'ok');
  });

  it('StyleNorm gives every face the same feature statistics; crops over 80x80 reach the final kernel pooled', function () {
    const check = `
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
from train_liveness import StyleNorm, fit_to_kernel, head, load_model, style_of, trunk
x = torch.randn(6, 4, 5, 5) * torch.arange(1, 7).view(6, 1, 1, 1) + torch.arange(6).view(6, 1, 1, 1)
mu, sig = style_of(x.numpy())
y = StyleNorm(mu, sig)(x)
assert torch.allclose(y.mean(dim=(2, 3)), mu.expand(6, 4), atol=1e-4), 'means not replaced'
assert torch.allclose(((y - y.mean(dim=(2, 3), keepdim=True)) ** 2).mean(dim=(2, 3)).sqrt(), sig.expand(6, 4), atol=1e-3), 'deviations not replaced'
norm = lambda t: (t - t.mean(dim=(2, 3), keepdim=True)) / t.std(dim=(2, 3), keepdim=True)
assert torch.allclose(norm(x), norm(y), atol=1e-3), 'the pattern changed'
z = torch.randn(2, 3, 7, 7)
assert fit_to_kernel(z, 5).shape == (2, 3, 5, 5) and torch.equal(fit_to_kernel(z[:, :, :5, :5], 5), z[:, :, :5, :5])
model = load_model('random').eval()
with torch.no_grad():
    for size in (80, 112):
        assert head(model, trunk(model, torch.rand(2, 3, size, size) * 255, 'conv_23'), 'conv_23').shape == (2, 3), size
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir]).trim(), 'ok');
  });

  it('mixes feature statistics only between faces of the same class, and keeps each face\'s pattern', function () {
    // MixStyle (training only): each face's per-channel mean and deviation move towards a partner's of
    // the same class; the normalised pattern stays the face's own. Faces of a class alone keep theirs.
    const check = `
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
from train_liveness import mix_style
rng = np.random.RandomState(3)
x = torch.randn(8, 4, 5, 5) * torch.arange(1, 9).view(8, 1, 1, 1) + torch.arange(8).view(8, 1, 1, 1)
classes = np.array([0, 0, 0, 1, 1, 1, 2, 0])
y = mix_style(x, classes, rng, 0.1)
norm = lambda t: (t - t.mean(dim=(2, 3), keepdim=True)) / t.std(dim=(2, 3), keepdim=True)
assert torch.allclose(norm(x), norm(y), atol=1e-3), 'the pattern changed'
assert torch.allclose(y[6], x[6], atol=1e-4), "a lone face took another class's statistics"
mu_x, mu_y = x.mean(dim=(2, 3)), y.mean(dim=(2, 3))
for c in (0, 1):
    members = np.flatnonzero(classes == c)
    lo, hi = mu_x[members].min(dim=0).values - 1e-4, mu_x[members].max(dim=0).values + 1e-4
    assert bool(((mu_y[members] >= lo) & (mu_y[members] <= hi)).all()), "a mean left its class's range"
assert not torch.allclose(x, y), 'nothing was mixed'
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir]).trim(), 'ok');
  });

  it('amplitude mixing keeps a face\'s phase, moves its spectrum towards a partner of its class from another source, and is seeded', function () {
    // The trunk step's --amplitude-mix (measured, not used): weight 0 gives the face back; a mix leaves the
    // phase where the amplitude is not tiny; partners share the class and differ in source where they can.
    const check = `
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
from liveness_augment import amplitude_mix, mix_amplitudes
rng = np.random.RandomState(5)
faces = rng.randint(0, 256, size=(6, 16, 16, 3)).astype(np.uint8)
assert np.abs(amplitude_mix(faces[0], faces[1], 0.0).astype(int) - faces[0]).max() <= 1, 'weight 0 changed the face'
y = amplitude_mix(faces[0], faces[1], 0.4)
fx, fy, fp = (np.fft.fft2(a.astype(np.float64), axes=(0, 1)) for a in (faces[0], y, faces[1]))
strong = np.abs(fx) > 200
assert np.abs(np.angle(fy[strong] / fx[strong])).max() < 0.2, 'the phase moved'
moved = np.abs(np.abs(fy) - np.abs(fp)).mean() < np.abs(np.abs(fx) - np.abs(fp)).mean()
assert moved, 'the spectrum did not move towards the partner'
sources = np.array(['a', 'a', 'b', 'b', 'c', 'c']); classes = np.array([0, 1, 0, 1, 0, 2])
# Every face mixed (p = 1); class 2 has one face only, which then mixes with itself.
out1, partners = mix_amplitudes(faces, faces, sources, classes, np.random.RandomState(9), 1.0)
out2, again = mix_amplitudes(faces, faces, sources, classes, np.random.RandomState(9), 1.0)
assert (partners == again).all() and (out1 == out2).all(), 'not the same for a seed'
assert (partners >= 0).all() and (classes[partners] == classes).all(), 'a partner of another class'
assert all(sources[partners[i]] != sources[i] for i in range(5)), 'a partner from the same source where another was there'
assert partners[5] == 5, 'the lone face of its class'
same, none = mix_amplitudes(faces, faces, sources, classes, np.random.RandomState(9), 0.0)
assert (same == faces).all() and (none == -1).all(), 'p = 0 changed a face'
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir]).trim(), 'ok');
  });

  it('source-adversarial loss (SSDG): the critic learns the live faces\' source while the reversed gradient pushes the embedding the other way', function () {
    // The critic descends its cross-entropy; the embedding receives that gradient negated and scaled by
    // the ramp (0 at the start of training, near 1 at its end). Attacks take no part, and a batch with
    // fewer than two live faces adds nothing.
    const check = `
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
from liveness_adversarial import ReverseGradient, SourceCritic, ramp, source_loss
x = torch.randn(5, 4, requires_grad=True)
(ReverseGradient.apply(x, 0.5) * torch.arange(4.0)).sum().backward()
assert torch.allclose(x.grad, -0.5 * torch.arange(4.0).expand(5, 4)), x.grad
assert ramp(0.0) == 0.0 and 0.99 < ramp(1.0) < 1.0 and ramp(0.2) < ramp(0.5)
torch.manual_seed(0)
critic = SourceCritic(8, 3)
emb = torch.randn(6, 8, requires_grad=True)
classes = np.array([1, 1, 1, 1, 0, 0])
sources = np.array([0, 1, 2, 0, 1, 2])
loss = source_loss(critic, emb, classes, sources, 0.5)
loss.backward()
assert loss.item() > 0
assert torch.count_nonzero(emb.grad[4:]) == 0, 'attacks must not be pulled'
assert torch.count_nonzero(emb.grad[:4]) > 0
# The same loss without the reversal: the embedding's gradient is the opposite, scaled by the ramp.
emb2 = emb.detach().clone().requires_grad_(True)
torch.nn.functional.cross_entropy(critic.net(emb2[:4]), torch.from_numpy(sources[:4])).backward()
assert torch.allclose(emb.grad[:4], -ramp(0.5) * emb2.grad[:4], atol=1e-6)
lone = torch.randn(6, 8, requires_grad=True)
assert source_loss(critic, lone, np.array([1, 0, 0, 0, 0, 0]), sources, 0.5).item() == 0
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir]).trim(), 'ok');
  });

  it('Group DRO weighs each source by its recent loss: the worst-fitted source gains weight, and the batch loss is the weighted mean', function () {
    const check = `
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
from liveness_group_dro import GroupDRO
import torch.nn.functional as F
dro = GroupDRO(3, 0.5)
logits = torch.tensor([[2.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.0, 2.0]], requires_grad=True)
targets = torch.tensor([0, 0, 0, 1])
groups = np.array([0, 0, 1, 2])
loss = dro.loss(logits, targets, groups)
per_face = F.cross_entropy(logits.detach(), targets, reduction='none')
group_loss = torch.stack([per_face[:2].mean(), per_face[2], per_face[3]])
q = torch.exp(0.5 * group_loss) / torch.exp(0.5 * group_loss).sum()
assert torch.allclose(dro.q, q, atol=1e-6), dro.q
assert int(dro.q.argmax()) == 1, 'the source fitted worst must weigh most'
assert abs(dro.q.sum().item() - 1) < 1e-6
assert torch.allclose(loss, (q * group_loss).sum(), atol=1e-6)
loss.backward()
assert logits.grad[2].abs().sum() > logits.grad[0].abs().sum(), 'the worst source must pull hardest'
# A batch that holds only some sources is weighted among those; the absent source keeps its weight.
before = dro.q.clone()
dro.loss(logits.detach()[:2], targets[:2], groups[:2])
assert dro.q[0] / dro.q[2] > before[0] / before[2] and torch.isclose(dro.q[1] / dro.q[2], before[1] / before[2])
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir]).trim(), 'ok');
  });

  it('pairwise AUC loss: small when every live face outscores every attack, large when reversed, and it lifts the live scores', function () {
    const check = `
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
from train_liveness import pairwise_auc_loss
classes = np.array([1, 1, 0, 2])
good = torch.tensor([[0.0, 4.0, 0.0], [0.0, 3.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 3.0]], requires_grad=True)
bad = good.detach()[[2, 3, 0, 1]].clone().requires_grad_(True)
low, high = pairwise_auc_loss(good, classes), pairwise_auc_loss(bad, classes)
assert low.item() < 0.01 and high.item() > 5, (low.item(), high.item())
high.backward()
assert (bad.grad[:2, 1] < 0).all() and (bad.grad[2:, 1] > 0).all(), bad.grad
assert pairwise_auc_loss(good, np.array([1, 1, 1, 1])).item() == 0, 'no pair, no loss'
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir]).trim(), 'ok');
  });

  it('framing-balanced sampling: in every framing band live faces and attacks weigh the same, each band keeping its weight', function () {
    const check = `
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
from liveness_data import framing_balanced
weights = np.array([1, 1, 1, 1, 2, 2, 2, 1], dtype=float) / 11
framing = np.array([1.0, 1.1, 1.2, 1.3, 3.0, 3.1, 3.2, 5.0])
live = np.array([1, 0, 0, 1, 1, 1, 0, 1])
out = framing_balanced(weights, framing, live)
band = np.digitize(framing, (1.25, 1.5, 2.0, 2.7, 4.0))
for b in np.unique(band):
    m = band == b
    assert abs(out[m].sum() - weights[m].sum()) < 1e-12, 'a band changed its weight'
    if len(set(live[m])) == 2:
        assert abs(out[m & (live == 1)].sum() - out[m & (live == 0)].sum()) < 1e-12, 'live and attacks unequal in a band'
    else:
        assert np.allclose(out[m], weights[m]), 'a one-class band was changed'
assert abs(out.sum() - 1) < 1e-12
# Within a band and class, the faces keep their relative weights (the per-source balance).
assert abs(out[4] / out[5] - 1) < 1e-12 and out[1] == out[2]
# With face widths (--balance-framing 2, measured and not used), the bands are framing x width: faces 4 and 5
# (live, one framing band) now fall in two width bands, face 6 (the attack) in the second: the first is left as it is.
wide = framing_balanced(weights, framing, live, np.array([80, 80, 80, 80, 50, 300, 300, 80.0]))
assert abs(wide[4] - weights[4] / weights.sum()) < 1e-12, 'a one-class band was changed'
assert abs(wide[5] - wide[6]) < 1e-12 and abs(wide[5] + wide[6] - weights[5] - weights[6]) < 1e-12
print('ok')
`;
    assert.equal(run(TORCH_PYTHON, ['-c', check, trainDir]).trim(), 'ok');
  });
});
