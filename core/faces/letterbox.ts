// Letterboxing for the face detector: fits an image region into the model's input without changing
// its aspect ratio (uniform scale, padded right and bottom), and maps model-space boxes back exactly.

import { resample, type Raster } from '../image/raster';
import type { Box } from '../types';

export interface Letterbox {
  /** The model input: the region scaled by `scale`, padded with `fill` to width x height. */
  readonly input: Raster;
  /** Model pixels per image pixel (the same on both axes). */
  readonly scale: number;
  /** The image-space origin of the model input's top-left corner. */
  readonly originX: number;
  readonly originY: number;
}

/** How big the model input is: fixed (width x height), or dynamic (long side, rounded up to a multiple). */
export interface InputFrame {
  readonly width: number;
  readonly height: number;
  /** For models with a dynamic input: sides are rounded up to this multiple and width/height are the long side. */
  readonly dynamicMultiple?: number;
}

/** The model input size and scale for a region of width x height. */
export function fitFrame(regionWidth: number, regionHeight: number, frame: InputFrame): { width: number; height: number; scale: number } {
  if (frame.dynamicMultiple) {
    const longSide = Math.max(frame.width, frame.height);
    const scale = longSide / Math.max(regionWidth, regionHeight);
    const m = frame.dynamicMultiple;
    const width = Math.max(m, Math.ceil((regionWidth * scale) / m) * m);
    const height = Math.max(m, Math.ceil((regionHeight * scale) / m) * m);
    return { width, height, scale };
  }
  const scale = Math.min(frame.width / regionWidth, frame.height / regionHeight);
  return { width: frame.width, height: frame.height, scale };
}

/**
 * Samples `region` of the image (which may extend past the image: that part takes `fill`) into a
 * letterboxed model input. The content keeps its aspect ratio; the rest of the input is `fill`.
 */
export function letterbox(image: Raster, region: Box, frame: InputFrame, fill: number): Letterbox {
  const { width, height, scale } = fitFrame(region.width, region.height, frame);
  // The model input covers width/scale x height/scale image pixels from the region's corner; the
  // part beyond the region is filled, so crop the sampling window to the region and fill the rest.
  const covered: Box = { x: region.x, y: region.y, width: width / scale, height: height / scale };
  const input = resample(image, covered, width, height, fill, region);
  return { input, scale, originX: region.x, originY: region.y };
}

/** Maps a box in model-input pixels back to image pixels, clipped to the image. */
export function toImageBox(box: Box, lb: Letterbox, imageWidth: number, imageHeight: number): Box {
  const x0 = Math.max(0, lb.originX + box.x / lb.scale);
  const y0 = Math.max(0, lb.originY + box.y / lb.scale);
  const x1 = Math.min(imageWidth, lb.originX + (box.x + box.width) / lb.scale);
  const y1 = Math.min(imageHeight, lb.originY + (box.y + box.height) / lb.scale);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}
