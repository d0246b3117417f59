// The fixed inputs of the golden tests: for each model of a pack, the fixture faces it is fed and the
// input tensor made from each by the engine's own preprocessing (letterbox for the detector, the
// manifest's crop rule around a fixed box for the others). Shared by the recorder and the test.

import { decodeImage } from '../../core/image/decode';
import { cropToTensor, toTensorData, type Raster } from '../../core/image/raster';
import { letterbox } from '../../core/faces/letterbox';
import type { ModelEntry } from '../../core/models/manifest';
import type { Box } from '../../core/types';
import { SELFIE_NAMES, selfieJpeg, type SelfieName } from '../helpers/faces';

/** The fixtures every model is recorded on: the three selfies at 640x480. */
export const GOLDEN_FIXTURES: readonly SelfieName[] = SELFIE_NAMES;

export interface GoldenInput {
  readonly tensor: Float32Array;
  /** The tensor's width and height (the detector's may differ from the manifest's: dynamic input). */
  readonly size: { readonly width: number; readonly height: number };
}

const rasters = new Map<string, Promise<Raster>>();

/** The fixture decoded as the engine decodes it. */
export function fixtureRaster(name: SelfieName): Promise<Raster> {
  let raster = rasters.get(name);
  if (!raster) {
    raster = selfieJpeg(name).then(async (jpeg) => (await decodeImage(jpeg, 40e6)).raster);
    rasters.set(name, raster);
  }
  return raster;
}

/** The detector's fill level for letterbox padding: the manifest's, or the input mean. */
function fillOf(entry: ModelEntry): number {
  const spec = entry.output as { fill?: number };
  if (spec.fill !== undefined) return spec.fill;
  return Math.round(entry.input.mean.reduce((a, b) => a + b, 0) / Math.max(1, entry.input.mean.length));
}

/**
 * The model input for a fixture: the whole image letterboxed at the manifest's input size for a
 * detector, the crop around `box` for every other model.
 */
export function goldenInput(entry: ModelEntry, raster: Raster, box: Box | null): GoldenInput {
  if (entry.role === 'detector') {
    const frame = { width: entry.input.width, height: entry.input.height, dynamicMultiple: entry.input.dynamicMultiple };
    const lb = letterbox(raster, { x: 0, y: 0, width: raster.width, height: raster.height }, frame, fillOf(entry));
    const size = { width: lb.input.width, height: lb.input.height };
    return { tensor: toTensorData(lb.input, { ...entry.input, ...size }), size };
  }
  if (!box) throw new Error(`Model ${entry.file} needs a face box.`);
  return { tensor: cropToTensor(raster, box, entry.crop, entry.input), size: { width: entry.input.width, height: entry.input.height } };
}
