// Liveness of the primary face: each of the pack's liveness models scores its own crop, and the
// live probabilities are fused (weighted mean) and compared with the pack's threshold.

import { cropToTensor, type Raster } from '../image/raster';
import type { Manifest } from '../models/manifest';
import type { Model } from '../models/registry';
import type { Box, LivenessResult } from '../types';

function liveProbability(values: Float32Array, activation: 'softmax' | 'sigmoid' | 'none', liveClass: number): number {
  if (activation === 'sigmoid') return 1 / (1 + Math.exp(-values[liveClass]!));
  if (activation === 'none') return values[liveClass]!;
  let max = -Infinity;
  for (const v of values) max = Math.max(max, v);
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return Math.exp(values[liveClass]! - max) / sum;
}

async function scoreModel(model: Model, image: Raster, box: Box): Promise<number> {
  const spec = model.entry.output;
  if (spec.type !== 'classes') throw new Error(`Liveness output type ${spec.type} is not supported.`);
  const outputs = await model.run(cropToTensor(image, box, model.entry.crop, model.entry.input));
  const values = outputs[spec.name]?.data;
  if (!values) throw new Error(`Liveness output ${spec.name} is missing.`);
  return liveProbability(values, spec.activation, spec.liveClass);
}

export async function checkLiveness(
  models: readonly Model[],
  config: Manifest['liveness'],
  threshold: number,
  image: Raster,
  box: Box,
): Promise<LivenessResult> {
  // Each model runs in its own session (a worker thread when so configured): score them together.
  const all = await Promise.all(models.map((model) => scoreModel(model, image, box)));
  const scores: Record<string, number> = {};
  let fused = 0;
  let totalWeight = 0;
  for (let i = 0; i < models.length; i++) {
    const model = models[i]!;
    const score = all[i]!;
    const weight = config.weights?.[i] ?? 1;
    scores[model.key] = score;
    fused += score * weight;
    totalWeight += weight;
  }
  const probability = fused / totalWeight;
  return { probability, is_live: probability >= threshold, threshold, models: scores };
}
