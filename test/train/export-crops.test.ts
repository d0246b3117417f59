// The liveness training crops are what the served models get: cut around the face the engine finds,
// in the raster it cuts from, bit for bit (captured from the models' sessions during a check, turned
// photos included); and at every image size (an image over the working size gives the crops of the
// same image at working size). The command refuses data it cannot train on before finding any face.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { cutFaceCrops, loadFaceFinder, CROP_RULES, SHIPPED_RULES, type FaceCrops } from '../../models/train/export-crops';
import type { PackModels } from '../../models/train/pack-models';
import { WORKING_MAX_SIDE } from '../../core/image/decode';
import { createEngine } from '../../core';
import { selfieJpeg } from '../helpers/faces';

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** An 80x80 RGB crop as the liveness models take it: BGR, raw 0..255, NCHW. */
function asLivenessInput(crop: Uint8Array, side: number): Float32Array {
  const plane = side * side;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = crop[i * 3 + 2]!;
    out[plane + i] = crop[i * 3 + 1]!;
    out[2 * plane + i] = crop[i * 3]!;
  }
  return out;
}

/** The 80x80 inputs the engine's liveness models get in one whole check of `image` (sessions on this thread). */
async function servedLivenessInputs(image: Buffer): Promise<{ inputs: Float32Array[]; rotation: number }> {
  const engine = await createEngine({ workerThreads: false });
  const inputs: Float32Array[] = [];
  const proto = (ort.InferenceSession as unknown as { prototype: unknown }).prototype as { run: (feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => Promise<unknown> };
  const run = proto.run;
  proto.run = function (this: unknown, feeds: Record<string, ort.Tensor>, ...rest: unknown[]) {
    for (const tensor of Object.values(feeds)) {
      if (tensor.dims.join('x') === '1x3x80x80') inputs.push(Float32Array.from(tensor.data as Float32Array));
    }
    return run.call(this, feeds, ...rest);
  };
  try {
    const result = await engine.check(image, { is_liveness: true, is_quality: false, is_attribute: false });
    return { inputs, rotation: result.data.image.rotation ?? 0 };
  } finally {
    proto.run = run;
    await engine.dispose();
  }
}

describe('liveness training crops (export-crops)', function () {
  this.timeout(120_000);
  let finder: PackModels;
  before(async function () {
    finder = await loadFaceFinder();
  });
  after(async function () {
    await finder.registry.dispose();
  });

  for (const [name, turn] of [['an upright selfie', 0], ['a selfie stored on its side', 90]] as const) {
    it(`cuts each shipped model's input bit for bit: ${name}`, async function () {
      const upright = await selfieJpeg('frontal', 640, 480);
      const image = turn === 0 ? upright : await sharp(upright).rotate(turn).jpeg({ quality: 95 }).toBuffer();
      const served = await servedLivenessInputs(image);
      const cut: FaceCrops = await cutFaceCrops(finder, image);
      assert.equal(cut.turn, served.rotation, 'the export turns the face as the check does');
      assert.equal(served.inputs.length, SHIPPED_RULES.length, 'one served input per liveness model');
      for (const rule of SHIPPED_RULES) {
        const exported = asLivenessInput(cut.crops[rule]!, CROP_RULES[rule]!.size);
        const same = served.inputs.some((input) => input.length === exported.length && input.every((v, i) => v === exported[i]));
        assert.ok(same, `the ${rule} crop is one of the served inputs, bit for bit`);
      }
    });
  }

  it('cuts the same crops from an image over the working size as from the same image at that size', async function () {
    const small = await selfieJpeg('frontal', 1600, 1200);
    const large = await sharp(small).resize(3200, 2400).jpeg({ quality: 95 }).toBuffer();
    const a = await cutFaceCrops(finder, small);
    const b = await cutFaceCrops(finder, large);
    assert.ok(3200 > WORKING_MAX_SIDE && b.width === WORKING_MAX_SIDE, `the large image is decoded at the working size (${b.width})`);
    assert.ok(Math.abs(b.box.x / b.width - a.box.x / a.width) < 0.01, `box ${JSON.stringify(b.box)} in ${b.width}px against ${JSON.stringify(a.box)} in ${a.width}px`);
    assert.ok(Math.abs(b.box.width / b.width - a.box.width / a.width) < 0.01);
    for (const name of Object.keys(CROP_RULES)) {
      const diff = meanAbsDiff(a.crops[name]!, b.crops[name]!);
      assert.ok(diff < 6, `${name}: mean abs difference ${diff.toFixed(2)} between the two sizes' crops`);
    }
    assert.equal(a.nface, 1);
    for (const [name, rule] of Object.entries(CROP_RULES)) assert.equal(a.crops[name]!.length, rule.size * rule.size * 3);
  });
});

describe('export-crops command (the data it reads)', function () {
  this.timeout(60_000);
  const repo = path.resolve(__dirname, '..', '..', '..');
  const script = path.join(repo, 'dist', 'models', 'train', 'export-crops.js');
  // A sibling of the repository, which shares its name as a prefix but is not inside it.
  const sibling = `${repo}-crops-${process.pid}`;
  let dir: string;
  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-export-'));
    // One source only: every file named without "__" is of the source "unknown".
    for (const label of ['Live', 'spoof_print']) mkdirSync(path.join(dir, 'one', label), { recursive: true });
    writeFileSync(path.join(dir, 'one', 'Live', 'a.jpg'), await selfieJpeg('frontal', 320, 240));
    writeFileSync(path.join(dir, 'one', 'spoof_print', 'b.jpg'), await selfieJpeg('frontal', 320, 240));
    mkdirSync(path.join(dir, 'misnamed', 'lives'), { recursive: true });
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
    rmSync(sibling, { recursive: true, force: true });
  });
  const exportCrops = (outDir: string, ...dataDirs: string[]) => spawnSync('node', [script, outDir, ...dataDirs], { encoding: 'utf8', timeout: 60_000 });

  it('stops, naming the folder, where a data folder is missing or holds no labelled image', function () {
    const missing = exportCrops(path.join(dir, 'out'), path.join(dir, 'one'), path.join(dir, 'typo'));
    assert.equal(missing.status, 2);
    assert.ok(missing.stderr.includes(`data folder "${path.join(dir, 'typo')}" does not exist`), missing.stderr);
    const empty = exportCrops(path.join(dir, 'out'), path.join(dir, 'misnamed'));
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /No labelled image in the data folder ".*misnamed": expected images under live\/, spoof_print\/.*; it holds lives\//);
    assert.ok(!existsSync(path.join(dir, 'out')), 'nothing written');
  });

  it('refuses a single source before any face is found, and takes a sibling folder of the repository as outside it', function () {
    const result = exportCrops(sibling, path.join(dir, 'one'));
    assert.equal(result.status, 2);
    assert.doesNotMatch(result.stderr, /outside the repository/);
    assert.match(result.stderr, /at least two sources; ".*one" holds only the source "unknown"\. A file's source is its name before "__"/);
    assert.ok(!existsSync(sibling), 'nothing written');
    const inside = exportCrops(path.join(repo, 'crops'), path.join(dir, 'one'));
    assert.equal(inside.status, 2);
    assert.match(inside.stderr, /must be outside the repository/);
  });
});
