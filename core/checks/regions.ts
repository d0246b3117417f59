// Colour and texture statistics of image regions placed by the face's landmarks; shared by the
// quality and attribute checks so each region is measured once per request.

import { luma, type Raster } from '../image/raster';
import type { FaceGeometry } from '../faces/landmarks';
import type { Box, Point } from '../types';

export interface RegionStats {
  /** Mean R, G, B in 0..255. */
  readonly r: number;
  readonly g: number;
  readonly b: number;
  /** Mean luma and its standard deviation, 0..255. */
  readonly luma: number;
  readonly lumaStd: number;
  /** Mean (max - min channel) / 255: 0 for grey pixels. */
  readonly chroma: number;
  /**
   * Mean saturation (max - min channel) / max over the pixels whose brightest channel is at least
   * SATURATION_FLOOR: 0 for grey pixels. Relative to brightness, so darkening a colour face keeps it.
   */
  readonly saturation: number;
  /** Share of pixels with luma >= 250. */
  readonly clipped: number;
  /** Pixels sampled (0 when the region is outside the image). */
  readonly count: number;
}

const EMPTY: RegionStats = { r: 0, g: 0, b: 0, luma: 0, lumaStd: 0, chroma: 0, saturation: 0, clipped: 0, count: 0 };

/** Pixels darker than this in every channel carry no reliable hue (quantisation, JPEG) and are left out of saturation. */
const SATURATION_FLOOR = 16;

/** Statistics of the pixels of `box` (clipped to the image), sampled on a grid of at most ~64x64. */
export function regionStats(image: Raster, box: Box): RegionStats {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(image.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(image.height, Math.ceil(box.y + box.height));
  if (x1 <= x0 || y1 <= y0) return EMPTY;
  const step = Math.max(1, Math.floor(Math.max(x1 - x0, y1 - y0) / 64));
  let n = 0, r = 0, g = 0, b = 0, l = 0, l2 = 0, chroma = 0, clipped = 0, sat = 0, satCount = 0;
  const d = image.data;
  for (let y = y0; y < y1; y += step) {
    for (let x = x0; x < x1; x += step) {
      const o = (y * image.width + x) * 3;
      const R = d[o]!, G = d[o + 1]!, B = d[o + 2]!;
      const L = luma(R, G, B);
      r += R; g += G; b += B; l += L; l2 += L * L;
      const max = Math.max(R, G, B);
      chroma += max - Math.min(R, G, B);
      if (max >= SATURATION_FLOOR) {
        sat += (max - Math.min(R, G, B)) / max;
        satCount++;
      }
      if (L >= 250) clipped++;
      n++;
    }
  }
  const meanL = l / n;
  return {
    r: r / n, g: g / n, b: b / n, luma: meanL,
    lumaStd: Math.sqrt(Math.max(0, l2 / n - meanL * meanL)),
    chroma: chroma / n / 255, saturation: satCount ? sat / satCount : 0, clipped: clipped / n, count: n,
  };
}

/** Distance between two regions' colours: chromaticity difference plus relative luma difference. */
export function colourDistance(a: RegionStats, b: RegionStats): number {
  const sa = a.r + a.g + a.b || 1;
  const sb = b.r + b.g + b.b || 1;
  const dr = a.r / sa - b.r / sb;
  const dg = a.g / sa - b.g / sb;
  const chromaticity = Math.hypot(dr, dg) * 10;
  const lightness = Math.abs(a.luma - b.luma) / Math.max(40, (a.luma + b.luma) / 2);
  return chromaticity + lightness;
}

function centred(c: Point, width: number, height: number): Box {
  return { x: c.x - width / 2, y: c.y - height / 2, width, height };
}

function mid(a: Point, b: Point, t = 0.5): Point {
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}

function bounds(points: readonly Point[], from: number, to: number, pad: number): Box {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = from; i <= to; i++) {
    const p = points[i]!;
    minX = Math.min(minX, p.x); minY = Math.min(minY, p.y);
    maxX = Math.max(maxX, p.x); maxY = Math.max(maxY, p.y);
  }
  return { x: minX - pad, y: minY - pad, width: maxX - minX + 2 * pad, height: maxY - minY + 2 * pad };
}

/** The regions the checks look at, placed from 68 landmarks (iBUG order) and the face box. */
export interface FaceRegions {
  readonly face: RegionStats;
  readonly leftEye: RegionStats;
  readonly rightEye: RegionStats;
  readonly cheeks: RegionStats;
  readonly forehead: RegionStats;
  readonly aboveHead: RegionStats;
  readonly nose: RegionStats;
  readonly mouth: RegionStats;
  readonly chin: RegionStats;
  readonly besideFace: RegionStats;
  /** The whole image: the light the camera's exposure saw. */
  readonly scene: RegionStats;
}

export function measureRegions(image: Raster, box: Box, geometry: FaceGeometry): FaceRegions {
  const p = geometry.points;
  const unit = Math.max(4, geometry.interEye);
  const pt = (i: number): Point => p[i]!;
  const eyeWidth = Math.max(3, (Math.hypot(pt(39).x - pt(36).x, pt(39).y - pt(36).y) + Math.hypot(pt(45).x - pt(42).x, pt(45).y - pt(42).y)) / 2);
  const browY = (pt(19).y + pt(24).y) / 2;
  const browX = (pt(19).x + pt(24).x) / 2;
  const inner: Box = { x: box.x + box.width * 0.15, y: box.y + box.height * 0.1, width: box.width * 0.7, height: box.height * 0.8 };
  const cheekL = regionStats(image, centred(mid(pt(41), pt(48)), eyeWidth * 0.7, eyeWidth * 0.6));
  const cheekR = regionStats(image, centred(mid(pt(46), pt(54)), eyeWidth * 0.7, eyeWidth * 0.6));
  const average = (a: RegionStats, b: RegionStats): RegionStats => ({
    r: (a.r + b.r) / 2, g: (a.g + b.g) / 2, b: (a.b + b.b) / 2, luma: (a.luma + b.luma) / 2,
    lumaStd: (a.lumaStd + b.lumaStd) / 2, chroma: (a.chroma + b.chroma) / 2, saturation: (a.saturation + b.saturation) / 2,
    clipped: (a.clipped + b.clipped) / 2,
    count: a.count + b.count,
  });
  const sideL = regionStats(image, { x: pt(0).x - unit * 0.55, y: pt(0).y, width: unit * 0.4, height: pt(4).y - pt(0).y + unit * 0.3 });
  const sideR = regionStats(image, { x: pt(16).x + unit * 0.15, y: pt(16).y, width: unit * 0.4, height: pt(12).y - pt(16).y + unit * 0.3 });
  return {
    face: regionStats(image, inner),
    leftEye: regionStats(image, centred(mid(pt(37), pt(40)), eyeWidth * 1.5, eyeWidth * 0.9)),
    rightEye: regionStats(image, centred(mid(pt(43), pt(46)), eyeWidth * 1.5, eyeWidth * 0.9)),
    cheeks: average(cheekL, cheekR),
    forehead: regionStats(image, centred({ x: browX, y: browY - unit * 0.35 }, unit * 0.9, unit * 0.3)),
    aboveHead: regionStats(image, centred({ x: browX, y: browY - unit * 1.1 }, unit * 1.2, unit * 0.5)),
    nose: regionStats(image, bounds(p, 31, 35, eyeWidth * 0.15)),
    mouth: regionStats(image, bounds(p, 48, 59, eyeWidth * 0.2)),
    chin: regionStats(image, centred(mid(pt(57), pt(8)), eyeWidth * 0.9, Math.max(3, (pt(8).y - pt(57).y) * 0.5))),
    besideFace: average(sideL, sideR),
    scene: regionStats(image, { x: 0, y: 0, width: image.width, height: image.height }),
  };
}
