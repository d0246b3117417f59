// Landmarks and head pose of a face: 68 iBUG points from the pack's landmark model,
// yaw/pitch/roll from its pose model (binned classification, expectation over the bins).

import { cropBox, cropToTensor, type Raster } from '../image/raster';
import type { Model } from '../models/registry';
import type { Box, Point } from '../types';

export interface FaceGeometry {
  /** 68 points in image pixels (iBUG 300-W order). */
  readonly points: readonly Point[];
  readonly leftEye: Point;
  readonly rightEye: Point;
  /** Distance between the eye centres, in pixels. */
  readonly interEye: number;
}

export interface HeadPose {
  readonly yaw: number;
  readonly pitch: number;
  readonly roll: number;
}

function mean(points: readonly Point[], from: number, to: number): Point {
  let x = 0;
  let y = 0;
  for (let i = from; i <= to; i++) {
    x += points[i]!.x;
    y += points[i]!.y;
  }
  const n = to - from + 1;
  return { x: x / n, y: y / n };
}

/** Eye centres and inter-eye distance from 68 points (image left = subject's right eye, 36-41). */
export function geometryFromPoints(points: readonly Point[]): FaceGeometry {
  const leftEye = mean(points, 36, 41);
  const rightEye = mean(points, 42, 47);
  return { points, leftEye, rightEye, interEye: Math.hypot(rightEye.x - leftEye.x, rightEye.y - leftEye.y) };
}

export async function locateLandmarks(model: Model, image: Raster, box: Box): Promise<FaceGeometry> {
  const { entry } = model;
  const spec = entry.output;
  if (spec.type !== 'points') throw new Error(`Landmark output type ${spec.type} is not supported.`);
  const region = cropBox(box, entry.crop, image.width, image.height);
  const outputs = await model.run(cropToTensor(image, box, entry.crop, entry.input));
  const values = outputs[spec.name]?.data;
  if (!values || values.length < spec.points * 2) throw new Error('Landmark output is missing.');
  const points: Point[] = [];
  for (let i = 0; i < spec.points; i++) {
    points.push({ x: region.x + values[i * 2]! * region.width, y: region.y + values[i * 2 + 1]! * region.height });
  }
  return geometryFromPoints(points);
}

function expectation(logits: Float32Array, binWidth: number, offset: number): number {
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = Math.exp(logits[i]! - max);
    sum += p;
    weighted += p * i;
  }
  return (weighted / sum) * binWidth + offset;
}

export async function estimatePose(model: Model, image: Raster, box: Box): Promise<HeadPose> {
  const { entry } = model;
  const spec = entry.output;
  if (spec.type !== 'pose-bins') throw new Error(`Pose output type ${spec.type} is not supported.`);
  const outputs = await model.run(cropToTensor(image, box, entry.crop, entry.input));
  const read = (name: string): number => {
    const logits = outputs[name]?.data;
    if (!logits) throw new Error(`Pose output ${name} is missing.`);
    return expectation(logits, spec.binWidth, spec.offset);
  };
  return { yaw: read(spec.yaw), pitch: read(spec.pitch), roll: read(spec.roll) };
}
