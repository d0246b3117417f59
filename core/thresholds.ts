// Thresholds in force for an Engine: the pack manifest's values with the integrator's overrides.

import type { ThresholdOverrides } from './engine-types';
import type { AttributeThresholds, Manifest, QualityThresholds } from './models/manifest';
import { describeValue } from './value-kind';

export interface ResolvedThresholds {
  readonly liveness: number;
  readonly quality: QualityThresholds;
  readonly attributes: AttributeThresholds;
}

const QUALITY_KEYS = ['blur', 'dark', 'grayscale', 'exposure', 'backlight', 'face_size', 'framing'] as const;
/** Measures in their own unit (pixels, a ratio), not in [0,1]. */
const UNBOUNDED_KEYS: readonly string[] = ['face_size', 'framing'];
/** quality.framing's threshold for packs whose manifest predates it: the image at least 1.5 face boxes wide and high. */
export const DEFAULT_FRAMING = 1.5;
/**
 * How far past max_yaw the yaw fitted to the landmarks may go in a pack whose manifest does not say
 * (quality.max_yaw_from_landmarks): the default pack's pose model and the fit differ by about 10
 * degrees on frontal faces, and the model reads some full profiles as frontal (docs/quality.md).
 */
export const DEFAULT_LANDMARK_YAW_MARGIN = 10;
const ATTRIBUTE_KEYS = ['sunglasses', 'mask', 'veil', 'hat', 'eyeglasses'] as const;
const ALL_KEYS: readonly string[] = ['liveness', ...QUALITY_KEYS, ...ATTRIBUTE_KEYS];

/**
 * Checks a liveness threshold given outside the engine's options (a check's context, a middleware
 * credential); `where` names it in the TypeError.
 */
export function checkLivenessThreshold(value: unknown, where: string): number {
  if (!isLivenessThreshold(value)) throw new TypeError(`Expected a number in [0,1] for ${where} but received ${describeValue(value)}.`);
  return value;
}

/** Whether a value can be a liveness threshold: a finite number in [0,1]. */
export function isLivenessThreshold(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1;
}

/** Checks threshold overrides without a pack: known names, numbers, in [0,1] where bounded. @throws TypeError */
export function checkThresholdOverrides(overrides: ThresholdOverrides = {}): void {
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    if (!ALL_KEYS.includes(key)) throw new TypeError(`Unknown threshold "${key}"; expected one of ${ALL_KEYS.join(', ')}.`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`Expected a non-negative number for thresholds.${key} but received ${describeValue(value)}.`);
    }
    if (!UNBOUNDED_KEYS.includes(key) && value > 1) throw new TypeError(`Expected thresholds.${key} in [0,1] but received ${value}.`);
  }
}

export function resolveThresholds(manifest: Manifest, overrides: ThresholdOverrides = {}): ResolvedThresholds {
  checkThresholdOverrides(overrides);
  const quality: Record<string, number> = { ...manifest.quality };
  quality.framing ??= DEFAULT_FRAMING;
  quality.max_yaw_from_landmarks ??= quality.max_yaw! + DEFAULT_LANDMARK_YAW_MARGIN;
  for (const key of QUALITY_KEYS) if (overrides[key] !== undefined) quality[key] = overrides[key];
  const attributes: Record<string, unknown> = { ...manifest.attributes };
  for (const key of ATTRIBUTE_KEYS) if (overrides[key] !== undefined) attributes[key] = overrides[key];
  return Object.freeze({
    liveness: overrides.liveness ?? manifest.liveness.threshold,
    quality: Object.freeze(quality) as unknown as QualityThresholds,
    attributes: Object.freeze(attributes) as unknown as AttributeThresholds,
  });
}
