// The committed, trained liveness models against PyTorch, its reference implementation: the exporter
// saved four reference input tensors and PyTorch's outputs for them (test/fixtures/pytorch); the
// ONNX files the pack ships must reproduce those outputs through the engine's own registry.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PACK_DIR } from '../../core';
import { readPack } from '../../core/models/manifest';
import { createRegistry } from '../../core/models/registry';

const fixtures = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'pytorch');

function floats(file: string): Float32Array {
  const bytes = readFileSync(path.join(fixtures, file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

describe('trained models against PyTorch', function () {
  const pack = readPack(DEFAULT_PACK_DIR);
  it('the default pack\'s liveness models are the three trained files, each with its PyTorch fixture', function () {
    const files = pack.manifest.liveness.models.map((key) => pack.manifest.models[key]!.file);
    assert.deepEqual(files, ['liveness_minifasnet_v2_facelive.onnx', 'liveness_minifasnet_v1se_facelive.onnx', 'liveness_minifasnet_v2face_facelive.onnx'], 'the fixtures belong to these files; re-export them with the models');
  });

  for (const key of pack.manifest.liveness.models) {
    const entry = pack.manifest.models[key]!;
    const base = entry.file.replace(/\.onnx$/, '');
    it(`${entry.file} gives PyTorch's class probabilities on its reference tensors (max abs difference <= 1e-4)`, async function () {
      const input = floats(`${base}.in.bin`);
      const expected = floats(`${base}.out.bin`);
      const registry = await createRegistry(pack);
      try {
        const model = registry.get(key);
        const per = 3 * 80 * 80;
        let worst = 0;
        for (let i = 0; i < input.length / per; i++) {
          const out = (await model.run(input.slice(i * per, (i + 1) * per)))['output']!.data;
          assert.equal(out.length, 3);
          for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(out[c]! - expected[i * 3 + c]!));
          assert.ok(Math.abs(out[0]! + out[1]! + out[2]! - 1) < 1e-5, 'class probabilities sum to 1');
        }
        assert.ok(worst <= 1e-4, `max abs difference ${worst}`);
      } finally {
        await registry.dispose();
      }
    });
  }
});
