// Decoders for the detector families a pack may use: each turns raw model outputs into boxes (and
// five keypoints where the model gives them) in model-input pixels, then non-maximum suppression.

import type { OutputSpec } from '../models/manifest';
import type { TensorMap } from '../models/registry';
import type { Box, Point } from '../types';

export interface RawFace {
  readonly box: Box;
  readonly score: number;
  /** Eyes (subject's right, left), nose tip, mouth corners (right, left), when the detector gives them. */
  readonly keypoints?: readonly Point[];
}

/** Area of the intersection of two boxes. */
function intersection(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return Math.max(0, w) * Math.max(0, h);
}

/** Intersection over union. */
export function iou(a: Box, b: Box): number {
  const inter = intersection(a, b);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Share of the smaller box that the larger one covers. */
function cover(a: Box, b: Box): number {
  const smaller = Math.min(a.width * a.height, b.width * b.height);
  return smaller > 0 ? intersection(a, b) / smaller : 0;
}

/** Above this share of the smaller box inside a stronger one, two boxes are taken for one face. */
const MAX_COVER = 0.5;
/** Above this share of the smaller box inside each of two stronger boxes, a box is taken for their merge. */
const MERGE_COVER = 0.25;

/**
 * Greedy non-maximum suppression, highest score first: a box is dropped when it overlaps a kept one
 * by more than `maxIou`, or lies mostly (MAX_COVER) inside it (a shifted second box of the same face),
 * or straddles two kept ones (more than MERGE_COVER with each: a box over two faces side by side,
 * which would otherwise be the largest "face" and so the one the checks describe).
 */
export function nonMaxSuppression<T extends { box: Box; score: number }>(faces: readonly T[], maxIou: number): T[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const face of sorted) {
    const separate = kept.every((k) => iou(k.box, face.box) <= maxIou && cover(k.box, face.box) <= MAX_COVER);
    if (separate && kept.filter((k) => cover(k.box, face.box) > MERGE_COVER).length < 2) kept.push(face);
  }
  return kept;
}

/** UltraFace (RFB/slim): softmax scores [n,2] and corner boxes [n,4] normalised to the input. */
function decodeUltraface(outputs: TensorMap, spec: Extract<OutputSpec, { type: 'ultraface' }>, width: number, height: number): RawFace[] {
  const scores = outputs[spec.scores]?.data;
  const boxes = outputs[spec.boxes]?.data;
  if (!scores || !boxes) throw new Error('Detector outputs are missing.');
  const found: RawFace[] = [];
  for (let i = 0; i < scores.length / 2; i++) {
    const score = scores[i * 2 + 1]!;
    if (score < spec.scoreThreshold) continue;
    const x0 = boxes[i * 4]! * width;
    const y0 = boxes[i * 4 + 1]! * height;
    const x1 = boxes[i * 4 + 2]! * width;
    const y1 = boxes[i * 4 + 3]! * height;
    found.push({ box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, score });
  }
  return found;
}

/** RetinaFace: SSD-style priors per stride; deltas decoded with the variances, logits softmaxed. */
function decodeRetinaface(outputs: TensorMap, spec: Extract<OutputSpec, { type: 'retinaface' }>, width: number, height: number): RawFace[] {
  const data = outputs[spec.name]?.data;
  if (!data) throw new Error('Detector output is missing.');
  const [v0, v1] = spec.variance;
  const found: RawFace[] = [];
  let prior = 0;
  for (let k = 0; k < spec.steps.length; k++) {
    const step = spec.steps[k]!;
    const sizes = spec.minSizes[k]!;
    const rows = Math.ceil(height / step);
    const cols = Math.ceil(width / step);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        for (const size of sizes) {
          const o = prior++ * 16;
          if (o + 16 > data.length) throw new Error('Detector output is shorter than its priors.');
          const score = 1 / (1 + Math.exp(data[o + 4]! - data[o + 5]!));
          if (score < spec.scoreThreshold) continue;
          const pcx = (c + 0.5) * step;
          const pcy = (r + 0.5) * step;
          const cx = pcx + data[o]! * v0 * size;
          const cy = pcy + data[o + 1]! * v0 * size;
          const w = size * Math.exp(data[o + 2]! * v1);
          const h = size * Math.exp(data[o + 3]! * v1);
          const keypoints: Point[] = [];
          for (let p = 0; p < 5; p++) {
            keypoints.push({ x: pcx + data[o + 6 + 2 * p]! * v0 * size, y: pcy + data[o + 7 + 2 * p]! * v0 * size });
          }
          found.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, score, keypoints });
        }
      }
    }
  }
  if (prior * 16 !== data.length) throw new Error(`Detector output has ${data.length / 16} priors, expected ${prior}.`);
  return found;
}

/** Faces in model-input pixels (before NMS) for an input of width x height. */
export function decodeDetections(outputs: TensorMap, spec: OutputSpec, width: number, height: number): RawFace[] {
  if (spec.type === 'ultraface') return decodeUltraface(outputs, spec, width, height);
  if (spec.type === 'retinaface') return decodeRetinaface(outputs, spec, width, height);
  throw new Error(`Detector output type ${spec.type} is not supported.`);
}
