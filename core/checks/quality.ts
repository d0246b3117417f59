// Image quality of the primary face, in the spirit of ISO/IEC 29794-5 (OFIQ): sharpness (blur),
// luminance (dark), colour (grayscale), clipped highlights (exposure), backlight, face size, framing
// (how much of the image surrounds the face), pose.

import { resample, toGray, type Raster } from '../image/raster';
import type { FaceGeometry, HeadPose } from '../faces/landmarks';
import type { QualityThresholds } from '../models/manifest';
import type { Box, QualityResult } from '../types';
import type { FaceRegions } from './regions';

/** Side of the square the face is resampled to before measuring sharpness. */
const SHARPNESS_SIZE = 96;
/** Normalised Laplacian energy at which blur = 0.5; faces in focus measure several times this. */
const SHARPNESS_HALF = 0.05;

/**
 * Variance of the 4-neighbour Laplacian of the inner face (resampled to a fixed size), divided by
 * the variance of its grey levels: a contrast-free sharpness, so darkening alone does not read as blur.
 */
export function laplacianVariance(image: Raster, box: Box): number {
  const inner: Box = { x: box.x + box.width * 0.15, y: box.y + box.height * 0.15, width: box.width * 0.7, height: box.height * 0.7 };
  const n = SHARPNESS_SIZE;
  const gray = toGray(resample(image, inner, n, n));
  let sum = 0;
  let sum2 = 0;
  let count = 0;
  let g1 = 0;
  let g2 = 0;
  for (const v of gray) {
    g1 += v;
    g2 += v * v;
  }
  const grayVar = Math.max(1, g2 / gray.length - (g1 / gray.length) ** 2);
  for (let y = 1; y < n - 1; y++) {
    for (let x = 1; x < n - 1; x++) {
      const i = y * n + x;
      const lap = gray[i - 1]! + gray[i + 1]! + gray[i - n]! + gray[i + n]! - 4 * gray[i]!;
      sum += lap;
      sum2 += lap * lap;
      count++;
    }
  }
  const mean = sum / count;
  return (sum2 / count - mean * mean) / grayVar;
}

/** Blur in [0,1]: 0.5 at SHARPNESS_HALF, towards 0 when sharp, towards 1 when blurred. */
export function blurScore(sharpness: number): number {
  return 1 / (1 + sharpness / SHARPNESS_HALF);
}

/** Darkness in [0,1] from the face's mean luma: 0 at luma >= 128, 1 at black. */
export function darkScore(faceLuma: number): number {
  return Math.min(1, Math.max(0, 1 - faceLuma / 128));
}

/** Colourfulness of the whole image: mean (max - min channel)/255 on a small resample. */
export function imageChroma(image: Raster): number {
  const small = resample(image, { x: 0, y: 0, width: image.width, height: image.height }, 64, 64);
  let total = 0;
  for (let i = 0; i < small.data.length; i += 3) {
    const r = small.data[i]!, g = small.data[i + 1]!, b = small.data[i + 2]!;
    total += Math.max(r, g, b) - Math.min(r, g, b);
  }
  return total / (small.data.length / 3) / 255;
}

const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * How many face boxes the image spans, the smaller of its width and height ratios. The context liveness crops
 * take 2.7 and 4 times the box; when the image is narrower they shrink to fit, and the models judge the
 * face without its surroundings (held-out sources reject far more live faces then: see the README).
 */
export function imageToFace(image: Raster, box: Box): number {
  return Math.min(image.width / Math.max(1, box.width), image.height / Math.max(1, box.height));
}

export function checkQuality(
  image: Raster,
  box: Box,
  geometry: FaceGeometry,
  pose: HeadPose,
  regions: FaceRegions,
  t: QualityThresholds,
): QualityResult {
  const blur = blurScore(laplacianVariance(image, box));
  const dark = darkScore(regions.face.luma);
  const chroma = imageChroma(image);
  const exposure = regions.face.clipped;
  const backlight = Math.min(1, Math.max(0, (regions.background.luma - regions.face.luma) / 128));
  const grayscale = chroma < t.grayscale;
  const framing = imageToFace(image, box);
  const posePass = Math.abs(pose.yaw) <= t.max_yaw && Math.abs(pose.pitch) <= t.max_pitch && Math.abs(pose.roll) <= t.max_roll;
  return {
    blur: { score: round(blur), threshold: t.blur, pass: blur <= t.blur },
    dark: { score: round(dark), threshold: t.dark, pass: dark <= t.dark },
    grayscale: { value: grayscale, score: round(chroma), threshold: t.grayscale, pass: !grayscale },
    exposure: { score: round(exposure), threshold: t.exposure, pass: exposure <= t.exposure },
    backlight: { score: round(backlight), threshold: t.backlight, pass: backlight <= t.backlight },
    face_size: { inter_eye_px: round(geometry.interEye, 1), threshold: t.face_size, pass: geometry.interEye >= t.face_size },
    framing: { image_to_face: round(framing, 2), threshold: t.framing, pass: framing >= t.framing },
    pose: {
      yaw: round(pose.yaw, 1), pitch: round(pose.pitch, 1), roll: round(pose.roll, 1),
      max_yaw: t.max_yaw, max_pitch: t.max_pitch, max_roll: t.max_roll, pass: posePass,
    },
  };
}

/** The measures validate_quality fails on: blur, dark, grayscale (the contract's three). */
export function qualityFails(quality: QualityResult): boolean {
  return !quality.blur.pass || !quality.dark.pass || !quality.grayscale.pass;
}
