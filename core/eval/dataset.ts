// Labelled evaluation sets: a folder (live/, spoof_<species>/, and the flag groups' attr_<name>/,
// attr_none/, quality_<measure>/, quality_none/, named in any case) or a CSV `path,label,species`.
// Items come back sorted by path so every run sees the same order.

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { quote } from '../quote';
import { byGroup, FLAG_GROUPS, GROUPS, type FlagGroup } from './groups';

export interface LivenessItem {
  readonly kind: 'liveness';
  readonly path: string;
  readonly label: 'live' | 'attack';
  /** Attack species ('' for live samples). */
  readonly species: string;
}

/** An image labelled for a flag group: the attributes it carries, or the quality measures it fails. */
export interface FlagItem {
  readonly kind: 'flags';
  readonly group: FlagGroup;
  readonly path: string;
  /** The names the image carries; empty for <prefix>none. */
  readonly flags: readonly string[];
}

export type DatasetItem = LivenessItem | FlagItem;

export interface Dataset {
  readonly liveness: readonly LivenessItem[];
  /** Per flag group, its images. */
  readonly flags: Readonly<Record<FlagGroup, readonly FlagItem[]>>;
  /** Attack species named by the set (folders or CSV rows), sorted, even when a species has no image. */
  readonly species: readonly string[];
  /** Per flag group, the names the set uses, sorted (without 'none'). */
  readonly flagNames: Readonly<Record<FlagGroup, readonly string[]>>;
  /** Liveness labels dropped because their file (by its real path) was already labelled the same. */
  readonly duplicates: number;
  /** The folder the set's paths are relative to: the set's own folder, or the CSV list's. */
  readonly root: string;
  /** Top-level folders of a folder set whose names are no label (hidden ones aside), sorted; empty for a CSV list. */
  readonly ignored: readonly string[];
}

/** A label the set cannot use (an unknown quality measure, a CSV label of no known form): the user's to fix. */
export class DatasetLabelError extends TypeError {}

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp'];

const SPOOF_PREFIX = 'spoof_';
/** The species of an attack labelled without one (`attack` with an empty species column, a bare `spoof_`). */
const UNKNOWN_SPECIES = 'unknown';


/** The message for a name its group does not know, listing the names it knows. */
export function unknownFlagMessage(group: FlagGroup, name: string, where: string, known: readonly string[]): string {
  const { prefix, noun } = GROUPS[group];
  return `Unknown ${noun} ${quote(name)} in ${where}; expected ${known.map((k) => prefix + k).join(', ')} or ${prefix}none.`;
}

/**
 * Refuses attr_ labels the pack does not report (`reported`: its attribute names): a misspelt label
 * would count its images as false positives. `source` names the data set in the message.
 */
export function checkAttributeNames(dataset: Dataset, reported: readonly string[], source: string): void {
  const unknown = dataset.flagNames.attribute.find((name) => !reported.includes(name));
  if (unknown !== undefined) throw new DatasetLabelError(unknownFlagMessage('attribute', unknown, `${quote(source)} (label ${quote(`attr_${unknown}`)})`, reported));
}

/** The flag group and name of a `<prefix><name>` label, checked against the group's known names; null when no prefix fits. */
function flagLabel(label: string, where: string): { group: FlagGroup; name: string } | null {
  for (const group of FLAG_GROUPS) {
    const { prefix, known } = GROUPS[group];
    if (!label.startsWith(prefix) || label.length === prefix.length) continue;
    const name = label.slice(prefix.length);
    if (name !== 'none' && known && !known.includes(name)) throw new DatasetLabelError(unknownFlagMessage(group, name, where, known));
    return { group, name };
  }
  return null;
}

/** Byte-order comparison (locale-independent, so the order is the same on every machine). */
function byPath(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isImage(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** What an entry is, links followed: 'broken' for a link that leads to nothing readable. */
type EntryType = 'dir' | 'file' | 'other' | 'broken';

/** Entries of dir as [name, type], following symbolic links. */
async function entriesOf(dir: string): Promise<[string, EntryType][]> {
  const out: [string, EntryType][] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const stat = entry.isSymbolicLink() ? await fs.stat(path.join(dir, entry.name)).catch(() => null) : entry;
    out.push([entry.name, stat === null ? 'broken' : stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other']);
  }
  return out;
}

/**
 * Image files under dir (recursively, following links to folders), sorted; links that lead nowhere
 * are added to `broken`. A folder reached again (a link to a folder above it, or two links to one
 * folder) is read once: an image is never counted twice.
 */
async function listImages(dir: string, broken: string[], seen: Set<string> = new Set()): Promise<string[]> {
  const real = await fs.realpath(dir);
  if (seen.has(real)) return [];
  seen.add(real);
  const out: string[] = [];
  for (const [name, type] of await entriesOf(dir)) {
    const full = path.join(dir, name);
    if (type === 'dir') out.push(...(await listImages(full, broken, seen)));
    else if (type === 'file' && isImage(name)) out.push(full);
    else if (type === 'broken') broken.push(full);
  }
  return out.sort(byPath);
}

/** Whether a folder name is a label: live, spoof_<species> or a flag group's (names in lower case). */
function isLabel(label: string): boolean {
  return label === 'live' || label.startsWith(SPOOF_PREFIX) || FLAG_GROUPS.some((g) => label.startsWith(GROUPS[g].prefix) && label.length > GROUPS[g].prefix.length);
}

/**
 * Reads a labelled folder. Folder names are labels in any case, as a CSV's are (`Live/` is live/,
 * `spoof_Print/` species print). Other folders are ignored and listed in `ignored`. A link under a
 * label's folder that leads nowhere is a mistake in the set, as a missing file in a CSV list is.
 */
export async function readFolder(dir: string): Promise<Dataset> {
  const entries = await entriesOf(dir);
  const items: DatasetItem[] = [];
  const species = new Set<string>();
  const names = byGroup(() => new Set<string>());
  const ignored: string[] = [];
  const broken: string[] = [];
  for (const [name, type] of entries) {
    const label = name.toLowerCase();
    if (type === 'broken' && isLabel(label)) broken.push(path.join(dir, name));
    if (type !== 'dir') continue;
    const files = () => listImages(path.join(dir, name), broken);
    const flag = flagLabel(label, `the folder ${path.join(dir, name)}`);
    if (label === 'live') {
      for (const file of await files()) items.push({ kind: 'liveness', path: file, label: 'live', species: '' });
    } else if (label.startsWith(SPOOF_PREFIX)) {
      // A bare spoof_/ holds attacks of no named species, as a CSV's bare spoof_ label does.
      const kind = label.slice(SPOOF_PREFIX.length) || UNKNOWN_SPECIES;
      species.add(kind);
      for (const file of await files()) items.push({ kind: 'liveness', path: file, label: 'attack', species: kind });
    } else if (flag) {
      if (flag.name !== 'none') names[flag.group].add(flag.name);
      const flags = flag.name === 'none' ? [] : [flag.name];
      for (const file of await files()) items.push({ kind: 'flags', group: flag.group, path: file, flags });
    } else if (!name.startsWith('.')) {
      ignored.push(name);
    }
  }
  if (broken.length > 0) {
    const shown = broken.sort(byPath).slice(0, 5).map((link) => quote(path.relative(dir, link))).join(', ');
    throw new DatasetLabelError(`${broken.length} link(s) in ${quote(dir)} lead to no file or folder: ${shown}${broken.length > 5 ? ', ...' : ''}; restore what they point to or remove them.`);
  }
  return assemble(await dedupeLiveness(items, (file) => file), species, names, { root: dir, ignored: ignored.sort(byPath) });
}

/** Splits CSV text into rows of fields (RFC 4180 quoting; blank lines skipped). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endRow = (): void => {
    row.push(field);
    if (row.length > 1 || row[0].trim() !== '') rows.push(row);
    row = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n') endRow();
    else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows;
}

/**
 * Reads a CSV list `path,label,species` (a header row starting with `path` is skipped). Paths are
 * relative to the CSV's folder. label is `live`, `attack` (species from the third column, 'unknown'
 * when empty), `spoof_<species>`, `attr_<name>`, `attr_none`, `quality_<measure>` or `quality_none`;
 * a path listed in several rows of one flag group carries all their names.
 */
export async function readCsv(file: string): Promise<Dataset> {
  const base = path.dirname(path.resolve(file));
  const rows = parseCsv(await fs.readFile(file, 'utf8'));
  // Rows are named by their number in the file, the header (when there is one) being row 1.
  const header = rows.length > 0 && rows[0][0].trim().toLowerCase() === 'path' ? 1 : 0;
  if (header === 1) rows.shift();
  const items: DatasetItem[] = [];
  const flagsOf = byGroup(() => new Map<string, Set<string>>());
  const species = new Set<string>();
  const names = byGroup(() => new Set<string>());
  rows.forEach((cells, i) => {
    const [rel = '', rawLabel = '', rawSpecies = ''] = cells.map((c) => c.trim());
    const where = `${file}, row ${i + 1 + header}`;
    if (rel === '') throw new DatasetLabelError(`Expected a path in ${where}.`);
    const full = path.resolve(base, rel);
    const label = rawLabel.toLowerCase();
    const flag = flagLabel(label, where);
    if (label === 'live') {
      items.push({ kind: 'liveness', path: full, label: 'live', species: '' });
    } else if (label === 'attack' || label.startsWith(SPOOF_PREFIX)) {
      // Species are named in lower case, as labels are: "Print" and "print" are one species. A bare
      // spoof_ names none, as attack does: its species comes from the third column, else unknown.
      const kind = label.slice(SPOOF_PREFIX.length) || rawSpecies.toLowerCase() || UNKNOWN_SPECIES;
      species.add(kind);
      items.push({ kind: 'liveness', path: full, label: 'attack', species: kind });
    } else if (flag) {
      const set = flagsOf[flag.group].get(full) ?? new Set<string>();
      if (flag.name !== 'none') { set.add(flag.name); names[flag.group].add(flag.name); }
      flagsOf[flag.group].set(full, set);
    } else {
      const forms = FLAG_GROUPS.map((g) => `${GROUPS[g].prefix}<name>, ${GROUPS[g].prefix}none`).join(', ');
      throw new DatasetLabelError(`Expected live, attack, spoof_<species>, ${forms} for the label in ${where} but received ${quote(rawLabel)}.`);
    }
  });
  for (const group of FLAG_GROUPS) {
    for (const [full, set] of flagsOf[group]) items.push({ kind: 'flags', group, path: full, flags: [...set].sort(byPath) });
  }
  // A listed file that is not there is a mistake in the list, not an image the engine refused.
  const missing: string[] = [];
  for (const full of new Set(items.map((item) => item.path))) {
    const stat = await fs.stat(full).catch(() => null);
    if (!stat?.isFile()) missing.push(quote(path.relative(base, full) || full));
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ');
    throw new DatasetLabelError(`${missing.length} file(s) listed in ${file} are missing or not files: ${shown}${missing.length > 5 ? ', ...' : ''}.`);
  }
  return assemble(await dedupeLiveness(items, (full) => path.relative(base, full) || full), species, names, { root: base, ignored: [] });
}

/** A folder or a .csv file, whichever `source` is. */
export async function readDataset(source: string): Promise<Dataset> {
  const stat = await fs.stat(source).catch(() => null);
  if (stat === null) throw new DatasetLabelError(`The data set ${quote(source)} does not exist.`);
  if (stat.isDirectory()) return readFolder(source);
  if (source.toLowerCase().endsWith('.csv')) return readCsv(source);
  // The user's argument to fix, as a missing one is: a usage error (exit 2), not a failure.
  throw new DatasetLabelError(`Expected a folder or a .csv list for the data set but received ${quote(source)}.`);
}

const livenessLabel = (item: LivenessItem): string => (item.label === 'live' ? 'live' : `an attack of species ${quote(item.species)}`);

/**
 * Keeps one liveness item per file, by its real path: the same file reached as ./x and x, by an
 * absolute path or through two links is one face and counts once (each more is counted in
 * `duplicates`); labelled live and attack, or as two species, it is refused. `shown` names a path in
 * messages.
 */
async function dedupeLiveness(items: readonly DatasetItem[], shown: (file: string) => string): Promise<{ items: DatasetItem[]; duplicates: number }> {
  const first = new Map<string, LivenessItem>();
  const kept: DatasetItem[] = [];
  let duplicates = 0;
  // Sorted first, so the path kept is the same on every run.
  for (const item of [...items].sort((a, b) => byPath(a.path, b.path))) {
    if (item.kind !== 'liveness') {
      kept.push(item);
      continue;
    }
    const real = await fs.realpath(item.path);
    const seen = first.get(real);
    if (seen === undefined) {
      first.set(real, item);
      kept.push(item);
    } else if (seen.label !== item.label || seen.species !== item.species) {
      const also = seen.path === item.path ? '' : ` (also as ${quote(shown(item.path))})`;
      throw new DatasetLabelError(`The image ${quote(shown(seen.path))}${also} is labelled both ${livenessLabel(seen)} and ${livenessLabel(item)}; label each file once.`);
    } else {
      duplicates += 1;
    }
  }
  return { items: kept, duplicates };
}

function assemble({ items, duplicates }: { items: DatasetItem[]; duplicates: number }, species: Set<string>, names: Record<FlagGroup, Set<string>>, where: Pick<Dataset, 'root' | 'ignored'>): Dataset {
  const sorted = items.sort((a, b) => byPath(a.path, b.path));
  const flagItems = sorted.filter((i): i is FlagItem => i.kind === 'flags');
  return {
    liveness: sorted.filter((i): i is LivenessItem => i.kind === 'liveness'),
    flags: byGroup((g) => flagItems.filter((i) => i.group === g)),
    species: [...species].sort(byPath),
    flagNames: byGroup((g) => [...names[g]].sort(byPath)),
    duplicates,
    ...where,
  };
}
