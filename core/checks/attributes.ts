// Attributes of the primary face (sunglasses, mask, veil, hat) from colour and texture cues in
// regions placed by the 68 landmarks. Each cue is a logistic of a measured contrast; the
// coefficients below were set on development images and are documented in the README.

import type { AttributeThresholds } from '../models/manifest';
import type { AttributeMeasure, AttributesResult } from '../types';
import { colourDistance, type FaceRegions, type RegionStats } from './regions';

const logistic = (x: number): number => 1 / (1 + Math.exp(-x));
const round = (v: number): number => Math.round(v * 10000) / 10000;

/** Skin-likeness of a region's mean colour: R > G > B with moderate chroma. In [0,1]. */
export function skinLikeness(s: RegionStats): number {
  const sum = s.r + s.g + s.b || 1;
  const rn = s.r / sum;
  const gn = s.g / sum;
  // Skin chromaticity clusters near r=0.42..0.50, g=0.30..0.34 across skin tones.
  const d = Math.hypot((rn - 0.45) / 0.06, (gn - 0.315) / 0.03);
  return Math.exp(-0.5 * d * d);
}

/**
 * Eyes darker than the cheeks, textured unlike skin, and coloured unlike them: sunglasses.
 * Logistic regression fitted on the development attribute images (see README: accuracy).
 */
export function sunglassesProbability(r: FaceRegions): number {
  const eyes = (r.leftEye.luma + r.rightEye.luma) / 2;
  const ratio = eyes / Math.max(1, r.cheeks.luma);
  const texture = (r.leftEye.lumaStd + r.rightEye.lumaStd) / 2 / Math.max(1, eyes);
  const distance = (colourDistance(r.leftEye, r.cheeks) + colourDistance(r.rightEye, r.cheeks)) / 2;
  return logistic(0.422 * ratio + 3.642 * texture + 1.131 * distance - 3.561);
}

/**
 * Nose, mouth and chin unlike skin, and the chin unlike the forehead: a mask.
 * Logistic regression fitted on the development attribute images (see README: accuracy).
 */
export function maskProbability(r: FaceRegions): number {
  const lowerSkin = (skinLikeness(r.nose) + skinLikeness(r.mouth) + skinLikeness(r.chin)) / 3;
  const chinDistance = colourDistance(r.chin, r.forehead);
  return logistic(-3.319 * lowerSkin + 1.049 * chinDistance + 0.592);
}

/** Cloth around the face (beside the jaw) and over the forehead: a veil (hijab, niqab). */
export function veilProbability(r: FaceRegions): number {
  const sideUnlikeSkin = 1 - skinLikeness(r.besideFace);
  const sideUniform = 1 - Math.min(1, r.besideFace.lumaStd / 40);
  const foreheadCovered = 1 - skinLikeness(r.forehead);
  return logistic((sideUnlikeSkin * 0.8 + sideUniform * 0.8 + foreheadCovered * 1.2 - 1.9) * 4);
}

/**
 * The forehead covered by something unlike the cheeks' skin: a hat (or cap, or a hood).
 * Hand-set, with one development image only: hair over the forehead can read as a hat.
 */
export function hatProbability(r: FaceRegions): number {
  const foreheadVsCheeks = colourDistance(r.forehead, r.cheeks);
  return logistic(3 * (foreheadVsCheeks - 1.2) + 2 * (0.3 - skinLikeness(r.forehead)));
}

function measure(probability: number, threshold: number): AttributeMeasure {
  return { probability: round(probability), threshold, detected: probability >= threshold };
}

export function checkAttributes(regions: FaceRegions, t: AttributeThresholds): AttributesResult {
  return {
    sunglasses: measure(sunglassesProbability(regions), t.sunglasses),
    mask: measure(maskProbability(regions), t.mask),
    veil: measure(veilProbability(regions), t.veil),
    hat: measure(hatProbability(regions), t.hat),
  };
}
