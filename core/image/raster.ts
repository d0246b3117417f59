// One raster type (interleaved RGB bytes) and the pixel helpers the pipeline shares:
// crop boxes (scale about centre, shift inside or clip), bilinear crop-and-resize to tensors, grey.

import type { Box } from '../types';

/** Interleaved 8-bit RGB pixels, row-major. */
export interface Raster {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
}

/** How a model's input crop is cut around a detector box (from the pack manifest). */
export interface CropRule {
  /** Scale of the crop about the box centre (1 = the box itself). */
  readonly scale: number;
  /** 'shift': keep the scaled size (capped to fit) and move the crop inside the image; 'clip': cut at the borders. */
  readonly mode: 'shift' | 'clip';
  /** Make the box square (side = max(width, height)) before scaling. */
  readonly square: boolean;
  /** Extra offset of the centre, as a fraction of box height (positive = down). Defaults to 0. */
  readonly shiftY?: number;
}

/** Channel layout of a model input. */
export interface TensorSpec {
  readonly width: number;
  readonly height: number;
  readonly layout: 'NCHW' | 'NHWC';
  /** Channel order fed to the model; GRAY feeds one channel of luma. */
  readonly channels: 'RGB' | 'BGR' | 'GRAY';
  /** value = (pixel - mean[c]) / std[c], pixel in 0..255. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** The crop rectangle a rule gives for a box (may fall partly outside the image in 'clip' mode it is clipped). */
export function cropBox(box: Box, rule: CropRule, imageWidth: number, imageHeight: number): Box {
  let w = box.width;
  let h = box.height;
  if (rule.square) w = h = Math.max(w, h);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2 + (rule.shiftY ?? 0) * box.height;
  if (rule.mode === 'shift') {
    const scale = Math.max(0, Math.min((imageHeight - 1) / h, (imageWidth - 1) / w, rule.scale));
    const nw = w * scale;
    const nh = h * scale;
    let x0 = cx - nw / 2;
    let y0 = cy - nh / 2;
    let x1 = cx + nw / 2;
    let y1 = cy + nh / 2;
    if (x0 < 0) { x1 -= x0; x0 = 0; }
    if (y0 < 0) { y1 -= y0; y0 = 0; }
    if (x1 > imageWidth - 1) { x0 -= x1 - imageWidth + 1; x1 = imageWidth - 1; }
    if (y1 > imageHeight - 1) { y0 -= y1 - imageHeight + 1; y1 = imageHeight - 1; }
    return { x: Math.max(0, x0), y: Math.max(0, y0), width: x1 - Math.max(0, x0), height: y1 - Math.max(0, y0) };
  }
  const nw = w * rule.scale;
  const nh = h * rule.scale;
  const x0 = Math.max(0, cx - nw / 2);
  const y0 = Math.max(0, cy - nh / 2);
  const x1 = Math.min(imageWidth, cx + nw / 2);
  const y1 = Math.min(imageHeight, cy + nh / 2);
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/** Per output column (or row): the two source indices and the weight of the second, as OpenCV's INTER_LINEAR. */
interface Taps {
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly w: Float64Array;
  /** 1 where the sample falls outside [lo, hi] (filled when a fill is given). */
  readonly outside: Uint8Array;
}

function taps(start: number, step: number, count: number, max: number, lo: number, hi: number): Taps {
  const i0 = new Int32Array(count);
  const i1 = new Int32Array(count);
  const w = new Float64Array(count);
  const outside = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    let f = start + (k + 0.5) * step - 0.5;
    outside[k] = f < lo || f > hi ? 1 : 0;
    if (f < 0) f = 0; else if (f > max) f = max;
    const a = Math.floor(f);
    i0[k] = a;
    i1[k] = a < max ? a + 1 : a;
    w[k] = f - a;
  }
  return { i0, i1, w, outside };
}

/**
 * Samples `region` of the raster into a width x height RGB raster with bilinear interpolation
 * (pixel centres aligned, as OpenCV's INTER_LINEAR). Points outside the image clamp to the edge,
 * or take the grey level `fill` when one is given; with `within`, points outside that box of the
 * image take `fill` too (a letterbox's padding). The column and row taps are computed once.
 */
export function resample(src: Raster, region: Box, width: number, height: number, fill?: number, within?: Box): Raster {
  const out = new Uint8Array(width * height * 3);
  const maxX = src.width - 1;
  const maxY = src.height - 1;
  const loX = within ? Math.max(-0.5, within.x - 0.5) : -0.5;
  const hiX = within ? Math.min(maxX + 0.5, within.x + within.width - 0.5) : maxX + 0.5;
  const loY = within ? Math.max(-0.5, within.y - 0.5) : -0.5;
  const hiY = within ? Math.min(maxY + 0.5, within.y + within.height - 0.5) : maxY + 0.5;
  const cols = taps(region.x, region.width / width, width, maxX, loX, hiX);
  const rows = taps(region.y, region.height / height, height, maxY, loY, hiY);
  const data = src.data;
  const stride = src.width * 3;
  const filled = fill !== undefined;
  const grey = fill ?? 0;
  const cx0 = cols.i0.map((v) => v * 3);
  const cx1 = cols.i1.map((v) => v * 3);
  // Values are in 0..255, never negative, so (v + 0.5) | 0 rounds exactly as Math.round does; it
  // avoids Math.round's data-dependent branches, which made this loop about 3x slower on photos.
  for (let y = 0; y < height; y++) {
    const row0 = rows.i0[y]! * stride;
    const row1 = rows.i1[y]! * stride;
    const wy = rows.w[y]!;
    const rowOutside = filled && rows.outside[y] === 1;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      if (filled && (rowOutside || cols.outside[x] === 1)) {
        out[o] = out[o + 1] = out[o + 2] = grey;
        continue;
      }
      const wx = cols.w[x]!;
      const a = row0 + cx0[x]!;
      const b = row0 + cx1[x]!;
      const c = row1 + cx0[x]!;
      const d = row1 + cx1[x]!;
      let top = data[a]! + (data[b]! - data[a]!) * wx;
      let bottom = data[c]! + (data[d]! - data[c]!) * wx;
      out[o] = (top + (bottom - top) * wy + 0.5) | 0;
      top = data[a + 1]! + (data[b + 1]! - data[a + 1]!) * wx;
      bottom = data[c + 1]! + (data[d + 1]! - data[c + 1]!) * wx;
      out[o + 1] = (top + (bottom - top) * wy + 0.5) | 0;
      top = data[a + 2]! + (data[b + 2]! - data[a + 2]!) * wx;
      bottom = data[c + 2]! + (data[d + 2]! - data[c + 2]!) * wx;
      out[o + 2] = (top + (bottom - top) * wy + 0.5) | 0;
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** ITU-R BT.601 luma of an RGB pixel. */
/** For each of `count` outputs, the source indices [from, from + weights.length) and their weights. */
interface Footprints {
  readonly from: Int32Array;
  readonly weights: Float64Array[];
}

/**
 * The weights of `count` outputs that each average `k` bilinear samples (k x count samples spread over
 * the span, pixel centres aligned, clamped at the edges as resample clamps them).
 */
function footprints(start: number, span: number, count: number, k: number, max: number): Footprints {
  const t = taps(start, span / (count * k), count * k, max, -0.5, max + 0.5);
  const from = new Int32Array(count);
  const weights: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    let lo = Infinity, hi = -Infinity;
    for (let j = i * k; j < (i + 1) * k; j++) {
      lo = Math.min(lo, t.i0[j]!);
      hi = Math.max(hi, t.i1[j]!);
    }
    const w = new Float64Array(hi - lo + 1);
    for (let j = i * k; j < (i + 1) * k; j++) {
      w[t.i0[j]! - lo]! += (1 - t.w[j]!) / k;
      w[t.i1[j]! - lo]! += t.w[j]! / k;
    }
    from[i] = lo;
    weights.push(w);
  }
  return { from, weights };
}

/**
 * The grey levels (BT.601 luma) of `region` at width x height, each output pixel the mean of k x k
 * bilinear samples spread over it: an area average, so that shrinking a large region does not skip
 * pixels (and alias their grain into detail). Equal to toGray(resample(src, region, k * width,
 * k * height)) averaged k x k, without the rounding to bytes, computed as two separable passes over
 * the luma of the pixels the samples touch.
 */
export function areaResampleGray(src: Raster, region: Box, width: number, height: number, k: number): Float32Array {
  const cols = footprints(region.x, region.width, width, k, src.width - 1);
  const rows = footprints(region.y, region.height, height, k, src.height - 1);
  const x0 = cols.from[0]!, x1 = cols.from[width - 1]! + cols.weights[width - 1]!.length - 1;
  const y0 = rows.from[0]!, y1 = rows.from[height - 1]! + rows.weights[height - 1]!.length - 1;
  // Horizontal pass: each touched source row, reduced to `width` columns.
  const across = new Float64Array((y1 - y0 + 1) * width);
  const d = src.data;
  const line = new Float64Array(x1 - x0 + 1);
  for (let y = y0; y <= y1; y++) {
    let o = (y * src.width + x0) * 3;
    for (let x = 0; x < line.length; x++, o += 3) line[x] = luma(d[o]!, d[o + 1]!, d[o + 2]!);
    const row = (y - y0) * width;
    for (let i = 0; i < width; i++) {
      const w = cols.weights[i]!;
      const at = cols.from[i]! - x0;
      let v = 0;
      for (let j = 0; j < w.length; j++) v += w[j]! * line[at + j]!;
      across[row + i] = v;
    }
  }
  // Vertical pass.
  const out = new Float32Array(width * height);
  for (let r = 0; r < height; r++) {
    const w = rows.weights[r]!;
    const at = rows.from[r]! - y0;
    for (let i = 0; i < width; i++) {
      let v = 0;
      for (let j = 0; j < w.length; j++) v += w[j]! * across[(at + j) * width + i]!;
      out[r * width + i] = v;
    }
  }
  return out;
}

export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** Luma plane of a raster, as floats 0..255. */
export function toGray(src: Raster): Float32Array {
  const out = new Float32Array(src.width * src.height);
  const d = src.data;
  for (let i = 0, j = 0; i < out.length; i++, j += 3) out[i] = luma(d[j]!, d[j + 1]!, d[j + 2]!);
  return out;
}

/** (pixel - mean) / std for every byte value, per channel: the normalisation as lookup tables. */
function channelTables(spec: TensorSpec): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const mean = spec.mean[c] ?? spec.mean[0] ?? 0;
    const std = spec.std[c] ?? spec.std[0] ?? 1;
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v - mean) / std;
    return table;
  });
}

const tableCache = new WeakMap<TensorSpec, Float32Array[]>();

/** Packs an RGB raster already at the spec's size into a float tensor as the spec says. */
export function toTensorData(src: Raster, spec: TensorSpec): Float32Array {
  const { width, height } = spec;
  if (src.width !== width || src.height !== height) {
    throw new RangeError(`Expected a ${width}x${height} raster but received ${src.width}x${src.height}.`);
  }
  const plane = width * height;
  const d = src.data;
  if (spec.channels === 'GRAY') {
    const out = new Float32Array(plane);
    const mean = spec.mean[0] ?? 0;
    const std = spec.std[0] ?? 1;
    for (let i = 0, j = 0; i < plane; i++, j += 3) out[i] = (luma(d[j]!, d[j + 1]!, d[j + 2]!) - mean) / std;
    return out;
  }
  let tables = tableCache.get(spec);
  if (!tables) tableCache.set(spec, (tables = channelTables(spec)));
  const order = spec.channels === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const table = tables[c]!;
    const srcC = order[c]!;
    if (spec.layout === 'NCHW') {
      const base = c * plane;
      for (let i = 0, j = srcC; i < plane; i++, j += 3) out[base + i] = table[d[j]!]!;
    } else {
      for (let i = 0, j = srcC; i < plane; i++, j += 3) out[i * 3 + c] = table[d[j]!]!;
    }
  }
  return out;
}

/** The crop a rule cuts around a box, resized to width x height (what a model sees, before packing). */
export function cropByRule(src: Raster, box: Box, rule: CropRule, width: number, height: number): Raster {
  const region = cropBox(box, rule, src.width, src.height);
  return resample(src, region, width, height);
}

/** Crop by rule around a box, resize to the spec, pack as a tensor: the usual model input. */
export function cropToTensor(src: Raster, box: Box, rule: CropRule, spec: TensorSpec): Float32Array {
  return toTensorData(cropByRule(src, box, rule, spec.width, spec.height), spec);
}
