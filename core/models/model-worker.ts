// The main-thread side of a model worker (session-worker.ts): starts the thread, hands it the bytes
// of the models it is to hold, and turns each run into a message and a promise, so the models run
// while the main thread goes on with the other stages of the check.

import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerReply, WorkerRequest } from './session-worker';

type Outputs = Record<string, { readonly data: Float32Array; readonly dims: readonly number[] }>;

export interface ModelWorker {
  /** Runs the model loaded under `key`; a worker's runs go one after another, in the order asked. */
  run(key: string, name: string, input: Float32Array, dims: readonly number[]): Promise<Outputs>;
  /** Why the thread can no longer run models (it failed or exited unasked), or undefined while it can. */
  readonly failure: Error | undefined;
  close(): Promise<void>;
}

/** Starts a worker holding a session for each model; resolves once every session is created. */
export function startModelWorker(models: readonly { readonly key: string; readonly bytes: Buffer }[]): Promise<ModelWorker> {
  const worker = new Worker(path.join(__dirname, 'session-worker.js'));
  const pending = new Map<number, { key: string; resolve(outputs: Outputs): void; reject(err: Error): void }>();
  const loading = new Set(models.map((model) => model.key));
  /** Runs asked and not yet answered: close() lets them finish before it ends the thread. */
  const running = new Set<Promise<unknown>>();
  let nextId = 0;
  let closed = false;
  /** Set once the thread has failed or exited: later runs are refused at once rather than left unanswered. */
  let dead: Error | undefined;
  // The worker keeps the process alive only while a run is in flight (or while it loads).
  const settle = (): void => {
    if (pending.size === 0) worker.unref();
  };
  const failAll = (err: Error): void => {
    for (const { reject } of pending.values()) reject(err);
    pending.clear();
    settle();
  };
  const handle: ModelWorker = {
    run(key, name, input, dims) {
      if (closed) return Promise.reject(new Error('The engine was disposed.'));
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      const outputs = new Promise<Outputs>((resolve, reject) => {
        pending.set(id, { key, resolve, reject });
        worker.ref();
        // The input is made for this run only: hand its buffer over instead of copying it.
        worker.postMessage({ type: 'run', id, key, name, input, dims } satisfies WorkerRequest, [input.buffer as ArrayBuffer]);
      });
      const settled = outputs.then(() => undefined, () => undefined);
      running.add(settled);
      void settled.then(() => running.delete(settled));
      return outputs;
    },
    get failure() {
      return dead;
    },
    async close() {
      closed = true;
      // Ending the thread while onnxruntime runs a model in it aborts the whole process. A check that
      // failed early (another of its models refused) can leave runs here: they finish first.
      while (running.size > 0) await Promise.all([...running]);
      await worker.terminate();
    },
  };
  return new Promise<ModelWorker>((resolve, reject) => {
    const onStartError = (err: Error): void => reject(err);
    // A thread that exits while loading without an 'error' (terminated, or process.exit inside it)
    // would otherwise leave createEngine waiting for a 'ready' that never comes.
    const onStartExit = (code: number): void => reject(new Error(`The model worker exited (code ${code}) while loading its models.`));
    worker.once('error', onStartError);
    worker.once('exit', onStartExit);
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') {
        loading.delete(reply.key);
        if (loading.size > 0) return;
        worker.off('error', onStartError);
        worker.off('exit', onStartExit);
        settle();
        worker.on('error', (err) => failAll((dead ??= err)));
        worker.on('exit', () => failAll(closed ? new Error('The engine was disposed.') : (dead ??= new Error('The model worker exited.'))));
        resolve(handle);
        return;
      }
      if (reply.type === 'error' && reply.id === undefined) {
        reject(new Error(reply.message));
        void worker.terminate();
        return;
      }
      const waiting = reply.id === undefined ? undefined : pending.get(reply.id);
      if (!waiting || reply.id === undefined) return;
      pending.delete(reply.id);
      settle();
      if (reply.type === 'result') waiting.resolve(reply.outputs);
      else if (reply.type === 'error') waiting.reject(new Error(`Model ${waiting.key}: ${reply.message}`));
    });
    for (const { key, bytes } of models) {
      const copy = new Uint8Array(bytes);
      worker.postMessage({ type: 'load', key, bytes: copy } satisfies WorkerRequest, [copy.buffer]);
    }
  });
}
