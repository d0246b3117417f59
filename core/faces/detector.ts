// Face detection: runs the pack's detector on the whole image and decodes its boxes (NMS included).

import { resample, toTensorData, type Raster } from '../image/raster';
import type { ModelEntry } from '../models/manifest';
import type { Model } from '../models/registry';
import type { Box } from '../types';

export interface DetectedFace {
  readonly box: Box;
  readonly score: number;
}

function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy non-maximum suppression, highest score first. */
export function nonMaxSuppression(faces: DetectedFace[], maxIou: number): DetectedFace[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: DetectedFace[] = [];
  for (const face of sorted) {
    if (kept.every((k) => iou(k.box, face.box) <= maxIou)) kept.push(face);
  }
  return kept;
}

function decodeUltraface(outputs: Awaited<ReturnType<Model['run']>>, entry: ModelEntry, width: number, height: number): DetectedFace[] {
  const spec = entry.output;
  if (spec.type !== 'ultraface') throw new Error(`Detector output type ${spec.type} is not supported.`);
  const scores = outputs[spec.scores]?.data;
  const boxes = outputs[spec.boxes]?.data;
  if (!scores || !boxes) throw new Error('Detector outputs are missing.');
  const count = scores.length / 2;
  const minSide = spec.minFaceRatio * Math.min(width, height);
  const found: DetectedFace[] = [];
  for (let i = 0; i < count; i++) {
    const score = scores[i * 2 + 1]!;
    if (score < spec.scoreThreshold) continue;
    const x0 = Math.max(0, boxes[i * 4]! * width);
    const y0 = Math.max(0, boxes[i * 4 + 1]! * height);
    const x1 = Math.min(width, boxes[i * 4 + 2]! * width);
    const y1 = Math.min(height, boxes[i * 4 + 3]! * height);
    if (x1 - x0 < minSide || y1 - y0 < minSide) continue;
    found.push({ box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, score });
  }
  return nonMaxSuppression(found, spec.nmsIou);
}

/** Runs the detector on `region` of the image (grey outside it) and maps boxes back to image pixels. */
async function detectIn(model: Model, image: Raster, region: Box): Promise<DetectedFace[]> {
  const { input } = model.entry;
  const scaled = resample(image, region, input.width, input.height, 127);
  const outputs = await model.run(toTensorData(scaled, input));
  return decodeUltraface(outputs, model.entry, region.width, region.height).map(({ box, score }) => {
    const x0 = Math.max(0, box.x + region.x);
    const y0 = Math.max(0, box.y + region.y);
    const x1 = Math.min(image.width, box.x + box.width + region.x);
    const y1 = Math.min(image.height, box.y + box.height + region.y);
    return { box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, score };
  }).filter((face) => face.box.width > 1 && face.box.height > 1);
}

/**
 * All faces in the image, largest first. When none is found, tries once more with the image
 * framed by a grey border (the manifest's padRetry, a fraction of each side): detectors trained
 * on scenes miss faces cropped so tightly that they fill the whole image.
 */
export async function detectFaces(model: Model, image: Raster): Promise<DetectedFace[]> {
  const whole: Box = { x: 0, y: 0, width: image.width, height: image.height };
  let faces = await detectIn(model, image, whole);
  const spec = model.entry.output;
  const pad = spec.type === 'ultraface' ? spec.padRetry ?? 0 : 0;
  if (faces.length === 0 && pad > 0) {
    const px = image.width * pad;
    const py = image.height * pad;
    faces = await detectIn(model, image, { x: -px, y: -py, width: image.width + 2 * px, height: image.height + 2 * py });
  }
  return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}
