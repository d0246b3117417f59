// What an engine checks once as it loads, so that the first real check does not pay for the first
// runs of onnxruntime's sessions (memory plans, arenas, worker threads) and of libvips's decoder: a
// generated 640x480 JPEG (a shaded oval on a gradient, no photo) and a face box at its centre.

import { parseOptions, type CheckOptions } from './options';
import { decodeImage, loadSharp, type DecodedImage } from './image/decode';
import type { Raster } from './image/raster';
import type { DetectedFace } from './faces/detector';

const WIDTH = 640;
const HEIGHT = 480;

/**
 * How many times. Measured on a 640x480 selfie (2 cores, 6 processes each): the first check took a
 * median 358 ms without warm-up, 149-219 ms after one run, 74 ms after two and 50 ms after three
 * (the checks after them: 38-58 ms).
 */
export const WARM_UP_RUNS = 3;

/** Every section computed and every validation on: each model and each measure runs. */
export const WARM_UP_OPTIONS: CheckOptions = parseOptions({
  is_quality: true, is_attribute: true, is_liveness: true,
  validate_quality: true, validate_attribute: true, validate_liveness: true, validate_nface: true,
});

/** Where the steps after detection look when the detector finds nothing in the generated image. */
const FACE: DetectedFace = { box: { x: 240, y: 120, width: 160, height: 200 }, score: 1, counted: true };

/** A grey gradient with a lighter, shaded oval where FACE is: texture enough for every measure. */
function generatedRaster(): Raster {
  const data = new Uint8Array(WIDTH * HEIGHT * 3);
  const { x, y, width, height } = FACE.box;
  const cx = x + width / 2;
  const cy = y + height / 2;
  for (let row = 0; row < HEIGHT; row++) {
    for (let col = 0; col < WIDTH; col++) {
      const dx = (col - cx) / (width / 2);
      const dy = (row - cy) / (height / 2);
      const inOval = dx * dx + dy * dy <= 1;
      const base = 60 + Math.round((col / WIDTH) * 80 + (row / HEIGHT) * 40);
      const i = (row * WIDTH + col) * 3;
      data[i] = inOval ? 200 - Math.round(40 * dy) : base;
      data[i + 1] = inOval ? 160 - Math.round(40 * dy) : base;
      data[i + 2] = inOval ? 140 - Math.round(40 * dy) : base + 10;
    }
  }
  return { data, width: WIDTH, height: HEIGHT, channels: 3 };
}

/** The generated image, made once, and decoded afresh for each warm-up run. */
export interface WarmUpImage {
  /** Where the steps after detection look when the detector finds nothing in it. */
  readonly face: DetectedFace;
  /** Decoded as a check decodes a JPEG where sharp loads (warming libvips too); where it does not, the raster as it is. */
  decode(): Promise<DecodedImage>;
}

export async function warmUpImage(): Promise<WarmUpImage> {
  const raster = generatedRaster();
  const sharp = loadSharp();
  if (!sharp) {
    const decoded: DecodedImage = { raster, format: 'jpeg', width: WIDTH, height: HEIGHT, scale: 1, orientation: 1 };
    return { face: FACE, decode: async () => decoded };
  }
  const jpeg = await sharp(Buffer.from(raster.data), { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  // Its own pixel cap: a cap set lower than 640x480 is for callers' images, not for this one.
  return { face: FACE, decode: () => decodeImage(jpeg, WIDTH * HEIGHT) };
}
