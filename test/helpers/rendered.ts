// Test images with an attribute drawn on a real face at test time: the face's 68 landmarks from the
// engine, then the training renderer (sunglasses, clear eyeglasses, mask, cap, veil) for a seed.

import sharp from 'sharp';
import type { Engine } from '../../core';
import { decodeImage } from '../../core/image/decode';
import type { Raster } from '../../core/image/raster';
import { renderAttribute, type SyntheticKind } from '../../models/train/attribute-render';

export async function decodedRaster(jpeg: Buffer): Promise<Raster> {
  return (await decodeImage(jpeg, 40_000_000)).raster;
}

function jpegOf(r: Raster): Promise<Buffer> {
  return sharp(Buffer.from(r.data), { raw: { width: r.width, height: r.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

/** The JPEG with `kind` drawn on its primary face (as found by `engine`), deterministically for `seed`. */
export async function withAttributeDrawn(engine: Engine, jpeg: Buffer, kind: SyntheticKind, seed: number): Promise<Buffer> {
  const face = (await engine.check(jpeg, { is_liveness: false, is_quality: false, is_attribute: false })).data.faces.find((f) => f.primary)!;
  const points = face.landmarks!.map((p) => ({ ...p }));
  return jpegOf(renderAttribute(await decodedRaster(jpeg), points, kind, seed));
}
