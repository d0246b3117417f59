// Model packs: the manifest's checks, sha256 pinning of every model file, and a two-model
// liveness pack (weighted-mean fusion) built from the default pack's files in a temp directory.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import '../../core/models/ort-telemetry-off';
import * as ort from 'onnxruntime-node';
import { checkEngineOptions, createEngine, DEFAULT_PACK_DIR } from '../../core';
import { readPack, validateManifest, type Manifest } from '../../core/models/manifest';
import { buildResult } from '../../core/verdict';
import { DEFAULT_OPTIONS } from '../../core/options';
import { blurredSelfie, selfieJpeg } from '../helpers/faces';

function defaultManifest(): Manifest {
  return JSON.parse(readFileSync(path.join(DEFAULT_PACK_DIR, 'manifest.json'), 'utf8')) as Manifest;
}

function writePack(manifest: unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-pack-'));
  for (const entry of Object.values(defaultManifest().models)) copyFileSync(path.join(DEFAULT_PACK_DIR, entry.file), path.join(dir, entry.file));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/** The default pack in a temp directory, its liveness file altered by one byte (a sha256 mismatch). */
function packWithCorruptedLiveness(): string {
  const manifest = defaultManifest();
  const dir = writePack(manifest);
  const file = path.join(dir, manifest.models.liveness!.file);
  const bytes = readFileSync(file);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(file, bytes);
  return dir;
}

describe('model packs', function () {
  const made: string[] = [];
  after(function () {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('the built-in pack reads, names every model\'s source, licence and model card (and fine-tuned weights their data), and pins every file by sha256', function () {
    const { manifest } = readPack(DEFAULT_PACK_DIR);
    assert.equal(manifest.name, 'facelive-default');
    for (const entry of Object.values(manifest.models)) {
      assert.match(entry.sha256, /^[0-9a-f]{64}$/);
      assert.ok(['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause'].includes(entry.license ?? ''), `${entry.file} has a permissive licence`);
      assert.ok(entry.card && readFileSync(path.join(DEFAULT_PACK_DIR, entry.card), 'utf8').length > 200, `${entry.file} has a model card`);
      if (entry.source.package) {
        assert.ok(manifest.sources?.[entry.source.package]?.license, `${entry.file} names its package and licence`);
        continue;
      }
      // Committed weights: a public repository at a commit (or the training code here that made them),
      // a permissive licence, a model card beside them.
      const fromRepository = entry.source.repository && /^[0-9a-f]{40}$/.test(entry.source.commit ?? '');
      const trainedHere = entry.source.trained && existsSync(path.join(DEFAULT_PACK_DIR, '..', entry.source.trained)) && entry.source.data;
      // Weights trained or fine-tuned on data say on what terms that data came.
      assert.ok(!entry.source.converted?.includes('fine-tuned') || entry.source.data, `${entry.file} names its training data`);
      assert.ok(fromRepository || trainedHere, `${entry.file} names its repository and commit, or its training code and data`);
      assert.match(entry.source.sha256, /^[0-9a-f]{64}$/);
      assert.ok(statSync(path.join(DEFAULT_PACK_DIR, entry.file)).size <= 4 * 1024 * 1024, `${entry.file} is at most 4 MB`);
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
      ['orientation.unsure', { ...good, models: { ...good.models, detector: { ...good.models.detector!, output: { ...good.models.detector!.output, orientation: { minScore: 0.8, unsure: { below: 2, margin: 0.02, minScore: 0.95 } } } } } }],
      ['of type turns', { ...good, models: { ...good.models, turns: { ...good.models.pose!, role: 'orientation', output: { type: 'turns', name: 'turns', turns: [0, 180], minConfidence: 0.5 } } } }],
      ['of type turns', { ...good, models: { ...good.models, turns: { ...good.models.pose!, role: 'orientation', output: { type: 'turns', name: 'turns', turns: [0, 90, 180, 270], minConfidence: 0 } } } }],
      ['needs the detector\'s output.orientation rule', { ...good, models: { ...good.models, detector: { ...good.models.detector!, output: { ...good.models.detector!.output, orientation: undefined } } } }],
      ['at most one model may have role orientation', { ...good, models: { ...good.models, a: { ...good.models.pose!, role: 'orientation', output: { type: 'turns', name: 'turns', turns: [0, 90, 180, 270], minConfidence: 0.5 } }, b: { ...good.models.pose!, role: 'orientation', output: { type: 'turns', name: 'turns', turns: [0, 90, 180, 270], minConfidence: 0.5 } } } }],
    ];
    for (const [field, manifest] of broken) {
      assert.throws(() => validateManifest(manifest, 'manifest.json'), (err: unknown) => err instanceof TypeError && err.message.includes(field), field);
    }
  });

  it('refuses thresholds and limits that are missing or not finite numbers in their range, naming the field (they would compare as 0 or never)', function () {
    const good = defaultManifest();
    const detector = good.models.detector!;
    const withDetector = (output: Record<string, unknown>): unknown => ({ ...good, models: { ...good.models, detector: { ...detector, output: { ...detector.output, ...output } } } });
    const without = (section: 'quality' | 'attributes', key: string): unknown => ({ ...good, [section]: Object.fromEntries(Object.entries(good[section]).filter(([name]) => name !== key)) });
    const broken: [string, unknown][] = [
      // Each of these passed `!(t >= 0 && t <= 1)` and made every liveness score pass.
      ...[null, false, '', [], '0x0', '0.5', {}].map((threshold): [string, unknown] => ['liveness.threshold', { ...good, liveness: { ...good.liveness, threshold } }]),
      ['liveness.weights', { ...good, liveness: { ...good.liveness, weights: [1, null, 1] } }],
      ['liveness.weights', { ...good, liveness: { ...good.liveness, weights: [0, 0, 0] } }],
      ['quality.grayscale', without('quality', 'grayscale')],
      ['quality.grayscale', { ...good, quality: { ...good.quality, grayscale: 'x' } }],
      ['quality.blur', { ...good, quality: { ...good.quality, blur: 1.5 } }],
      ['quality.face_size', { ...good, quality: { ...good.quality, face_size: -1 } }],
      ['quality.framing', { ...good, quality: { ...good.quality, framing: null } }],
      ['quality.max_yaw', without('quality', 'max_yaw')],
      ['quality.max_pitch', { ...good, quality: { ...good.quality, max_pitch: '25' } }],
      ['quality.max_roll', { ...good, quality: { ...good.quality, max_roll: 200 } }],
      ['quality.max_yaw_from_landmarks', { ...good, quality: { ...good.quality, max_yaw_from_landmarks: false } }],
      ['attributes.sunglasses', without('attributes', 'sunglasses')],
      ['attributes.sunglasses', { ...good, attributes: { ...good.attributes, sunglasses: 'NaN' } }],
      ['attributes.sunglasses', { ...good, attributes: { ...good.attributes, sunglasses: 7 } }],
      ['attributes.hat', { ...good, attributes: { ...good.attributes, hat: null } }],
      ['attributes.eyeglasses', { ...good, attributes: { ...good.attributes, eyeglasses: '0.5' } }],
      ['quality must be an object', { ...good, quality: 5 }],
      ['models.detector.output.scoreThreshold', withDetector({ scoreThreshold: null })],
      ['models.detector.output.minFaceRatio', withDetector({ minFaceRatio: '0.02' })],
      ['models.detector.output.count.minScore', withDetector({ count: { minScore: 'NaN', minFaceRatio: 0.02, minRelativeSize: 0.3 } })],
      ['models.detector.output.smallFacePass.longSide', withDetector({ smallFacePass: { minImageSide: 800, longSide: 12.5, largestFaceBelow: 0.2 } })],
      ['models.detector.output.refine.size', withDetector({ refine: { context: 1.6 } })],
      ['models.detector.output.padRetry', withDetector({ padRetry: [0.5, null] })],
      ['models.detector.output.fill', withDetector({ fill: 300 })],
    ];
    for (const [field, manifest] of broken) {
      assert.throws(() => validateManifest(manifest, 'manifest.json'), (err: unknown) => err instanceof TypeError && err.message.includes(field), `${field}: ${JSON.stringify(manifest).length} chars`);
    }
    // The shipped packs pass, and so do the keys the engine has defaults for when left out.
    readPack(path.join(DEFAULT_PACK_DIR, 'faceplugin'));
    const { framing: _framing, max_yaw_from_landmarks: _margin, ...quality } = good.quality;
    const { eyeglasses: _eyeglasses, ...attributes } = good.attributes;
    validateManifest({ ...good, quality, attributes, liveness: { ...good.liveness, threshold: 0 } }, 'manifest.json');
  });

  it('refuses a pack whose liveness threshold is null at createEngine, as the service does at start (a print attack passed with it)', async function () {
    const dir = writePack({ ...defaultManifest(), liveness: { ...defaultManifest().liveness, threshold: null } });
    made.push(dir);
    await assert.rejects(createEngine({ pack: dir }), (err: unknown) => err instanceof TypeError && /liveness\.threshold must be a number in \[0,1\] \(received null\)/.test(err.message));
  });

  it('refuses attributes.validate naming an attribute the pack cannot validate, listing those it can', function () {
    const good = defaultManifest();
    const attributesModel = good.models.attributes!;
    const withoutVeil = {
      ...good,
      models: { ...good.models, attributes: { ...attributesModel, output: { type: 'attributes', name: 'probabilities', labels: ['sunglasses', 'mask', 'hat', 'eyeglasses'] } } },
      attributes: { ...good.attributes, validate: ['veil'] },
    };
    const broken: [RegExp, unknown][] = [
      [/attributes\.validate names the string "sunglases"; expected some of sunglasses, mask, veil, hat/, { ...good, attributes: { ...good.attributes, validate: ['sunglases', 'mask'] } }],
      // Clear eyeglasses are reported, never validated (the contract's four only).
      [/attributes\.validate names the string "eyeglasses"/, { ...good, attributes: { ...good.attributes, validate: ['eyeglasses'] } }],
      [/attributes\.validate must list some of .* but it is the string "mask"/, { ...good, attributes: { ...good.attributes, validate: 'mask' } }],
      // A model without the label would report it at probability 0: a validation that never fails.
      [/attributes\.validate names the string "veil"; expected some of sunglasses, mask, hat \(/, withoutVeil],
    ];
    for (const [message, manifest] of broken) {
      assert.throws(() => validateManifest(manifest, 'manifest.json'), (err: unknown) => err instanceof TypeError && message.test(err.message), String(message));
    }
    validateManifest({ ...good, attributes: { ...good.attributes, validate: [] } }, 'manifest.json');
    validateManifest({ ...good, attributes: { ...good.attributes, validate: ['sunglasses', 'mask', 'veil', 'hat'] } }, 'manifest.json');
  });

  it('refuses the validateAttributes option naming an attribute the pack\'s model does not label, as the manifest\'s list is (createEngine, checkEngineOptions)', async function () {
    const good = defaultManifest();
    const dir = writePack({
      ...good,
      models: { ...good.models, attributes: { ...good.models.attributes!, output: { type: 'attributes', name: 'probabilities', labels: ['sunglasses', 'mask', 'hat', 'eyeglasses'] } } },
      attributes: { ...good.attributes, validate: ['sunglasses', 'mask'] },
    });
    made.push(dir);
    const refused = (err: unknown): boolean => err instanceof TypeError && /validateAttributes names veil, .* it can validate sunglasses, mask, hat/.test(err.message);
    assert.throws(() => checkEngineOptions({ pack: dir, validateAttributes: ['veil'] }), refused);
    await assert.rejects(createEngine({ pack: dir, validateAttributes: ['sunglasses', 'veil'] }), refused);
    checkEngineOptions({ pack: dir, validateAttributes: ['hat'] });
    checkEngineOptions({ validateAttributes: ['veil'] });
  });

  it('names the model and its file when onnxruntime cannot load it (a truncated file pinned by its own sha256), keeping onnxruntime\'s reason', async function () {
    const manifest = defaultManifest();
    const dir = writePack(manifest);
    made.push(dir);
    const file = path.join(dir, manifest.models.liveness!.file);
    writeFileSync(file, readFileSync(file).subarray(0, 100_000));
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, models: { ...manifest.models, liveness: { ...manifest.models.liveness!, sha256 } } }));
    await assert.rejects(createEngine({ pack: dir }), (err: unknown) => err instanceof TypeError
      && err.message.startsWith(`Model liveness (file ${manifest.models.liveness!.file}) of pack facelive-default could not be loaded by onnxruntime: `)
      && /protobuf parsing failed/.test(err.message));
  });

  it('refuses to load a model file whose sha256 differs from the manifest, or that is missing, with a TypeError like any bad pack', async function () {
    const dir = packWithCorruptedLiveness();
    made.push(dir);
    await assert.rejects(createEngine({ pack: dir }), (err: unknown) => err instanceof TypeError && /has sha256 [0-9a-f]{64}, but the manifest pins/.test(err.message));
    const manifest = defaultManifest();
    const missing = writePack(manifest);
    made.push(missing);
    rmSync(path.join(missing, manifest.models.liveness!.file));
    await assert.rejects(createEngine({ pack: missing }), (err: unknown) => err instanceof TypeError && /liveness\S*\.onnx of pack \S+ is missing in/.test(err.message));
  });

  it('refuses, naming the role, a pack without a landmarks model (its quality and attribute validations could not run)', async function () {
    const base = defaultManifest();
    const models = Object.fromEntries(Object.entries(base.models).filter(([, entry]) => entry.role !== 'landmarks'));
    const dir = writePack({ ...base, name: 'no-landmarks', models });
    made.push(dir);
    await assert.rejects(createEngine({ pack: dir }), (err: unknown) => err instanceof TypeError && /role landmarks/.test(err.message));
    // The blurred grey face that such a pack used to PASS: the default pack fails it on quality.
    const engine = await createEngine();
    try {
      const { data } = await engine.check(await blurredSelfie(), { validate_quality: true, validate_attribute: true });
      assert.ok(data.validations.failed.includes('quality'), JSON.stringify(data.validations));
    } finally {
      await engine.dispose();
    }
  });

  it('never passes a requested validation whose section was not computed', function () {
    const rest = { faces: [], image: { width: 1, height: 1, format: 'jpeg' as const, orientation: 1 as const }, pack: { name: 'p', version: '1' }, request_id: 'r', timings_ms: {} as never };
    for (const flag of ['validate_quality', 'validate_attribute', 'validate_liveness'] as const) {
      const options = { ...DEFAULT_OPTIONS, [flag]: true };
      assert.throws(() => buildResult({ options, nface: 1, validateAttributes: ['sunglasses'] }, rest), /not evaluated/, flag);
    }
  });

  it('releases every session it created when one model of the pack fails to load (three tries, nothing kept)', async function () {
    const dir = packWithCorruptedLiveness();
    made.push(dir);
    const factory = ort.InferenceSession as unknown as { create: (...args: unknown[]) => Promise<ort.InferenceSession> };
    const original = factory.create;
    let created = 0;
    let released = 0;
    factory.create = async (...args: unknown[]) => {
      const session = await original.apply(factory, args);
      created += 1;
      const release = session.release.bind(session);
      session.release = async () => {
        released += 1;
        await release();
      };
      return session;
    };
    try {
      // With worker threads (the default only where the process may use more than one CPU).
      for (let i = 0; i < 3; i++) await assert.rejects(createEngine({ pack: dir, workerThreads: true }), /sha256/);
      // Sessions of the good models may still be in creation when the bad one is refused: let them finish.
      // Counted here: the sessions on this thread (the liveness and pose models load in worker threads).
      const manifest = defaultManifest();
      const goodModels = Object.entries(manifest.models).filter(([key, entry]) => !manifest.liveness.models.includes(key) && entry.role !== 'pose').length;
      for (let waited = 0; created < 3 * goodModels && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(created, 3 * goodModels, 'every good model got its session');
      assert.equal(released, created, `created ${created} sessions, released ${released}`);
    } finally {
      factory.create = original;
    }
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

  it('keeps the previous npm-built pack selectable for comparison (models/faceplugin), each of its models with a licence and a card', async function () {
    const dir = path.join(DEFAULT_PACK_DIR, 'faceplugin');
    for (const entry of Object.values(readPack(dir).manifest.models)) {
      assert.ok(['MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause'].includes(entry.license ?? ''), `${entry.file} has a permissive licence`);
      assert.ok(entry.card && readFileSync(path.join(dir, entry.card), 'utf8').length > 200, `${entry.file} has a model card`);
    }
    const engine = await createEngine({ pack: dir });
    try {
      const { data } = await engine.check(await selfieJpeg(), { is_quality: false, is_attribute: false });
      assert.equal(data.pack.name, 'facelive-faceplugin');
      assert.equal(data.nface, 1);
      assert.deepEqual(Object.keys(data.liveness!.models), ['liveness']);
    } finally {
      await engine.dispose();
    }
  });

  it('rejects unknown engine options and bad thresholds with a TypeError', async function () {
    await assert.rejects(createEngine({ packs: 'x' } as never), /Unknown engine option "packs"/);
    await assert.rejects(createEngine({ thresholds: { liveness: 3 } }), /thresholds.liveness/);
    await assert.rejects(createEngine({ limits: { maxPixels: -1 } }), /limits.maxPixels/);
    // The advice fits an installed package too, which has no build:models script.
    await assert.rejects(createEngine({ pack: path.join(os.tmpdir(), 'no-such-pack-dir') }), /manifest.json is missing\. Installed from npm: reinstall facelive/);
  });

  it('names what is wrong with options that are not objects, inherited limit names, fractional limits, timers Node cannot set, strings for numbers or booleans and an empty pack path', async function () {
    const refused: [unknown, RegExp][] = [
      [null, /options object for createEngine but received null/],
      [5, /options object for createEngine but received 5\./],
      ['{}', /options object for createEngine but received the string "\{\}"\./],
      [[], /options object for createEngine but received an array/],
      [{ limits: 5 }, /object for limits but received 5\./],
      [{ limits: null }, /object for limits but received null/],
      [{ thresholds: [] }, /object for thresholds but received an array/],
      [{ limits: { toString: () => 'x' } }, /Unknown limit "toString"/],
      [{ limits: { maxRedirects: 1.5 } }, /whole number for limits.maxRedirects/],
      [{ limits: { maxPixels: 0.5 } }, /positive whole number for limits\.maxPixels but received 0\.5: it would refuse every image\./],
      [{ limits: { maxImageBytes: 2.5 } }, /positive whole number for limits\.maxImageBytes but received 2\.5\./],
      [{ limits: { urlTimeoutMs: 0.5 } }, /positive whole number for limits\.urlTimeoutMs but received 0\.5: it would refuse every URL image\./],
      [{ limits: { urlTimeoutMs: 3e9 } }, /limits.urlTimeoutMs at most 2147483647/],
      // A string is described as one: "true" must not read as the boolean it was meant to be.
      [{ limits: { allowPrivateNetwork: 'true' } }, /boolean for limits\.allowPrivateNetwork but received the string "true"\./],
      [{ limits: { maxImageBytes: '5' } }, /number for limits\.maxImageBytes but received the string "5"\./],
      [{ limits: { maxPixels: -1 } }, /number for limits\.maxPixels but received -1\./],
      [{ thresholds: { liveness: '0.5' } }, /number for thresholds\.liveness but received the string "0\.5"\./],
      [{ workerThreads: 'false' }, /boolean for workerThreads but received the string "false"\./],
      [{ pack: 5 }, /directory path for pack but received 5\./],
      [{ pack: '' }, /directory path for pack but received an empty string\./],
    ];
    for (const [options, message] of refused) {
      await assert.rejects(createEngine(options as never), (err: unknown) => err instanceof TypeError && message.test(err.message), String(message));
    }
  });
});
