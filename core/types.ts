// The result object of engine.check (the contract's 200 answer) and the shapes inside it.

import type { CheckOptions } from './options';

export interface Point { readonly x: number; readonly y: number }

/** Axis-aligned box in source-image pixels. */
export interface Box { readonly x: number; readonly y: number; readonly width: number; readonly height: number }

export interface FaceResult {
  /** The detector's box, in pixels of the (orientation-corrected) image. */
  readonly box: Box;
  /** Detector confidence in [0,1]. */
  readonly score: number;
  /** True for the largest face, the one liveness, quality and attributes describe. */
  readonly primary: boolean;
  /** Whether nface counts this face: the pack's count rule leaves out faces that are unsure or tiny
   *  next to the image or the primary face (a poster, a face on a screen behind the user). */
  readonly counted: boolean;
  /** 68 landmarks (iBUG 300-W order), in pixels of the image as sent: the 32 largest faces have them (primary first). */
  readonly landmarks?: readonly Point[];
}

export interface LivenessResult {
  /** Probability that the face is live, in [0,1] (fused over the pack's liveness models). */
  readonly probability: number;
  /** probability >= threshold. */
  readonly is_live: boolean;
  readonly threshold: number;
  /** Each model's own live probability. */
  readonly models: Readonly<Record<string, number>>;
}

/** One scored measure compared against its threshold. */
export interface Measure {
  readonly score: number;
  readonly threshold: number;
  /** True when the measure does not trip its threshold. */
  readonly pass: boolean;
}

export interface QualityResult {
  /** Blur of the face region in [0,1]; higher is blurrier. */
  readonly blur: Measure;
  /** Darkness of the face in [0,1]; higher is darker: its luma, excused up to twice by a lit scene (docs/quality.md). */
  readonly dark: Measure;
  /** True when the image carries (almost) no colour. */
  readonly grayscale: Measure & { readonly value: boolean };
  /** Share of clipped-bright pixels in the face, in [0,1] (extension). */
  readonly exposure: Measure;
  /** Background much brighter than the face, in [0,1] (extension). */
  readonly backlight: Measure;
  /** Inter-eye distance in pixels; passes when >= threshold (extension). */
  readonly face_size: { readonly inter_eye_px: number; readonly threshold: number; readonly pass: boolean };
  /**
   * How many face boxes the image spans, the smaller of width and height; passes when >= threshold
   * (extension). Below it the liveness crops lose the surroundings of the face they were trained with.
   */
  readonly framing: { readonly image_to_face: number; readonly threshold: number; readonly pass: boolean };
  /**
   * Head pose in degrees from the pack's pose model; passes when |pitch| and |roll| are within their
   * limits, the yaw fitted to the 68 landmarks (`yaw_from_landmarks`) is within
   * `max_yaw_from_landmarks`, and the model's |yaw| is within `max_yaw` or the landmarks' within
   * 2 * max_yaw - max_yaw_from_landmarks (extension; docs/quality.md).
   */
  readonly pose: {
    readonly yaw: number; readonly pitch: number; readonly roll: number;
    readonly yaw_from_landmarks: number;
    readonly max_yaw: number; readonly max_pitch: number; readonly max_roll: number;
    readonly max_yaw_from_landmarks: number;
    readonly pass: boolean;
  };
}

export interface AttributeMeasure {
  readonly probability: number;
  readonly threshold: number;
  readonly detected: boolean;
}

export interface AttributesResult {
  readonly sunglasses: AttributeMeasure;
  readonly mask: AttributeMeasure;
  readonly veil: AttributeMeasure;
  readonly hat: AttributeMeasure;
  /** Clear eyeglasses (extension): reported, never a validate_attribute failure. */
  readonly eyeglasses?: AttributeMeasure;
}

/** The attributes validate_attribute may fail on. */
export type AttributeName = 'sunglasses' | 'mask' | 'veil' | 'hat';
export const ATTRIBUTE_NAMES: readonly AttributeName[] = Object.freeze(['sunglasses', 'mask', 'veil', 'hat']);

export interface VerdictData {
  /** 'PASS' or 'FAIL'. */
  readonly status: 'PASS' | 'FAIL';
  /** Sum of the failed validations: 1 liveness, 2 attribute, 4 quality, 8 nface. */
  readonly fail_code: number;
  /** Which validations ran, and which of them failed. */
  readonly validations: {
    readonly requested: { readonly liveness: boolean; readonly attribute: boolean; readonly quality: boolean; readonly nface: boolean };
    readonly failed: readonly ('liveness' | 'attribute' | 'quality' | 'nface')[];
  };
  readonly nface: number;
  readonly faces: readonly FaceResult[];
  readonly liveness?: LivenessResult;
  readonly quality?: QualityResult;
  readonly attributes?: AttributesResult;
  /** The image as judged: width and height after its EXIF orientation. `orientation` (an extension) is
   *  that EXIF orientation, 1-8, applied to the stored pixels (1 when the image had none), so boxes and
   *  landmarks are in the image as viewers that apply EXIF show it. `rotation` (an extension) is
   *  present when the image was turned that many degrees clockwise to put the face upright (a photo
   *  that lost its orientation); boxes and landmarks are in the image as sent. */
  readonly image: {
    readonly width: number; readonly height: number; readonly format: string;
    readonly orientation: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8; readonly rotation?: 90 | 180 | 270;
  };
  readonly pack: { readonly name: string; readonly version: string };
  readonly options: CheckOptions;
  readonly request_id: string;
  /** Milliseconds spent in each stage of this check, and in all of it (extension). */
  readonly timings_ms: {
    readonly decode: number; readonly detect: number; readonly landmarks: number; readonly pose: number; readonly liveness: number;
    readonly quality: number; readonly attributes: number; readonly total: number;
  };
}

/** The contract's 200 body. */
export interface CheckResult {
  readonly message: string;
  /** null for PASS, otherwise FAIL_ON_n (n: the failed validations' bits summed, 1 to 15). */
  readonly error_code: `FAIL_ON_${number}` | null;
  readonly data: VerdictData;
}
