// The only importer of onnxruntime-node: turns a pack's model files into inference sessions,
// checks each file's sha256 first, creates every session once per Engine, and releases them.
// The models named in `workers` live in worker threads (model-worker.ts), each list in one thread, so
// that they run beside the main thread; the others run on the main thread.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import './ort-telemetry-off';
import * as ort from 'onnxruntime-node';
import { MISSING_MODELS_ADVICE, type ModelEntry, type Pack } from './manifest';
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
  /** Why some model can no longer run (its worker thread exited), or undefined while all can. */
  failure(): Error | undefined;
  dispose(): Promise<void>;
}

export interface RegistryOptions {
  /** Model keys whose sessions run in worker threads: each list shares one thread. Defaults to none. */
  readonly workers?: readonly (readonly string[])[];
}

interface Loaded {
  readonly model: Model;
  release(): Promise<void>;
  /** For models in a worker thread: why that thread can no longer run them. */
  failure?(): Error | undefined;
}

function inputDims(entry: ModelEntry, size: { readonly width: number; readonly height: number } = entry.input): number[] {
  const { layout, channels } = entry.input;
  const { width, height } = size;
  const depth = channels === 'GRAY' ? 1 : 3;
  return layout === 'NCHW' ? [1, depth, height, width] : [1, height, width, depth];
}

/**
 * The model file's bytes, after checking its sha256 against the manifest. A missing or altered file
 * is a bad pack: a TypeError, like the manifest's own problems (createEngine's contract).
 */
async function readModel(pack: Pack, entry: ModelEntry): Promise<Buffer> {
  const file = path.join(pack.dir, entry.file);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new TypeError(`Model file ${entry.file} of pack ${pack.manifest.name} is missing in ${pack.dir}. ${MISSING_MODELS_ADVICE}`);
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== entry.sha256) {
    throw new TypeError(`Model file ${entry.file} has sha256 ${digest}, but the manifest pins ${entry.sha256}. Refusing to load it.`);
  }
  return bytes;
}

/**
 * A session for the file's bytes. A file onnxruntime cannot load (truncated, not a model, an operator
 * it lacks) is a bad pack like an altered one: a TypeError naming the model and its file, with
 * onnxruntime's own message.
 */
async function createSession(pack: Pack, key: string, entry: ModelEntry, bytes: Buffer): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TypeError(`Model ${key} (file ${entry.file}) of pack ${pack.manifest.name} could not be loaded by onnxruntime: ${reason}`, { cause: err });
  }
}

async function loadOnMainThread(pack: Pack, key: string, entry: ModelEntry, bytes: Buffer): Promise<Loaded> {
  const { name } = entry.input;
  const session = await createSession(pack, key, entry, bytes);
  const model: Model = {
    key,
    entry,
    async run(input: Float32Array, size?: { readonly width: number; readonly height: number }): Promise<TensorMap> {
      let results: ort.InferenceSession.ReturnType;
      try {
        results = await session.run({ [name]: new ort.Tensor('float32', input, inputDims(entry, size)) });
      } catch (err) {
        // onnxruntime's message does not say which of the pack's models it came from.
        throw new Error(`Model ${key}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
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
 * Waits for every load to settle; when any failed, releases what the others loaded and rethrows the
 * first failure, so that a refused load leaks nothing.
 */
async function allOrNothing<T>(loads: readonly Promise<T>[], release: (value: T) => Promise<unknown>): Promise<T[]> {
  const settled = await Promise.allSettled(loads);
  const loaded = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (!failure) return loaded;
  await Promise.allSettled(loaded.map(release));
  throw failure.reason;
}

/**
 * Loads models into one worker thread that they share; where no worker can be had (or onnxruntime
 * will not load in one), they run on the main thread instead.
 */
async function loadInWorker(pack: Pack, models: readonly { key: string; entry: ModelEntry; bytes: Buffer }[]): Promise<Loaded[]> {
  let worker: ModelWorker;
  try {
    worker = await startModelWorker(models);
  } catch {
    return allOrNothing(models.map(({ key, entry, bytes }) => loadOnMainThread(pack, key, entry, bytes)), (one) => one.release());
  }
  let closing: Promise<void> | undefined;
  const release = (): Promise<void> => (closing ??= worker.close());
  return models.map(({ key, entry }) => ({
    model: { key, entry, run: (input, size) => worker.run(key, entry.input.name, input, inputDims(entry, size)) },
    release,
    failure: () => worker.failure,
  }));
}

/**
 * Loads every model of the pack (in parallel) after checking its sha256. When any model fails, waits
 * for the others to settle and releases every session (and worker) already created before rethrowing,
 * so a refused pack leaks nothing however often it is retried.
 */
export async function createRegistry(pack: Pack, options: RegistryOptions = {}): Promise<Registry> {
  // Each model once: keys the pack lacks, or named twice, are dropped.
  const inWorker = new Set<string>();
  const groups: string[][] = [];
  for (const keys of options.workers ?? []) {
    const group: string[] = [];
    for (const key of keys) {
      if (!(key in pack.manifest.models) || inWorker.has(key)) continue;
      inWorker.add(key);
      group.push(key);
    }
    if (group.length > 0) groups.push(group);
  }
  const entries = Object.entries(pack.manifest.models);
  const releaseAll = (list: readonly Loaded[]): Promise<unknown> => Promise.allSettled(list.map((one) => one.release()));
  const loaded = (await allOrNothing([
    ...entries.filter(([key]) => !inWorker.has(key)).map(async ([key, entry]) => [await loadOnMainThread(pack, key, entry, await readModel(pack, entry))]),
    ...groups.map(async (keys) => loadInWorker(pack, await Promise.all(keys.map(async (key) => {
      const entry = pack.manifest.models[key]!;
      return { key, entry, bytes: await readModel(pack, entry) };
    })))),
  ], releaseAll)).flat();
  const models = new Map(loaded.map((one) => [one.model.key, one]));
  let disposed = false;
  /** The release under way, which every dispose() call waits for (a second call must not resolve first). */
  let releasing: Promise<void> | undefined;
  return {
    failure(): Error | undefined {
      for (const loadedModel of models.values()) {
        const failure = loadedModel.failure?.();
        if (failure) return failure;
      }
      return undefined;
    },
    get(key: string): Model {
      if (disposed) throw new Error('The engine was disposed.');
      const found = models.get(key);
      if (!found) throw new Error(`The pack has no model ${key}.`);
      return found.model;
    },
    dispose(): Promise<void> {
      disposed = true;
      releasing ??= Promise.all([...models.values()].map((loadedModel) => loadedModel.release())).then(() => models.clear());
      return releasing;
    },
  };
}
