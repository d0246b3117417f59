// Exports liveness training crops with the engine's own pipeline: each labelled image is decoded and
// its primary face found exactly as `engine.check` does, then cut by the crop rules below (the same
// cropByRule the served models use). Output: one uint8 RGB array per rule and an index.
//
//   node dist/models/train/export-crops.js [--rules NAME,NAME] OUT_DIR DATA_DIR [DATA_DIR ...]
//
// --rules exports the named rules of CROP_RULES (default: SHIPPED_RULES, the default pack's crops).
// DATA_DIR holds live/, spoof_print/, spoof_replay/ and spoof_other/; a file's source is the
// name prefix before "__". Images never leave OUT_DIR, which must not be inside the repository.

import { mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { createEngine, type Engine } from '../../core';
import { decodeImage } from '../../core/image/decode';
import { cropByRule, type CropRule } from '../../core/image/raster';
import { boxToTurned, turnRaster } from '../../core/faces/orientation';
import type { Box } from '../../core/types';

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

const LABELS = ['live', 'spoof_print', 'spoof_replay', 'spoof_other'] as const;
const IMAGE = /\.(jpe?g|png|webp)$/i;

/** One image's primary face, found as `engine.check` finds it, and its crops by every rule. */
export interface FaceCrops {
  /** The primary face box in the working raster's pixels (what the crops were cut around; the raster turned upright where the engine turned it). */
  readonly box: Box;
  /** The working raster's size (the image's, or smaller for images over the working size). */
  readonly width: number;
  readonly height: number;
  readonly nface: number;
  /** Each rule's size x size x 3 RGB crop, by rule name. */
  readonly crops: Record<string, Uint8Array>;
}

/**
 * Cuts the crops of one image's primary face. The engine reports the box in image pixels; the crops
 * are cut from the working raster (smaller than the image over the working size), so the box is
 * scaled to it first, as the engine's own liveness crop is. Throws the engine's errors (no face...).
 */
export async function cutFaceCrops(engine: Engine, bytes: Buffer, rules: Record<string, CropRule & { size: number }> = CROP_RULES): Promise<FaceCrops> {
  const result = await engine.check(bytes, { is_liveness: false, is_quality: false, is_attribute: false });
  const reported = result.data.faces.find((f) => f.primary)!.box;
  const decoded = await decodeImage(bytes, engine.limits.maxPixels);
  const { scale } = decoded;
  const sent = scale === 1 ? reported : { x: reported.x / scale, y: reported.y / scale, width: reported.width / scale, height: reported.height / scale };
  // A face the engine turned upright (a photo that lost its orientation) is cut from the turned raster, as the engine cuts it.
  const turn = result.data.image.rotation ?? 0;
  const raster = turn === 0 ? decoded.raster : turnRaster(decoded.raster, turn);
  const box = boxToTurned(sent, turn, decoded.raster.width, decoded.raster.height);
  const crops: Record<string, Uint8Array> = {};
  for (const [name, rule] of Object.entries(rules)) {
    crops[name] = cropByRule(raster, box, rule, rule.size, rule.size).data;
  }
  return { box, width: raster.width, height: raster.height, nface: result.data.nface, crops };
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
  if (path.resolve(outDir).startsWith(path.resolve(__dirname, '..', '..', '..'))) throw new Error('OUT_DIR must be outside the repository.');
  mkdirSync(outDir, { recursive: true });
  const engine = await createEngine();
  const outputs = Object.fromEntries(names.map((name) => [name, openSync(path.join(outDir, `crops_${name}.u8`), 'w')]));
  const index: string[] = ['row\tfile\tsource\tlabel\tlive\tstatus\tbox_x\tbox_y\tbox_w\tbox_h\twidth\theight\tnface'];
  let row = 0;
  let failed = 0;
  for (const dataDir of dataDirs) {
    for (const label of LABELS) {
      let files: string[];
      try { files = readdirSync(path.join(dataDir, label)).filter((f) => IMAGE.test(f)).sort(); } catch { continue; }
      for (const file of files) {
        const source = file.includes('__') ? file.slice(0, file.indexOf('__')) : 'unknown';
        const bytes = readFileSync(path.join(dataDir, label, file));
        try {
          const { box, width, height, nface, crops } = await cutFaceCrops(engine, bytes, rules);
          for (const name of names) writeSync(outputs[name]!, crops[name]!);
          index.push([row++, file, source, label, label === 'live' ? 1 : 0, 'ok', box.x, box.y, box.width, box.height, width, height, nface].join('\t'));
        } catch (err) {
          failed++;
          const code = (err as { code?: string }).code ?? 'ERROR';
          index.push(['-', file, source, label, label === 'live' ? 1 : 0, code, '', '', '', '', '', '', ''].join('\t'));
        }
      }
    }
  }
  for (const fd of Object.values(outputs)) closeSync(fd);
  writeFileSync(path.join(outDir, 'index.tsv'), index.join('\n') + '\n');
  writeFileSync(path.join(outDir, 'rules.json'), JSON.stringify(rules, null, 2));
  console.log(`exported ${row} faces (${failed} without a face) to ${outDir}`);
  await engine.dispose();
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
