// `facelive eval --scores FILE`: one CSV row per liveness image (its path relative to the set, label,
// species, source, live probability, non-response code), so that the figures can be checked and
// tables made per source. No image data: paths and numbers only.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { quote } from '../quote';
import type { ScoredSample } from './metrics';
import type { Scored } from './score';

export const SCORES_HEADER = ['path', 'label', 'species', 'source', 'live_probability', 'non_response'] as const;

/** A file's source: its name before "__" (the data sets' convention, `<source>__<id>.jpg`), else ''. */
export function sourceOf(file: string): string {
  const name = path.basename(file);
  const end = name.indexOf('__');
  return end < 0 ? '' : name.slice(0, end);
}

/** A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The CSV text: a header, then a row per sample in the set's order; paths relative to `root`, with forward slashes. */
export function scoresCsv(samples: readonly Scored<ScoredSample>[], root: string): string {
  const rows = samples.map((s) => [
    path.relative(path.resolve(root), path.resolve(s.path)).split(path.sep).join('/'),
    s.label,
    s.label === 'live' ? '' : s.species ?? '',
    sourceOf(s.path),
    s.score === null ? '' : String(s.score),
    s.error ?? '',
  ]);
  return [[...SCORES_HEADER], ...rows].map((row) => row.map(field).join(',') + '\n').join('');
}

/** Writes the scores CSV to `file`. */
export async function writeScores(file: string, samples: readonly Scored<ScoredSample>[], root: string): Promise<void> {
  await fs.writeFile(file, scoresCsv(samples, root));
}

/** Why `file` cannot take the scores (checked before any image is scored), or undefined. `source` is the data set's folder or list. */
export async function scoresFileProblem(file: string, source: string): Promise<string | undefined> {
  const folder = await fs.stat(path.dirname(path.resolve(file))).catch(() => null);
  if (!folder?.isDirectory()) return `The folder of --scores ${quote(file)} does not exist.`;
  const existing = await fs.stat(file).catch(() => null);
  if (existing === null) return undefined;
  if (!existing.isFile()) return `--scores ${quote(file)} exists and is not a file.`;
  const [written, read] = await Promise.all([fs.realpath(file), fs.realpath(source).catch(() => path.resolve(source))]);
  if (written === read) return `Expected --scores to be another file than the data set ${quote(source)}: it would be overwritten.`;
  return undefined;
}
