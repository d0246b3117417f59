// The comparison runner for the bench: @vladmandic/human on its WASM backend doing face detection
// (BlazeFace) + antispoof + liveness, its models read from node_modules (file:// paths, never the
// network), caching across frames switched off so every call does the full work.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';

/** The few parts of Human and its tfjs this runner touches. */
interface Tensor { readonly shape: number[] }
interface Tf {
  tensor3d(data: Uint8Array, shape: [number, number, number], dtype: 'int32'): Tensor;
  dispose(t: Tensor): void;
  ready(): Promise<void>;
  getBackend(): string;
  io: {
    registerLoadRouter(router: (url: string | string[]) => unknown): void;
    getModelArtifactsForJSON(json: unknown, loadWeights: (manifest: WeightGroup[]) => Promise<[unknown[], ArrayBuffer]>): Promise<unknown>;
  };
}
interface WeightGroup { readonly paths: string[]; readonly weights: unknown[] }
interface HumanFace { readonly score: number; readonly real?: number; readonly live?: number }
interface HumanInstance {
  readonly tf: Tf;
  load(): Promise<void>;
  detect(input: Tensor): Promise<{ face: HumanFace[] }>;
}

export interface HumanRunner {
  /** Backend in use ('wasm'). */
  readonly backend: string;
  /** Milliseconds from loading the library to models ready. */
  readonly startupMs: number;
  /** Decodes a JPEG to a tensor (untimed), then times human.detect on it. */
  detect(jpeg: Buffer): Promise<{ ms: number; faces: number; real?: number; live?: number }>;
}

const FILE_SCHEME = 'file://';

/** A tfjs load router for file:// model.json URLs: reads the JSON and its weight files from disk. */
function fileRouter(tf: Tf) {
  return (url: string | string[]) => {
    if (typeof url !== 'string' || !url.startsWith(FILE_SCHEME)) return null;
    const file = fileURLToPath(url);
    return {
      load: async () => {
        const json = JSON.parse(await fs.readFile(file, 'utf8'));
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs = manifest.flatMap((group) => group.weights);
          const parts = await Promise.all(manifest.flatMap((group) => group.paths).map((p) => fs.readFile(path.join(path.dirname(file), p))));
          const all = Buffer.concat(parts);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)];
        });
      },
    };
  };
}

export async function createHumanRunner(): Promise<HumanRunner> {
  const started = performance.now();
  // The package's exports map hides package.json and the dist files: find its folder from its main entry.
  const humanDir = path.dirname(path.dirname(require.resolve('@vladmandic/human')));
  const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const lib = require(path.join(humanDir, 'dist', 'human.node-wasm.js')) as { Human: new (config: unknown) => HumanInstance };
  const noCache = { skipFrames: 0, skipTime: 0 };
  const human = new lib.Human({
    backend: 'wasm',
    wasmPath: wasmDir + path.sep,
    modelBasePath: pathToFileURL(path.join(humanDir, 'models')).href + '/',
    debug: false,
    async: false,
    warmup: 'none',
    cacheSensitivity: 0,
    cacheModels: false,
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { enabled: true, rotation: false, maxDetected: 5, ...noCache },
      mesh: { enabled: false },
      iris: { enabled: false },
      attention: { enabled: false },
      emotion: { enabled: false },
      description: { enabled: false },
      antispoof: { enabled: true, ...noCache },
      liveness: { enabled: true, ...noCache },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  human.tf.io.registerLoadRouter(fileRouter(human.tf));
  await human.load();
  await human.tf.ready();
  const startupMs = performance.now() - started;

  return {
    backend: human.tf.getBackend(),
    startupMs,
    async detect(jpeg) {
      const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const tensor = human.tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.length), [info.height, info.width, 3], 'int32');
      try {
        const t = performance.now();
        const result = await human.detect(tensor);
        const ms = performance.now() - t;
        const face = result.face[0];
        return { ms, faces: result.face.length, real: face?.real, live: face?.live };
      } finally {
        human.tf.dispose(tensor);
      }
    },
  };
}
