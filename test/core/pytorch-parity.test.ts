// The committed, trained liveness model against PyTorch, its reference implementation: the exporter
// saved four reference input tensors and PyTorch's outputs for them (test/fixtures/pytorch); the
// ONNX file the pack ships must reproduce those outputs through the engine's own registry.

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
  it('the shipped liveness model gives PyTorch\'s class probabilities on its reference tensors (max abs difference <= 1e-4)', async function () {
    const pack = readPack(DEFAULT_PACK_DIR);
    const key = pack.manifest.liveness.models[0]!;
    const entry = pack.manifest.models[key]!;
    assert.equal(entry.file, 'liveness_minifasnet_v2_facelive.onnx', 'the fixture belongs to this file; re-export it with the model');
    const input = floats('liveness_minifasnet_v2_facelive.in.bin');
    const expected = floats('liveness_minifasnet_v2_facelive.out.bin');
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
});
