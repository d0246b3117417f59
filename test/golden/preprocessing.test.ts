// The preprocessing of every model of the default pack on an image whose tensor is known in closed
// form: red = x, green = y, blue = 40. Bilinear sampling of a linear ramp gives the ramp itself, so
// each tensor element is known from the manifest's documented rule alone: where the crop (or the
// letterbox) puts the sample, which channel goes first, the mean and std, the layout.

import assert from 'node:assert/strict';
import { DEFAULT_PACK_DIR } from '../../core/engine';
import type { Raster } from '../../core/image/raster';
import { readPack, type ModelEntry } from '../../core/models/manifest';
import type { Box } from '../../core/types';
import { goldenInput } from './cases';

const BLUE = 40;

function ramp(width: number, height: number): Raster {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = x;
      data[o + 1] = y;
      data[o + 2] = BLUE;
    }
  }
  return { data, width, height, channels: 3 };
}

/** Where a crop model samples: the manifest's crop rule written out for a box well inside the image. */
function expectedCrop(box: Box, entry: ModelEntry): Box {
  const { scale, square, shiftY = 0 } = entry.crop;
  const w = square ? Math.max(box.width, box.height) : box.width;
  const h = square ? Math.max(box.width, box.height) : box.height;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2 + shiftY * box.height;
  return { x: cx - (w * scale) / 2, y: cy - (h * scale) / 2, width: w * scale, height: h * scale };
}

/** The RGB value the model sees at output pixel (i, j) sampling `region`, or the fill beyond `limit`. */
function pixelAt(region: Box, outW: number, outH: number, i: number, j: number, limit: { w: number; h: number }, fill?: number): [number, number, number] {
  const sx = region.x + ((j + 0.5) * region.width) / outW - 0.5;
  const sy = region.y + ((i + 0.5) * region.height) / outH - 0.5;
  if (fill !== undefined && (sx > limit.w - 0.5 || sy > limit.h - 0.5)) return [fill, fill, fill];
  const clamp = (v: number, max: number): number => Math.min(max, Math.max(0, v));
  return [Math.round(clamp(sx, limit.w - 1)), Math.round(clamp(sy, limit.h - 1)), BLUE];
}

/** Checks every element of the tensor against the pixel function, through the spec's channels, mean, std and layout. */
function assertTensor(tensor: Float32Array, entry: ModelEntry, width: number, height: number, pixel: (i: number, j: number) => [number, number, number]): void {
  const { channels, mean, std, layout } = entry.input;
  const depth = channels === 'GRAY' ? 1 : 3;
  assert.equal(tensor.length, width * height * depth, 'tensor length');
  let worst = 0;
  let where = '';
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      const [r, g, b] = pixel(i, j);
      const values = channels === 'GRAY' ? [0.299 * r + 0.587 * g + 0.114 * b] : channels === 'RGB' ? [r, g, b] : [b, g, r];
      for (let c = 0; c < depth; c++) {
        const want = (values[c]! - (mean[c] ?? mean[0]!)) / (std[c] ?? std[0]!);
        const at = layout === 'NCHW' ? c * width * height + i * width + j : (i * width + j) * depth + c;
        const error = Math.abs(tensor[at]! - want) * (std[c] ?? std[0]!);
        if (error > worst) {
          worst = error;
          where = `channel ${c}, row ${i}, column ${j}: ${tensor[at]} instead of ${want}`;
        }
      }
    }
  }
  // One grey level: the sample rounds to a whole byte, exactly as the formula's value may.
  assert.ok(worst <= 1.001, `${entry.file}: off by ${worst.toFixed(3)} grey levels at ${where}`);
}

describe('preprocessing of every model of the default pack, on a ramp image with a known tensor', function () {
  const pack = readPack(DEFAULT_PACK_DIR);

  for (const [key, entry] of Object.entries(pack.manifest.models)) {
    // The attribute model's input is the landmark-aligned face, not a crop about the box: its
    // preprocessing and behaviour are tested in test/core/attributes.test.ts, its ONNX file against
    // PyTorch by the training's parity check.
    if (entry.role === 'attributes') continue;
    if (entry.role === 'detector') {
      it(`${key}: letterboxed at one scale, content top-left, padding with the fill level, ${entry.input.channels} ${entry.input.layout}`, function () {
        const image = ramp(256, 120);
        const { tensor, size } = goldenInput(entry, image, null);
        const long = Math.max(entry.input.width, entry.input.height);
        const multiple = entry.input.dynamicMultiple;
        const scale = multiple ? long / 256 : Math.min(entry.input.width / 256, entry.input.height / 120);
        const expected = multiple
          ? { width: Math.ceil((256 * scale) / multiple) * multiple, height: Math.ceil((120 * scale) / multiple) * multiple }
          : { width: entry.input.width, height: entry.input.height };
        assert.deepEqual(size, expected, 'input size');
        assert.ok(size.height > 120 * scale, 'this image needs padding below it');
        const fill = (entry.output as { fill?: number }).fill ?? Math.round(entry.input.mean.reduce((a, b) => a + b, 0) / entry.input.mean.length);
        const region: Box = { x: 0, y: 0, width: size.width / scale, height: size.height / scale };
        assertTensor(tensor, entry, size.width, size.height, (i, j) => pixelAt(region, size.width, size.height, i, j, { w: 256, h: 120 }, fill));
      });
    } else {
      it(`${key}: crop ${entry.crop.scale}x${entry.crop.square ? ' square' : ''} about the box, ${entry.input.width}x${entry.input.height} ${entry.input.channels} ${entry.input.layout}, (v - mean) / std`, function () {
        const image = ramp(256, 256);
        const box: Box = { x: 108, y: 96, width: 40, height: 50 }; // small enough that a 4x crop (MiniFASNetV1SE's) fits
        const region = expectedCrop(box, entry);
        assert.ok(region.x >= 0 && region.y >= 0 && region.x + region.width <= 255 && region.y + region.height <= 255, 'the crop stays inside the image');
        const { tensor } = goldenInput(entry, image, box);
        assertTensor(tensor, entry, entry.input.width, entry.input.height, (i, j) => pixelAt(region, entry.input.width, entry.input.height, i, j, { w: 256, h: 256 }));
      });
    }
  }
});
