// Image quality of the primary face, in the spirit of ISO/IEC 29794-5 (OFIQ): sharpness (blur),
// luminance (dark), colour (grayscale), clipped highlights (exposure), backlight, face size, framing
// (how much of the image surrounds the face), pose.

import { areaResampleGray, resample, toGray, type Raster } from '../image/raster';
import type { FaceGeometry, HeadPose } from '../faces/landmarks';
import { poseFromLandmarks } from '../faces/pose-from-landmarks';
import type { QualityThresholds } from '../models/manifest';
import type { Box, QualityResult } from '../types';
import type { FaceRegions } from './regions';

/** Sides of the squares the inner face is resampled to before measuring sharpness: fine and coarse. */
const SHARPNESS_SIZE = 96;
const SHARPNESS_COARSE_SIZE = 64;
/** Largest box-averaging factor; faces over 8 x 96 px are sampled with some aliasing rather than at any cost. */
const MAX_AREA_FACTOR = 8;
/**
 * Sharpness at which blur = 0.5 (blur > 0.6 below 0.02). On 67 labelled live faces it keeps the one
 * face the previous measure failed as the only undamaged one failing (the next-weakest reads 0.029).
 */
const SHARPNESS_HALF = 0.03;

/**
 * Grey levels of `region` at n x n, each output pixel the mean of the k x k source samples it covers
 * (k = the shrink factor, rounded up): bilinear sampling alone skips pixels when it shrinks a large
 * face, so sensor grain passes through aliased and reads as fine detail.
 */
function areaGray(image: Raster, region: Box, n: number): Float32Array {
  const k = Math.min(MAX_AREA_FACTOR, Math.max(1, Math.ceil(Math.max(region.width, region.height) / n)));
  // Not shrunk: plain bilinear samples, rounded to bytes as the measure was calibrated (on a face
  // enlarged to n, the rounding is part of what the Laplacian reads).
  if (k === 1) return toGray(resample(image, region, n, n));
  return areaResampleGray(image, region, n, n, k);
}

/** 3x3 binomial smoothing ([1 2 1] x [1 2 1] / 16) of an n x n plane; the border is kept as it is. */
function binomial(gray: Float32Array, n: number): Float32Array {
  const out = new Float32Array(gray);
  for (let y = 1; y < n - 1; y++) {
    for (let x = 1; x < n - 1; x++) {
      const i = y * n + x;
      out[i] = (gray[i - n - 1]! + 2 * gray[i - n]! + gray[i - n + 1]!
        + 2 * gray[i - 1]! + 4 * gray[i]! + 2 * gray[i + 1]!
        + gray[i + n - 1]! + 2 * gray[i + n]! + gray[i + n + 1]!) / 16;
    }
  }
  return out;
}

/** Variance of the 4-neighbour Laplacian over an n x n plane (`pad` pixels in), divided by the variance of its grey levels. */
function normalisedLaplacian(gray: Float32Array, n: number, pad: number): number {
  let g1 = 0;
  let g2 = 0;
  for (const v of gray) {
    g1 += v;
    g2 += v * v;
  }
  const grayVar = Math.max(1, g2 / gray.length - (g1 / gray.length) ** 2);
  let sum = 0;
  let sum2 = 0;
  let count = 0;
  for (let y = pad; y < n - pad; y++) {
    for (let x = pad; x < n - pad; x++) {
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

/**
 * Sharpness of the inner face at two scales, the smaller of: the Laplacian energy of the face
 * area-averaged to 96x96 (fine: catches mild blur), and that of the face area-averaged to 64x64 and
 * smoothed with a 3x3 binomial (coarse: a band that grain hardly reaches, so a blurred face with
 * phone-camera noise still reads blurred). Each is divided by the variance of its grey levels,
 * so darkening alone does not read as blur.
 */
export function laplacianVariance(image: Raster, box: Box): number {
  const inner: Box = { x: box.x + box.width * 0.15, y: box.y + box.height * 0.15, width: box.width * 0.7, height: box.height * 0.7 };
  const fine = normalisedLaplacian(areaGray(image, inner, SHARPNESS_SIZE), SHARPNESS_SIZE, 1);
  const n = SHARPNESS_COARSE_SIZE;
  const coarse = normalisedLaplacian(binomial(areaGray(image, inner, n), n), n, 2);
  return Math.min(fine, coarse);
}

/** Blur in [0,1]: 0.5 at SHARPNESS_HALF, towards 0 when sharp, towards 1 when blurred. */
export function blurScore(sharpness: number): number {
  return 1 / (1 + sharpness / SHARPNESS_HALF);
}

/**
 * How far the scene's light can stand in for the face's own luma: half the image's mean luma, so an
 * image averaging at least 77 (about a stop under the mid-grey an auto-exposure aims at) excuses a
 * face under the default threshold's 38.
 */
const SCENE_WEIGHT = 0.5;
/**
 * At most this many times the face's own luma. The lightest skin reflects roughly four to five times
 * as much visible light as the darkest; gamma-encoded (sRGB), that is a luma ratio of about 2. So a
 * lit scene excuses a face as dark as the darkest skin reads in the light that puts the lightest at
 * the threshold, and no darker: a face under half the threshold's luma is dark in any scene.
 */
const SKIN_LUMA_RANGE = 2;

/**
 * Darkness in [0,1]: 0 at luma >= 128, 1 at black, of the face's mean luma or, where the image around
 * it is lit, of what the scene says the light was (half the image's mean luma, at most twice the
 * face's). The face's luma alone reads skin tone as well as light: under the same light a face with
 * dark skin reads about half as bright as one with light skin (docs/quality.md).
 */
export function darkScore(faceLuma: number, sceneLuma: number = faceLuma): number {
  const lit = Math.max(faceLuma, Math.min(SCENE_WEIGHT * sceneLuma, SKIN_LUMA_RANGE * faceLuma));
  return Math.min(1, Math.max(0, 1 - lit / 128));
}

/**
 * Backlight in [0,1]: how much darker the face is than its surroundings (beside the face and above
 * the head), as a share of the surroundings' luma; 0 when the face is as bright or brighter, or when
 * no surroundings are in the image. Relative, so a normally lit face before a white wall (about half
 * the wall's luma) stays under 0.5 while a face in a bright window's shadow goes over it; measured
 * beside the face, so a light ceiling or a dark frame at the image's top does not decide it.
 */
export function backlightScore(regions: FaceRegions): number {
  const around = [regions.besideFace, regions.aboveHead].filter((r) => r.count > 0);
  if (around.length === 0) return 0;
  const surround = around.reduce((sum, r) => sum + r.luma, 0) / around.length;
  return Math.min(1, Math.max(0, (surround - regions.face.luma) / Math.max(1, surround)));
}

const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * How many face boxes the image spans, the smaller of its width and height ratios. The context liveness crops
 * take 2.7 and 4 times the box; when the image is narrower they shrink to fit, and the models judge the
 * face without its surroundings (held-out sources reject far more live faces then: see docs/accuracy.md).
 */
export function imageToFace(image: Raster, box: Box): number {
  return Math.min(image.width / Math.max(1, box.width), image.height / Math.max(1, box.height));
}

/**
 * The yaw read twice: by the pose model and by the mean 3D face fitted to the landmarks. The model
 * reads some full profiles as frontal, so the landmarks' yaw past max_yaw_from_landmarks fails; and
 * it reads some frontal faces as turned, so its yaw past max_yaw fails only where the landmarks'
 * yaw comes within the same margin of max_yaw (the two readings differ by about that much on
 * frontal faces): 20 degrees with the default pack's 30 and 40 (docs/quality.md).
 */
export function yawPasses(modelYaw: number, landmarkYaw: number, t: QualityThresholds): boolean {
  const confirmedFrom = t.max_yaw - (t.max_yaw_from_landmarks - t.max_yaw);
  const modelTurned = Math.abs(modelYaw) > t.max_yaw && Math.abs(landmarkYaw) > confirmedFrom;
  return !modelTurned && Math.abs(landmarkYaw) <= t.max_yaw_from_landmarks;
}

/**
 * Each measure is judged as the answer reports it (scores to 4 decimals, the face size and the angles
 * to 0.1, framing to 0.01), so that a stored answer explains its own flags: a score reported at its
 * threshold passes, where judged unrounded it could fail with the same numbers shown (docs/quality.md).
 */
export function checkQuality(
  image: Raster,
  box: Box,
  geometry: FaceGeometry,
  pose: HeadPose,
  regions: FaceRegions,
  t: QualityThresholds,
  sharpness: number = laplacianVariance(image, box),
): QualityResult {
  const blur = round(blurScore(sharpness));
  const dark = round(darkScore(regions.face.luma, regions.scene.luma));
  // Colourfulness of the face itself, relative to its brightness: the background's colour (a white
  // wall, a coloured frame) and darkening do not move it.
  const saturation = round(regions.face.saturation);
  const exposure = round(regions.face.clipped);
  const backlight = round(backlightScore(regions));
  const grayscale = saturation < t.grayscale;
  const interEye = round(geometry.interEye, 1);
  const framing = round(imageToFace(image, box), 2);
  const angles = { yaw: round(pose.yaw, 1), pitch: round(pose.pitch, 1), roll: round(pose.roll, 1) };
  const landmarkYaw = round(poseFromLandmarks(geometry.points).yaw, 1);
  const posePass = yawPasses(angles.yaw, landmarkYaw, t) && Math.abs(angles.pitch) <= t.max_pitch && Math.abs(angles.roll) <= t.max_roll;
  return {
    blur: { score: blur, threshold: t.blur, pass: blur <= t.blur },
    dark: { score: dark, threshold: t.dark, pass: dark <= t.dark },
    grayscale: { value: grayscale, score: saturation, threshold: t.grayscale, pass: !grayscale },
    exposure: { score: exposure, threshold: t.exposure, pass: exposure <= t.exposure },
    backlight: { score: backlight, threshold: t.backlight, pass: backlight <= t.backlight },
    face_size: { inter_eye_px: interEye, threshold: t.face_size, pass: interEye >= t.face_size },
    framing: { image_to_face: framing, threshold: t.framing, pass: framing >= t.framing },
    pose: {
      ...angles,
      yaw_from_landmarks: landmarkYaw,
      max_yaw: t.max_yaw, max_pitch: t.max_pitch, max_roll: t.max_roll, max_yaw_from_landmarks: t.max_yaw_from_landmarks, pass: posePass,
    },
  };
}

/** The measures validate_quality fails on: blur, dark, grayscale (the contract's three). */
export function qualityFails(quality: QualityResult): boolean {
  return !quality.blur.pass || !quality.dark.pass || !quality.grayscale.pass;
}
