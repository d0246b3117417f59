// Runs an Engine over a labelled data set, one image at a time in the set's sorted order, and turns
// each result into a scored sample. An image the engine refuses (no face, undecodable image, ...) is a
// non-response, kept with its error code; an engine that fails stops the run (check-image.ts).

import { promises as fs } from 'node:fs';
import type { Engine } from '../engine-types';
import { quote } from '../quote';
import { checkImage } from './check-image';
import { DatasetLabelError, type Dataset, type FlagItem, type LivenessItem } from './dataset';
import { byGroup, FLAG_GROUPS, GROUPS, type FlagGroup, type FlagThreshold } from './groups';
import type { FlagSample, ScoredSample } from './metrics';

/** A sample with where it came from and, for a non-response, why. */
export type Scored<T> = T & { readonly path: string; readonly error?: string };

/** A flag sample with the scores behind the flags, where the group has them (attribute probabilities; null for a non-response). */
export type FlagScored = Scored<FlagSample & { readonly scores?: Readonly<Record<string, number>> | null }>;

export interface ScoredFlagGroup {
  readonly samples: FlagScored[];
  /** The thresholds the engine reported, by name (empty when no image of the group was scored). */
  readonly thresholds: Record<string, FlagThreshold>;
}

export interface ScoredSet {
  readonly liveness: Scored<ScoredSample>[];
  /** The liveness threshold the engine reported (the pack's), or NaN when no image was scored. */
  readonly livenessThreshold: number;
  /** Per flag group (attributes, quality problems), its samples and thresholds. */
  readonly flags: Record<FlagGroup, ScoredFlagGroup>;
}

export interface ScoreOptions {
  /** Called after each image with the number done so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

const LIVENESS_ONLY = { is_liveness: true, is_quality: false, is_attribute: false } as const;

/** The bytes of an image of the set. One that cannot be read is the set's to fix, as a missing file in a CSV list is. */
async function readImage(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DatasetLabelError(`Cannot read the image ${quote(file)}${typeof code === 'string' ? ` (${code})` : ''}: make it readable or take it out of the data set.`);
  }
}

/**
 * Scores every image of the set. Images are read and checked one by one, so results are reproducible.
 * @throws EngineFailureError when the engine fails on an image, DatasetLabelError when an image cannot be read (nothing is scored after it).
 */
export async function scoreDataset(engine: Engine, dataset: Dataset, options: ScoreOptions = {}): Promise<ScoredSet> {
  const total = dataset.liveness.length + FLAG_GROUPS.reduce((n, g) => n + dataset.flags[g].length, 0);
  let done = 0;
  const tick = (): void => options.onProgress?.(++done, total);
  let livenessThreshold = NaN;

  const liveness: Scored<ScoredSample>[] = [];
  for (const item of dataset.liveness) {
    liveness.push(await scoreLiveness(engine, item, (t) => { livenessThreshold = t; }));
    tick();
  }
  const flags = byGroup((): ScoredFlagGroup => ({ samples: [], thresholds: {} }));
  for (const group of FLAG_GROUPS) {
    for (const item of dataset.flags[group]) {
      flags[group].samples.push(await scoreFlags(engine, item, flags[group].thresholds));
      tick();
    }
  }
  return { liveness, livenessThreshold, flags };
}

async function scoreLiveness(engine: Engine, item: LivenessItem, seeThreshold: (t: number) => void): Promise<Scored<ScoredSample>> {
  const base = { path: item.path, label: item.label, species: item.species };
  const outcome = await checkImage(engine, await readImage(item.path), LIVENESS_ONLY, item.path);
  if ('refused' in outcome) return { ...base, score: null, error: outcome.refused };
  const section = outcome.result.data.liveness;
  if (!section) return { ...base, score: null, error: 'NO_LIVENESS_SECTION' };
  seeThreshold(section.threshold);
  return { ...base, score: section.probability };
}

/** Checks one image for its group alone and reads what the engine flagged; records the thresholds it reported. */
async function scoreFlags(engine: Engine, item: FlagItem, thresholds: Record<string, FlagThreshold>): Promise<FlagScored> {
  const spec = GROUPS[item.group];
  const base = { path: item.path, truth: item.flags };
  const outcome = await checkImage(engine, await readImage(item.path), spec.options, item.path);
  if ('refused' in outcome) return { ...base, flagged: null, scores: null, error: outcome.refused };
  const reading = spec.read(outcome.result.data);
  if (!reading) return { ...base, flagged: null, scores: null, error: `NO_${spec.reportKey.toUpperCase()}_SECTION` };
  Object.assign(thresholds, reading.thresholds);
  return { ...base, flagged: reading.flagged, ...(reading.scores ? { scores: reading.scores } : {}) };
}
