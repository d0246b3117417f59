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

/**
 * Samples `region` of the raster into a width x height RGB raster with bilinear interpolation
 * (pixel centres aligned, as OpenCV's INTER_LINEAR). Points outside the image clamp to the edge,
 * or take the grey level `fill` when one is given; with `within`, points outside that box of the
 * image take `fill` too (a letterbox's padding).
 */
export function resample(src: Raster, region: Box, width: number, height: number, fill?: number, within?: Box): Raster {
  const out = new Uint8Array(width * height * 3);
  const sx = region.width / width;
  const sy = region.height / height;
  const maxX = src.width - 1;
  const maxY = src.height - 1;
  const loX = within ? Math.max(-0.5, within.x - 0.5) : -0.5;
  const hiX = within ? Math.min(maxX + 0.5, within.x + within.width - 0.5) : maxX + 0.5;
  const loY = within ? Math.max(-0.5, within.y - 0.5) : -0.5;
  const hiY = within ? Math.min(maxY + 0.5, within.y + within.height - 0.5) : maxY + 0.5;
  const data = src.data;
  const stride = src.width * 3;
  for (let y = 0; y < height; y++) {
    let fy = region.y + (y + 0.5) * sy - 0.5;
    const rowOutside = fill !== undefined && (fy < loY || fy > hiY);
    if (fy < 0) fy = 0; else if (fy > maxY) fy = maxY;
    const y0 = Math.floor(fy);
    const y1 = y0 < maxY ? y0 + 1 : y0;
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      let fx = region.x + (x + 0.5) * sx - 0.5;
      if (fill !== undefined && (rowOutside || fx < loX || fx > hiX)) {
        const o = (y * width + x) * 3;
        out[o] = out[o + 1] = out[o + 2] = fill;
        continue;
      }
      if (fx < 0) fx = 0; else if (fx > maxX) fx = maxX;
      const x0 = Math.floor(fx);
      const x1 = x0 < maxX ? x0 + 1 : x0;
      const wx = fx - x0;
      const a = y0 * stride + x0 * 3;
      const b = y0 * stride + x1 * 3;
      const c = y1 * stride + x0 * 3;
      const d = y1 * stride + x1 * 3;
      const o = (y * width + x) * 3;
      for (let k = 0; k < 3; k++) {
        const top = data[a + k]! + (data[b + k]! - data[a + k]!) * wx;
        const bottom = data[c + k]! + (data[d + k]! - data[c + k]!) * wx;
        out[o + k] = Math.round(top + (bottom - top) * wy);
      }
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** ITU-R BT.601 luma of an RGB pixel. */
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
  const order = spec.channels === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const out = new Float32Array(plane * 3);
  const nchw = spec.layout === 'NCHW';
  for (let c = 0; c < 3; c++) {
    const srcC = order[c]!;
    const mean = spec.mean[c] ?? spec.mean[0] ?? 0;
    const std = spec.std[c] ?? spec.std[0] ?? 1;
    for (let i = 0; i < plane; i++) {
      const v = (d[i * 3 + srcC]! - mean) / std;
      if (nchw) out[c * plane + i] = v; else out[i * 3 + c] = v;
    }
  }
  return out;
}

/** Crop by rule around a box, resize to the spec, pack as a tensor: the usual model input. */
export function cropToTensor(src: Raster, box: Box, rule: CropRule, spec: TensorSpec): Float32Array {
  const region = cropBox(box, rule, src.width, src.height);
  return toTensorData(resample(src, region, spec.width, spec.height), spec);
}
