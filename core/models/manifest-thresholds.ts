// The numbers a model pack's manifest sets for the checks, and the attributes it validates. Every
// threshold and limit the engine compares with must be present (unless the engine has a default for
// it) and a finite number in its range: null, false, "" or [] compare as 0 and a string like "NaN"
// compares false, so a validation would pass what it should fail.

import { ATTRIBUTE_NAMES } from '../types';
import { describeValue } from '../value-kind';
import type { Manifest } from './manifest';

interface Range {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only (pixel sizes). */
  readonly integer?: boolean;
  /** May be left out: the engine has a default for it. */
  readonly optional?: boolean;
}

const UNIT: Range = { min: 0, max: 1 };
const DEGREES: Range = { min: 0, max: 180 };
const NON_NEGATIVE: Range = { min: 0, max: Infinity };
const PIXELS: Range = { min: 1, max: Infinity, integer: true };
const optional = (range: Range): Range => ({ ...range, optional: true });

/** What core/checks/quality.ts reads: scores in [0,1], face_size in pixels, framing a ratio, pose limits in degrees. */
const QUALITY: Readonly<Record<string, Range>> = {
  blur: UNIT, dark: UNIT, grayscale: UNIT, exposure: UNIT, backlight: UNIT,
  face_size: NON_NEGATIVE, framing: optional(NON_NEGATIVE),
  max_yaw: DEGREES, max_pitch: DEGREES, max_roll: DEGREES, max_yaw_from_landmarks: optional(DEGREES),
};

/** Probabilities core/checks/attributes.ts compares with; eyeglasses has a default. */
const ATTRIBUTES: Readonly<Record<string, Range>> = { sunglasses: UNIT, mask: UNIT, veil: UNIT, hat: UNIT, eyeglasses: optional(UNIT) };

/** The detector output's limits (core/faces/detector.ts), and those of its optional rules. */
const DETECTOR: Readonly<Record<string, Range>> = { scoreThreshold: UNIT, nmsIou: UNIT, minFaceRatio: UNIT, fill: optional({ min: 0, max: 255 }) };
const DETECTOR_RULES: Readonly<Record<string, Readonly<Record<string, Range>>>> = {
  count: { minScore: UNIT, minFaceRatio: UNIT, minRelativeSize: UNIT },
  smallFacePass: { minImageSide: NON_NEGATIVE, longSide: PIXELS, largestFaceBelow: UNIT },
  refine: { context: { min: 1, max: Infinity }, size: PIXELS },
  enlargedRetry: { longSide: PIXELS },
};

function describeRange(range: Range): string {
  const kind = range.integer ? 'an integer' : 'a number';
  return range.max === Infinity ? `${kind} of at least ${range.min}` : `${kind} in [${range.min},${range.max}]`;
}

function inRange(value: unknown, range: Range): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= range.min && value <= range.max
    && (!range.integer || Number.isInteger(value));
}

function checkNumbers(section: unknown, where: string, ranges: Readonly<Record<string, Range>>, refuse: (what: string) => never): void {
  if (section === null || typeof section !== 'object' || Array.isArray(section)) refuse(`${where} must be an object`);
  for (const [name, range] of Object.entries(ranges)) {
    const value = (section as Record<string, unknown>)[name];
    if (value === undefined && range.optional) continue;
    if (!inRange(value, range)) refuse(`${where}.${name} must be ${describeRange(range)} (received ${describeValue(value)})`);
  }
}

function checkDetectorLimits(output: Record<string, unknown>, where: string, refuse: (what: string) => never): void {
  checkNumbers(output, where, DETECTOR, refuse);
  for (const [rule, ranges] of Object.entries(DETECTOR_RULES)) {
    if (output[rule] !== undefined) checkNumbers(output[rule], `${where}.${rule}`, ranges, refuse);
  }
  const pads = output.padRetry;
  if (pads !== undefined && !(Array.isArray(pads) ? pads : [pads]).every((pad) => inRange(pad, NON_NEGATIVE))) {
    refuse(`${where}.padRetry must be a number of at least 0, or a list of them (received ${describeValue(pads)})`);
  }
}

/** The names attributes.validate may list: the validatable attributes (never eyeglasses) that the pack's attribute model labels. */
function validatableAttributes(m: Manifest): string[] {
  const output = Object.values(m.models).find((entry) => entry.role === 'attributes')?.output;
  const labels: readonly string[] = output?.type === 'attributes' ? output.labels : [];
  return ATTRIBUTE_NAMES.filter((name) => labels.includes(name));
}

/**
 * Of `names` (attributes.validate, or the engine's validateAttributes option), those the pack cannot
 * validate, and those it can: a name its attributes model does not label would read probability 0,
 * a validation that never fails.
 */
export function unvalidatableAttributes(m: Manifest, names: readonly unknown[]): { readonly unknown: unknown[]; readonly known: string[] } {
  const known = validatableAttributes(m);
  return { unknown: names.filter((name) => !known.includes(name as string)), known };
}

function checkValidatedAttributes(m: Manifest, refuse: (what: string) => never): void {
  const listed: unknown = m.attributes.validate;
  const { unknown, known } = unvalidatableAttributes(m, Array.isArray(listed) ? listed : []);
  const expected = `some of ${known.join(', ')} (the attributes the attributes model labels; eyeglasses is never validated)`;
  if (!Array.isArray(listed)) refuse(`attributes.validate must list ${expected}, but it is ${describeValue(listed)}`);
  if (unknown.length > 0) refuse(`attributes.validate names ${describeValue(unknown[0])}; expected ${expected}`);
}

/**
 * Checks liveness.threshold and weights, every quality and attribute threshold, attributes.validate
 * and the detector's limits; `refuse` throws naming the field. The manifest's models are checked first.
 */
export function checkManifestThresholds(m: Manifest, refuse: (what: string) => never): void {
  if (!inRange(m.liveness.threshold, UNIT)) refuse(`liveness.threshold must be a number in [0,1] (received ${describeValue(m.liveness.threshold)})`);
  const weights: unknown = m.liveness.weights;
  if (weights !== undefined && !(Array.isArray(weights) && weights.every((w) => inRange(w, NON_NEGATIVE)) && weights.some((w) => w > 0))) {
    refuse('liveness.weights must be numbers of at least 0, not all 0');
  }
  checkNumbers(m.quality, 'quality', QUALITY, refuse);
  checkNumbers(m.attributes, 'attributes', ATTRIBUTES, refuse);
  checkValidatedAttributes(m, refuse);
  for (const [key, entry] of Object.entries(m.models)) {
    if (entry.role === 'detector') checkDetectorLimits(entry.output as unknown as Record<string, unknown>, `models.${key}.output`, refuse);
  }
}
