// The opt-in Silent-Face MiniFASNet liveness pack: where its two ONNX files come from (a
// commit-pinned URL and a sha256 each), and how a pack pairing them with the default pack's
// models is written. Nothing here runs at install; only `facelive models install minifasnet` does.

import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readPack, type Manifest, type ModelEntry } from '../core/models/manifest';
import { checkInstallTarget, writeFolderInPlace } from './install-folder';

export interface RemoteModel {
  readonly file: string;
  readonly url: string;
  readonly sha256: string;
  /** Crop scale about the detector box, as the original repository uses it. */
  readonly scale: number;
}

const COMMIT = 'c175efef505bc275f7835cc9aa2aecab305ac184';
const BASE = `https://raw.githubusercontent.com/yakhyo/face-anti-spoofing/${COMMIT}/weights`;

/** MiniFASNet V2 (crop 2.7) and V1SE (crop 4.0); Apache-2.0 weights from minivision-ai/Silent-Face-Anti-Spoofing. */
export const MINIFASNET_MODELS: readonly RemoteModel[] = [
  { file: 'MiniFASNetV2.onnx', url: `${BASE}/MiniFASNetV2.onnx`, sha256: '4eed38f0bde33c9b805942a5f25e42ce1161e2bda545254be622be957727794e', scale: 2.7 },
  { file: 'MiniFASNetV1SE.onnx', url: `${BASE}/MiniFASNetV1SE.onnx`, sha256: 'd819a69bac6b9ade2a0f4d9b60b618e1260f7bf3ba1fddff6c5d82131cb1083f', scale: 4.0 },
];

/** Largest file accepted from a download. */
const MAX_MODEL_BYTES = 64 * 1024 * 1024;

/** The name in the installed pack's manifest: a folder holding it may be installed over. */
export const MINIFASNET_PACK_NAME = 'facelive-minifasnet';

/** Fusion and threshold of the installed pack, measured with `facelive eval` (docs/accuracy.md). */
export const MINIFASNET_LIVENESS = { weights: [0.3, 0.35, 0.35], threshold: 0.3 } as const;

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A download refused with its reason already said (an HTTP status, the size cap). */
class DownloadFailed extends Error {}

/** The host a download URL names, for messages (the URL itself when it does not parse). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Why a fetch failed, as its cause says it (ECONNREFUSED, ENOTFOUND, a certificate error, a timeout). */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  if ((err as { name?: unknown } | null)?.name === 'TimeoutError') return 'no answer within the time allowed';
  return err instanceof Error ? err.message : String(err);
}

/** Gets a model's bytes from a local folder, or over https with a time budget and a size cap. */
export async function fetchModel(model: RemoteModel, from: string | undefined, timeoutMs = 120_000): Promise<Buffer> {
  let bytes: Buffer;
  if (from && !/^https?:\/\//i.test(from)) {
    bytes = await readFile(path.join(from, model.file));
  } else {
    const url = from ? `${from.replace(/\/$/, '')}/${model.file}` : model.url;
    const failed = (reason: string): Error => new DownloadFailed(`Downloading ${model.file} from ${hostOf(url)} failed: ${reason}.`);
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
      if (!response.ok || !response.body) throw failed(`HTTP ${response.status}`);
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > MAX_MODEL_BYTES) throw failed(`more than ${MAX_MODEL_BYTES} bytes`);
        chunks.push(Buffer.from(chunk));
      }
    } catch (err) {
      throw err instanceof DownloadFailed ? err : failed(networkReason(err));
    }
    bytes = Buffer.concat(chunks);
  }
  const digest = sha256(bytes);
  if (digest !== model.sha256) {
    throw new Error(`${model.file} has sha256 ${digest}, but ${model.sha256} is pinned. Nothing was installed.`);
  }
  return bytes;
}

function liveness(model: RemoteModel): ModelEntry {
  return {
    role: 'liveness',
    file: model.file,
    sha256: model.sha256,
    source: { url: model.url, path: model.file, sha256: model.sha256 },
    input: { name: 'input', width: 80, height: 80, layout: 'NCHW', channels: 'BGR', mean: [0, 0, 0], std: [1, 1, 1] },
    crop: { scale: model.scale, mode: 'shift', square: false },
    output: { type: 'classes', name: 'output', activation: 'softmax', liveClass: 1 },
  };
}

/** Refuses a written pack that does not read back whole: its manifest, and each file against its sha256. */
async function checkWrittenPack(dir: string): Promise<void> {
  const { manifest } = readPack(dir);
  for (const entry of Object.values(manifest.models)) {
    if (sha256(await readFile(path.join(dir, entry.file))) !== entry.sha256) throw new Error(`${entry.file} did not read back as written.`);
  }
}

/**
 * Writes to `outDir` a pack of the base pack's models plus the MiniFASNet models, liveness fused
 * over all three. Every file is checked against its sha256 before anything is written; `outDir`
 * must be new, empty or an earlier MiniFASNet install, and it gets the whole pack or is left as it was.
 */
export async function installMiniFasNetPack(options: {
  readonly baseDir: string;
  readonly outDir: string;
  readonly from?: string;
  readonly models?: readonly RemoteModel[];
}): Promise<string> {
  const models = options.models ?? MINIFASNET_MODELS;
  const base = readPack(options.baseDir).manifest;
  // The fusion weights were measured with one base liveness model (the faceplugin pack's).
  if (base.liveness.models.length + models.length !== MINIFASNET_LIVENESS.weights.length) {
    throw new Error(`The MiniFASNet pack extends a pack with ${MINIFASNET_LIVENESS.weights.length - models.length} liveness model (models/faceplugin); ${options.baseDir} has ${base.liveness.models.length}.`);
  }
  await checkInstallTarget(options.outDir, options.baseDir, MINIFASNET_PACK_NAME);
  await writeFolderInPlace(options.outDir, async (dir) => {
    // Downloaded once the temporary folder is made: a place that cannot be written (a read-only
    // install, a package inside Yarn Plug'n'Play's zip archive) is refused before any download.
    const fetched = await Promise.all(models.map(async (m) => [m, await fetchModel(m, options.from)] as const));
    for (const entry of Object.values(base.models)) {
      await copyFile(path.join(options.baseDir, entry.file), path.join(dir, entry.file));
    }
    const entries: Record<string, ModelEntry> = { ...base.models };
    const keys: string[] = [...base.liveness.models];
    for (const [model, bytes] of fetched) {
      const key = model.file.replace(/\.onnx$/, '').toLowerCase();
      await writeFile(path.join(dir, model.file), bytes);
      entries[key] = liveness(model);
      keys.push(key);
    }
    const manifest: Manifest = {
      ...base,
      name: MINIFASNET_PACK_NAME,
      description: 'The base pack plus Silent-Face MiniFASNet V2 and V1SE (Apache-2.0, minivision-ai), liveness fused over the three models.',
      models: entries,
      liveness: { models: keys, fusion: 'mean', weights: [...MINIFASNET_LIVENESS.weights], threshold: MINIFASNET_LIVENESS.threshold },
    };
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    await checkWrittenPack(dir);
  });
  return options.outDir;
}
