// `npm run bench:transports -- folder`: how far the answers move when the same photo reaches the
// engine through another transport: re-encoded as a JPEG at several qualities, as a WebP or a PNG (a
// canvas), or scaled down to a longest side as a mobile SDK does. Each image of a labelled set (`live/`
// and `spoof_<species>/`) is checked as stored and after each transport, in memory (no image is
// written), with every section on; the report gives, per transport, the liveness decisions that flip
// against the stored image, |delta probability|, BPCER and APCER at the pack's threshold with their
// intervals, refusals, and the quality, attribute and nface changes, pooled and for the worst source.

import { readFileSync } from 'node:fs';
import sharp, { type Sharp } from 'sharp';
import { createEngine, FaceliveError } from '../core';
import { qualityFails } from '../core/checks/quality';
import { readDataset, type LivenessItem } from '../core/eval/dataset';
import { QUALITY_MEASURES } from '../core/eval/groups';
import type { Interval } from '../core/eval/interval';
import { ratesAt } from '../core/eval/rate-intervals';
import { sourceOf } from '../core/eval/scores-csv';
import type { CheckResult } from '../core/types';
import { harnessArgs, USAGE_ERROR } from './options';
import { percentile } from './stats';

const USAGE = `Usage: npm run bench:transports -- [--per-source=N] [--json] folder

Checks the labelled images of the folder (live/ and spoof_<species>/ folders; a file's source is its
name before "__") as stored and re-encoded or scaled down as a phone or a browser sends them (JPEG
q40 to q90, WebP q75, PNG, longest side 480 to 1280 at JPEG q85), in memory, and reports how far the
answers move: liveness decisions flipped, |delta probability|, BPCER and APCER at the pack's threshold,
faces not found, quality, attribute and nface changes, pooled and for the worst source.
  --per-source=N   at most N images per source and label, spread over the sorted names (default 15)
  --json           print the measurements as JSON
  -h, --help       show this help
`;

type Transport = readonly [name: string, make: (image: Buffer) => Promise<Buffer>];

/** The stored image decoded, turned upright (as a canvas or an SDK sends it) and its metadata dropped. */
const upright = (image: Buffer): Sharp => sharp(image).rotate();

/** Scaled down so that its longest side is at most `side` (never enlarged), as a JPEG at q85. */
const longestSide = (side: number) => (image: Buffer): Promise<Buffer> =>
  upright(image).resize(side, side, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 85 }).toBuffer();

const TRANSPORTS: readonly Transport[] = [
  ['JPEG q90', (b) => upright(b).jpeg({ quality: 90 }).toBuffer()],
  ['JPEG q75', (b) => upright(b).jpeg({ quality: 75 }).toBuffer()],
  ['JPEG q60', (b) => upright(b).jpeg({ quality: 60 }).toBuffer()],
  ['JPEG q40', (b) => upright(b).jpeg({ quality: 40 }).toBuffer()],
  ['WebP q75', (b) => upright(b).webp({ quality: 75 }).toBuffer()],
  ['PNG', (b) => upright(b).png().toBuffer()],
  ['1280 px q85', longestSide(1280)],
  ['800 px q85', longestSide(800)],
  ['640 px q85', longestSide(640)],
  ['480 px q85', longestSide(480)],
];

/** What one check answered, reduced to what a transport may move. */
type Answer =
  | { readonly refused: string }
  | {
    readonly probability: number;
    readonly isLive: boolean;
    readonly threshold: number;
    readonly nface: number;
    /** validate_quality's verdict: blur, dark and grayscale pass. */
    readonly qualityPass: boolean;
    readonly quality: Readonly<Record<string, boolean>>;
    readonly attributes: Readonly<Record<string, boolean>>;
  };

type Checked = Exclude<Answer, { refused: string }>;

function answerOf(result: CheckResult): Answer {
  const { liveness, quality, attributes } = result.data;
  if (!liveness || !quality || !attributes) throw new Error('a check with every section on answered without one of them');
  return {
    probability: liveness.probability,
    isLive: liveness.is_live,
    threshold: liveness.threshold,
    nface: result.data.nface,
    qualityPass: !qualityFails(quality),
    quality: Object.fromEntries(QUALITY_MEASURES.map((name) => [name, quality[name].pass])),
    attributes: Object.fromEntries(Object.entries(attributes).map(([name, m]) => [name, m.detected])),
  };
}

interface Image {
  readonly item: LivenessItem;
  readonly source: string;
  readonly stored: Answer;
  /** Per transport, its answer and whether the transport changed the image's size. */
  readonly sent: readonly { readonly answer: Answer; readonly shrunk: boolean }[];
}

/** At most `n` items of each source and label, spread evenly over the sorted names. */
function sample(items: readonly LivenessItem[], n: number): LivenessItem[] {
  const groups = new Map<string, LivenessItem[]>();
  for (const item of [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const key = `${sourceOf(item.path)}\0${item.label}\0${item.species}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return [...groups.values()].flatMap((group) =>
    group.length <= n ? group : Array.from({ length: n }, (_, i) => group[Math.floor((i * group.length) / n)]!));
}

const isChecked = (a: Answer): a is Checked => !('refused' in a);

interface Rates { readonly bpcer: number; readonly bpcer_ci: Interval; readonly apcer_max: number; readonly apcer_max_ci: Interval; readonly live: number; readonly attacks: number }

function rates(images: readonly Image[], answer: (image: Image) => Answer, threshold: number): Rates {
  const samples = images.map((image) => {
    const a = answer(image);
    return { score: isChecked(a) ? a.probability : null, label: image.item.label, species: image.item.species };
  });
  const { counts, at_threshold: at } = ratesAt(samples, threshold, []);
  return { bpcer: at.bpcer, bpcer_ci: at.bpcer_ci, apcer_max: at.apcer_max, apcer_max_ci: at.apcer_max_ci, live: counts.live.scored, attacks: counts.attack.scored };
}

interface Movement {
  readonly images: number;
  readonly shrunk: number;
  /** Images answered both as stored and after the transport. */
  readonly compared: number;
  readonly flips: number;
  /** Live faces accepted as stored and rejected after the transport, and the other way round. */
  readonly live_rejected: number;
  readonly live_accepted: number;
  /** Attacks rejected as stored and accepted after the transport, and the other way round. */
  readonly attacks_accepted: number;
  readonly attacks_rejected: number;
  readonly delta_median: number;
  readonly delta_p95: number;
  readonly delta_max: number;
  readonly rates: Rates;
  readonly refused: Readonly<Record<string, number>>;
  readonly quality_verdict_flips: number;
  /** Live faces answered, and how many of them fail validate_quality (blur, dark or grayscale). */
  readonly live_answered: number;
  readonly live_quality_failed: number;
  /** Per measure or attribute: [now failing or detected, no longer]. */
  readonly quality_flips: Readonly<Record<string, readonly [number, number]>>;
  readonly attribute_flips: Readonly<Record<string, readonly [number, number]>>;
  readonly nface_changes: number;
}

function flipCounts(pairs: readonly (readonly [Checked, Checked])[], read: (a: Checked) => Readonly<Record<string, boolean>>, failing: boolean): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const [before, after] of pairs) {
    for (const [name, value] of Object.entries(read(after))) {
      const was = read(before)[name];
      const entry = (out[name] ??= [0, 0]);
      if (was === undefined || was === value) continue;
      // For quality a flip to "now failing" is pass -> fail; for attributes, not detected -> detected.
      if (value !== failing) entry[0]++; else entry[1]++;
    }
  }
  return out;
}

function movement(images: readonly Image[], answer: (image: Image) => Answer, shrunk: (image: Image) => boolean, threshold: number): Movement {
  const pairs: (readonly [Checked, Checked, Image])[] = [];
  const refused: Record<string, number> = {};
  for (const image of images) {
    const a = answer(image);
    if (!isChecked(a)) refused[a.refused] = (refused[a.refused] ?? 0) + 1;
    else if (isChecked(image.stored)) pairs.push([image.stored, a, image]);
  }
  const live = images.filter((i) => i.item.label === 'live').map(answer).filter(isChecked);
  const deltas = pairs.map(([b, a]) => Math.abs(a.probability - b.probability)).sort((x, y) => x - y);
  const flipped = pairs.filter(([b, a]) => b.isLive !== a.isLive);
  const checkedPairs = pairs.map(([b, a]) => [b, a] as const);
  return {
    images: images.length,
    shrunk: images.filter(shrunk).length,
    compared: pairs.length,
    flips: flipped.length,
    live_rejected: flipped.filter(([b, , i]) => i.item.label === 'live' && b.isLive).length,
    live_accepted: flipped.filter(([b, , i]) => i.item.label === 'live' && !b.isLive).length,
    attacks_accepted: flipped.filter(([b, , i]) => i.item.label === 'attack' && !b.isLive).length,
    attacks_rejected: flipped.filter(([b, , i]) => i.item.label === 'attack' && b.isLive).length,
    delta_median: percentile(deltas, 50),
    delta_p95: percentile(deltas, 95),
    delta_max: percentile(deltas, 100),
    rates: rates(images, answer, threshold),
    refused,
    quality_verdict_flips: pairs.filter(([b, a]) => b.qualityPass !== a.qualityPass).length,
    live_answered: live.length,
    live_quality_failed: live.filter((a) => !a.qualityPass).length,
    quality_flips: flipCounts(checkedPairs, (a) => a.quality, true),
    attribute_flips: flipCounts(checkedPairs, (a) => a.attributes, false),
    nface_changes: pairs.filter(([b, a]) => b.nface !== a.nface).length,
  };
}

const pct = (r: number): string => (Number.isNaN(r) ? '–' : `${(100 * r).toFixed(1)} %`);
const ci = (i: Interval): string => (Number.isNaN(i.lower) ? '' : ` (${(100 * i.lower).toFixed(1)}-${(100 * i.upper).toFixed(1)})`);
const flips = (f: Readonly<Record<string, readonly [number, number]>>): string =>
  Object.entries(f).filter(([, [a, b]]) => a + b > 0).map(([name, [a, b]]) => `${name} +${a}/-${b}`).join(', ') || 'none';
const refusals = (r: Readonly<Record<string, number>>): string => Object.entries(r).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';

async function main(folder: string, perSource: number, json: boolean): Promise<void> {
  const items = sample((await readDataset(folder)).liveness, perSource);
  if (items.length === 0) throw new Error('the folder holds no labelled liveness image (live/, spoof_<species>/)');
  const engine = await createEngine();
  const images: Image[] = [];
  try {
    for (const [n, item] of items.entries()) {
      const bytes = readFileSync(item.path);
      const check = async (image: Buffer): Promise<Answer> => {
        try {
          return answerOf(await engine.check(image, { is_quality: true, is_attribute: true, is_liveness: true }));
        } catch (err) {
          if (err instanceof FaceliveError && err.status >= 400 && err.status < 500) return { refused: err.code };
          throw err;
        }
      };
      const size = async (image: Buffer): Promise<number> => {
        const { width = 0, height = 0 } = await sharp(image).metadata();
        return Math.max(width, height);
      };
      const longest = await size(bytes);
      const sent = [];
      for (const [, make] of TRANSPORTS) {
        const image = await make(bytes);
        sent.push({ answer: await check(image), shrunk: (await size(image)) < longest });
      }
      images.push({ item, source: sourceOf(item.path), stored: await check(bytes), sent });
      if (!json && process.stderr.isTTY) process.stderr.write(`\r${n + 1}/${items.length}`);
    }
  } finally {
    await engine.dispose();
  }
  const checked = images.map((i) => i.stored).find(isChecked);
  if (!checked) throw new Error('no image of the folder was answered');
  const threshold = checked.threshold;
  const sources = [...new Set(images.map((i) => i.source))].sort();

  const report = TRANSPORTS.map(([name], t) => {
    const answer = (i: Image): Answer => i.sent[t]!.answer;
    const shrunk = (i: Image): boolean => i.sent[t]!.shrunk;
    const pooled = movement(images, answer, shrunk, threshold);
    const bySource = sources.map((source) => {
      const of = images.filter((i) => i.source === source);
      return { source, stored: rates(of, (i) => i.stored, threshold), sent: movement(of, answer, shrunk, threshold) };
    });
    return { transport: name, pooled, by_source: bySource };
  });
  const stored = rates(images, (i) => i.stored, threshold);
  const asStored = movement(images, (i) => i.stored, () => false, threshold);

  if (json) {
    process.stdout.write(`${JSON.stringify({ threshold, images: images.length, sources: sources.length, stored: { rates: stored, refused: asStored.refused, live_quality_failed: asStored.live_quality_failed }, transports: report }, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(`${images.length} images (${stored.live} live faces and ${stored.attacks} attacks answered as stored) from ${sources.length} sources; threshold ${threshold}.`);
  out.push(`As stored: BPCER ${pct(stored.bpcer)}${ci(stored.bpcer_ci)}, max APCER ${pct(stored.apcer_max)}${ci(stored.apcer_max_ci)}; live faces failing validate_quality ${asStored.live_quality_failed} of ${asStored.live_answered}; refused: ${refusals(asStored.refused)}.`, '');
  out.push('| transport | shrunk | decisions flipped | live faces newly rejected / accepted | attacks newly accepted / rejected | abs delta p median / p95 / max | BPCER (95 % interval) | max APCER (95 % interval) | refused | validate_quality flipped | live faces failing validate_quality | nface changed |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const { transport, pooled: m } of report) {
    out.push(`| ${transport} | ${m.shrunk} | ${m.flips} of ${m.compared} (${pct(m.flips / m.compared)}) | ${m.live_rejected} / ${m.live_accepted} | ${m.attacks_accepted} / ${m.attacks_rejected} | ${m.delta_median.toFixed(3)} / ${m.delta_p95.toFixed(3)} / ${m.delta_max.toFixed(3)} | ${pct(m.rates.bpcer)}${ci(m.rates.bpcer_ci)} | ${pct(m.rates.apcer_max)}${ci(m.rates.apcer_max_ci)} | ${refusals(m.refused)} | ${m.quality_verdict_flips} | ${m.live_quality_failed} of ${m.live_answered} | ${m.nface_changes} |`);
  }
  out.push('', 'Quality and attribute flags that moved (+ now failing or detected / - no longer):');
  for (const { transport, pooled: m } of report) out.push(`  ${transport}: quality ${flips(m.quality_flips)}; attributes ${flips(m.attribute_flips)}`);
  out.push('', 'Worst source per transport (most decisions flipped; largest BPCER rise):');
  for (const { transport, by_source: rows } of report) {
    // Most flipped first; on a tie, the source whose probabilities moved most.
    const flipRate = (m: Movement): number => m.flips / Math.max(1, m.compared);
    const moved = (m: Movement): number => (Number.isNaN(m.delta_p95) ? -1 : m.delta_p95);
    const byFlips = [...rows].sort((a, b) => flipRate(b.sent) - flipRate(a.sent) || moved(b.sent) - moved(a.sent))[0]!;
    const byBpcer = [...rows].filter((r) => r.stored.live > 0).sort((a, b) => (b.sent.rates.bpcer - b.stored.bpcer) - (a.sent.rates.bpcer - a.stored.bpcer))[0];
    const rise = byBpcer && byBpcer.sent.rates.bpcer > byBpcer.stored.bpcer ? `${byBpcer.source} ${pct(byBpcer.stored.bpcer)} -> ${pct(byBpcer.sent.rates.bpcer)} of ${byBpcer.sent.rates.live}` : 'rose for no source';
    out.push(`  ${transport}: ${byFlips.source} ${byFlips.sent.flips} of ${byFlips.sent.compared} flipped (p95 ${byFlips.sent.delta_p95.toFixed(3)}); BPCER ${rise}`);
  }
  out.push('', 'Per source: decisions flipped of the images answered both ways; BPCER as stored -> after the transport, where it moved:');
  out.push(`| source | images | ${report.map((r) => r.transport).join(' | ')} |`, `|---|---|${report.map(() => '---|').join('')}`);
  for (const [s, source] of sources.entries()) {
    const cells = report.map(({ by_source: rows }) => {
      const { stored: before, sent: m } = rows[s]!;
      const bpcer = m.rates.bpcer === before.bpcer || Number.isNaN(before.bpcer) ? '' : `, BPCER ${pct(before.bpcer)} -> ${pct(m.rates.bpcer)}`;
      return `${m.flips}/${m.compared}${bpcer}`;
    });
    out.push(`| ${source || '(no prefix)'} | ${images.filter((i) => i.source === source).length} | ${cells.join(' | ')} |`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

const args = harnessArgs('bench:transports', {
  usage: USAGE,
  numbers: { 'per-source': { fallback: 15, min: 1, integer: true } },
  flags: ['json'],
  positionals: true,
});
if (args.positionals.length !== 1) {
  process.stderr.write(`bench:transports: name one folder of labelled images\n\n${USAGE}`);
  process.exit(USAGE_ERROR);
}
main(args.positionals[0]!, args.numbers['per-source']!, args.flags.has('json')).catch((err: unknown) => {
  process.stderr.write(`bench:transports: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
