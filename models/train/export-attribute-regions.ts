// Exports landmark-aligned face crops for attribute training: runs the engine's own detector and 68
// landmarks on every image of labelled folders (attr_<name>/, attr_none/, live/), aligns the primary
// face exactly as the runtime check does, and (with --synth) adds seeded synthetic attributes drawn on
// uncovered faces (and sunglasses on some real masked or capped faces; with --draw-on-clear-glasses,
// anything on faces that wear only clear glasses too, and drawn sunglasses replace their clear label;
// with --clear-glasses-on-covered, clear glasses on as many real masked or capped faces as sunglasses).
// Writes crops.u8 (N x size x size x 3 bytes) and index.tsv to --out, never an image.
//
//   node dist/models/train/export-attribute-regions.js --out DIR [--synth 2] [--per-source 40] [--seed 1] [--size N] [--inter-eye F --eye-y F] \
//       [--labels models/train/attributes/label-corrections.tsv]... [--draw-on-clear-glasses] [--clear-glasses-on-covered] DATA_DIR...
//   (several --labels files: the first rule naming a file wins, so list the overriding file first)

import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeImage } from '../../core/image/decode';
import type { Raster } from '../../core/image/raster';
import { findFaces } from '../../core/faces/find-faces';
import { locateLandmarks } from '../../core/faces/landmarks';
import { alignFace, DEFAULT_ATTRIBUTE_CROP } from '../../core/faces/align';
import { modelsOfRole, type Manifest } from '../../core/models/manifest';
import type { Point } from '../../core/types';
import { DEFAULT_PACK_DIR } from '../../core/engine';
import { hashSeed, renderAttributes, type SyntheticKind } from './attribute-render';
import { seededRandom } from './seeded-random';
import { readLabelCorrections, type LabelCorrections } from './label-corrections';
import { loadPackModels, type PackModels } from './pack-models';

/** Label columns of index.tsv, in the classifier's output order. */
export const LABELS = ['sunglasses', 'mask', 'hat', 'veil', 'eyeglasses'] as const;
const SYNTH_LABEL: Record<SyntheticKind, (typeof LABELS)[number]> = { sunglasses: 'sunglasses', eyeglasses: 'eyeglasses', mask: 'mask', cap: 'hat', veil: 'veil' };
/** How often each synthetic attribute is drawn on an uncovered face. */
const SYNTH_WEIGHTS: readonly [SyntheticKind, number][] = [['sunglasses', 0.42], ['eyeglasses', 0.16], ['mask', 0.12], ['cap', 0.15], ['veil', 0.15]];
/** How often glasses or a mask drawn on an uncovered face come with headwear too (sunglasses under a cap). */
const HEADWEAR_TOO = 0.25;
/** How often a real masked or capped face also gets drawn sunglasses (with --synth). */
const SUNGLASSES_ON_REAL = 0.35;
/** With --clear-glasses-on-covered, how often such a face gets drawn clear glasses instead (as often as sunglasses). */
const CLEAR_GLASSES_ON_REAL = SUNGLASSES_ON_REAL;

interface Args { out: string; synth: number; perSource: number; seed: number; size: number; interEye: number; eyeY: number; labels: string[]; drawOnClearGlasses: boolean; clearGlassesOnCovered: boolean; dirs: string[]; pack: string }

function parseArgs(argv: string[]): Args {
  const args: Args = { out: '', synth: 0, perSource: 0, seed: 1, size: 0, interEye: 0, eyeY: 0, labels: [], drawOnClearGlasses: false, clearGlassesOnCovered: false, dirs: [], pack: DEFAULT_PACK_DIR };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => { const v = argv[++i]; if (v === undefined) throw new Error(`${a} needs a value`); return v; };
    if (a === '--out') args.out = next();
    else if (a === '--synth') args.synth = Number(next());
    else if (a === '--per-source') args.perSource = Number(next());
    else if (a === '--seed') args.seed = Number(next());
    else if (a === '--pack') args.pack = next();
    else if (a === '--size') args.size = Number(next());
    else if (a === '--inter-eye') args.interEye = Number(next());
    else if (a === '--eye-y') args.eyeY = Number(next());
    else if (a === '--labels') args.labels.push(next());
    else if (a === '--draw-on-clear-glasses') args.drawOnClearGlasses = true;
    else if (a === '--clear-glasses-on-covered') args.clearGlassesOnCovered = true;
    else args.dirs.push(a);
  }
  if (!args.out || args.dirs.length === 0) throw new Error('usage: export-attribute-regions --out DIR [--synth N] [--per-source N] [--seed N] [--size N] [--inter-eye F --eye-y F] [--labels CORRECTIONS.tsv]... [--draw-on-clear-glasses] [--clear-glasses-on-covered] DATA_DIR...');
  if ((args.interEye > 0) !== (args.eyeY > 0)) throw new Error('--inter-eye and --eye-y go together');
  return args;
}

/** Folder name (any case) -> label: attr_<name> names the attribute, attr_none and live are uncovered faces. */
function labelOf(folder: string): string | null {
  const name = folder.toLowerCase();
  if (name === 'live' || name === 'attr_none') return 'none';
  const m = /^attr_(sunglasses|mask|hat|veil|eyeglasses)$/.exec(name);
  return m ? m[1]! : null;
}

/** Source of a file: its name before "__" (the data sets' convention). */
const sourceOf = (file: string): string => (file.includes('__') ? file.slice(0, file.indexOf('__')) : 'unknown');

/** At most `n` files per source, evenly spread over each source's sorted list (0 = all). */
function capPerSource(files: string[], n: number): string[] {
  if (n <= 0) return files;
  const bySource = new Map<string, string[]>();
  for (const f of files) bySource.set(sourceOf(f), [...(bySource.get(sourceOf(f)) ?? []), f]);
  const kept: string[] = [];
  for (const list of bySource.values()) {
    if (list.length <= n) kept.push(...list);
    else for (let i = 0; i < n; i++) kept.push(list[Math.floor((i * list.length) / n)]!);
  }
  return kept.sort();
}

function drawKind(rng: () => number): SyntheticKind {
  let r = rng();
  for (const [kind, w] of SYNTH_WEIGHTS) { if ((r -= w) < 0) return kind; }
  return 'sunglasses';
}

/** What to draw on an uncovered face: one attribute, sometimes glasses or a mask with headwear. */
function drawKinds(rng: () => number): SyntheticKind[] {
  const kind = drawKind(rng);
  if (kind === 'cap' || kind === 'veil' || rng() >= HEADWEAR_TOO) return [kind];
  return [kind, rng() < 0.7 ? 'cap' : 'veil'];
}

/** Labels of a face after drawing: its real ones and the drawn ones; with sunglassesCoverClear, drawn sunglasses replace clear glasses. */
function drawnLabels(real: readonly string[], kinds: readonly SyntheticKind[], sunglassesCoverClear: boolean): string[] {
  const kept = sunglassesCoverClear && kinds.includes('sunglasses') ? real.filter((l) => l !== 'eyeglasses') : real;
  return [...kept, ...kinds.map((k) => SYNTH_LABEL[k])];
}

class Exporter {
  private rows: string[] = [];
  private count = 0;
  constructor(private models: PackModels, private size: number, private rule: { interEye: number; eyeY: number }, private crops: NodeJS.WritableStream) {}

  /** The primary face's 68 landmarks and the raster they lie in: the image, or the image turned to put the face upright, as the engine does. */
  async landmarks(image: Raster): Promise<{ raster: Raster; points: readonly Point[] } | null> {
    const { registry, manifest } = this.models;
    const { faces, raster } = await findFaces(registry, manifest, image);
    if (faces.length === 0) return null;
    return { raster, points: (await locateLandmarks(registry.get(modelsOfRole(manifest, 'landmarks')[0]![0]), raster, faces[0]!.box)).points };
  }

  add(raster: Raster, points: readonly Point[], file: string, source: string, labels: string[], synthetic: string, seed: number): void {
    const crop = alignFace(raster, points, this.size, this.rule);
    this.crops.write(Buffer.from(crop.data));
    const flags = LABELS.map((l) => (labels.includes(l) ? '1' : '0'));
    this.rows.push([this.count++, file, source, ...flags, synthetic, seed].join('\t'));
  }

  index(): string {
    return ['row\tfile\tsource\t' + LABELS.join('\t') + '\tsynthetic\tseed', ...this.rows].join('\n') + '\n';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(args.out, { recursive: true });
  // The pack's detector, orientation and landmark models only (the faces found as a check finds
  // them): the attribute model may not exist yet.
  const full = JSON.parse(readFileSync(path.join(args.pack, 'manifest.json'), 'utf8')) as Manifest;
  const models = await loadPackModels(args.pack, ['detector', 'orientation', 'landmarks']);
  const attributes = modelsOfRole(full, 'attributes')[0]?.[1];
  const fromPack = attributes?.align ? { size: attributes.input.width, rule: attributes.align } : DEFAULT_ATTRIBUTE_CROP;
  const size = args.size || fromPack.size;
  // --inter-eye and --eye-y align another region than the pack's (the eye band, zoomed in).
  const rule = args.interEye > 0 ? { interEye: args.interEye, eyeY: args.eyeY } : fromPack.rule;
  const crops = createWriteStream(path.join(args.out, 'crops.u8'));
  const exporter = new Exporter(models, size, rule, crops);
  const missed: Record<string, number> = {};
  const seen: Record<string, number> = {};
  const corrections: LabelCorrections | null = args.labels.length > 0 ? readLabelCorrections(args.labels, LABELS) : null;
  let excluded = 0;
  try {
    for (const dir of args.dirs) {
      for (const folder of readdirSync(dir).sort()) {
        const label = labelOf(folder);
        if (!label || !statSync(path.join(dir, folder)).isDirectory()) continue;
        let files = readdirSync(path.join(dir, folder)).filter((f) => /\.(jpe?g|png|webp)$/i.test(f)).sort();
        if (folder.toLowerCase() === 'live') files = capPerSource(files, args.perSource);
        for (const name of files) {
          const file = `${path.basename(dir)}/${folder}/${name}`;
          const key = `${path.basename(dir)}/${folder}`;
          seen[key] = (seen[key] ?? 0) + 1;
          // Left out before it is read: nothing of an excluded photo is decoded or run.
          const corrected = corrections?.of(file);
          if (corrected === 'exclude') { excluded++; continue; }
          let raster: Raster;
          try {
            raster = (await decodeImage(await readFile(path.join(dir, folder, name)), 40_000_000)).raster;
          } catch {
            missed[key] = (missed[key] ?? 0) + 1;
            continue;
          }
          const found = await exporter.landmarks(raster);
          if (!found) { missed[key] = (missed[key] ?? 0) + 1; continue; }
          const { points } = found;
          raster = found.raster;
          const source = sourceOf(name);
          const real = corrected ? [...corrected] : label === 'none' ? [] : [label];
          exporter.add(raster, points, file, source, real, '', 0);
          const rng = seededRandom(hashSeed(file, args.seed));
          const draws: SyntheticKind[][] = [];
          // Uncovered faces are drawn on; with --draw-on-clear-glasses, faces with only clear glasses too.
          const drawable = real.length === 0 || (args.drawOnClearGlasses && real.every((l) => l === 'eyeglasses'));
          if (drawable) for (let k = 0; k < args.synth; k++) draws.push(drawKinds(rng));
          else if ((real.includes('mask') || real.includes('hat')) && !real.includes('sunglasses') && args.synth > 0) {
            // One draw decides both, so the default export is unchanged by the flag's existence.
            const u = rng();
            if (u < SUNGLASSES_ON_REAL) draws.push(['sunglasses']);
            else if (args.clearGlassesOnCovered && !real.includes('eyeglasses') && u < SUNGLASSES_ON_REAL + CLEAR_GLASSES_ON_REAL) draws.push(['eyeglasses']);
          }
          for (const kinds of draws) {
            const seed = Math.floor(rng() * 2 ** 31);
            const drawn = renderAttributes(raster, points, kinds, seed);
            // Landmarks found again on the drawn image, as the runtime would find them.
            const again = await exporter.landmarks(drawn);
            const what = kinds.join('+');
            if (!again) { missed[`${key}+${what}`] = (missed[`${key}+${what}`] ?? 0) + 1; continue; }
            exporter.add(again.raster, again.points, file, source, drawnLabels(real, kinds, args.drawOnClearGlasses), what, seed);
          }
        }
        console.log(`${dir}/${folder}: ${seen[`${path.basename(dir)}/${folder}`] ?? 0} images, ${missed[`${path.basename(dir)}/${folder}`] ?? 0} without a face`);
      }
    }
  } finally {
    await new Promise<void>((resolve) => crops.end(resolve));
    await models.registry.dispose();
  }
  writeFileSync(path.join(args.out, 'index.tsv'), exporter.index());
  const unused = corrections?.unused() ?? [];
  if (unused.length > 0) console.warn(`label corrections that matched no file: ${unused.join(', ')}`);
  writeFileSync(path.join(args.out, 'meta.json'), JSON.stringify({ size, rule, labels: LABELS, seed: args.seed, synth: args.synth, perSource: args.perSource,
    labelCorrections: args.labels.length > 0 ? args.labels.map((f) => path.basename(f)) : null, drawOnClearGlasses: args.drawOnClearGlasses,
    excluded, seen, missed }, null, 2));
  console.log(JSON.stringify({ seen, missed }));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
