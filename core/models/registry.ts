// The only importer of onnxruntime-node: turns a pack's model files into inference sessions,
// checks each file's sha256 first, creates every session once per Engine, and releases them.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelEntry, Pack } from './manifest';

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

async function loadModel(pack: Pack, key: string, entry: ModelEntry): Promise<{ model: Model; session: ort.InferenceSession }> {
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
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
  });
  const { layout, channels, name } = entry.input;
  const depth = channels === 'GRAY' ? 1 : 3;
  const model: Model = {
    key,
    entry,
    async run(input: Float32Array, size = entry.input): Promise<TensorMap> {
      const { width, height } = size;
      const dims = layout === 'NCHW' ? [1, depth, height, width] : [1, height, width, depth];
      const results = await session.run({ [name]: new ort.Tensor('float32', input, dims) });
      const out: TensorMap = {};
      for (const [outName, tensor] of Object.entries(results)) {
        out[outName] = { data: tensor.data as Float32Array, dims: tensor.dims };
      }
      return out;
    },
  };
  return { model, session };
}

/**
 * Loads every model of the pack (in parallel) after checking its sha256. When any model fails, waits
 * for the others to settle and releases every session already created before rethrowing, so a
 * refused pack leaks nothing however often it is retried.
 */
export async function createRegistry(pack: Pack): Promise<Registry> {
  const settled = await Promise.allSettled(
    Object.entries(pack.manifest.models).map(async ([key, entry]) => [key, await loadModel(pack, key, entry)] as const),
  );
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  const loaded = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  if (failure) {
    await Promise.allSettled(loaded.map(([, { session }]) => session.release()));
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
      await Promise.all([...models.values()].map(({ session }) => session.release()));
      models.clear();
    },
  };
}
