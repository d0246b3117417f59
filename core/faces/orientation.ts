// Faces in an image whose orientation was lost (a portrait phone photo stripped of its EXIF
// orientation, a camera mounted on its side): when the primary face lies on its side or upside down
// (its detector keypoints: the mouth beside or above the eyes), the image is turned a quarter or half
// turn so that the face is upright for landmarks, liveness, quality and attributes; when the upright
// image holds no face, the image turned a quarter turn each way is searched too (the manifest's
// orientation rule). Coordinates found on the turned image map back to the image as sent.

import { cropToTensor, type Raster } from '../image/raster';
import type { ModelEntry } from '../models/manifest';
import type { Model } from '../models/registry';
import type { Box, Point } from '../types';
import { detectFaces, type DetectedFace } from './detector';

/** Clockwise turns, in degrees, applied to the image before its faces were found. */
export type QuarterTurn = 0 | 90 | 180 | 270;

/** Beyond this angle (degrees) between the eyes-to-mouth line and straight down, a face is turned. */
const UPRIGHT_WITHIN = 60;

export interface OrientedFaces {
  readonly faces: DetectedFace[];
  /** The raster the faces were found in: the image itself, or the image turned by `turn`. */
  readonly raster: Raster;
  readonly turn: QuarterTurn;
}

/** The image turned clockwise by `turn` degrees. */
export function turnRaster(image: Raster, turn: 90 | 180 | 270): Raster {
  const { data, width, height } = image;
  // A quarter turn swaps width and height.
  const outWidth = turn === 180 ? width : height, outHeight = turn === 180 ? height : width;
  const out = new Uint8Array(data.length);
  for (let v = 0; v < outHeight; v++) {
    for (let u = 0; u < outWidth; u++) {
      // The source pixel of output pixel (u, v).
      const x = turn === 90 ? v : turn === 270 ? width - 1 - v : width - 1 - u;
      const y = turn === 90 ? height - 1 - u : turn === 270 ? u : height - 1 - v;
      const from = (y * width + x) * 3, to = (v * outWidth + u) * 3;
      out[to] = data[from]!; out[to + 1] = data[from + 1]!; out[to + 2] = data[from + 2]!;
    }
  }
  return { data: out, width: outWidth, height: outHeight, channels: 3 };
}

/**
 * The clockwise turn that puts a face upright, from the detector's five keypoints (eyes, nose, mouth
 * corners): 0 while the line from the eyes' midpoint to the mouth's points within UPRIGHT_WITHIN
 * degrees of straight down; 0 too without keypoints.
 */
export function uprightTurn(keypoints: readonly Point[] | undefined): QuarterTurn {
  if (!keypoints || keypoints.length < 5) return 0;
  const [leftEye, rightEye, , leftMouth, rightMouth] = keypoints as [Point, Point, Point, Point, Point];
  const dx = (leftMouth.x + rightMouth.x - leftEye.x - rightEye.x) / 2;
  const dy = (leftMouth.y + rightMouth.y - leftEye.y - rightEye.y) / 2;
  // 0: mouth below the eyes; 90: mouth to their right (the face's top points left).
  const angle = (Math.atan2(dx, dy) * 180) / Math.PI;
  if (Math.abs(angle) <= UPRIGHT_WITHIN) return 0;
  if (Math.abs(angle) > 180 - UPRIGHT_WITHIN) return 180;
  // A clockwise quarter turn takes the image's right to its bottom.
  return angle > 0 ? 90 : 270;
}

/** A point of the image turned by `turn`, in the coordinates of the image as sent (`width` x `height`). */
export function pointToSent(p: Point, turn: QuarterTurn, width: number, height: number): Point {
  if (turn === 90) return { x: p.y, y: height - p.x };
  if (turn === 270) return { x: width - p.y, y: p.x };
  if (turn === 180) return { x: width - p.x, y: height - p.y };
  return p;
}

/** A point of the image as sent (`width` x `height`), in the coordinates of that image turned by `turn`. */
export function pointToTurned(p: Point, turn: QuarterTurn, width: number, height: number): Point {
  if (turn === 90) return { x: height - p.y, y: p.x };
  if (turn === 270) return { x: p.y, y: width - p.x };
  if (turn === 180) return { x: width - p.x, y: height - p.y };
  return p;
}

function mapBox(box: Box, map: (p: Point) => Point): Box {
  const a = map({ x: box.x, y: box.y });
  const b = map({ x: box.x + box.width, y: box.y + box.height });
  return { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(a.x - b.x), height: Math.abs(a.y - b.y) };
}

/** A box of the image turned by `turn`, in the coordinates of the image as sent (`width` x `height`). */
export function boxToSent(box: Box, turn: QuarterTurn, width: number, height: number): Box {
  return turn === 0 ? box : mapBox(box, (p) => pointToSent(p, turn, width, height));
}

/** A box of the image as sent (`width` x `height`), in the coordinates of that image turned by `turn`. */
export function boxToTurned(box: Box, turn: QuarterTurn, width: number, height: number): Box {
  return turn === 0 ? box : mapBox(box, (p) => pointToTurned(p, turn, width, height));
}

type OrientationRule = NonNullable<Extract<ModelEntry['output'], { type: 'retinaface' }>['orientation']>;

function orientationRule(entry: ModelEntry): OrientationRule | undefined {
  const output = entry.output;
  return output.type === 'ultraface' || output.type === 'retinaface' ? output.orientation : undefined;
}

/** What the pack's orientation model reads of a face: the likeliest clockwise turn to upright, and its probability. */
export interface TurnReading {
  readonly turn: QuarterTurn;
  readonly probability: number;
  /** The probability that the face is upright as it is. */
  readonly upright: number;
}

/** Runs the pack's orientation model on the face in `box`. */
export async function readTurn(model: Model, image: Raster, box: Box): Promise<TurnReading> {
  const { entry } = model;
  const spec = entry.output;
  if (spec.type !== 'turns') throw new Error(`Orientation output type ${spec.type} is not supported.`);
  const outputs = await model.run(cropToTensor(image, box, entry.crop, entry.input));
  const probabilities = outputs[spec.name]?.data;
  if (!probabilities || probabilities.length !== spec.turns.length) throw new Error('Orientation output is missing.');
  let best = 0;
  for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[best]!) best = i;
  return { turn: spec.turns[best] as QuarterTurn, probability: probabilities[best]!, upright: probabilities[spec.turns.indexOf(0)]! };
}

/**
 * The faces of the image, largest first (detectFaces), with the raster they were found in. With the
 * pack's orientation rule:
 * - With an orientation model (`turnModel`): it reads the primary face's box. When it says the face
 *   lies on its side or upside down (a turn other than 0, with at least its minConfidence), the image
 *   turned that way is searched again, and kept where the model reads that image's primary face as
 *   upright (a second look: an upright face misread once is rarely misread the same way turned).
 *   The detector's keypoints and score are unreliable on turned faces (it often reads one as upright,
 *   with upright-looking keypoints), and a photo sent turned is judged by models that never saw one:
 *   an attack sent upside down was read as live that way. When the model is not sure either way (no
 *   confident turn, and the upright reading under minConfidence), the rule below decides.
 * - Without one, or when it is unsure: when the primary face lies on its side or upside down by its
 *   keypoints, the image turned each other way is searched and the turn whose primary face is upright
 *   and scores highest is kept (the keypoints of a face on its side are unsure, so every turn is
 *   tried). When the keypoints look upright but the detector is unsure of the face (a score under
 *   orientation.unsure.below), the turns are searched too, and one is kept only where its face scores
 *   at least unsure.margin higher and at least unsure.minScore.
 * When the image holds no face, the image turned each other way is searched, keeping a face scored at
 * least orientation.minScore. Otherwise the faces as found.
 */
export async function detectFacesAnyTurn(model: Model, image: Raster, turnModel?: Model): Promise<OrientedFaces> {
  const faces = await detectFaces(model, image);
  const rule = orientationRule(model.entry);
  const asFound: OrientedFaces = { faces, raster: image, turn: 0 };
  if (!rule) return asFound;
  if (faces.length === 0) return (await bestUpright(model, image, TURNS, rule.minScore)) ?? asFound;
  const primary = faces[0]!;
  if (turnModel) {
    const spec = turnModel.entry.output as { readonly minConfidence: number };
    const reading = await readTurn(turnModel, image, primary.box);
    if (reading.turn !== 0 && reading.probability >= spec.minConfidence) {
      const raster = turnRaster(image, reading.turn);
      const turned = await detectFaces(model, raster);
      if (turned.length > 0 && (await readTurn(turnModel, raster, turned[0]!.box)).turn === 0) return { faces: turned, raster, turn: reading.turn };
      // Not confirmed: the detector's own signs decide, below.
    } else if (reading.upright >= spec.minConfidence) {
      return asFound;
    }
  }
  if (uprightTurn(primary.keypoints) !== 0) return (await bestUpright(model, image, TURNS, 0)) ?? asFound;
  const { unsure } = rule;
  if (unsure === undefined || primary.score >= unsure.below) return asFound;
  return (await bestUpright(model, image, TURNS, Math.max(primary.score + unsure.margin, unsure.minScore))) ?? asFound;
}

const TURNS = [90, 180, 270] as const;

/** Of the image turned by each of `turns`, the one whose primary face is upright and scores highest, at least `minScore`. */
async function bestUpright(model: Model, image: Raster, turns: readonly (90 | 180 | 270)[], minScore: number): Promise<OrientedFaces | undefined> {
  let best: OrientedFaces | undefined;
  for (const turn of turns) {
    const raster = turnRaster(image, turn);
    // The turned image gets the first padded retry only: the others are for a tight crop the right
    // way up, and each costs a detector pass on every image without a face.
    const faces = await detectFaces(model, raster, 'first');
    const score = faces[0]?.score ?? 0;
    if (faces.length > 0 && uprightTurn(faces[0]!.keypoints) === 0 && score >= minScore && score > (best?.faces[0]?.score ?? 0)) {
      best = { faces, raster, turn };
    }
  }
  return best;
}
