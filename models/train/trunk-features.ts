// Computes frozen-trunk features for liveness training with onnxruntime-node (several times faster than
// PyTorch on CPU): reads uint8 RGB crops (N x S x S x 3), feeds them as the MiniFASNet input (BGR, raw
// 0..255, NCHW) to the exported trunk, and writes its outputs as float32, N after N.
//
//   node dist/models/train/trunk-features.js TRUNK.onnx CROPS.u8 SIZE OUT.f32

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import '../../core/models/ort-telemetry-off';
import * as ort from 'onnxruntime-node';

const BATCH = 64;

async function main(): Promise<void> {
  const [model, cropsFile, sizeText, outFile] = process.argv.slice(2);
  const size = Number(sizeText);
  if (!model || !cropsFile || !outFile || !(size > 0)) {
    console.error('usage: trunk-features TRUNK.onnx CROPS.u8 SIZE OUT.f32');
    process.exit(2);
  }
  const crops = readFileSync(cropsFile);
  const per = size * size * 3;
  const count = crops.length / per;
  if (!Number.isInteger(count)) throw new Error(`${cropsFile} is not a whole number of ${size}x${size} crops`);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  const out = openSync(outFile, 'w');
  const plane = size * size;
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const input = new Float32Array(n * per);
    for (let i = 0; i < n; i++) {
      const src = (start + i) * per;
      const dst = i * per;
      for (let p = 0; p < plane; p++) {
        input[dst + p] = crops[src + p * 3 + 2]!; // B
        input[dst + plane + p] = crops[src + p * 3 + 1]!; // G
        input[dst + 2 * plane + p] = crops[src + p * 3]!; // R
      }
    }
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [n, 3, size, size]) });
    const features = result[session.outputNames[0]!]!.data as Float32Array;
    writeSync(out, Buffer.from(features.buffer, features.byteOffset, features.byteLength));
  }
  closeSync(out);
  await session.release();
  console.log(`${count} crops -> ${outFile}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
