// The reference side of the golden records: runs a model file on onnxruntime-node directly (its own
// session, none of facelive's registry) and decodes the outputs with plain implementations of what
// the manifest documents (softmax/sigmoid class probability, 68 points normalised to the crop,
// expectation over pose bins). Also the summary of a raw output tensor that records keep.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import '../../core/models/ort-telemetry-off';
import * as ort from 'onnxruntime-node';
import { cropBox } from '../../core/image/raster';
import type { ModelEntry } from '../../core/models/manifest';
import type { Box } from '../../core/types';
import type { GoldenInput } from './cases';

export type RawOutputs = Record<string, { readonly data: Float32Array; readonly dims: readonly number[] }>;

/** What a record keeps of one output tensor: its shape, sums, and values at fixed positions. */
export interface TensorSummary {
  readonly dims: number[];
  readonly sum: number;
  readonly sumAbs: number;
  /** [index, value] at 24 evenly spaced positions (every value for outputs of at most 300). */
  readonly samples: [number, number][];
}

export function summarize(data: Float32Array, dims: readonly number[]): TensorSummary {
  let sum = 0;
  let sumAbs = 0;
  for (const v of data) {
    sum += v;
    sumAbs += Math.abs(v);
  }
  const count = data.length <= 300 ? data.length : 24;
  const samples: [number, number][] = [];
  for (let k = 0; k < count; k++) {
    const i = count === data.length ? k : Math.floor(((k + 0.5) * data.length) / count);
    samples.push([i, data[i]!]);
  }
  const r = (v: number): number => Number(v.toPrecision(7));
  return { dims: [...dims], sum: r(sum), sumAbs: r(sumAbs), samples: samples.map(([i, v]) => [i, r(v)]) };
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

/** Runs the model file on the input with a session of its own. */
export async function referenceRun(packDir: string, entry: ModelEntry, input: GoldenInput): Promise<RawOutputs> {
  const file = path.join(packDir, entry.file);
  let session = sessions.get(file);
  if (!session) {
    session = ort.InferenceSession.create(readFileSync(file), { intraOpNumThreads: 1, interOpNumThreads: 1 });
    sessions.set(file, session);
  }
  const depth = entry.input.channels === 'GRAY' ? 1 : 3;
  const { width, height } = input.size;
  const dims = entry.input.layout === 'NCHW' ? [1, depth, height, width] : [1, height, width, depth];
  const results = await (await session).run({ [entry.input.name]: new ort.Tensor('float32', input.tensor, dims) });
  const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
  for (const [name, tensor] of Object.entries(results)) out[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
  return out;
}

export async function releaseReferenceSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map(async (s) => (await s).release()));
}

/** The decoded result a record keeps for a model that is not the detector. */
export type Decoded =
  | { readonly kind: 'live-probability'; readonly value: number }
  | { readonly kind: 'points'; readonly points: [number, number][] }
  | { readonly kind: 'pose'; readonly yaw: number; readonly pitch: number; readonly roll: number }
  /** Orientation models: the likeliest turn to upright and its probability (the model's own softmax). */
  | { readonly kind: 'turn'; readonly turn: number; readonly probability: number };

function classProbability(values: Float32Array, activation: string, index: number): number {
  if (activation === 'sigmoid') return 1 / (1 + Math.exp(-values[index]!));
  if (activation === 'none') return values[index]!;
  const exps = Array.from(values, (v) => Math.exp(v));
  return exps[index]! / exps.reduce((a, b) => a + b, 0);
}

function binExpectation(logits: Float32Array, binWidth: number, offset: number): number {
  const exps = Array.from(logits, (v) => Math.exp(v));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.reduce((acc, e, i) => acc + (e / total) * (i * binWidth + offset), 0);
}

/** Decodes raw outputs as the manifest documents them; null for the detector (see the record). */
export function referenceDecode(entry: ModelEntry, outputs: RawOutputs, box: Box | null, imageWidth: number, imageHeight: number): Decoded | null {
  const spec = entry.output;
  const read = (name: string): Float32Array => {
    const found = outputs[name]?.data;
    if (!found) throw new Error(`${entry.file} has no output ${name}.`);
    return found;
  };
  switch (spec.type) {
    case 'classes':
      return { kind: 'live-probability', value: classProbability(read(spec.name), spec.activation, spec.liveClass) };
    case 'points': {
      const crop = cropBox(box!, entry.crop, imageWidth, imageHeight);
      const v = read(spec.name);
      return { kind: 'points', points: Array.from({ length: spec.points }, (_, i) => [crop.x + v[2 * i]! * crop.width, crop.y + v[2 * i + 1]! * crop.height] as [number, number]) };
    }
    case 'turns': {
      const p = read(spec.name);
      const best = p.indexOf(Math.max(...p));
      return { kind: 'turn', turn: spec.turns[best]!, probability: p[best]! };
    }
    case 'pose-bins':
      return { kind: 'pose', yaw: binExpectation(read(spec.yaw), spec.binWidth, spec.offset), pitch: binExpectation(read(spec.pitch), spec.binWidth, spec.offset), roll: binExpectation(read(spec.roll), spec.binWidth, spec.offset) };
    default:
      return null;
  }
}
