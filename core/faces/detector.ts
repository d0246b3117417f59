// Face detection: letterboxes the image into the pack's detector (aspect ratio kept, boxes mapped
// back exactly), adds a high-resolution pass for small faces in large images and a padded retry
// for faces that fill the frame, refines the primary face's box in a window around it, and marks
// which faces nface counts (the manifest's count rule).

import { toTensorData, type Raster } from '../image/raster';
import type { DetectorOutputCommon, ModelEntry } from '../models/manifest';
import type { Model } from '../models/registry';
import type { Box, Point } from '../types';
import { decodeDetections, iou, nonMaxSuppression, type RawFace } from './detector-decode';
import { letterbox, toImageBox, type InputFrame } from './letterbox';

export interface DetectedFace {
  readonly box: Box;
  readonly score: number;
  /** Five keypoints in image pixels, when the detector gives them. */
  readonly keypoints?: readonly Point[];
  /** Whether nface counts this face (the pack's count rule); the primary face always counts. */
  readonly counted: boolean;
}

type DetectorSpec = DetectorOutputCommon & ModelEntry['output'];

/** A face's detector score as the answer reports it (4 decimals), which the count rule judges. */
export function reportedScore(score: number): number {
  return Math.round(score * 10000) / 10000;
}

function detectorSpec(entry: ModelEntry): DetectorSpec {
  const spec = entry.output;
  if (spec.type !== 'ultraface' && spec.type !== 'retinaface') throw new Error(`Detector output type ${spec.type} is not supported.`);
  return spec as DetectorSpec;
}

function fillLevel(entry: ModelEntry, spec: DetectorSpec): number {
  if (spec.fill !== undefined) return spec.fill;
  const mean = entry.input.mean;
  return Math.round(mean.reduce((a, b) => a + b, 0) / Math.max(1, mean.length));
}

const side = (box: Box): number => Math.min(box.width, box.height);

/** Runs the detector on `region` of the image (letterboxed into `frame`) and returns faces in image pixels. */
async function detectIn(model: Model, image: Raster, region: Box, frame: InputFrame): Promise<RawFace[]> {
  const { entry } = model;
  const spec = detectorSpec(entry);
  const lb = letterbox(image, region, frame, fillLevel(entry, spec));
  const size = { width: lb.input.width, height: lb.input.height };
  const outputs = await model.run(toTensorData(lb.input, { ...entry.input, ...size }), size);
  const mapPoint = (p: Point): Point => ({ x: lb.originX + p.x / lb.scale, y: lb.originY + p.y / lb.scale });
  return decodeDetections(outputs, spec, size.width, size.height)
    .map((face) => ({
      box: toImageBox(face.box, lb, image.width, image.height),
      score: face.score,
      ...(face.keypoints ? { keypoints: face.keypoints.map(mapPoint) } : {}),
    }))
    .filter((face) => face.box.width > 1 && face.box.height > 1);
}

function needsSmallFacePass(faces: readonly RawFace[], image: Raster, spec: DetectorSpec, frame: InputFrame): boolean {
  const pass = spec.smallFacePass;
  if (!pass || !frame.dynamicMultiple) return false;
  const longSide = Math.max(image.width, image.height);
  if (longSide < pass.minImageSide || pass.longSide <= Math.max(frame.width, frame.height)) return false;
  if (faces.length !== 1) return true;
  return side(faces[0]!.box) < pass.largestFaceBelow * Math.min(image.width, image.height);
}

/** Re-detects the primary face in a square window around it, seen at the same model scale whatever the image. */
async function refinePrimary(model: Model, image: Raster, face: RawFace, spec: DetectorSpec): Promise<RawFace> {
  const refine = spec.refine;
  if (!refine) return face;
  const { box } = face;
  const sideLength = Math.max(box.width, box.height) * refine.context;
  const window: Box = { x: box.x + box.width / 2 - sideLength / 2, y: box.y + box.height / 2 - sideLength / 2, width: sideLength, height: sideLength };
  const found = await detectIn(model, image, window, { width: refine.size, height: refine.size, dynamicMultiple: model.entry.input.dynamicMultiple });
  let best: RawFace | undefined;
  let bestOverlap = 0.5;
  for (const candidate of found) {
    const o = iou(candidate.box, box);
    if (o > bestOverlap) { best = candidate; bestOverlap = o; }
  }
  return best ? { ...best, score: Math.max(best.score, face.score) } : face;
}

/** The paddings of the padded retries, in order (the manifest gives one or a list). */
function padRetries(spec: DetectorSpec): readonly number[] {
  const pads = spec.padRetry === undefined ? [] : typeof spec.padRetry === 'number' ? [spec.padRetry] : spec.padRetry;
  return pads.filter((pad) => pad > 0);
}

/**
 * Marks the faces nface counts; `faces` is sorted largest first. The score is judged as the answer
 * reports it, so that a face shown at the rule's score is counted.
 */
function applyCountRule(faces: readonly RawFace[], spec: DetectorSpec, image: Raster): DetectedFace[] {
  const rule = spec.count;
  const primarySide = faces.length > 0 ? side(faces[0]!.box) : 0;
  const shortSide = Math.min(image.width, image.height);
  return faces.map((face, i) => ({
    ...face,
    counted: i === 0 || !rule || (reportedScore(face.score) >= rule.minScore
      && side(face.box) >= rule.minFaceRatio * shortSide
      && side(face.box) >= rule.minRelativeSize * primarySide),
  }));
}

/**
 * All faces in the image, largest first, each marked counted or not. The first pass letterboxes
 * the whole image into the detector's input. Large images whose first pass found no face, several
 * faces or only a small one get a second pass at the manifest's higher resolution. When no face is
 * found at all, more passes frame the image in a padded border (the manifest's padRetry, each
 * padding in turn until a face is found; only the first with `retries: 'first'`): detectors trained
 * on scenes miss faces cropped so tightly that they fill the whole image. When there is still none,
 * one last pass sees the image at the manifest's enlargedRetry input size (not with 'first', nor
 * where the small-face pass already saw it at least that large): a small face in a small image.
 */
export async function detectFaces(model: Model, image: Raster, retries: 'all' | 'first' = 'all'): Promise<DetectedFace[]> {
  const { entry } = model;
  const spec = detectorSpec(entry);
  const frame: InputFrame = { width: entry.input.width, height: entry.input.height, dynamicMultiple: entry.input.dynamicMultiple };
  const whole: Box = { x: 0, y: 0, width: image.width, height: image.height };
  let faces = await detectIn(model, image, whole, frame);
  // The largest input the whole image has been seen at.
  let seenAt = Math.max(frame.width, frame.height);
  if (needsSmallFacePass(nonMaxSuppression(faces, spec.nmsIou), image, spec, frame)) {
    const longSide = Math.min(spec.smallFacePass!.longSide, Math.max(image.width, image.height));
    faces = faces.concat(await detectIn(model, image, whole, { ...frame, width: longSide, height: longSide }));
    seenAt = Math.max(seenAt, longSide);
  }
  const minSide = spec.minFaceRatio * Math.min(image.width, image.height);
  const bigEnough = (face: RawFace): boolean => side(face.box) >= minSide;
  // Each padding of the manifest's padRetry in turn, until a face is found.
  for (const pad of padRetries(spec).slice(0, retries === 'first' ? 1 : undefined)) {
    if (faces.some(bigEnough)) break;
    const px = image.width * pad;
    const py = image.height * pad;
    faces = await detectIn(model, image, { x: -px, y: -py, width: image.width + 2 * px, height: image.height + 2 * py }, frame);
  }
  if (retries === 'all' && spec.enlargedRetry && frame.dynamicMultiple && spec.enlargedRetry.longSide > seenAt && !faces.some(bigEnough)) {
    const { longSide } = spec.enlargedRetry;
    faces = await detectIn(model, image, whole, { ...frame, width: longSide, height: longSide });
  }
  const kept = nonMaxSuppression(faces.filter(bigEnough), spec.nmsIou)
    .sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
  if (kept.length > 0) kept[0] = await refinePrimary(model, image, kept[0]!, spec);
  return applyCountRule(kept, spec, image);
}
