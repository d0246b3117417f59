// A worker thread that holds inference sessions for one or more models, so those models run beside
// the main thread (onnxruntime-node runs a session synchronously on the calling thread); a worker's
// models run one after another, in the order their requests arrive. Protocol: the creator sends each
// model's bytes once under a key; then each request names a key and carries an input tensor.

import { parentPort } from 'node:worker_threads';
import './ort-telemetry-off';
import * as ort from 'onnxruntime-node';
import { SESSION_OPTIONS } from './session-options';

export type WorkerRequest =
  | { readonly type: 'load'; readonly key: string; readonly bytes: Uint8Array }
  | { readonly type: 'run'; readonly id: number; readonly key: string; readonly name: string; readonly input: Float32Array; readonly dims: readonly number[] };

export type WorkerReply =
  | { readonly type: 'ready'; readonly key: string }
  | { readonly type: 'result'; readonly id: number; readonly outputs: Record<string, { data: Float32Array; dims: readonly number[] }> }
  | { readonly type: 'error'; readonly id?: number; readonly key?: string; readonly message: string };

const sessions = new Map<string, ort.InferenceSession>();
const port = parentPort;

port?.on('message', (message: WorkerRequest) => {
  if (message.type === 'load') {
    const { key } = message;
    ort.InferenceSession.create(message.bytes, SESSION_OPTIONS).then(
      (created) => {
        sessions.set(key, created);
        port.postMessage({ type: 'ready', key } satisfies WorkerReply);
      },
      (err: unknown) => port.postMessage({ type: 'error', key, message: (err as Error).message } satisfies WorkerReply),
    );
    return;
  }
  const { id, key, name, input, dims } = message;
  const session = sessions.get(key);
  if (!session) {
    port.postMessage({ type: 'error', id, message: `The model worker has no session for ${key}.` } satisfies WorkerReply);
    return;
  }
  // Whatever a bad request throws (a tensor whose size does not match its dims...) is answered as
  // an error: it must not take the thread, and every later run, down with it.
  Promise.resolve().then(() => session.run({ [name]: new ort.Tensor('float32', input, dims) })).then(
    (results) => {
      // Outputs are small (scores, points): copied by the structured clone.
      const outputs: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
      for (const [outName, tensor] of Object.entries(results)) outputs[outName] = { data: tensor.data as Float32Array, dims: tensor.dims };
      port.postMessage({ type: 'result', id, outputs } satisfies WorkerReply);
    },
    (err: unknown) => port.postMessage({ type: 'error', id, message: (err as Error).message } satisfies WorkerReply),
  );
});
