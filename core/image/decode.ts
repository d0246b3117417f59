// Bytes -> Raster: sniff the format (JPEG, PNG, WebP), apply the pixel cap before decoding,
// decode strictly with sharp (EXIF orientation applied), or with jimp when sharp cannot load.

import { FaceliveError } from '../errors';
import type SharpFn from 'sharp';
import type { Raster } from './raster';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** The format named by the first bytes, or null for anything else (GIF, HTML, random bytes...). */
export function sniffFormat(bytes: Buffer): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

export interface DecodedImage {
  readonly raster: Raster;
  readonly format: ImageFormat;
}

type SharpModule = typeof SharpFn;
let sharpModule: SharpModule | null | undefined;

function loadSharp(): SharpModule | null {
  if (sharpModule === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require('sharp') as SharpModule & { default?: SharpModule };
      sharpModule = loaded.default ?? loaded;
    } catch {
      sharpModule = null;
    }
  }
  return sharpModule;
}

function tooManyPixels(width: number, height: number, maxPixels: number): FaceliveError {
  return new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', `The image has ${width}x${height} pixels, more than the cap of ${maxPixels}.`);
}

function undecodable(format: ImageFormat): FaceliveError {
  return new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', `The ${format.toUpperCase()} image could not be decoded (corrupt or truncated).`);
}

async function decodeWithSharp(sharp: SharpModule, bytes: Buffer, format: ImageFormat, maxPixels: number): Promise<Raster> {
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw undecodable(format);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > maxPixels) throw tooManyPixels(width, height, maxPixels);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated', sequentialRead: true })
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  } catch {
    throw undecodable(format);
  }
}

/** Width and height from a PNG's IHDR or a JPEG's SOF marker, without decoding; null if not found. */
export function headerSize(bytes: Buffer, format: ImageFormat): { width: number; height: number } | null {
  if (format === 'png') {
    return bytes.length >= 24 && bytes.toString('latin1', 12, 16) === 'IHDR' ? { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) } : null;
  }
  if (format !== 'jpeg') return null;
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1]!;
    const length = bytes.readUInt16BE(offset + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { width: bytes.readUInt16BE(offset + 7), height: bytes.readUInt16BE(offset + 5) };
    offset += 2 + length;
  }
  return null;
}

async function decodeWithJimp(bytes: Buffer, format: ImageFormat, maxPixels: number): Promise<Raster> {
  // Pure-JS fallback for platforms where sharp's native binary is unavailable (no WebP, no EXIF
  // rotation). The pixel cap is checked from the header first, as sharp does.
  const declared = headerSize(bytes, format);
  if (declared && declared.width * declared.height > maxPixels) throw tooManyPixels(declared.width, declared.height, maxPixels);
  const { Jimp } = await import('jimp');
  let image;
  try {
    image = await Jimp.read(bytes);
  } catch {
    throw undecodable(format);
  }
  const { width, height, data } = image.bitmap;
  if (width * height > maxPixels) throw tooManyPixels(width, height, maxPixels);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = data[i]!;
    rgb[j + 1] = data[i + 1]!;
    rgb[j + 2] = data[i + 2]!;
  }
  return { data: rgb, width, height, channels: 3 };
}

/**
 * Decodes image bytes; INVALID_PAYLOAD_IMAGE_FORMAT or INVALID_PAYLOAD_IMAGE_SIZE on failure.
 * `decoder` forces the jimp fallback (used where sharp's native binary is unavailable).
 */
export async function decodeImage(bytes: Buffer, maxPixels: number, decoder: 'auto' | 'jimp' = 'auto'): Promise<DecodedImage> {
  const format = sniffFormat(bytes);
  if (!format) throw new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', 'The image is not a JPEG, PNG or WebP.');
  if (decoder === 'jimp' && format === 'webp') throw new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', 'WebP needs sharp.');
  const sharp = decoder === 'jimp' ? null : loadSharp();
  const raster = sharp ? await decodeWithSharp(sharp, bytes, format, maxPixels) : await decodeWithJimp(bytes, format, maxPixels);
  return { raster, format };
}
