// Parity of an exported ONNX file with the PyTorch model it came from: runs the reference input that
// the exporter saved (MODEL.onnx.parity-in.bin, float32) through onnxruntime-node and compares the
// output with PyTorch's (MODEL.onnx.parity-out.bin). Exit 0 when the max abs difference is <= 1e-4.
//
//   node dist/models/train/check-parity.js MODEL.onnx N C H W

import { readFileSync } from 'node:fs';
import '../../core/models/ort-telemetry-off';
import * as ort from 'onnxruntime-node';

const TOLERANCE = 1e-4;

function floats(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

async function main(): Promise<void> {
  const [file, ...dims] = process.argv.slice(2);
  const shape = dims.map(Number);
  if (!file || shape.length !== 4 || shape.some((d) => !(d > 0))) {
    console.error('usage: check-parity MODEL.onnx N C H W');
    process.exit(2);
  }
  const input = floats(`${file}.parity-in.bin`);
  const expected = floats(`${file}.parity-out.bin`);
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  const outputs = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, shape) });
  const actual = outputs[session.outputNames[0]!]!.data as Float32Array;
  if (actual.length !== expected.length) throw new Error(`output has ${actual.length} values, PyTorch gave ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  console.log(`parity ${file}: max abs difference ${worst.toExponential(2)} over ${actual.length} values (tolerance ${TOLERANCE})`);
  await session.release();
  if (!(worst <= TOLERANCE)) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
