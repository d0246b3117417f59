// Bytes -> Raster: sniff the format (JPEG, PNG, WebP), apply the pixel cap before decoding,
// decode strictly with sharp (EXIF orientation applied, and which one reported), or with jimp when
// sharp cannot load.
// The raster is decoded at a working size (longest side at most WORKING_MAX_SIDE): the models
// look at 320x240 of the whole image and at most 224x224 of a face, so a 40-megapixel photo is
// shrunk while it loads (libjpeg and libwebp's lossy decoder scale on load) instead of becoming a
// 120 MB raster. Large progressive JPEGs, interlaced PNGs and WebPs decode one at a time; JPEGs of
// too many scans or whose scan data stops short are refused (the extraneous bytes libjpeg skips
// between segments are dropped first), as are HDR PNGs (PQ or HLG, named in a cICP chunk, which
// neither decoder reads); transparent pixels are flattened over white.

import ExifParser from 'exif-parser';
import { FaceliveError } from '../errors';
import type SharpFn from 'sharp';
import { heifKind, heifRefusal } from './heif-brands';
import { withoutExtraneousBytes } from './jpeg-extraneous-bytes';
import { isStandaloneMarker, MAX_JPEG_SCANS, walkJpegMarkers } from './jpeg-scans';
import { pngHdrRefusal, pngHdrTransfer } from './png-hdr';
import type { Raster } from './raster';
import { refusingShortScans, type FailOn } from './short-scans';
import { heldWholeWhileDecoding, oneWholeAtATime } from './whole-decodes';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** The format named by the first bytes, or null for anything else (GIF, HTML, random bytes...). */
export function sniffFormat(bytes: Buffer): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

/** Longest side of the decoded raster; larger images are shrunk on load to fit. */
export const WORKING_MAX_SIDE = 2048;

export interface DecodedImage {
  /** The pixels at the working size (never larger than the image). */
  readonly raster: Raster;
  readonly format: ImageFormat;
  /** The image's own size, after EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** Image pixels per raster pixel (1 when the image was not shrunk). */
  readonly scale: number;
  /** The EXIF orientation applied to the stored pixels (1: none, as stored; 6: turned 90 degrees clockwise). */
  readonly orientation: ExifOrientation;
}

/** An EXIF orientation: 1 upright, 2-4 flipped or turned half way, 5-8 with width and height swapped. */
export type ExifOrientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** The orientation a tag names, 1 for a missing or invalid one (which decoders leave as stored). */
function exifOrientation(tag: unknown): ExifOrientation {
  return typeof tag === 'number' && Number.isInteger(tag) && tag >= 1 && tag <= 8 ? (tag as ExifOrientation) : 1;
}

type Decoded = Omit<DecodedImage, 'format'>;

type SharpModule = typeof SharpFn;
let sharpModule: SharpModule | null | undefined;

/** sharp, or null where its native binary cannot load (checks then decode with jimp). */
export function loadSharp(): SharpModule | null {
  if (sharpModule === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require('sharp') as SharpModule & { default?: SharpModule };
      sharpModule = loaded.default ?? loaded;
      // libvips's operation cache kept each decoded progressive JPEG (about 120 MB at 40 megapixels)
      // past its memory cap: eight of them one after another grew RSS by 954 MiB (without: 195).
      // Each image is decoded once, so nothing is lost; the setting is process-wide (see docs/pipeline.md, step 3).
      sharpModule.cache(false);
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

/** What transparent pixels become: white, as an image viewer or a web page shows them. */
const TRANSPARENT_BACKGROUND = { r: 255, g: 255, b: 255 };

async function decodeWithSharp(sharp: SharpModule, bytes: Buffer, format: ImageFormat, maxPixels: number): Promise<Decoded> {
  let meta;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw undecodable(format);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > maxPixels) throw tooManyPixels(width, height, maxPixels);
  const orientation = exifOrientation(meta.orientation);
  const swapped = orientation >= 5;
  const imageWidth = swapped ? height : width;
  const imageHeight = swapped ? width : height;
  // Only images over the working size are resized: a no-op resize still costs a pass over the pixels.
  const shrinks = Math.max(imageWidth, imageHeight) > WORKING_MAX_SIDE;
  const decodeAt = (failOn: FailOn) => {
    let pipeline = sharp(bytes, { limitInputPixels: maxPixels, failOn, sequentialRead: true }).rotate();
    // Transparent pixels are shown over a page, not as the colour stored under them: judge what is seen.
    if (meta.hasAlpha) pipeline = pipeline.flatten({ background: TRANSPARENT_BACKGROUND });
    if (shrinks) {
      pipeline = pipeline.resize({ width: WORKING_MAX_SIDE, height: WORKING_MAX_SIDE, fit: 'inside', withoutEnlargement: true });
    }
    // sharp converts an 8-bit image's embedded colour profile to sRGB, but leaves a 16-bit image's
    // unconverted (a Display P3 PNG read up to 12 levels off): name sRGB as the output profile.
    if (meta.depth === 'ushort' && meta.icc) pipeline = pipeline.withIccProfile('srgb');
    return pipeline.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  };
  const decode = () => (format === 'jpeg' ? refusingShortScans(decodeAt) : decodeAt('truncated'));
  try {
    const { data, info } = await (shrinks && heldWholeWhileDecoding(meta) ? oneWholeAtATime(decode) : decode());
    if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
    const raster: Raster = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
    return { raster, width: imageWidth, height: imageHeight, scale: imageWidth / info.width, orientation };
  } catch {
    throw undecodable(format);
  }
}

/**
 * Width and height from a PNG's IHDR or a JPEG's SOF marker, without decoding; null if not found.
 * JPEG markers may be preceded by any number of 0xFF fill bytes (ITU T.81, B.1.1.2).
 */
export function headerSize(bytes: Buffer, format: ImageFormat): { width: number; height: number } | null {
  if (format === 'png') {
    return bytes.length >= 29 && bytes.toString('latin1', 12, 16) === 'IHDR'
      ? { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
      : null;
  }
  if (format !== 'jpeg') return null;
  let offset = 2;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    while (offset < bytes.length && bytes[offset] === 0xff) offset += 1;
    if (offset >= bytes.length) return null;
    const marker = bytes[offset]!;
    offset += 1;
    if (isStandaloneMarker(marker)) continue;
    if (marker === 0xd9 || marker === 0xda || offset + 2 > bytes.length) return null; // EOI or scan data before any frame header
    const length = bytes.readUInt16BE(offset);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      return offset + 7 <= bytes.length
        ? { width: bytes.readUInt16BE(offset + 5), height: bytes.readUInt16BE(offset + 3) }
        : null;
    }
    if (length < 2) return null;
    offset += length;
  }
  return null;
}

/**
 * The EXIF orientation of a JPEG as jimp reads it (with exif-parser, as jimp does) and applies it;
 * 1 when it has none or its EXIF cannot be read. Jimp sets the tag to 1 once it has turned the
 * pixels, so it is read here from the bytes.
 */
export function jpegExifOrientation(bytes: Buffer): ExifOrientation {
  try {
    return exifOrientation(ExifParser.create(bytes).parse().tags?.Orientation);
  } catch {
    return 1;
  }
}

async function decodeWithJimp(bytes: Buffer, format: ImageFormat, maxPixels: number): Promise<Decoded> {
  // Pure-JS fallback for platforms where sharp's native binary is unavailable (no WebP, no shrink on
  // load; jimp applies a JPEG's EXIF orientation, not a PNG's). The pixel cap is checked from the
  // header first, as sharp does; a header whose size cannot be read is refused rather than decoded blind.
  const declared = headerSize(bytes, format);
  if (!declared) throw undecodable(format);
  if (declared.width * declared.height > maxPixels) throw tooManyPixels(declared.width, declared.height, maxPixels);
  const { Jimp } = await import('jimp');
  let image;
  try {
    image = await Jimp.read(bytes);
  } catch {
    throw undecodable(format);
  }
  const imageWidth = image.bitmap.width;
  const imageHeight = image.bitmap.height;
  // The tag jimp applied: a quarter turn shows as width and height swapped against the header's.
  const tagged = format === 'jpeg' ? jpegExifOrientation(bytes) : 1;
  const orientation = tagged < 5 || (imageWidth === declared.height && imageHeight === declared.width) ? tagged : 1;
  if (imageWidth * imageHeight > maxPixels) throw tooManyPixels(imageWidth, imageHeight, maxPixels);
  if (Math.max(imageWidth, imageHeight) > WORKING_MAX_SIDE) image.scaleToFit({ w: WORKING_MAX_SIDE, h: WORKING_MAX_SIDE });
  const { width, height, data } = image.bitmap;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    // Over white, as sharp's path flattens (an opaque pixel, alpha 255, keeps its colour exactly).
    const alpha = data[i + 3]!;
    const white = 255 - alpha;
    rgb[j] = Math.round((data[i]! * alpha) / 255 + white);
    rgb[j + 1] = Math.round((data[i + 1]! * alpha) / 255 + white);
    rgb[j + 2] = Math.round((data[i + 2]! * alpha) / 255 + white);
  }
  return { raster: { data: rgb, width, height, channels: 3 }, width: imageWidth, height: imageHeight, scale: imageWidth / width, orientation };
}

/**
 * Decodes image bytes; INVALID_PAYLOAD_IMAGE_FORMAT or INVALID_PAYLOAD_IMAGE_SIZE on failure.
 * `decoder` forces the jimp fallback (used where sharp's native binary is unavailable).
 */
export async function decodeImage(bytes: Buffer, maxPixels: number, decoder: 'auto' | 'jimp' = 'auto'): Promise<DecodedImage> {
  const format = sniffFormat(bytes);
  if (!format) {
    // A phone's HEIC (or an AVIF) gets a sentence saying what to send instead; neither is decoded.
    const heif = heifKind(bytes);
    throw new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', heif ? heifRefusal(heif) : 'The image is not a JPEG, PNG or WebP.');
  }
  if (decoder === 'jimp' && format === 'webp') throw new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', 'WebP needs sharp.');
  // One walk of a JPEG's markers: its scans, and the bytes libjpeg skips with a warning, which would
  // come before, and so hide, scan data stopping short (the sharp path decodes the file without them).
  const markers = format === 'jpeg' ? walkJpegMarkers(bytes, MAX_JPEG_SCANS) : undefined;
  if (markers !== undefined && markers.scans > MAX_JPEG_SCANS) {
    throw new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', `The JPEG has more than ${MAX_JPEG_SCANS} scans (a progressive JPEG has about 10); it is refused rather than decoded.`);
  }
  // Neither decoder reads a PNG's cICP chunk: an HDR one (PQ, HLG) would be judged grey and flat.
  const hdr = format === 'png' ? pngHdrTransfer(bytes) : null;
  if (hdr) throw new FaceliveError('INVALID_PAYLOAD_IMAGE_FORMAT', pngHdrRefusal(hdr));
  const sharp = decoder === 'jimp' ? null : loadSharp();
  const decoded = sharp
    ? await decodeWithSharp(sharp, markers === undefined ? bytes : withoutExtraneousBytes(bytes, markers.extraneous), format, maxPixels)
    : await decodeWithJimp(bytes, format, maxPixels);
  return { ...decoded, format };
}
