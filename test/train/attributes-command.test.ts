// The attribute training command's arguments and data layout (models/train/attributes/reproduce.sh):
// its usage, paths read from the caller's folder though it works from the repository's, a missing or
// empty folder named, and train.py's refusal of a single source. All stop before any training (the
// smoke test, attributes-training.test.ts, runs the steps themselves).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireTorch, TORCH_PYTHON } from '../helpers/python';

const root = path.resolve(__dirname, '..', '..', '..');
const script = path.join(root, 'models', 'train', 'attributes', 'reproduce.sh');

describe('attributes reproduce.sh (arguments and layout)', function () {
  this.timeout(60_000);
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-attr-args-'));
    mkdirSync(path.join(dir, 'data', 'train_attributes', 'Attr_Mask'), { recursive: true });
    mkdirSync(path.join(dir, 'bare'));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });
  const reproduce = (...args: string[]) => spawnSync('bash', [script, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });

  it('prints its usage for --help, and with it exits 2 when arguments are missing', function () {
    const help = reproduce('--help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: models\/train\/attributes\/reproduce.sh DATA_ROOT WORK_DIR/);
    assert.match(help.stdout, /models\/faceplugin\/manifest.json/);
    assert.match(help.stdout, /EPOCHS \(24\), FOLDS \(5/);
    for (const args of [[], ['data']]) {
      const missing = reproduce(...args);
      assert.equal(missing.status, 2, `${args.join(' ')}: ${missing.stderr}`);
      assert.match(missing.stderr, /^usage: /);
    }
  });

  it('reads relative paths from the folder it is run in, and names a missing or empty folder', function () {
    const absent = reproduce('nothing-here', 'work');
    assert.equal(absent.status, 2, absent.stderr);
    assert.equal(absent.stderr, `reproduce.sh: no DATA_ROOT ${path.join(dir, 'nothing-here')}\n`);
    const noPhotos = reproduce('bare', 'work');
    assert.equal(noPhotos.status, 2, noPhotos.stderr);
    assert.equal(noPhotos.stderr, `reproduce.sh: no ${path.join(dir, 'bare', 'train_attributes')} (the attribute photos: attr_<name>/ folders)\n`);
    // Attr_Mask/ (any case) is read, but holds no image yet.
    const empty = reproduce('data', 'work');
    assert.equal(empty.status, 2, empty.stderr);
    assert.match(empty.stderr, new RegExp(`no images in the labelled folders of ${path.join(dir, 'data', 'train_attributes')} `));
  });

  it('refuses a WORK_DIR inside the repository', function () {
    writeFileSync(path.join(dir, 'data', 'train_attributes', 'Attr_Mask', 'a__1.jpg'), '');
    const inside = reproduce('data', path.join(root, 'work'));
    assert.equal(inside.status, 2, inside.stderr);
    assert.match(inside.stderr, /WORK_DIR .* is inside the repository/);
  });

  it('train.py refuses crops from a single source before it trains (grouped folds need two)', function () {
    requireTorch(this, 'train.py');
    const exported = path.join(dir, 'one-source');
    mkdirSync(exported);
    writeFileSync(path.join(exported, 'meta.json'), JSON.stringify({ size: 4, rule: { interEye: 0.22, eyeY: 0.46 } }));
    writeFileSync(path.join(exported, 'index.tsv'), 'row\tfile\tsource\tsunglasses\tmask\that\tveil\teyeglasses\tsynthetic\tseed\n'
      + '0\td/live/a.jpg\tunknown\t0\t0\t0\t0\t0\t\t0\n1\td/live/b.jpg\tunknown\t0\t1\t0\t0\t0\tmask\t7\n');
    writeFileSync(path.join(exported, 'crops.u8'), Buffer.alloc(2 * 4 * 4 * 3));
    const trained = spawnSync(TORCH_PYTHON, [path.join(root, 'models', 'train', 'attributes', 'train.py'), '--data', exported,
      '--onnx', path.join(dir, 'never.onnx'), '--report', path.join(dir, 'report.json')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(trained.status, 2, trained.stderr);
    assert.match(trained.stderr, /2 crops from 1 source\(s\); the grouped folds need at least two/);
  });
});
