// Parity check for an exported attribute model: runs the ONNX file in onnxruntime-node (the runtime's
// engine) on the tensors PyTorch saw and prints the largest absolute difference from PyTorch's outputs.
//
//   node dist/models/train/attribute-parity.js MODEL.onnx CASE.json   (CASE: { dims, inputs[][], outputs[][] })

import { readFileSync } from 'node:fs';
import '../../core/models/ort-telemetry-off';
import * as ort from 'onnxruntime-node';

interface ParityCase { dims: number[]; inputs: number[][]; outputs: number[][] }

export async function maxAbsDiff(modelFile: string, parity: ParityCase): Promise<number> {
  const session = await ort.InferenceSession.create(readFileSync(modelFile), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    let worst = 0;
    for (let i = 0; i < parity.inputs.length; i++) {
      const input = new ort.Tensor('float32', Float32Array.from(parity.inputs[i]!), parity.dims);
      const result = await session.run({ [session.inputNames[0]!]: input });
      const got = result[session.outputNames[0]!]!.data as Float32Array;
      const want = parity.outputs[i]!;
      if (got.length !== want.length) throw new Error(`Output ${i} has ${got.length} values, PyTorch gave ${want.length}.`);
      for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(got[j]! - want[j]!));
    }
    return worst;
  } finally {
    await session.release();
  }
}

if (require.main === module) {
  const [modelFile, caseFile] = process.argv.slice(2);
  if (!modelFile || !caseFile) {
    console.error('usage: attribute-parity MODEL.onnx CASE.json');
    process.exit(2);
  }
  maxAbsDiff(modelFile, JSON.parse(readFileSync(caseFile, 'utf8')) as ParityCase)
    .then((d) => console.log(JSON.stringify({ maxAbsDiff: d })))
    .catch((err: unknown) => { console.error(err instanceof Error ? err.message : String(err)); process.exit(1); });
}
