// Model packs: the manifest's checks, sha256 pinning of every model file, and a two-model
// liveness pack (weighted-mean fusion) built from the default pack's files in a temp directory.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine, DEFAULT_PACK_DIR } from '../../core';
import { readPack, validateManifest, type Manifest } from '../../core/models/manifest';
import { selfieJpeg } from '../helpers/faces';

function defaultManifest(): Manifest {
  return JSON.parse(readFileSync(path.join(DEFAULT_PACK_DIR, 'manifest.json'), 'utf8')) as Manifest;
}

function writePack(manifest: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-pack-'));
  for (const entry of Object.values(defaultManifest().models)) copyFileSync(path.join(DEFAULT_PACK_DIR, entry.file), path.join(dir, entry.file));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

describe('model packs', function () {
  const made: string[] = [];
  after(function () {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('the built-in pack reads, names its sources and licences, and pins every file by sha256', function () {
    const { manifest } = readPack(DEFAULT_PACK_DIR);
    assert.equal(manifest.name, 'facelive-default');
    for (const entry of Object.values(manifest.models)) {
      assert.match(entry.sha256, /^[0-9a-f]{64}$/);
      const licence = entry.source.package ? manifest.sources?.[entry.source.package]?.license : entry.source.trained && entry.source.license;
      assert.ok(licence, `${entry.file} names its package (or the training code that made it) and licence`);
    }
  });

  it('refuses manifests that lack what the engine relies on, naming the field', function () {
    const good = defaultManifest();
    const broken: [string, unknown][] = [
      ['models', { ...good, models: undefined }],
      ['layout', { ...good, models: { ...good.models, detector: { ...good.models.detector!, input: { ...good.models.detector!.input, layout: 'CHW' } } } }],
      ['liveness.models', { ...good, liveness: { ...good.liveness, models: ['detector'] } }],
      ['threshold', { ...good, liveness: { ...good.liveness, threshold: 2 } }],
      ['sha256', { ...good, models: { ...good.models, pose: { ...good.models.pose!, sha256: 'abc' } } }],
    ];
    for (const [field, manifest] of broken) {
      assert.throws(() => validateManifest(manifest, 'manifest.json'), (err: unknown) => err instanceof TypeError && err.message.includes(field), field);
    }
  });

  it('refuses to load a model file whose sha256 differs from the manifest', async function () {
    const manifest = defaultManifest();
    const dir = writePack(manifest);
    made.push(dir);
    const file = path.join(dir, manifest.models.liveness!.file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(file, bytes);
    await assert.rejects(createEngine({ pack: dir }), /sha256/);
  });

  it('fuses several liveness models by weighted mean, each with its own crop, as the manifest says', async function () {
    const base = defaultManifest();
    const wide = { ...base.models.liveness!, crop: { ...base.models.liveness!.crop, scale: 1.2 } };
    const manifest = {
      ...base,
      name: 'two-crops',
      models: { ...base.models, wide },
      liveness: { ...base.liveness, models: ['liveness', 'wide'], weights: [3, 1] },
    };
    const dir = writePack(manifest);
    made.push(dir);
    const engine = await createEngine({ pack: dir });
    try {
      const { data } = await engine.check(await selfieJpeg(), { is_quality: false, is_attribute: false });
      const scores = data.liveness!.models;
      assert.deepEqual(Object.keys(scores), ['liveness', 'wide']);
      assert.notEqual(scores.liveness, scores.wide, 'different crops give different scores');
      assert.ok(Math.abs(data.liveness!.probability - (3 * scores.liveness! + scores.wide!) / 4) < 1e-9);
      assert.equal(data.pack.name, 'two-crops');
    } finally {
      await engine.dispose();
    }
  });

  it('rejects unknown engine options and bad thresholds with a TypeError', async function () {
    await assert.rejects(createEngine({ packs: 'x' } as never), /Unknown engine option "packs"/);
    await assert.rejects(createEngine({ thresholds: { liveness: 3 } }), /thresholds.liveness/);
    await assert.rejects(createEngine({ limits: { maxPixels: -1 } }), /limits.maxPixels/);
    await assert.rejects(createEngine({ pack: path.join(os.tmpdir(), 'no-such-pack-dir') }), /manifest.json is missing/);
  });
});
