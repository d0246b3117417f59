// A worker thread that holds one model's inference session, so that model runs beside the main
// thread (onnxruntime-node runs a session synchronously on the calling thread). Protocol: the
// creator sends the model bytes once; then each request carries an input tensor and gets the outputs.

import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { SESSION_OPTIONS } from './session-options';

export type WorkerRequest =
  | { readonly type: 'load'; readonly bytes: Uint8Array }
  | { readonly type: 'run'; readonly id: number; readonly name: string; readonly input: Float32Array; readonly dims: readonly number[] };

export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly outputs: Record<string, { data: Float32Array; dims: readonly number[] }> }
  | { readonly type: 'error'; readonly id?: number; readonly message: string };

let session: ort.InferenceSession | undefined;
const port = parentPort;

port?.on('message', (message: WorkerRequest) => {
  if (message.type === 'load') {
    ort.InferenceSession.create(message.bytes, SESSION_OPTIONS).then(
      (created) => {
        session = created;
        port.postMessage({ type: 'ready' } satisfies WorkerReply);
      },
      (err: unknown) => port.postMessage({ type: 'error', message: (err as Error).message } satisfies WorkerReply),
    );
    return;
  }
  const { id, name, input, dims } = message;
  if (!session) {
    port.postMessage({ type: 'error', id, message: 'The model worker has no session.' } satisfies WorkerReply);
    return;
  }
  session.run({ [name]: new ort.Tensor('float32', input, dims) }).then(
    (results) => {
      // Outputs are small (scores, points): copied by the structured clone.
      const outputs: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
      for (const [outName, tensor] of Object.entries(results)) outputs[outName] = { data: tensor.data as Float32Array, dims: tensor.dims };
      port.postMessage({ type: 'result', id, outputs } satisfies WorkerReply);
    },
    (err: unknown) => port.postMessage({ type: 'error', id, message: (err as Error).message } satisfies WorkerReply),
  );
});
