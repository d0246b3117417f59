// `npm run bench:pose [-- folder...]`: how far the head pose fitted to the 68 landmarks
// (core/faces/pose-from-landmarks.ts) is from the pack's pose model, in degrees, on the test faces
// (the selfies and the faces of the group photos) and on the images of any folders given.
// The engine would use the landmark pose instead of the model only if they agree within a few degrees.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../core/image/decode';
import { detectFaces } from '../core/faces/detector';
import { estimatePose, locateLandmarks, type HeadPose } from '../core/faces/landmarks';
import { poseFromLandmarks } from '../core/faces/pose-from-landmarks';
import { modelsOfRole, readPack } from '../core/models/manifest';
import { createRegistry } from '../core/models/registry';
import { DEFAULT_PACK_DIR } from '../core/engine';
import { GROUP_PHOTOS, groupPhoto, SELFIE_NAMES, selfieJpeg } from '../test/helpers/faces';
import { harnessArgs } from './options';

const USAGE = `Usage: npm run bench:pose [-- folder...]

Degrees between the head pose fitted to the landmarks and the pose model's, on the test faces and on
the images (JPEG, PNG, WebP) of any folders given.
  -h, --help   show this help
`;

const ANGLES = ['yaw', 'pitch', 'roll'] as const;

function images(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(folder, e.name);
    if (e.isDirectory()) return images(full);
    return /\.(jpe?g|png|webp)$/i.test(e.name) ? [full] : [];
  });
}

async function main(folders: readonly string[]): Promise<void> {
  const pack = readPack(DEFAULT_PACK_DIR);
  const registry = await createRegistry(pack);
  const key = (role: 'detector' | 'landmarks' | 'pose'): string => modelsOfRole(pack.manifest, role)[0]![0];
  const sets: [string, () => AsyncGenerator<Buffer>][] = [
    ['test faces', async function* () {
      for (const name of SELFIE_NAMES) yield await selfieJpeg(name, 640, 480);
      for (const photo of GROUP_PHOTOS) yield groupPhoto(photo.name);
    }],
    ...folders.map((folder): [string, () => AsyncGenerator<Buffer>] => [folder, async function* () {
      for (const file of images(folder)) yield readFileSync(file);
    }]),
  ];
  try {
    for (const [label, source] of sets) {
      const diffs: Record<(typeof ANGLES)[number], number[]> = { yaw: [], pitch: [], roll: [] };
      for await (const bytes of source()) {
        let raster;
        try {
          ({ raster } = await decodeImage(bytes, 40_000_000));
        } catch {
          continue;
        }
        // Every face of a test photo, the primary face of a folder image.
        const faces = await detectFaces(registry.get(key('detector')), raster);
        for (const face of label === 'test faces' ? faces : faces.slice(0, 1)) {
          const { points } = await locateLandmarks(registry.get(key('landmarks')), raster, face.box);
          const model: HeadPose = await estimatePose(registry.get(key('pose')), raster, face.box);
          const fitted = poseFromLandmarks(points);
          for (const angle of ANGLES) diffs[angle].push(Math.abs(fitted[angle] - model[angle]));
        }
      }
      const summary = ANGLES.map((angle) => {
        const sorted = [...diffs[angle]].sort((a, b) => a - b);
        const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
        return `${angle} mean ${mean.toFixed(1)} median ${(sorted[sorted.length >> 1] ?? NaN).toFixed(1)} max ${(sorted[sorted.length - 1] ?? NaN).toFixed(1)}`;
      });
      process.stdout.write(`${label} (${diffs.yaw.length} faces), |landmark pose - pose model| in degrees: ${summary.join('; ')}\n`);
    }
  } finally {
    await registry.dispose();
  }
}

main(harnessArgs('bench:pose', { usage: USAGE, positionals: true }).positionals).catch((err: unknown) => {
  process.stderr.write(`bench:pose: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
