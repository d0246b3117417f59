// Test images of real faces, made at test time from photos that devDependencies ship
// (@vladmandic/face-api demo samples): group photos with hand-counted faces, single-face selfies
// cropped from them, degradations, and a generated landscape without any face.

import path from 'node:path';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

const faceApiDemo = path.dirname(require.resolve('@vladmandic/face-api/package.json')) + '/demo';

/** The six face-api demo group photos, with their faces counted by hand. */
export const GROUP_PHOTOS = [
  { name: 'sample1.jpg', faces: 3 },
  { name: 'sample2.jpg', faces: 3 },
  { name: 'sample3.jpg', faces: 3 },
  { name: 'sample4.jpg', faces: 4 },
  { name: 'sample5.jpg', faces: 5 },
  { name: 'sample6.jpg', faces: 4 },
] as const;

export function groupPhoto(name: string): Buffer {
  return readFileSync(path.join(faceApiDemo, name));
}

/** Where each selfie is cut from: one face, centred, roughly a 4:3 phone-selfie framing. */
const SELFIE_CROPS = {
  /** sample3, the woman in the middle, frontal, smiling. */
  frontal: { photo: 'sample3.jpg', left: 850, top: 80, width: 680, height: 540 },
  /** sample6, the woman on the right. */
  right: { photo: 'sample6.jpg', left: 1365, top: 110, width: 555, height: 560 },
  /** sample2, the woman on the right, looking down. */
  downward: { photo: 'sample2.jpg', left: 1300, top: 40, width: 520, height: 460 },
} as const;

export type SelfieName = keyof typeof SELFIE_CROPS;
export const SELFIE_NAMES = Object.keys(SELFIE_CROPS) as SelfieName[];

const cache = new Map<string, Buffer>();

async function cached(key: string, make: () => Promise<Buffer>): Promise<Buffer> {
  const hit = cache.get(key);
  if (hit) return hit;
  const made = await make();
  cache.set(key, made);
  return made;
}

/** A single-face selfie JPEG, resized to width x height (default 640x480). */
export function selfieJpeg(name: SelfieName = 'frontal', width = 640, height = 480): Promise<Buffer> {
  return cached(`selfie:${name}:${width}x${height}`, () => {
    const crop = SELFIE_CROPS[name];
    return sharp(groupPhoto(crop.photo))
      .extract({ left: crop.left, top: crop.top, width: crop.width, height: crop.height })
      .resize(width, height, { fit: 'cover' })
      .jpeg({ quality: 92 })
      .toBuffer();
  });
}

/**
 * Every face of the six group photos, each cut as a 4:3 portrait with the face about a third of
 * its width (rectangles fixed once, from the detector's boxes, checked by eye), left to right.
 */
export const PORTRAIT_CROPS = [
  { photo: 'sample1.jpg', left: 220, top: 249, width: 570, height: 428 },
  { photo: 'sample1.jpg', left: 618, top: 294, width: 628, height: 471 },
  { photo: 'sample1.jpg', left: 1252, top: 69, width: 642, height: 482 },
  { photo: 'sample2.jpg', left: 192, top: 63, width: 511, height: 383 },
  { photo: 'sample2.jpg', left: 716, top: 139, width: 513, height: 385 },
  { photo: 'sample2.jpg', left: 1218, top: 23, width: 648, height: 486 },
  { photo: 'sample3.jpg', left: 378, top: 221, width: 620, height: 465 },
  { photo: 'sample3.jpg', left: 844, top: 77, width: 684, height: 513 },
  { photo: 'sample3.jpg', left: 1310, top: 208, width: 567, height: 425 },
  { photo: 'sample4.jpg', left: 93, top: 118, width: 505, height: 379 },
  { photo: 'sample4.jpg', left: 465, top: 0, width: 580, height: 435 },
  { photo: 'sample4.jpg', left: 806, top: 88, width: 542, height: 407 },
  { photo: 'sample4.jpg', left: 1112, top: 87, width: 465, height: 349 },
  { photo: 'sample5.jpg', left: 183, top: 804, width: 559, height: 419 },
  { photo: 'sample5.jpg', left: 421, top: 331, width: 533, height: 400 },
  { photo: 'sample5.jpg', left: 632, top: 29, width: 485, height: 364 },
  { photo: 'sample5.jpg', left: 944, top: 117, width: 504, height: 378 },
  { photo: 'sample5.jpg', left: 1219, top: 294, width: 568, height: 426 },
  { photo: 'sample6.jpg', left: 25, top: 355, width: 668, height: 501 },
  { photo: 'sample6.jpg', left: 498, top: 268, width: 518, height: 389 },
  { photo: 'sample6.jpg', left: 968, top: 213, width: 588, height: 441 },
  { photo: 'sample6.jpg', left: 1239, top: 139, width: 681, height: 511 },
] as const;

/** Portrait `index` of PORTRAIT_CROPS as a 640x480 JPEG. */
export function portraitJpeg(index: number): Promise<Buffer> {
  return cached(`portrait:${index}`, () => {
    const crop = PORTRAIT_CROPS[index];
    if (!crop) throw new RangeError(`No portrait ${index}; there are ${PORTRAIT_CROPS.length}.`);
    const { photo, ...region } = crop;
    return sharp(groupPhoto(photo)).extract(region).resize(640, 480, { fit: 'cover' }).jpeg({ quality: 92 }).toBuffer();
  });
}

/** The same selfie as PNG. */
export function selfiePng(name: SelfieName = 'frontal'): Promise<Buffer> {
  return cached(`png:${name}`, async () => sharp(await selfieJpeg(name)).png().toBuffer());
}

/**
 * `upright` stored as a camera held another way stores it: its pixels turned or flipped so that the
 * EXIF orientation written with them (1-8) puts them back upright, as a JPEG, PNG or WebP.
 */
export async function storedWithOrientation(upright: Buffer, format: 'jpeg' | 'png' | 'webp', orientation: number): Promise<Buffer> {
  // What undoes each orientation: a clockwise turn, then a mirror left to right (in two passes: sharp
  // mirrors before it turns within one).
  const undo: readonly (readonly [0 | 90 | 180 | 270, boolean])[] = [[0, false], [0, true], [180, false], [180, true], [90, true], [270, false], [270, true], [90, false]];
  const [turn, mirror] = undo[orientation - 1]!;
  const turned = await sharp(upright).rotate(turn).png().toBuffer();
  const stored = mirror ? sharp(turned).flop() : sharp(turned);
  return stored.toFormat(format, format === 'png' ? {} : { quality: 92 }).withMetadata({ orientation }).toBuffer();
}

/** Degradations of a selfie that should flip exactly one quality flag each. */
export function blurredSelfie(sigma = 6): Promise<Buffer> {
  return cached(`blur:${sigma}`, async () => sharp(await selfieJpeg()).blur(sigma).jpeg({ quality: 92 }).toBuffer());
}

export function darkenedSelfie(factor = 0.18): Promise<Buffer> {
  return cached(`dark:${factor}`, async () => sharp(await selfieJpeg()).linear(factor, 0).jpeg({ quality: 92 }).toBuffer());
}

/**
 * The darkened selfie in the middle of a light wall three times its size: a face under the dark
 * threshold in a lit scene, as a face with dark skin reads in a room that is lit.
 */
export function darkenedSelfieOnWall(factor: number): Promise<Buffer> {
  return cached(`dark-wall:${factor}`, async () => onWall(await darkenedSelfie(factor), 3, '#f2f2f2'));
}

export function grayscaleSelfie(): Promise<Buffer> {
  return cached('gray', async () => sharp(await selfieJpeg()).grayscale().jpeg({ quality: 92 }).toBuffer());
}

/** Two selfies side by side: two faces. */
export function twoFaces(): Promise<Buffer> {
  return cached('two', async () => {
    const a = await selfieJpeg('frontal', 480, 480);
    const b = await selfieJpeg('right', 480, 480);
    return sharp({ create: { width: 960, height: 480, channels: 3, background: '#808080' } })
      .composite([{ input: a, left: 0, top: 0 }, { input: b, left: 480, top: 0 }])
      .jpeg({ quality: 92 })
      .toBuffer();
  });
}

/** The two faces, blurred: fails nface and quality together. */
export function blurredTwoFaces(sigma = 2.5): Promise<Buffer> {
  return cached(`two-blur:${sigma}`, async () => sharp(await twoFaces()).blur(sigma).jpeg({ quality: 92 }).toBuffer());
}

/** A generated landscape (sky, hills, noise): a decodable photo-like JPEG with no face in it. */
export function landscapeJpeg(width = 640, height = 480): Promise<Buffer> {
  return cached(`landscape:${width}x${height}`, () => {
    const pixels = Buffer.alloc(width * height * 3);
    let seed = 12345;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const horizon = height * (0.55 + 0.08 * Math.sin(x / 60));
        const noise = (random() - 0.5) * 30;
        const o = (y * width + x) * 3;
        if (y < horizon) {
          pixels[o] = 110 + (y / height) * 80 + noise;
          pixels[o + 1] = 160 + (y / height) * 60 + noise;
          pixels[o + 2] = 235 + noise / 3;
        } else {
          pixels[o] = 60 + noise;
          pixels[o + 1] = 120 + noise + 20 * Math.sin(x / 9);
          pixels[o + 2] = 50 + noise;
        }
      }
    }
    return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  });
}

/** Gaussian grain of standard deviation `sd` grey levels added to every channel, from a seeded generator (the same noise each run). */
export async function withGrain(image: Buffer, sd: number): Promise<Buffer> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) + 0.5) / 0x80000000;
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) {
    const gauss = Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
    out[i] = Math.max(0, Math.min(255, Math.round(data[i]! + sd * gauss)));
  }
  return sharp(out, { raw: { width: info.width, height: info.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

/** The selfie with phone-camera grain (sd grey levels), blurred first with Gaussian `sigma` when one is given. */
export function grainySelfie(sd = 6, sigma = 0): Promise<Buffer> {
  return cached(`grain:${sd}:${sigma}`, async () => {
    const source = await selfieJpeg();
    return withGrain(sigma > 0 ? await sharp(source).blur(sigma).png().toBuffer() : source, sd);
  });
}

/** The colour selfie in the middle of a near-white wall `times` its width and height. */
export function selfieOnWall(times = 3, colour = '#f2f2f2'): Promise<Buffer> {
  return cached(`wall:${times}:${colour}`, async () => onWall(await selfieJpeg(), times, colour));
}

/** A 640x480 image in the middle of a wall of `colour`, `times` its width and height. */
function onWall(image: Buffer, times: number, colour: string): Promise<Buffer> {
  const x = Math.round((640 * (times - 1)) / 2);
  const y = Math.round((480 * (times - 1)) / 2);
  return sharp(image).extend({ top: y, bottom: y, left: x, right: x, background: colour }).jpeg({ quality: 92 }).toBuffer();
}

/**
 * The 'right' selfie at a quarter of its size in the middle of a grey 640x480 frame: a face far from
 * the camera (about 28 px between the eyes, under the face_size limit), sharp at its own size.
 */
export function distantSelfie(): Promise<Buffer> {
  return cached('distant', async () => {
    const small = await sharp(await selfieJpeg('right')).resize(160, 120).png().toBuffer();
    return sharp(small).extend({ top: 180, bottom: 180, left: 240, right: 240, background: '#808080' }).jpeg({ quality: 92 }).toBuffer();
  });
}

/** The distant selfie blurred by Gaussian `sigma` (1.5: blur fails beside face_size, 0.82 against 0.6). */
export function distantBlurredSelfie(sigma = 1.5): Promise<Buffer> {
  return cached(`distant-blur:${sigma}`, async () => sharp(await distantSelfie()).blur(sigma).jpeg({ quality: 92 }).toBuffer());
}

/** The desaturated selfie inside a red frame 5 % of its width thick. */
export function framedGrayscaleSelfie(): Promise<Buffer> {
  return cached('gray-framed', async () => {
    const grey = await sharp(await selfieJpeg()).modulate({ saturation: 0 }).png().toBuffer();
    return sharp(grey).extend({ top: 32, bottom: 32, left: 32, right: 32, background: '#e03020' }).jpeg({ quality: 92 }).toBuffer();
  });
}
