// Exports training crops for the face-orientation model with the engine's own pipeline: each labelled
// image is decoded as `engine.check` decodes it, put upright where the engine turns it, then turned by
// each quarter turn; in each turned image the detector finds its primary face as the engine's first
// pass does (no orientation search), and the face is cut by the orientation model's crop rule. The
// label is the clockwise turn that puts that face upright again. So what is trained is what is
// served: the boxes a face on its side or upside down really gets from the detector.
//
//   node dist/models/train/export-orientation-crops.js OUT_DIR DATA_DIR [DATA_DIR ...]
//
// DATA_DIR holds label folders (live/, spoof_*/, attr_*/); a file's source is the name prefix before
// "__". Output: crops.u8 (size x size x 3 RGB per row) and index.tsv. Images never leave OUT_DIR,
// which must not be inside the repository.

import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PACK_DIR } from '../../core';
import { detectFaces } from '../../core/faces/detector';
import { detectFacesAnyTurn, turnRaster } from '../../core/faces/orientation';
import { decodeImage } from '../../core/image/decode';
import { cropByRule, type CropRule } from '../../core/image/raster';
import { DEFAULT_LIMITS } from '../../core/limits';
import { modelsOfRole, readPack } from '../../core/models/manifest';
import { createRegistry } from '../../core/models/registry';
import '../../core/models/ort-telemetry-off';
import { isWithin } from '../install-folder';

/** The orientation model's crop: the detector box, squared and widened a little, 64x64 RGB. */
export const ORIENTATION_CROP: CropRule & { size: number } = { scale: 1.2, mode: 'shift', square: true, size: 64 };

const IMAGE = /\.(jpe?g|png|webp)$/i;
const TURNS = [0, 90, 180, 270] as const;

async function main(): Promise<void> {
  const [outDir, ...dataDirs] = process.argv.slice(2);
  if (!outDir || dataDirs.length === 0) {
    console.error('usage: export-orientation-crops OUT_DIR DATA_DIR [DATA_DIR ...]');
    process.exit(2);
  }
  if (isWithin(path.resolve(outDir), path.resolve(__dirname, '..', '..', '..'))) throw new Error('OUT_DIR must be outside the repository.');
  mkdirSync(outDir, { recursive: true });
  const pack = readPack(DEFAULT_PACK_DIR);
  const [detectorKey] = modelsOfRole(pack.manifest, 'detector')[0]!;
  const registry = await createRegistry(pack, { workers: [] });
  const detector = registry.get(detectorKey);
  const crops = openSync(path.join(outDir, 'crops.u8'), 'w');
  const index: string[] = ['row\tfile\tsource\tlabel\tturn\tscore'];
  let row = 0;
  let skipped = 0;
  for (const dataDir of dataDirs) {
    for (const label of readdirSync(dataDir).sort()) {
      if (!statSync(path.join(dataDir, label)).isDirectory()) continue;
      for (const file of readdirSync(path.join(dataDir, label)).filter((f) => IMAGE.test(f)).sort()) {
        const source = file.includes('__') ? file.slice(0, file.indexOf('__')) : 'unknown';
        let upright;
        try {
          const decoded = await decodeImage(readFileSync(path.join(dataDir, label, file)), DEFAULT_LIMITS.maxPixels);
          // The image the engine would judge: turned upright where the engine turns it.
          const found = await detectFacesAnyTurn(detector, decoded.raster);
          if (found.faces.length === 0) throw new Error('no face');
          upright = found.raster;
        } catch {
          skipped++;
          continue;
        }
        for (const turn of TURNS) {
          // The image as a camera on its side (or upside down) would send it.
          const sent = turn === 0 ? upright : turnRaster(upright, turn);
          const faces = await detectFaces(detector, sent);
          if (faces.length === 0) continue;
          writeSync(crops, cropByRule(sent, faces[0]!.box, ORIENTATION_CROP, ORIENTATION_CROP.size, ORIENTATION_CROP.size).data);
          // The clockwise turn that puts this face upright again.
          index.push([row++, file, source, label, (360 - turn) % 360, faces[0]!.score.toFixed(4)].join('\t'));
        }
      }
    }
  }
  closeSync(crops);
  writeFileSync(path.join(outDir, 'index.tsv'), index.join('\n') + '\n');
  writeFileSync(path.join(outDir, 'crop.json'), JSON.stringify(ORIENTATION_CROP, null, 2));
  console.log(`exported ${row} crops (${skipped} images without a face) to ${outDir}`);
  await registry.dispose();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
