// Golden tests of every model of the default pack: each model, fed fixed inputs made at test time
// from the fixture selfies by the engine's preprocessing, must give the recorded outputs (raw
// tensors and their decoding, from a reference run: test/golden/reference.ts) within tolerance.
// Records are pinned to each model file's sha256: a replaced model is reported as such, with the
// command that re-records it, not as a numeric mismatch.

import assert from 'node:assert/strict';
import { DEFAULT_PACK_DIR } from '../../core/engine';
import { checkLiveness } from '../../core/checks/liveness';
import { detectFaces } from '../../core/faces/detector';
import { estimatePose, locateLandmarks } from '../../core/faces/landmarks';
import { readTurn } from '../../core/faces/orientation';
import { readPack, type ModelEntry } from '../../core/models/manifest';
import { createRegistry, type Model, type Registry } from '../../core/models/registry';
import { fixtureRaster, goldenInput } from './cases';
import { readRecords, RECORD_COMMAND, type GoldenCase, type ModelRecord } from './records';
import { summarize, type TensorSummary } from './reference';
import type { SelfieName } from '../helpers/faces';

/** |actual - expected| <= ABS + REL * |expected|: runtime and CPU differences, nothing more. */
const ABS = 1e-4;
const REL = 1e-3;

function near(actual: number, expected: number, what: string, abs = ABS): void {
  assert.ok(Math.abs(actual - expected) <= abs + REL * Math.abs(expected), `${what}: ${actual} differs from the recorded ${expected}`);
}

function compareSummary(actual: TensorSummary, expected: TensorSummary, what: string): void {
  assert.deepEqual(actual.dims, expected.dims, `${what}: shape`);
  // Sums over many values accumulate rounding: compare them relative to the sum of magnitudes.
  near(actual.sumAbs, expected.sumAbs, `${what}: sum of |values|`, ABS * actual.samples.length);
  near(actual.sum, expected.sum, `${what}: sum`, REL * expected.sumAbs);
  for (const [i, value] of expected.samples) near(actual.samples.find(([j]) => j === i)![1], value, `${what}[${i}]`);
}

/** Why a record cannot vouch for the pack's model, or null when it can. */
function staleness(key: string, entry: ModelEntry, record: ModelRecord | undefined): string | null {
  if (!record) return `Model "${key}" (${entry.file}) has no golden record. Check it against its reference, then record it: ${RECORD_COMMAND}.`;
  if (record.sha256 !== entry.sha256) {
    return `The golden record of model "${key}" is for ${record.file} with sha256 ${record.sha256}, but the pack's ${entry.file} has sha256 ${entry.sha256}: `
      + `the model was replaced. Check the new model against its reference, then re-record: ${RECORD_COMMAND}.`;
  }
  for (const part of ['input', 'crop', 'output'] as const) {
    if (JSON.stringify(record[part]) !== JSON.stringify(entry[part])) {
      return `The manifest's ${part} of model "${key}" changed since its golden record (same file, sha256 ${entry.sha256.slice(0, 12)}...). `
        + `If the change is meant, check it and re-record: ${RECORD_COMMAND}.`;
    }
  }
  return null;
}

/** Runs the engine's own decoding stage of the model and checks it against the record. */
async function checkDecoded(key: string, model: Model, golden: GoldenCase, fixture: SelfieName): Promise<void> {
  const raster = await fixtureRaster(fixture);
  const decoded = golden.decoded;
  const box = golden.box!;
  if (decoded === null) {
    const faces = await detectFaces(model, raster);
    assert.equal(faces.length, golden.faces!.length, `${key} on ${fixture}: number of faces`);
    faces.forEach((face, i) => {
      const want = golden.faces![i]!;
      for (const side of ['x', 'y', 'width', 'height'] as const) near(face.box[side], want.box[side], `${key} on ${fixture}: face ${i} ${side}`, 0.2);
      near(face.score, want.score, `${key} on ${fixture}: face ${i} score`, 1e-3);
    });
    return;
  }
  if (decoded.kind === 'live-probability') {
    const result = await checkLiveness([model], { models: [key], fusion: 'mean', threshold: 0.5 }, 0.5, raster, box);
    near(result.probability, decoded.value, `${key} on ${fixture}: live probability`);
  } else if (decoded.kind === 'points') {
    const { points } = await locateLandmarks(model, raster, box);
    points.forEach((p, i) => {
      near(p.x, decoded.points[i]![0], `${key} on ${fixture}: point ${i} x`, 0.05);
      near(p.y, decoded.points[i]![1], `${key} on ${fixture}: point ${i} y`, 0.05);
    });
  } else if (decoded.kind === 'turn') {
    const reading = await readTurn(model, raster, box);
    assert.equal(reading.turn, decoded.turn, `${key} on ${fixture}: turn`);
    near(reading.probability, decoded.probability, `${key} on ${fixture}: turn probability`);
  } else {
    const pose = await estimatePose(model, raster, box);
    for (const angle of ['yaw', 'pitch', 'roll'] as const) near(pose[angle], decoded[angle], `${key} on ${fixture}: ${angle}`, 0.01);
  }
}

describe('golden outputs of every model of the default pack', function () {
  this.timeout(120_000);
  const pack = readPack(DEFAULT_PACK_DIR);
  const records = readRecords();
  let registry: Registry;

  before(async () => {
    registry = await createRegistry(pack);
  });

  after(async () => {
    await registry.dispose();
  });

  for (const [key, entry] of Object.entries(pack.manifest.models)) {
    // The attribute model's input is the landmark-aligned face, not a crop about the box: its
    // preprocessing and behaviour are tested in test/core/attributes.test.ts, its ONNX file against
    // PyTorch by the training's parity check.
    if (entry.role === 'attributes') continue;
    describe(`${key} (${entry.file})`, () => {
      const record = records.models[key];

      it(`has a golden record for sha256 ${entry.sha256.slice(0, 12)}... and the manifest's preprocessing`, () => {
        const stale = staleness(key, entry, record);
        assert.equal(stale, null, stale ?? undefined);
      });

      for (const golden of record?.cases ?? []) {
        const fixture = golden.fixture as SelfieName;
        it(`gives the recorded raw outputs and decoding on the ${fixture} selfie`, async function () {
          const stale = staleness(key, entry, record);
          assert.equal(stale, null, stale ?? undefined);
          const model = registry.get(key);
          const input = goldenInput(entry, await fixtureRaster(fixture), golden.box);
          assert.deepEqual(input.size, golden.inputSize, 'input size');
          const outputs = await model.run(input.tensor, input.size);
          for (const [name, expected] of Object.entries(golden.outputs)) {
            const actual = outputs[name];
            assert.ok(actual, `output ${name} is missing`);
            compareSummary(summarize(actual.data, actual.dims), expected, `${key} on ${fixture}: ${name}`);
          }
          await checkDecoded(key, model, golden, fixture);
        });
      }
    });
  }

  it('keeps no record of a model the pack no longer has', () => {
    const gone = Object.keys(records.models).filter((key) => !(key in pack.manifest.models));
    assert.deepEqual(gone, [], `records of removed models: ${gone.join(', ')}`);
  });
});
