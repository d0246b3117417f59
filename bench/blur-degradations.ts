// `npm run bench:blur -- folder...`: how often quality's blur fails on the faces of the images in the
// folders (labelled live faces, undamaged), each checked as it is and after each degradation below:
// re-encoding, halving and doubling, grain, Gaussian blur, and faces shrunk to a half, a third and a
// quarter, with and without blur. docs/quality.md gives these counts for the live faces
// of the development set.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { createEngine, FaceliveError } from '../core';
import { harnessArgs, USAGE_ERROR } from './options';
import { withGrain } from '../test/helpers/faces';

const USAGE = `Usage: npm run bench:blur -- folder...

For each degradation, on how many of the faces in the folders' images (JPEG, PNG, WebP) quality's
blur fails, and face_size (a face not found is left out and counted apart; any other error stops it).
  -h, --help   show this help
`;

function images(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(folder, e.name);
    if (e.isDirectory()) return images(full);
    return /\.(jpe?g|png|webp)$/i.test(e.name) ? [full] : [];
  }).sort();
}

const jpeg = (s: Sharp): Promise<Buffer> => s.jpeg({ quality: 92 }).toBuffer();
const lossless = (s: Sharp): Promise<Buffer> => s.png().toBuffer();

/** The image resized by `factor` (area-averaged when shrunk), upright, losslessly. */
async function scaled(image: Buffer, factor: number): Promise<Buffer> {
  const { width, height } = await sharp(image).rotate().toBuffer({ resolveWithObject: true }).then((r) => r.info);
  return lossless(sharp(image).rotate().resize(Math.max(1, Math.round(width * factor)), Math.max(1, Math.round(height * factor))));
}

type Degradation = readonly [name: string, make: (image: Buffer) => Promise<Buffer>];

const DEGRADATIONS: readonly Degradation[] = [
  ['undamaged', async (b) => b],
  ['JPEG q95', (b) => sharp(b).rotate().jpeg({ quality: 95 }).toBuffer()],
  ['halved', async (b) => jpeg(sharp(await scaled(b, 0.5)))],
  ['doubled', async (b) => jpeg(sharp(await scaled(b, 2)))],
  ['grain sd 3', (b) => withGrain(b, 3)],
  ['grain sd 6', (b) => withGrain(b, 6)],
  ['sigma 2', (b) => jpeg(sharp(b).rotate().blur(2))],
  ['sigma 4', (b) => jpeg(sharp(b).rotate().blur(4))],
  ['sigma 8', (b) => jpeg(sharp(b).rotate().blur(8))],
  ['sigma 4 + grain sd 3', async (b) => withGrain(await lossless(sharp(b).rotate().blur(4)), 3)],
  ['sigma 4 + grain sd 6', async (b) => withGrain(await lossless(sharp(b).rotate().blur(4)), 6)],
  ['1280 px, sigma 8 + grain sd 6', async (b) => withGrain(await lossless(sharp(b).rotate().resize(1280).blur(8)), 6)],
  // Small faces: the same blur relative to the face as sigma 2 and 4 at full size.
  ['halved, sigma 1', async (b) => jpeg(sharp(await scaled(b, 0.5)).blur(1))],
  ['halved, sigma 2', async (b) => jpeg(sharp(await scaled(b, 0.5)).blur(2))],
  ['a third', async (b) => jpeg(sharp(await scaled(b, 1 / 3)))],
  ['quartered', async (b) => jpeg(sharp(await scaled(b, 0.25)))],
  ['quartered, sigma 1', async (b) => jpeg(sharp(await scaled(b, 0.25)).blur(1))],
];

async function main(folders: readonly string[]): Promise<void> {
  const files = folders.flatMap(images);
  const engine = await createEngine({ workerThreads: false });
  try {
    for (const [name, make] of DEGRADATIONS) {
      let failed = 0, small = 0, both = 0, checked = 0, notFound = 0;
      for (const file of files) {
        const image = await make(readFileSync(file));
        try {
          const result = await engine.check(image, { is_liveness: false, is_attribute: false, is_quality: true });
          checked++;
          const quality = result.data.quality!;
          if (!quality.blur.pass) failed++;
          if (!quality.face_size.pass) small++;
          if (!quality.blur.pass && !quality.face_size.pass) both++;
        } catch (err) {
          if (!(err instanceof FaceliveError && err.code === 'FACE_NOT_DETECTED')) throw err;
          notFound++;
        }
      }
      const faces = `${checked}${notFound ? ` (${notFound} without a face)` : ''}`;
      process.stdout.write(`${name}: blur fails ${failed} of ${faces}; face_size fails ${small}, ${both} of them failing blur too\n`);
    }
  } finally {
    await engine.dispose();
  }
}

const folders = harnessArgs('bench:blur', { usage: USAGE, positionals: true }).positionals;
if (folders.length === 0) {
  process.stderr.write(`bench:blur: name at least one folder of images\n\n${USAGE}`);
  process.exit(USAGE_ERROR);
}
main(folders).catch((err: unknown) => {
  process.stderr.write(`bench:blur: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
