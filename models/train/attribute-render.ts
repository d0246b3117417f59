// Synthetic face attributes drawn from the 68 landmarks, for training and tests: sunglasses (dark,
// tinted, gradient or mirrored lenses of varied shapes, frames, reflections, partial transparency),
// clear eyeglasses (some with a coating's coloured sheen), masks, caps, beanies and head scarves,
// alone or together (sunglasses under a cap).
// Deterministic: the same seed draws the same thing.

import type { Raster } from '../../core/image/raster';
import type { Point } from '../../core/types';
import { seededRandom } from './seeded-random';

export type SyntheticKind = 'sunglasses' | 'eyeglasses' | 'mask' | 'cap' | 'veil';
export const SYNTHETIC_KINDS: readonly SyntheticKind[] = ['sunglasses', 'eyeglasses', 'mask', 'cap', 'veil'];


/** FNV-1a hash of a string, to derive per-file seeds. */
export function hashSeed(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

type Rng = () => number;
type Rgb = readonly [number, number, number];
const between = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const clamp = (v: number, lo = 0, hi = 255): number => (v < lo ? lo : v > hi ? hi : v);
const smooth = (d: number): number => clamp(0.5 - d, 0, 1);
const mid = (a: Point, b: Point, t = 0.5): Point => ({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t });

/** A copy of the raster we paint on. */
function copy(image: Raster): Raster {
  return { data: new Uint8Array(image.data), width: image.width, height: image.height, channels: 3 };
}

/**
 * Blends colour(x, y) into the raster over the box, weighted by alpha(x, y) in [0, 1]; colour may
 * read the pixel underneath (for tints).
 */
function paint(img: Raster, box: { x0: number; y0: number; x1: number; y1: number },
  alpha: (x: number, y: number) => number, colour: (x: number, y: number, under: Rgb) => Rgb): void {
  const x0 = Math.max(0, Math.floor(box.x0)), y0 = Math.max(0, Math.floor(box.y0));
  const x1 = Math.min(img.width - 1, Math.ceil(box.x1)), y1 = Math.min(img.height - 1, Math.ceil(box.y1));
  const d = img.data;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const a = alpha(x + 0.5, y + 0.5);
      if (a <= 0) continue;
      const o = (y * img.width + x) * 3;
      const under: Rgb = [d[o]!, d[o + 1]!, d[o + 2]!];
      const c = colour(x + 0.5, y + 0.5, under);
      for (let k = 0; k < 3; k++) d[o + k] = Math.round(clamp(under[k]! * (1 - a) + c[k]! * a));
    }
  }
}

/** Signed distance (pixels, negative inside) to a closed polygon. */
function polygonDistance(poly: readonly Point[], x: number, y: number): number {
  let inside = false;
  let best = Infinity;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const a = poly[j]!, b = poly[i]!;
    if ((b.y > y) !== (a.y > y) && x < ((a.x - b.x) * (y - b.y)) / (a.y - b.y) + b.x) inside = !inside;
    const dx = b.x - a.x, dy = b.y - a.y;
    const t = clamp(((x - a.x) * dx + (y - a.y) * dy) / (dx * dx + dy * dy || 1), 0, 1);
    best = Math.min(best, Math.hypot(x - a.x - t * dx, y - a.y - t * dy));
  }
  return inside ? -best : best;
}

function boundsOf(poly: readonly Point[], pad = 2): { x0: number; y0: number; x1: number; y1: number } {
  const xs = poly.map((p) => p.x), ys = poly.map((p) => p.y);
  return { x0: Math.min(...xs) - pad, y0: Math.min(...ys) - pad, x1: Math.max(...xs) + pad, y1: Math.max(...ys) + pad };
}

/** Cheap value noise in [-1, 1] with feature size `cell` pixels. */
function valueNoise(rng: Rng, cell: number): (x: number, y: number) => number {
  const table = Array.from({ length: 256 }, () => rng() * 2 - 1);
  const at = (i: number, j: number): number => table[(Math.imul(i, 73856093) ^ Math.imul(j, 19349663)) & 255]!;
  return (x, y) => {
    const u = x / cell, v = y / cell;
    const i = Math.floor(u), j = Math.floor(v);
    const fu = u - i, fv = v - j;
    const top = at(i, j) + (at(i + 1, j) - at(i, j)) * fu;
    const bottom = at(i, j + 1) + (at(i + 1, j + 1) - at(i, j + 1)) * fu;
    return top + (bottom - top) * fv;
  };
}

/** Face frame from the landmarks: eye centres, inter-eye distance, unit vectors across and down. */
function frame(points: readonly Point[]) {
  const avg = (from: number, to: number): Point => {
    let x = 0, y = 0;
    for (let i = from; i <= to; i++) { x += points[i]!.x; y += points[i]!.y; }
    return { x: x / (to - from + 1), y: y / (to - from + 1) };
  };
  const left = avg(36, 41), right = avg(42, 47);
  const d = Math.hypot(right.x - left.x, right.y - left.y) || 1;
  const across = { x: (right.x - left.x) / d, y: (right.y - left.y) / d };
  const down = { x: -across.y, y: across.x };
  return { left, right, d, across, down };
}

const LENS_TINTS: readonly Rgb[] = [[18, 18, 20], [35, 35, 38], [55, 40, 28], [38, 52, 40], [28, 36, 62], [70, 45, 30], [60, 60, 65], [110, 70, 30], [12, 12, 12]];
const MIRROR_TINTS: readonly Rgb[] = [[170, 180, 195], [90, 140, 220], [220, 170, 80], [200, 90, 150], [120, 200, 190]];
/** The coloured sheen anti-reflective coatings give clear lenses in the light (blue, green, purple, cyan). */
const COATING_SHEENS: readonly Rgb[] = [[70, 120, 255], [90, 220, 140], [170, 110, 230], [120, 200, 255]];
const FRAME_COLOURS: readonly Rgb[] = [[15, 15, 15], [40, 28, 20], [90, 60, 35], [190, 160, 90], [170, 170, 175], [120, 20, 25], [230, 230, 230]];

/** Sunglasses (`clear` false) or clear eyeglasses (`clear` true) over both eyes. */
function drawGlasses(img: Raster, points: readonly Point[], rng: Rng, clear: boolean): void {
  const { left, right, d, across, down } = frame(points);
  const shape = pick(rng, ['round', 'rect', 'aviator', 'cateye', 'wayfarer'] as const);
  const halfW = d * between(rng, clear ? 0.34 : 0.4, clear ? 0.48 : 0.62);
  const halfH = halfW * (shape === 'round' ? between(rng, 0.85, 1) : shape === 'rect' ? between(rng, 0.5, 0.7) : between(rng, 0.62, 0.85));
  const power = shape === 'round' ? 2 : shape === 'rect' ? between(rng, 3.5, 6) : shape === 'wayfarer' ? between(rng, 2.8, 4) : between(rng, 2, 2.6);
  const drop = d * between(rng, -0.08, 0.12);
  const spread = d * between(rng, 0, 0.06);
  const rimless = rng() < (clear ? 0.1 : 0.15);
  const thick = rimless ? 0 : Math.max(1, d * (shape === 'wayfarer' || shape === 'cateye' ? between(rng, 0.05, 0.1) : between(rng, 0.015, 0.06)));
  const frameColour = pick(rng, FRAME_COLOURS);
  const mirrored = !clear && rng() < 0.25;
  const tint: Rgb = clear ? [235, 235, 230] : mirrored ? pick(rng, MIRROR_TINTS) : pick(rng, LENS_TINTS);
  const opacity = clear ? between(rng, 0, 0.15) : mirrored ? between(rng, 0.88, 1) : between(rng, 0.5, 0.97);
  // Gradient lenses: dark at the top, fading towards the cheeks (often brown, over bright skin).
  const gradient = clear || mirrored ? 0 : rng() < 0.4 ? between(rng, 0.15, 0.7) : 0;
  const glint = rng() < (clear ? 0.5 : 0.75) ? { angle: between(rng, -1.2, -0.3), offset: between(rng, -0.5, 0.3), width: between(rng, 0.08, 0.3), strength: between(rng, 0.15, clear ? 0.35 : 0.6) } : null;
  // Clear lenses only: a coating's coloured reflection over part of each lens (still clear glasses).
  const sheen = clear && rng() < 0.4
    ? { colour: pick(rng, COATING_SHEENS), u: between(rng, -0.5, 0.5), v: between(rng, -0.5, 0.5), radius: between(rng, 0.5, 1.2), strength: between(rng, 0.2, 0.5) }
    : null;
  const tortoise = frameColour[0] === 90 ? valueNoise(rng, Math.max(2, d * 0.05)) : null;
  const frameAt = (x: number, y: number): Rgb => {
    if (!tortoise) return frameColour;
    const n = tortoise(x, y);
    return [clamp(frameColour[0] + n * 50), clamp(frameColour[1] + n * 35), clamp(frameColour[2] + n * 20)];
  };

  for (const [eye, outward] of [[left, -1], [right, 1]] as const) {
    const c = { x: eye.x + down.x * drop + across.x * outward * spread, y: eye.y + down.y * drop + across.y * outward * spread };
    // Lens coordinates: u outward from the nose, v down; f = 1 on the lens edge.
    const local = (x: number, y: number) => {
      const dx = x - c.x, dy = y - c.y;
      const u = (dx * across.x + dy * across.y) * outward;
      const v = dx * down.x + dy * down.y;
      let w = halfW, h = halfH;
      if (shape === 'aviator' && v > 0) w *= 1 - 0.35 * Math.min(1, v / halfH) * (u < 0 ? 1 : 0.3);
      if (shape === 'cateye' && v < 0) h *= 1 + 0.35 * Math.max(0, u / halfW);
      const f = Math.pow(Math.pow(Math.abs(u / w), power) + Math.pow(Math.abs(v / h), power), 1 / power);
      return { u, v, f, scale: Math.min(w, h) };
    };
    const box = { x0: c.x - halfW * 1.6 - thick, y0: c.y - halfH * 1.6 - thick, x1: c.x + halfW * 1.6 + thick, y1: c.y + halfH * 1.6 + thick };
    paint(img, box, (x, y) => {
      const { f, scale } = local(x, y);
      return smooth((f - 1) * scale);
    }, (x, y, under) => {
      const { u, v } = local(x, y);
      const shade = 1 - gradient * (1 - (v / halfH + 1) / 2);
      let col: Rgb;
      if (mirrored) {
        const t = (v / halfH + 1) / 2;
        col = [tint[0] * (1.2 - 0.5 * t), tint[1] * (1.2 - 0.5 * t), tint[2] * (1.2 - 0.5 * t)];
      } else {
        const a = opacity * shade;
        col = [under[0] * (1 - a) + tint[0] * a, under[1] * (1 - a) + tint[1] * a, under[2] * (1 - a) + tint[2] * a];
      }
      if (glint) {
        const along = u / halfW * Math.cos(glint.angle) + v / halfH * Math.sin(glint.angle) - glint.offset;
        const g = Math.max(0, 1 - Math.abs(along) / glint.width) * glint.strength;
        col = [col[0] + (255 - col[0]) * g, col[1] + (255 - col[1]) * g, col[2] + (255 - col[2]) * g];
      }
      if (sheen) {
        const r = Math.hypot(u / halfW - sheen.u, v / halfH - sheen.v) / sheen.radius;
        const g = Math.max(0, 1 - r * r) * sheen.strength;
        col = [col[0] + (sheen.colour[0] - col[0]) * g, col[1] + (sheen.colour[1] - col[1]) * g, col[2] + (sheen.colour[2] - col[2]) * g];
      }
      return mirrored ? [col[0] * opacity + under[0] * (1 - opacity), col[1] * opacity + under[1] * (1 - opacity), col[2] * opacity + under[2] * (1 - opacity)] : col;
    });
    if (thick > 0) {
      paint(img, box, (x, y) => {
        const { f, scale } = local(x, y);
        const dist = Math.abs((f - 1) * scale + thick / 2) - thick / 2;
        return smooth(dist);
      }, (x, y) => frameAt(x, y));
    }
  }
  // Bridge between the lenses and temples towards the ears.
  const bar = Math.max(1, thick > 0 ? thick * 0.7 : d * 0.02);
  const raise = -halfH * 0.35 + drop;
  const at = (p: Point, u: number): Point => ({ x: p.x + across.x * u + down.x * raise, y: p.y + across.y * u + down.y * raise });
  const segments: [Point, Point][] = [[at(left, halfW * 0.9 - spread), at(right, -halfW * 0.9 + spread)]];
  const reach = (eye: Point, ear: Point): number => Math.abs((ear.x - eye.x) * across.x + (ear.y - eye.y) * across.y);
  segments.push([at(left, -halfW - spread), at(left, -Math.max(halfW + spread, reach(left, points[0]!)))]);
  segments.push([at(right, halfW + spread), at(right, Math.max(halfW + spread, reach(right, points[16]!)))]);
  for (const [a, b] of segments) {
    paint(img, { x0: Math.min(a.x, b.x) - bar - 2, y0: Math.min(a.y, b.y) - bar - 2, x1: Math.max(a.x, b.x) + bar + 2, y1: Math.max(a.y, b.y) + bar + 2 }, (x, y) => {
      const dx = b.x - a.x, dy = b.y - a.y;
      const t = clamp(((x - a.x) * dx + (y - a.y) * dy) / (dx * dx + dy * dy || 1), 0, 1);
      return smooth(Math.hypot(x - a.x - t * dx, y - a.y - t * dy) - bar / 2);
    }, (x, y) => frameAt(x, y));
  }
}

const CLOTH: readonly Rgb[] = [[150, 195, 230], [235, 235, 235], [30, 30, 32], [120, 120, 125], [230, 170, 190], [40, 60, 110], [190, 60, 50], [200, 185, 150], [60, 100, 60], [110, 70, 120]];

/** Cloth colour with low-frequency shading and a finer weave. */
function cloth(rng: Rng, d: number): (x: number, y: number) => Rgb {
  const base = pick(rng, CLOTH);
  const folds = valueNoise(rng, d * between(rng, 0.3, 0.8));
  const weave = valueNoise(rng, Math.max(1.5, d * 0.03));
  const depth = between(rng, 0.08, 0.25);
  return (x, y) => {
    const k = 1 + folds(x, y) * depth + weave(x, y) * 0.04;
    return [clamp(base[0] * k), clamp(base[1] * k), clamp(base[2] * k)];
  };
}

/** A mask over nose, mouth and chin: surgical (pleated), cloth or respirator. */
function drawMask(img: Raster, points: readonly Point[], rng: Rng): void {
  const { d, down } = frame(points);
  const centre = points[30]!;
  const jaw: Point[] = [];
  for (let i = 1; i <= 15; i++) {
    const p = points[i]!;
    const grow = i >= 6 && i <= 10 ? 1.08 : 1.03;
    jaw.push({ x: centre.x + (p.x - centre.x) * grow, y: centre.y + (p.y - centre.y) * grow });
  }
  const lift = between(rng, 0, 0.25) * d;
  const bridge = { x: points[28]!.x - down.x * lift, y: points[28]!.y - down.y * lift };
  const top = [mid(points[15]!, bridge, 0.45), bridge, mid(points[1]!, bridge, 0.45)]
    .map((p, i) => (i === 1 ? p : { x: p.x - down.x * d * 0.12, y: p.y - down.y * d * 0.12 }));
  const poly = [...jaw, ...top];
  const colour = cloth(rng, d);
  const pleats = rng() < 0.5;
  const span = Math.max(1, points[8]!.y - bridge.y);
  paint(img, boundsOf(poly), (x, y) => smooth(polygonDistance(poly, x, y)), (x, y) => {
    const c = colour(x, y);
    const edge = Math.min(1, -polygonDistance(poly, x, y) / (d * 0.15));
    let k = 0.82 + 0.18 * edge;
    if (pleats) {
      const t = ((y - bridge.y) / span) * 4;
      k *= 1 - 0.12 * Math.max(0, 1 - Math.abs(t - Math.round(t)) * 6);
    }
    return [c[0] * k, c[1] * k, c[2] * k];
  });
}

/** A cap (a crown over the forehead and above, with a brim along its lower edge) or a brimless beanie. */
function drawCap(img: Raster, points: readonly Point[], rng: Rng): void {
  const { left, right, d, across, down } = frame(points);
  const eyes = mid(left, right);
  const beanie = rng() < 0.35;
  const halfWidth = (Math.hypot(points[16]!.x - points[0]!.x, points[16]!.y - points[0]!.y) / 2) * between(rng, 1.0, beanie ? 1.1 : 1.18);
  const low = d * (beanie ? between(rng, 0.35, 0.6) : between(rng, 0.3, 0.75));
  const height = d * between(rng, 1.1, 1.8);
  const base = { x: eyes.x - down.x * low, y: eyes.y - down.y * low };
  const crown: Point[] = [];
  for (let i = 0; i <= 24; i++) {
    const t = Math.PI * (i / 24);
    const u = -Math.cos(t) * halfWidth, v = -Math.sin(t) * height;
    crown.push({ x: base.x + across.x * u + down.x * v, y: base.y + across.y * u + down.y * v });
  }
  const colour = cloth(rng, d);
  paint(img, boundsOf(crown), (x, y) => smooth(polygonDistance(crown, x, y)), (x, y) => colour(x, y));
  if (beanie) {
    // A folded cuff: a darker band along the lower edge instead of a brim.
    const cuff = d * between(rng, 0.2, 0.35);
    const shadeCuff = between(rng, 0.75, 0.92);
    paint(img, boundsOf(crown), (x, y) => {
      const v = (x - base.x) * down.x + (y - base.y) * down.y;
      return Math.min(smooth(polygonDistance(crown, x, y)), smooth(-v - cuff));
    }, (x, y) => {
      const c = colour(x, y);
      return [c[0] * shadeCuff, c[1] * shadeCuff, c[2] * shadeCuff];
    });
    return;
  }
  const brimDepth = d * between(rng, 0.12, 0.3);
  const brimWidth = halfWidth * between(rng, 0.9, 1.15);
  const brim: Point[] = [];
  for (let i = 0; i <= 24; i++) {
    const t = 2 * Math.PI * (i / 24);
    const u = Math.cos(t) * brimWidth, v = Math.sin(t) * brimDepth;
    brim.push({ x: base.x + across.x * u + down.x * v, y: base.y + across.y * u + down.y * v });
  }
  const shade = between(rng, 0.6, 0.95);
  paint(img, boundsOf(brim), (x, y) => smooth(polygonDistance(brim, x, y)), (x, y) => {
    const c = colour(x, y);
    return [c[0] * shade, c[1] * shade, c[2] * shade];
  });
}

/** A head scarf (hijab): cloth around the face oval, over the hair and down past the chin. */
function drawVeil(img: Raster, points: readonly Point[], rng: Rng): void {
  const { left, right, d, across, down } = frame(points);
  const eyes = mid(left, right);
  const centre = points[30]!;
  const opening: Point[] = [];
  for (let i = 0; i <= 16; i++) {
    const p = points[i]!;
    const k = between(rng, 0.92, 0.98);
    opening.push({ x: centre.x + (p.x - centre.x) * k, y: centre.y + (p.y - centre.y) * k });
  }
  const foreheadTop = d * between(rng, 0.45, 0.8);
  const a = opening[16]!, b = opening[0]!;
  const halfW = Math.hypot(a.x - b.x, a.y - b.y) / 2;
  const m = mid(a, b);
  const topOf = { x: eyes.x - down.x * foreheadTop, y: eyes.y - down.y * foreheadTop };
  const rise = (m.x - topOf.x) * down.x + (m.y - topOf.y) * down.y;
  for (let i = 1; i < 12; i++) {
    const t = Math.PI * (i / 12);
    const u = Math.cos(t) * halfW, v = -Math.sin(t) * rise;
    opening.push({ x: m.x + across.x * u + down.x * v, y: m.y + across.y * u + down.y * v });
  }
  const outerW = halfW * between(rng, 1.35, 1.7);
  const outer: Point[] = [];
  const top = d * between(rng, 1.5, 2.0);
  const bottom = d * between(rng, 2.6, 3.6);
  for (let i = 0; i <= 24; i++) {
    const t = Math.PI * (i / 24);
    const u = -Math.cos(t) * outerW, v = -Math.sin(t) * top;
    outer.push({ x: eyes.x + across.x * u + down.x * v, y: eyes.y + across.y * u + down.y * v });
  }
  const shoulders = outerW * between(rng, 1.1, 1.6);
  outer.push({ x: eyes.x + across.x * shoulders + down.x * bottom, y: eyes.y + across.y * shoulders + down.y * bottom });
  outer.push({ x: eyes.x - across.x * shoulders + down.x * bottom, y: eyes.y - across.y * shoulders + down.y * bottom });
  const colour = cloth(rng, d);
  paint(img, boundsOf(outer), (x, y) => Math.min(smooth(polygonDistance(outer, x, y)), smooth(-polygonDistance(opening, x, y))), (x, y) => colour(x, y));
}

/** Drawing order when several attributes are worn: headwear first, then glasses, then a mask. */
const LAYER_ORDER: readonly SyntheticKind[] = ['veil', 'cap', 'sunglasses', 'eyeglasses', 'mask'];

/**
 * A copy of `image` wearing every synthetic attribute in `kinds` (for example sunglasses under a
 * cap), drawn with the generator seeded by `seed`.
 */
export function renderAttributes(image: Raster, points: readonly Point[], kinds: readonly SyntheticKind[], seed: number): Raster {
  if (points.length < 68) throw new RangeError(`Expected 68 landmarks but received ${points.length}.`);
  const rng = seededRandom(seed);
  const out = copy(image);
  for (const kind of LAYER_ORDER) {
    if (!kinds.includes(kind)) continue;
    if (kind === 'sunglasses') drawGlasses(out, points, rng, false);
    else if (kind === 'eyeglasses') drawGlasses(out, points, rng, true);
    else if (kind === 'mask') drawMask(out, points, rng);
    else if (kind === 'cap') drawCap(out, points, rng);
    else drawVeil(out, points, rng);
  }
  return out;
}

/** A copy of `image` wearing the synthetic attribute `kind`, drawn with the generator seeded by `seed`. */
export function renderAttribute(image: Raster, points: readonly Point[], kind: SyntheticKind, seed: number): Raster {
  return renderAttributes(image, points, [kind], seed);
}
