// Reads the label corrections of the attribute training data (models/train/attributes/label-corrections*.tsv):
// photos whose folder label was found wrong by eye get the labels written there, or are left out.

import { readFileSync } from 'node:fs';

/** Corrected labels of a file: attribute names (empty for an uncovered face), or 'exclude'. */
export type Correction = readonly string[] | 'exclude';

export interface LabelCorrections {
  /** The correction for `file` (a path relative to the data root), or undefined to keep its folder label. */
  of(file: string): Correction | undefined;
  /** The rules that have matched no file so far (to warn about stale entries). */
  unused(): string[];
}

interface Rule { pattern: string; prefix: boolean; correction: Correction; hits: number }

/**
 * Parses the TSVs, in order: path (a trailing * matches a prefix), labels (comma-separated, none or
 * exclude), note. The first rule naming a file wins, so an earlier file overrides a later one.
 */
export function readLabelCorrections(tsvPaths: readonly string[], known: readonly string[]): LabelCorrections {
  const rules: Rule[] = [];
  for (const tsvPath of tsvPaths) readRules(tsvPath, known, rules);
  return {
    of(file) {
      const rule = rules.find((r) => (r.prefix ? file.startsWith(r.pattern) : file === r.pattern));
      if (!rule) return undefined;
      rule.hits++;
      return rule.correction;
    },
    // A rule repeated by an earlier file never matches; it is overridden, not stale.
    unused: () => rules.filter((r, i) => r.hits === 0 && !rules.slice(0, i).some((e) => e.pattern === r.pattern && e.prefix === r.prefix))
      .map((r) => r.pattern + (r.prefix ? '*' : '')),
  };
}

function readRules(tsvPath: string, known: readonly string[], rules: Rule[]): void {
  readFileSync(tsvPath, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const [pattern, labels] = line.split('\t');
    if (!pattern || !labels) throw new Error(`${tsvPath}:${i + 1}: expected path<TAB>labels<TAB>note`);
    let correction: Correction;
    if (labels === 'exclude') correction = 'exclude';
    else if (labels === 'none') correction = [];
    else {
      correction = labels.split(',');
      const unknown = correction.filter((l) => !known.includes(l));
      if (unknown.length > 0) throw new Error(`${tsvPath}:${i + 1}: unknown label ${unknown.join(', ')}`);
    }
    const prefix = pattern.endsWith('*');
    rules.push({ pattern: prefix ? pattern.slice(0, -1) : pattern, prefix, correction, hits: 0 });
  });
}
