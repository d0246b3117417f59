// Exports liveness training crops with the engine's own pipeline: each labelled image is decoded and
// its primary face found exactly as `engine.check` does, then cut by the crop rules below (the same
// cropByRule the served models use). Output: one uint8 RGB array per rule and an index.
//
//   node dist/models/train/export-crops.js [--rules NAME,NAME] OUT_DIR DATA_DIR [DATA_DIR ...]
//
// --rules exports the named rules of CROP_RULES (default: SHIPPED_RULES, the default pack's crops).
// DATA_DIR holds live/, spoof_print/, spoof_replay/ and spoof_other/ (names in any case, as
// `facelive eval` reads them); a file's source is the name prefix before "__". A folder without a
// labelled image, another attack species, or fewer than two sources (grouped validation holds one out)
// stop the export before any face is found. Images never leave OUT_DIR, which must not be inside the repository.

import { mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PACK_DIR } from '../../core/engine';
import { FaceliveError } from '../../core/errors';
import { DatasetLabelError, readFolder } from '../../core/eval/dataset';
import { quote } from '../../core/quote';
import { isWithin } from '../install-folder';
import { DEFAULT_LIMITS } from '../../core/limits';
import { decodeImage } from '../../core/image/decode';
import { cropByRule, type CropRule } from '../../core/image/raster';
import { findFaces } from '../../core/faces/find-faces';
import type { Box } from '../../core/types';
import { loadPackModels, type PackModels } from './pack-models';

/**
 * The crop rules exported, by name (the training scripts' RULE): the default pack's three liveness crops,
 * MiniFASNetV2's (2.7x the box, shifted inside the image, 80x80), MiniFASNetV1SE's (4x the box) and the
 * face crop (1.2x the box) a second MiniFASNetV2 is fine-tuned on; add a rule here to train or compare another.
 */
export const CROP_RULES: Record<string, CropRule & { size: number }> = {
  s27: { scale: 2.7, mode: 'shift', square: false, size: 80 },
  s40: { scale: 4, mode: 'shift', square: false, size: 80 },
  s12: { scale: 1.2, mode: 'shift', square: false, size: 80 },
  // The face crop at 112x112 instead of 80x80: its texture at a finer resolution (measured against s12, not used).
  s12h: { scale: 1.2, mode: 'shift', square: false, size: 112 },
};

/** The rules the default pack's liveness models read, exported unless --rules names others. */
export const SHIPPED_RULES: readonly string[] = ['s27', 's40', 's12'];

/** The labels the training reads, in the order their images are exported. */
const LABELS = ['live', 'spoof_print', 'spoof_replay', 'spoof_other'] as const;
type Label = (typeof LABELS)[number];

/** One labelled image to export. */
export interface LabelledImage {
  readonly path: string;
  /** Its path inside its label's folder (the file name, for a flat folder). */
  readonly file: string;
  /** The file name before "__", or "unknown". */
  readonly source: string;
  readonly label: Label;
}

/**
 * The labelled images of the data folders, in export order: folder by folder, LABELS in turn, files
 * sorted. Folders are read as `facelive eval` reads a labelled folder (core/eval/dataset.ts: label
 * names in any case). Throws DatasetLabelError, before any image is read, for a data folder that is
 * missing or holds no labelled image, an attack species the training has no class for, or fewer
 * than two sources.
 */
export async function listLabelledImages(dataDirs: readonly string[]): Promise<LabelledImage[]> {
  const images: LabelledImage[] = [];
  for (const dir of dataDirs) {
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new DatasetLabelError(`The data folder ${quote(dir)} does not exist or is not a folder.`);
    const dataset = await readFolder(dir);
    const found: LabelledImage[] = [];
    for (const item of dataset.liveness) {
      const label = item.label === 'live' ? 'live' : `spoof_${item.species}`;
      if (!(LABELS as readonly string[]).includes(label)) {
        throw new DatasetLabelError(`The data folder ${quote(dir)} holds attacks of species ${quote(item.species)}; the training knows ${LABELS.slice(1).join('/, ')}/ only (names in any case).`);
      }
      const name = path.basename(item.path);
      const file = path.relative(dir, item.path).split(path.sep).slice(1).join('/');
      found.push({ path: item.path, file, source: name.includes('__') ? name.slice(0, name.indexOf('__')) : 'unknown', label: label as Label });
    }
    if (found.length === 0) {
      const other = dataset.ignored.length > 0 ? `; it holds ${dataset.ignored.map((name) => `${name}/`).join(', ')}` : '';
      throw new DatasetLabelError(`No labelled image in the data folder ${quote(dir)}: expected images under ${LABELS.join('/, ')}/ (names in any case)${other}.`);
    }
    // Stable: files keep their sorted order within a label.
    images.push(...found.sort((a, b) => LABELS.indexOf(a.label) - LABELS.indexOf(b.label)));
  }
  const sources = [...new Set(images.map((image) => image.source))].sort();
  if (sources.length < 2) {
    throw new DatasetLabelError(`Grouped validation needs labelled images of at least two sources; ${dataDirs.map((dir) => quote(dir)).join(', ')} ${dataDirs.length === 1 ? 'holds' : 'hold'} only the source ${quote(sources[0] ?? '')}. `
      + 'A file\'s source is its name before "__" (cameraA__0001.jpg is of the source cameraA); files without "__" are all of the source "unknown".');
  }
  return images;
}

/** One image's primary face, found as `engine.check` finds it, and its crops by every rule. */
export interface FaceCrops {
  /** The primary face box in the working raster's pixels, unrounded: the box the served liveness crops are cut around (the raster turned upright where the engine turns it). */
  readonly box: Box;
  /** The quarter turn that put the face upright (0 for most images), as the check reports it in `image.rotation`. */
  readonly turn: number;
  /** The working raster's size (the image's, or smaller for images over the working size), after the turn. */
  readonly width: number;
  readonly height: number;
  /** The faces counted, as the check's `nface`. */
  readonly nface: number;
  /** Each rule's size x size x 3 RGB crop, by rule name. */
  readonly crops: Record<string, Uint8Array>;
}

/**
 * Cuts the crops of one image's primary face: the image decoded and its faces found by the engine's
 * own steps (decodeImage, findFaces), then cut around the unrounded box in the raster the engine
 * cuts its liveness crops from, so that each crop is the served model's input bit for bit. Throws
 * FACE_NOT_DETECTED when no face is found.
 */
export async function cutFaceCrops(models: PackModels, bytes: Buffer, rules: Record<string, CropRule & { size: number }> = CROP_RULES): Promise<FaceCrops> {
  const decoded = await decodeImage(bytes, DEFAULT_LIMITS.maxPixels);
  const { faces, raster, turn } = await findFaces(models.registry, models.manifest, decoded.raster);
  if (faces.length === 0) throw new FaceliveError('FACE_NOT_DETECTED');
  const { box } = faces[0]!;
  const crops: Record<string, Uint8Array> = {};
  for (const [name, rule] of Object.entries(rules)) {
    crops[name] = cropByRule(raster, box, rule, rule.size, rule.size).data;
  }
  return { box, turn, width: raster.width, height: raster.height, nface: faces.filter((face) => face.counted).length, crops };
}

/** The models cutFaceCrops needs from a pack: its detector and orientation model. */
export function loadFaceFinder(packDir: string = DEFAULT_PACK_DIR): Promise<PackModels> {
  return loadPackModels(packDir, ['detector', 'orientation']);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rulesAt = args.indexOf('--rules');
  const names = rulesAt >= 0 ? args.splice(rulesAt, 2)[1]?.split(',') ?? [] : [...SHIPPED_RULES];
  const [outDir, ...dataDirs] = args;
  if (!outDir || dataDirs.length === 0 || names.length === 0 || names.some((name) => !(name in CROP_RULES))) {
    console.error(`usage: export-crops [--rules NAME,NAME] OUT_DIR DATA_DIR [DATA_DIR ...] (rules: ${Object.keys(CROP_RULES).join(', ')})`);
    process.exit(2);
  }
  const rules = Object.fromEntries(names.map((name) => [name, CROP_RULES[name]!]));
  if (isWithin(path.resolve(outDir), path.resolve(__dirname, '..', '..', '..'))) throw new DatasetLabelError(`OUT_DIR ${quote(outDir)} must be outside the repository.`);
  const images = await listLabelledImages(dataDirs);
  mkdirSync(outDir, { recursive: true });
  const models = await loadFaceFinder();
  const outputs = Object.fromEntries(names.map((name) => [name, openSync(path.join(outDir, `crops_${name}.u8`), 'w')]));
  const index: string[] = ['row\tfile\tsource\tlabel\tlive\tstatus\tbox_x\tbox_y\tbox_w\tbox_h\twidth\theight\tnface\tturn'];
  let row = 0;
  let failed = 0;
  for (const { path: imagePath, file, source, label } of images) {
    const bytes = readFileSync(imagePath);
    try {
      const { box, turn, width, height, nface, crops } = await cutFaceCrops(models, bytes, rules);
      for (const name of names) writeSync(outputs[name]!, crops[name]!);
      index.push([row++, file, source, label, label === 'live' ? 1 : 0, 'ok', box.x, box.y, box.width, box.height, width, height, nface, turn].join('\t'));
    } catch (err) {
      failed++;
      const code = (err as { code?: string }).code ?? 'ERROR';
      index.push(['-', file, source, label, label === 'live' ? 1 : 0, code, '', '', '', '', '', '', '', ''].join('\t'));
    }
  }
  for (const fd of Object.values(outputs)) closeSync(fd);
  writeFileSync(path.join(outDir, 'index.tsv'), index.join('\n') + '\n');
  writeFileSync(path.join(outDir, 'rules.json'), JSON.stringify(rules, null, 2));
  console.log(`exported ${row} faces (${failed} without a face) to ${outDir}`);
  await models.registry.dispose();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    // The data folders or OUT_DIR are the user's to fix: the message alone, as for a usage error.
    if (err instanceof DatasetLabelError) {
      console.error(`export-crops: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}
