// The only importer of onnxruntime-node: turns a pack's model files into inference sessions,
// checks each file's sha256 first, creates every session once per Engine, and releases them.
// Sessions of the roles named in `workerRoles` live in a worker thread each (model-worker.ts), so
// that they run beside the main thread; the others run on the main thread.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelEntry, ModelRole, Pack } from './manifest';
import { startModelWorker, type ModelWorker } from './model-worker';
import { SESSION_OPTIONS } from './session-options';

export type TensorMap = Record<string, { readonly data: Float32Array; readonly dims: readonly number[] }>;

/** One loaded model: run it with a float input, get named float outputs. */
export interface Model {
  readonly key: string;
  readonly entry: ModelEntry;
  /** `size` overrides the manifest's input width and height (models with a dynamic input). */
  run(input: Float32Array, size?: { readonly width: number; readonly height: number }): Promise<TensorMap>;
}

export interface Registry {
  get(key: string): Model;
  dispose(): Promise<void>;
}

export interface RegistryOptions {
  /** Roles whose sessions run in a worker thread of their own. Defaults to none. */
  readonly workerRoles?: readonly ModelRole[];
}

interface Loaded {
  readonly model: Model;
  release(): Promise<void>;
}

function inputDims(entry: ModelEntry, size: { readonly width: number; readonly height: number } = entry.input): number[] {
  const { layout, channels } = entry.input;
  const { width, height } = size;
  const depth = channels === 'GRAY' ? 1 : 3;
  return layout === 'NCHW' ? [1, depth, height, width] : [1, height, width, depth];
}

async function loadModel(pack: Pack, key: string, entry: ModelEntry, inWorker: boolean): Promise<Loaded> {
  const file = path.join(pack.dir, entry.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new Error(`Model file ${entry.file} of pack ${pack.manifest.name} is missing in ${pack.dir}. Run "npm run build:models".`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== entry.sha256) {
    throw new Error(`Model file ${entry.file} has sha256 ${digest}, but the manifest pins ${entry.sha256}. Refusing to load it.`);
  }
  const { name } = entry.input;
  if (inWorker) {
    let worker: ModelWorker | undefined;
    try {
      worker = await startModelWorker(bytes);
    } catch {
      // No worker thread to be had (or onnxruntime would not load in one): run on the main thread.
    }
    if (worker) {
      const running = worker;
      return { model: { key, entry, run: (input, size) => running.run(name, input, inputDims(entry, size)) }, release: () => running.close() };
    }
  }
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  const model: Model = {
    key,
    entry,
    async run(input: Float32Array, size?: { readonly width: number; readonly height: number }): Promise<TensorMap> {
      const results = await session.run({ [name]: new ort.Tensor('float32', input, inputDims(entry, size)) });
      const out: TensorMap = {};
      for (const [outName, tensor] of Object.entries(results)) {
        out[outName] = { data: tensor.data as Float32Array, dims: tensor.dims };
      }
      return out;
    },
  };
  return { model, release: () => session.release() };
}

/**
 * Loads every model of the pack (in parallel) after checking its sha256. When any model fails, waits
 * for the others to settle and releases every session (and worker) already created before rethrowing,
 * so a refused pack leaks nothing however often it is retried.
 */
export async function createRegistry(pack: Pack, options: RegistryOptions = {}): Promise<Registry> {
  const workerRoles = options.workerRoles ?? [];
  const settled = await Promise.allSettled(
    Object.entries(pack.manifest.models).map(async ([key, entry]) => [key, await loadModel(pack, key, entry, workerRoles.includes(entry.role))] as const),
  );
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  const loaded = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  if (failure) {
    await Promise.allSettled(loaded.map(([, loadedModel]) => loadedModel.release()));
    throw failure.reason;
  }
  const models = new Map(loaded.map(([key, value]) => [key, value]));
  let disposed = false;
  return {
    get(key: string): Model {
      if (disposed) throw new Error('The engine was disposed.');
      const found = models.get(key);
      if (!found) throw new Error(`The pack has no model ${key}.`);
      return found.model;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await Promise.all([...models.values()].map((loadedModel) => loadedModel.release()));
      models.clear();
    },
  };
}
