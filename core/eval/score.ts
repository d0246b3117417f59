// Runs an Engine over a labelled data set, one image at a time in the set's sorted order, and turns
// each result into a scored sample. A check the engine rejects (no face, undecodable image, ...) is a
// non-response, kept with its error code.

import { promises as fs } from 'node:fs';
import type { Engine } from '../engine-types';
import { FaceliveError } from '../errors';
import type { AttributeItem, Dataset, LivenessItem } from './dataset';
import type { AttributeSample, ScoredSample } from './metrics';

/** A sample with where it came from and, for a non-response, why. */
export type Scored<T> = T & { readonly path: string; readonly error?: string };

export interface ScoredSet {
  readonly liveness: Scored<ScoredSample>[];
  readonly attributes: Scored<AttributeSample>[];
  /** The liveness threshold the engine reported (the pack's), or NaN when no image was scored. */
  readonly livenessThreshold: number;
  /** The attribute thresholds the engine reported, by attribute name. */
  readonly attributeThresholds: Record<string, number>;
}

export interface ScoreOptions {
  /** Called after each image with the number done so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

const LIVENESS_ONLY = { is_liveness: true, is_quality: false, is_attribute: false } as const;
const ATTRIBUTES_ONLY = { is_liveness: false, is_quality: false, is_attribute: true } as const;

function errorCode(err: unknown): string {
  if (err instanceof FaceliveError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/** Scores every image of the set. Images are read and checked one by one, so results are reproducible. */
export async function scoreDataset(engine: Engine, dataset: Dataset, options: ScoreOptions = {}): Promise<ScoredSet> {
  const total = dataset.liveness.length + dataset.attributes.length;
  let done = 0;
  const tick = (): void => options.onProgress?.(++done, total);
  let livenessThreshold = NaN;
  const attributeThresholds: Record<string, number> = {};

  const liveness: Scored<ScoredSample>[] = [];
  for (const item of dataset.liveness) {
    liveness.push(await scoreLiveness(engine, item, (t) => { livenessThreshold = t; }));
    tick();
  }
  const attributes: Scored<AttributeSample>[] = [];
  for (const item of dataset.attributes) {
    attributes.push(await scoreAttributes(engine, item, attributeThresholds));
    tick();
  }
  return { liveness, attributes, livenessThreshold, attributeThresholds };
}

async function scoreLiveness(engine: Engine, item: LivenessItem, seeThreshold: (t: number) => void): Promise<Scored<ScoredSample>> {
  const base = { path: item.path, label: item.label, species: item.species };
  try {
    const result = await engine.check(await fs.readFile(item.path), LIVENESS_ONLY);
    const section = result.data.liveness;
    if (!section) return { ...base, score: null, error: 'NO_LIVENESS_SECTION' };
    seeThreshold(section.threshold);
    return { ...base, score: section.probability };
  } catch (err) {
    return { ...base, score: null, error: errorCode(err) };
  }
}

async function scoreAttributes(engine: Engine, item: AttributeItem, thresholds: Record<string, number>): Promise<Scored<AttributeSample>> {
  const base = { path: item.path, truth: item.attributes };
  try {
    const result = await engine.check(await fs.readFile(item.path), ATTRIBUTES_ONLY);
    const section = result.data.attributes;
    if (!section) return { ...base, scores: null, error: 'NO_ATTRIBUTES_SECTION' };
    const scores: Record<string, number> = {};
    for (const [name, measure] of Object.entries(section)) {
      scores[name] = measure.probability;
      thresholds[name] = measure.threshold;
    }
    return { ...base, scores };
  } catch (err) {
    return { ...base, scores: null, error: errorCode(err) };
  }
}
