// The model pack manifest: its types, and the checks that turn a JSON file into a trusted Pack.
// Code reads preprocessing, crops, outputs and thresholds from here; none of them is hard-coded.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CropRule, TensorSpec } from '../image/raster';
import type { AlignRule } from '../faces/align';
import { checkManifestThresholds } from './manifest-thresholds';

export type ModelRole = 'detector' | 'landmarks' | 'pose' | 'liveness' | 'attributes' | 'orientation';
const ROLES: readonly ModelRole[] = ['detector', 'landmarks', 'pose', 'liveness', 'attributes', 'orientation'];

/** Which detected faces nface counts (all are reported): confident ones, not tiny next to the image or the primary face. */
export interface FaceCountRule {
  /** Detector score a face needs to be counted. */
  readonly minScore: number;
  /** Smaller box side over the image's shorter side. */
  readonly minFaceRatio: number;
  /** Smaller box side over the primary (largest) face's. */
  readonly minRelativeSize: number;
}

/** A second detector pass at a higher resolution for small faces in large images. */
export interface SmallFacePass {
  /** Only for images whose longer side is at least this many pixels. */
  readonly minImageSide: number;
  /** The longer side of the second pass's input (dynamic-input detectors). */
  readonly longSide: number;
  /** Run it when no face was found, several were, or the largest face's side is below this fraction of the image's shorter side. */
  readonly largestFaceBelow: number;
}

/** Detector settings every detector output type shares. */
export interface DetectorOutputCommon {
  /** Faces under this score are dropped. */
  readonly scoreThreshold: number;
  readonly nmsIou: number;
  /** Faces whose box side is below this fraction of the image's shorter side are dropped. */
  readonly minFaceRatio: number;
  /** When no face is found, retry with this much padding (fraction of each side) around the image;
   *  with a list, each padding in turn until a face is found. */
  readonly padRetry?: number | readonly number[];
  /** When still no face is found, one more pass with the image letterboxed into this larger input
   *  (its longer side, in pixels; detectors with a dynamic input only): small faces in small images. */
  readonly enlargedRetry?: { readonly longSide: number };
  /** Turn the image when the primary face lies on its side or upside down, and when no face is found,
   *  search it turned each other way, keeping a face scored at least minScore (a photo that lost its
   *  orientation; faces/orientation.ts). With `unsure`, a primary face scored under unsure.below is
   *  searched turned too, even when its keypoints look upright, and a turn is kept where its face scores
   *  at least unsure.margin higher and at least unsure.minScore (a face on its side or upside down that
   *  the detector reads as upright, less surely). */
  readonly orientation?: {
    readonly minScore: number;
    readonly unsure?: { readonly below: number; readonly margin: number; readonly minScore: number };
  };
  /** Grey level of letterbox and retry padding (0..255); defaults to the input's mean. */
  readonly fill?: number;
  readonly count?: FaceCountRule;
  readonly smallFacePass?: SmallFacePass;
  readonly refine?: BoxRefinement;
}

/**
 * A last pass on a square window around the primary face, so that its box does not depend on how
 * large the face was in the whole-image pass (the image's framing, padding or size).
 */
export interface BoxRefinement {
  /** The window's side over the face box's longer side. */
  readonly context: number;
  /** The window's side in model pixels. */
  readonly size: number;
}

export type OutputSpec =
  | ({ readonly type: 'ultraface'; readonly scores: string; readonly boxes: string } & DetectorOutputCommon)
  | ({
    readonly type: 'retinaface';
    /** One output [1, priors, 16]: box deltas (4), class logits (2), five landmark deltas (10). */
    readonly name: string;
    readonly steps: readonly number[];
    readonly minSizes: readonly (readonly number[])[];
    readonly variance: readonly [number, number];
  } & DetectorOutputCommon)
  | { readonly type: 'points'; readonly name: string; readonly points: number; readonly scheme: 'ibug68'; readonly space: 'crop-normalized' }
  | { readonly type: 'pose-bins'; readonly yaw: string; readonly pitch: string; readonly roll: string; readonly binWidth: number; readonly offset: number }
  | { readonly type: 'classes'; readonly name: string; readonly activation: 'softmax' | 'sigmoid' | 'none'; readonly liveClass: number }
  /** One calibrated probability per label, in `labels` order (the model applies its own sigmoid). */
  | { readonly type: 'attributes'; readonly name: string; readonly labels: readonly string[] }
  /**
   * Orientation models: the probability of each clockwise turn in `turns` ([0, 90, 180, 270]) that puts
   * the face in the box upright (the model applies its own softmax). The image is turned only when a
   * turn other than 0 is the likeliest with at least `minConfidence`.
   */
  | { readonly type: 'turns'; readonly name: string; readonly turns: readonly number[]; readonly minConfidence: number };

export interface ModelSource {
  /** An npm package pinned in package.json (the file is copied from its tarball by build:models, and shipped). */
  readonly package?: string;
  readonly url?: string;
  /** A public repository and commit (the file is committed under models/, converted or trained here). */
  readonly repository?: string;
  readonly commit?: string;
  /** Trained in this repository: the folder of the training code that reproduces it. */
  readonly trained?: string;
  /** Weights trained or fine-tuned here: the training data and its terms. */
  readonly data?: string;
  readonly path: string;
  readonly sha256: string;
  /** How the committed file was made from the source (script and checks). */
  readonly converted?: string;
}

export interface ModelEntry {
  readonly role: ModelRole;
  readonly file: string;
  readonly sha256: string;
  /** SPDX licence of the weights, and its model card (a path from the manifest's folder); every model of the shipped packs has both. */
  readonly license?: string;
  readonly card?: string;
  readonly source: ModelSource;
  /** With dynamicMultiple, width and height give the longer side and the input follows the image's shape. */
  readonly input: TensorSpec & { readonly name: string; readonly dynamicMultiple?: number };
  /** How the input is cut around the detector box (every role but attributes). */
  readonly crop: CropRule;
  /** Attributes models: the landmark-aligned crop (core/faces/align.ts) instead of a box crop. */
  readonly align?: AlignRule;
  readonly output: OutputSpec;
}

export interface QualityThresholds {
  readonly blur: number;
  readonly dark: number;
  readonly grayscale: number;
  readonly exposure: number;
  readonly backlight: number;
  readonly face_size: number;
  /** Least image-to-face ratio (quality.framing); packs without it get DEFAULT_FRAMING. */
  readonly framing: number;
  readonly max_yaw: number;
  readonly max_pitch: number;
  readonly max_roll: number;
  /**
   * Largest |yaw| of a mean 3D face fitted to the 68 landmarks before pose fails whatever the pose
   * model says; packs without it get max_yaw + DEFAULT_LANDMARK_YAW_MARGIN.
   */
  readonly max_yaw_from_landmarks: number;
}

export interface AttributeThresholds {
  readonly sunglasses: number;
  readonly mask: number;
  readonly veil: number;
  readonly hat: number;
  /** Clear eyeglasses: reported (extension), never validated. */
  readonly eyeglasses?: number;
  readonly validate: readonly ('sunglasses' | 'mask' | 'veil' | 'hat')[];
}

export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly sources?: Readonly<Record<string, { readonly version: string; readonly integrity?: string; readonly license: string }>>;
  readonly models: Readonly<Record<string, ModelEntry>>;
  readonly liveness: {
    readonly models: readonly string[];
    readonly fusion: 'mean';
    readonly threshold: number;
    readonly weights?: readonly number[];
    /** How the threshold was chosen (written by facelive eval --calibrate). */
    readonly calibration?: unknown;
  };
  readonly quality: QualityThresholds;
  readonly attributes: AttributeThresholds;
}

/** A manifest that passed its checks, with the directory its files live in. */
export interface Pack {
  readonly dir: string;
  readonly manifest: Manifest;
}

function fail(file: string, what: string): never {
  throw new TypeError(`Invalid model pack manifest ${file}: ${what}.`);
}

function checkTensorSpec(file: string, key: string, spec: ModelEntry['input']): void {
  if (!spec || typeof spec.name !== 'string') fail(file, `models.${key}.input.name must be a string`);
  if (!(Number.isInteger(spec.width) && spec.width > 0 && Number.isInteger(spec.height) && spec.height > 0)) {
    fail(file, `models.${key}.input width/height must be positive integers`);
  }
  if (!['NCHW', 'NHWC'].includes(spec.layout)) fail(file, `models.${key}.input.layout must be NCHW or NHWC`);
  if (!['RGB', 'BGR', 'GRAY'].includes(spec.channels)) fail(file, `models.${key}.input.channels must be RGB, BGR or GRAY`);
  if (!Array.isArray(spec.mean) || !Array.isArray(spec.std) || spec.std.some((s) => !(s > 0))) {
    fail(file, `models.${key}.input.mean/std must be arrays, std positive`);
  }
}

/**
 * What to do about a missing model file: in an installed package the default pack comes whole with
 * it (reinstall); in a checkout of the repository its npm-built files come from `npm run build:models`.
 */
export const MISSING_MODELS_ADVICE =
  'Installed from npm: reinstall facelive (the package ships its models). In a checkout of its repository: run "npm run build:models".';

/** Checks the fields the engine relies on; a bad pack is a TypeError naming the field. */
export function validateManifest(value: unknown, file: string): Manifest {
  if (!value || typeof value !== 'object') fail(file, 'not a JSON object');
  const m = value as Manifest;
  if (typeof m.name !== 'string' || typeof m.version !== 'string') fail(file, 'name and version must be strings');
  if (!m.models || typeof m.models !== 'object') fail(file, 'models must be an object');
  for (const [key, entry] of Object.entries(m.models)) {
    if (!ROLES.includes(entry.role)) fail(file, `models.${key}.role is unknown`);
    if (typeof entry.file !== 'string' || path.basename(entry.file) !== entry.file) fail(file, `models.${key}.file must be a file name`);
    if (!/^[0-9a-f]{64}$/.test(entry.sha256)) fail(file, `models.${key}.sha256 must be 64 hex digits`);
    checkTensorSpec(file, key, entry.input);
    if (entry.role === 'attributes') {
      const a = entry.align;
      if (!a || !(a.interEye > 0 && a.interEye < 1) || !(a.eyeY > 0 && a.eyeY < 1)) fail(file, `models.${key}.align needs interEye and eyeY in (0,1)`);
      if (entry.input.width !== entry.input.height) fail(file, `models.${key}.input must be square`);
      if (entry.output.type !== 'attributes' || !Array.isArray(entry.output.labels)) fail(file, `models.${key}.output must be of type attributes with labels`);
    } else if (!entry.crop || !(entry.crop.scale > 0) || !['shift', 'clip'].includes(entry.crop.mode)) fail(file, `models.${key}.crop is invalid`);
    if (entry.role === 'orientation') {
      const o = entry.output as { type?: unknown; name?: unknown; turns?: unknown; minConfidence?: unknown };
      if (o.type !== 'turns' || typeof o.name !== 'string' || JSON.stringify(o.turns) !== '[0,90,180,270]'
        || !(typeof o.minConfidence === 'number' && o.minConfidence > 0 && o.minConfidence <= 1)) {
        fail(file, `models.${key}.output must be of type turns with a name, turns [0, 90, 180, 270] and minConfidence in (0,1]`);
      }
    }
    const orientation = (entry.output as { orientation?: { minScore?: unknown; unsure?: Record<string, unknown> } }).orientation;
    const inUnit = (value: unknown): boolean => typeof value === 'number' && value > 0 && value <= 1;
    if (orientation !== undefined && !inUnit(orientation.minScore)) {
      fail(file, `models.${key}.output.orientation.minScore must be in (0,1]`);
    }
    const unsure = orientation?.unsure;
    if (unsure !== undefined && !(unsure !== null && typeof unsure === 'object' && inUnit(unsure.below) && inUnit(unsure.minScore)
      && typeof unsure.margin === 'number' && unsure.margin >= 0 && unsure.margin < 1)) {
      fail(file, `models.${key}.output.orientation.unsure must be { below, minScore } in (0,1] and margin in [0,1)`);
    }
  }
  const roles = Object.values(m.models).map((e) => e.role);
  if (roles.filter((r) => r === 'orientation').length > 1) fail(file, 'at most one model may have role orientation');
  // The orientation model is read where the detector's orientation rule runs: without the rule it would never be used.
  const detectorOutput = Object.values(m.models).find((e) => e.role === 'detector')?.output as { orientation?: unknown } | undefined;
  if (roles.includes('orientation') && detectorOutput?.orientation === undefined) {
    fail(file, 'a model with role orientation needs the detector\'s output.orientation rule');
  }
  if (roles.filter((r) => r === 'detector').length !== 1) fail(file, 'exactly one model must have role detector');
  if (roles.filter((r) => r === 'attributes').length !== 1) fail(file, 'exactly one model must have role attributes');
  // Quality and attributes (on by default, and validate_quality / validate_attribute) are measured in
  // regions placed by the 68 landmarks: a pack without them could only answer those requests by
  // leaving the checks out, and a requested validation must never pass without having run.
  if (roles.filter((r) => r === 'landmarks').length !== 1) {
    fail(file, 'exactly one model must have role landmarks (the quality and attribute checks, and validate_quality / validate_attribute, need its 68 points)');
  }
  if (!m.liveness || !Array.isArray(m.liveness.models) || m.liveness.models.length === 0) fail(file, 'liveness.models must list at least one model');
  for (const key of m.liveness.models) {
    if (m.models[key]?.role !== 'liveness') fail(file, `liveness.models names ${key}, which is not a liveness model`);
  }
  if (m.liveness.fusion !== 'mean') fail(file, 'liveness.fusion must be "mean"');
  if (m.liveness.weights && m.liveness.weights.length !== m.liveness.models.length) fail(file, 'liveness.weights must match liveness.models');
  if (!m.quality || !m.attributes) fail(file, 'quality and attributes thresholds are required');
  checkManifestThresholds(m, (what) => fail(file, what));
  return m;
}

/** Reads and checks `dir/manifest.json`. */
export function readPack(dir: string): Pack {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new TypeError(`No model pack at ${dir}: manifest.json is missing. ${MISSING_MODELS_ADVICE}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(file, 'not valid JSON');
  }
  return { dir: path.resolve(dir), manifest: validateManifest(json, file) };
}

/** The entries of a role, in manifest order. */
export function modelsOfRole(manifest: Manifest, role: ModelRole): [string, ModelEntry][] {
  return Object.entries(manifest.models).filter(([, entry]) => entry.role === role);
}
