// Landmark alignment: a similarity transform (rotation, scale, shift) that puts five points of the
// 68 (eye centres, nose tip, mouth corners) where a fixed template wants them, and the aligned crop
// it gives. The attribute classifier sees faces only through this crop, at run time and in training.

import type { Raster } from '../image/raster';
import type { Point } from '../types';

/** Where the aligned crop puts the face, as fractions of the crop's side (from the pack manifest). */
export interface AlignRule {
  /** Distance between the eye centres. */
  readonly interEye: number;
  /** Height of the eyes' midpoint, from the top. */
  readonly eyeY: number;
}

/** The crop the attribute classifier is trained on when the pack has none yet (its manifest entry repeats what it used). */
export const DEFAULT_ATTRIBUTE_CROP: { readonly size: number; readonly rule: AlignRule } = { size: 96, rule: { interEye: 0.22, eyeY: 0.46 } };

/** Five-point template of the common 112x112 face-recognition crop (eyes, nose tip, mouth corners). */
const TEMPLATE_112: readonly Point[] = [
  { x: 38.2946, y: 51.6963 }, { x: 73.5318, y: 51.5014 }, { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 }, { x: 70.7299, y: 92.2041 },
];

/** The template scaled and moved so the eyes sit as `rule` says in a crop of side 1. */
export function alignTemplate(rule: AlignRule): Point[] {
  const [l, r] = [TEMPLATE_112[0]!, TEMPLATE_112[1]!];
  const mid = { x: (l.x + r.x) / 2, y: (l.y + r.y) / 2 };
  const scale = rule.interEye / Math.hypot(r.x - l.x, r.y - l.y);
  return TEMPLATE_112.map((p) => ({ x: 0.5 + (p.x - mid.x) * scale, y: rule.eyeY + (p.y - mid.y) * scale }));
}

function mean(points: readonly Point[], from: number, to: number): Point {
  let x = 0, y = 0;
  for (let i = from; i <= to; i++) { x += points[i]!.x; y += points[i]!.y; }
  return { x: x / (to - from + 1), y: y / (to - from + 1) };
}

/** The five alignment points of 68 iBUG landmarks, in template order. */
export function fivePoints(points: readonly Point[]): Point[] {
  if (points.length < 68) throw new RangeError(`Expected 68 landmarks but received ${points.length}.`);
  return [mean(points, 36, 41), mean(points, 42, 47), points[30]!, points[48]!, points[54]!];
}

/** x' = a x - b y + tx, y' = b x + a y + ty. */
export interface Similarity { readonly a: number; readonly b: number; readonly tx: number; readonly ty: number }

/** Least-squares similarity mapping `from` onto `to` (no reflection). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  const n = from.length;
  let fx = 0, fy = 0, tx = 0, ty = 0;
  for (let i = 0; i < n; i++) { fx += from[i]!.x; fy += from[i]!.y; tx += to[i]!.x; ty += to[i]!.y; }
  fx /= n; fy /= n; tx /= n; ty /= n;
  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const u = from[i]!.x - fx, v = from[i]!.y - fy, x = to[i]!.x - tx, y = to[i]!.y - ty;
    dot += u * x + v * y;
    cross += u * y - v * x;
    norm += u * u + v * v;
  }
  const a = dot / (norm || 1);
  const b = cross / (norm || 1);
  return { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) };
}

export function applySimilarity(s: Similarity, p: Point): Point {
  return { x: s.a * p.x - s.b * p.y + s.tx, y: s.b * p.x + s.a * p.y + s.ty };
}

/** Grey level of crop pixels that fall outside the image. */
export const ALIGN_FILL = 128;

/**
 * The aligned `size` x `size` RGB crop of the face whose 68 landmarks are `points`. Each output
 * pixel averages up to 4x4 bilinear samples of the image (enough to avoid aliasing when a large
 * face shrinks); samples outside the image take the grey ALIGN_FILL.
 */
export function alignFace(image: Raster, points: readonly Point[], size: number, rule: AlignRule): Raster {
  const template = alignTemplate(rule).map((p) => ({ x: p.x * size, y: p.y * size }));
  // Crop pixel -> image pixel.
  const m = fitSimilarity(template, fivePoints(points));
  const scale = Math.hypot(m.a, m.b);
  const k = Math.max(1, Math.min(4, Math.ceil(scale)));
  const out = new Uint8Array(size * size * 3);
  const { data, width, height } = image;
  const maxX = width - 1, maxY = height - 1;
  // The products of the transform with each sample coordinate, computed once: the same doubles the
  // per-sample expressions a * u - b * v + tx and b * u + a * v + ty would form (same order), so the
  // crop is bit-identical to sampling them in place, at a fraction of the multiplications.
  const n = size * k;
  const au = new Float64Array(n), bu = new Float64Array(n);
  for (let x = 0; x < size; x++) {
    for (let sx = 0; sx < k; sx++) {
      const u = x + (sx + 0.5) / k;
      au[x * k + sx] = m.a * u; bu[x * k + sx] = m.b * u;
    }
  }
  const samples = k * k;
  const stride = width * 3;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0;
      for (let sy = 0; sy < k; sy++) {
        const v = y + (sy + 0.5) / k;
        const bv = m.b * v, av = m.a * v;
        for (let sx = 0; sx < k; sx++) {
          const i = x * k + sx;
          const fx = au[i]! - bv + m.tx - 0.5;
          const fy = bu[i]! + av + m.ty - 0.5;
          if (fx >= 0 && fy >= 0 && fx < maxX && fy < maxY) {
            // Inside, with a right and a lower neighbour: the general path below without its clamps.
            const x0 = fx | 0, y0 = fy | 0;
            const wx = fx - x0, wy = fy - y0;
            const p00 = (y0 * width + x0) * 3, p10 = p00 + stride;
            const w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
            r += data[p00]! * w00 + data[p00 + 3]! * w01 + data[p10]! * w10 + data[p10 + 3]! * w11;
            g += data[p00 + 1]! * w00 + data[p00 + 4]! * w01 + data[p10 + 1]! * w10 + data[p10 + 4]! * w11;
            b += data[p00 + 2]! * w00 + data[p00 + 5]! * w01 + data[p10 + 2]! * w10 + data[p10 + 5]! * w11;
            continue;
          }
          if (fx < -0.5 || fy < -0.5 || fx > maxX + 0.5 || fy > maxY + 0.5) {
            r += ALIGN_FILL; g += ALIGN_FILL; b += ALIGN_FILL;
            continue;
          }
          const cx = fx < 0 ? 0 : fx > maxX ? maxX : fx;
          const cy = fy < 0 ? 0 : fy > maxY ? maxY : fy;
          // Non-negative and small: | 0 is Math.floor here.
          const x0 = cx | 0, y0 = cy | 0;
          const x1 = x0 < maxX ? x0 + 1 : x0, y1 = y0 < maxY ? y0 + 1 : y0;
          const wx = cx - x0, wy = cy - y0;
          const p00 = (y0 * width + x0) * 3, p01 = (y0 * width + x1) * 3, p10 = (y1 * width + x0) * 3, p11 = (y1 * width + x1) * 3;
          const w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
          r += data[p00]! * w00 + data[p01]! * w01 + data[p10]! * w10 + data[p11]! * w11;
          g += data[p00 + 1]! * w00 + data[p01 + 1]! * w01 + data[p10 + 1]! * w10 + data[p11 + 1]! * w11;
          b += data[p00 + 2]! * w00 + data[p01 + 2]! * w01 + data[p10 + 2]! * w10 + data[p11 + 2]! * w11;
        }
      }
      const o = (y * size + x) * 3;
      // Non-negative: (v + 0.5) | 0 is Math.round without its branches (see resample in raster.ts).
      out[o] = (r / samples + 0.5) | 0; out[o + 1] = (g / samples + 0.5) | 0; out[o + 2] = (b / samples + 0.5) | 0;
    }
  }
  return { data: out, width: size, height: size, channels: 3 };
}
