// `facelive eval <dir|list.csv>`: scores a labelled set with the engine and prints ISO/IEC 30107-3
// figures (APCER per species, BPCER, ACER, EER, BPCER@APCER, with 95 % intervals; per source when
// file names carry one) and precision/recall/F1 per attribute and per quality measure.
// runEval(argv) takes the arguments after `eval`; `node dist/bin/eval.js <args>` runs it alone.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../core';
import { reportedAttributes } from '../core/checks/attributes';
import { readPack } from '../core/models/manifest';
import { packId } from '../core/models/pack-id';
import { isPackFolder, packFolderProblem, writeCalibratedPack } from '../core/eval/calibrate';
import { checkAttributeNames, DatasetLabelError, readDataset } from '../core/eval/dataset';
import { quote } from '../core/quote';
import { FLAG_GROUPS, QUALITY_MEASURES } from '../core/eval/groups';
import { plotFileProblem, writePlot } from '../core/eval/plot';
import { scoresFileProblem, writeScores } from '../core/eval/scores-csv';
import { liveNeededForNewFaces, type CalibrationRule } from '../core/eval/metrics';
import { buildReport, formatReport, type EvalReport } from '../core/eval/report';
import { scoreDataset, type ScoredSet } from '../core/eval/score';
import { parseArgsMessage } from './args';

export const EVAL_USAGE = `Usage: facelive eval <dir|list.csv> [options]

  <dir>        folders live/, spoof_<species>/ (attacks), attr_<name>/ and attr_none/ (attributes),
               quality_<measure>/ (fails that measure) and quality_none/ (fails none), in any case;
               other folders are ignored (said on stderr); a link that leads nowhere is an error
  <list.csv>   rows path,label,species; label is live, attack, spoof_<species>, attr_<name>, attr_none,
               quality_<measure> or quality_none; a path in several attr_ (or quality_) rows carries them all;
               attack (or a bare spoof_) takes the species column, else unknown
               A file counts once for liveness (by its real path); labelled live and attack it is an error.
  <measure>    ${QUALITY_MEASURES.join(', ')} (flagged when data.quality.<measure>.pass is false)

Options:
  --json                 print only the JSON report (rates as fractions; n/a is null)
  --pack DIR             model pack to evaluate (defaults to the built-in pack)
  --threshold T          report at liveness threshold T instead of the pack's
  --plot FILE            write a DET curve and score histograms to FILE (.png or .svg)
  --scores FILE          write a CSV row per liveness image to FILE: path,label,species,source,
                         live_probability,non_response (source: the file name before "__")
  --calibrate            choose the largest threshold whose BPCER <= --target-bpcer ...
  --target-bpcer R       ... (default 0.05) ...
  --out DIR              ... and write a copy of the pack with that threshold to DIR (without it, the
                         threshold is printed: a credential's livenessThreshold, or check --liveness-threshold)
  --for-new-faces        with --calibrate: BPCER <= R expected on new live faces of the same cameras
                         rather than on the calibration faces (needs at least 1/R - 1 live images)
  -h, --help             show this help

APCER and BPCER come with 95 % Clopper-Pearson intervals. With files named <source>__<name> from two sources
or more, a table per source follows (AUC, BPCER, max APCER with intervals) and names the worst source.
Images the engine rejects (no face found, undecodable) are non-responses: counted apart, left out of every rate.
An engine that fails (an internal error, a model thread that exits) stops the run: no report, exit status 1.
Exit status: 0 report, 2 usage or data set error (before scoring; an unreadable image when reached), 1 failure.
`;

export interface EvalIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
}

interface EvalArgs {
  source: string;
  json: boolean;
  pack?: string;
  threshold?: number;
  plot?: string;
  scores?: string;
  targetBpcer?: number;
  calibrationRule: CalibrationRule;
  out?: string;
}

class UsageError extends Error {}

function rate(name: string, text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !(value >= 0 && value <= 1)) throw new UsageError(`Expected a number in [0,1] for ${name} but received ${quote(text)}.`);
  return value;
}

function parse(argv: readonly string[]): EvalArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        pack: { type: 'string' },
        threshold: { type: 'string' },
        plot: { type: 'string' },
        scores: { type: 'string' },
        calibrate: { type: 'boolean', default: false },
        'target-bpcer': { type: 'string' },
        'for-new-faces': { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError(parseArgsMessage(err));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(`Expected one data set (a folder or a .csv list) but received ${positionals.length}.`);
  if (!values.calibrate && (values.out !== undefined || values['target-bpcer'] !== undefined || values['for-new-faces'])) {
    throw new UsageError('--out, --target-bpcer and --for-new-faces only go with --calibrate.');
  }
  const targetBpcer = values.calibrate ? rate('--target-bpcer', values['target-bpcer'], 0.05) : undefined;
  if (targetBpcer === 1) throw new UsageError('Expected --target-bpcer below 1.');
  if (values['for-new-faces'] && targetBpcer === 0) throw new UsageError('Expected --target-bpcer above 0 with --for-new-faces.');
  return {
    source: positionals[0],
    json: values.json as boolean,
    pack: values.pack,
    threshold: rate('--threshold', values.threshold),
    plot: values.plot,
    scores: values.scores,
    targetBpcer,
    calibrationRule: values['for-new-faces'] ? 'new_faces' : 'calibration_faces',
    out: values.out,
  };
}

/** A cli-progress bar on stderr when it is a terminal (and cli-progress is installed); otherwise nothing. */
function progressBar(io: EvalIo, total: number): { update(done: number): void; stop(): void } {
  const none = { update: () => undefined, stop: () => undefined };
  if (!io.stderr.isTTY || total === 0) return none;
  try {
    const cliProgress = require('cli-progress') as typeof import('cli-progress');
    const bar = new cliProgress.SingleBar({ stream: process.stderr, format: 'eval [{bar}] {value}/{total} images | {eta_formatted} left', hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  } catch {
    return none;
  }
}

/** Runs `facelive eval` with the arguments after `eval`. Resolves with the exit code (0 ok, 1 failure, 2 usage). */
export async function runEval(argv: readonly string[], io: EvalIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let args: EvalArgs | 'help';
  try {
    args = parse(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`facelive eval: ${err.message}\n\n${EVAL_USAGE}`);
    return 2;
  }
  if (args === 'help') {
    io.stdout.write(EVAL_USAGE);
    return 0;
  }
  try {
    return await evaluate(args, io);
  } catch (err) {
    if (err instanceof DatasetLabelError || err instanceof UsageError) {
      io.stderr.write(`facelive eval: ${err.message}\n\n${EVAL_USAGE}`);
      return 2;
    }
    io.stderr.write(`facelive eval: ${(err as Error).message}\n`);
    return 1;
  }
}

async function evaluate(args: EvalArgs, io: EvalIo): Promise<number> {
  // Where the plot, the scores and the pack go is checked before any image is scored, not after.
  const outputProblem = (args.plot === undefined ? undefined : await plotFileProblem(args.plot))
    ?? (args.scores === undefined ? undefined : await scoresFileProblem(args.scores, args.source))
    ?? (args.out === undefined ? undefined : await packFolderProblem(args.out));
  if (outputProblem !== undefined) throw new UsageError(outputProblem);
  const dataset = await readDataset(args.source);
  if (dataset.ignored.length > 0) {
    // Said once, before scoring: a misnamed folder (live2/, spoofs/) would otherwise leave its images out unseen.
    const shown = dataset.ignored.slice(0, 5).map((name) => quote(name)).join(', ');
    io.stderr.write(`facelive eval: ${dataset.ignored.length} folder(s) in ${quote(args.source)} are not labels and are ignored: ${shown}${dataset.ignored.length > 5 ? ', ...' : ''} (labels: live, spoof_<species>, attr_<name>, attr_none, quality_<measure>, quality_none, in any case).\n`);
  }
  const total = dataset.liveness.length + FLAG_GROUPS.reduce((n, g) => n + dataset.flags[g].length, 0);
  // A set with nothing to score is the user's to fix, as a missing one is: exit 2.
  if (total === 0) throw new DatasetLabelError(`No labelled image found in ${quote(args.source)} (expected live/, spoof_*/, attr_*/, quality_*/ folders or a CSV list).`);
  if (dataset.duplicates > 0) {
    io.stderr.write(`facelive eval: ${dataset.duplicates} liveness label(s) name a file already labelled the same (by its real path): each file is counted once.\n`);
  }
  const notes: string[] = [];
  let lateError: Error | undefined;
  const engine = await createEngine(args.pack === undefined ? {} : { pack: args.pack });
  let report: EvalReport;
  let scored: ScoredSet;
  try {
    // Checked before scoring: a misspelt attr_ label would count its images as false positives, and
    // --out on the pack itself (a link to it included) would rewrite the pack being evaluated.
    checkAttributeNames(dataset, reportedAttributes(readPack(engine.pack.dir).manifest), args.source);
    if (args.out !== undefined && await isPackFolder(args.out, engine.pack.dir)) {
      throw new UsageError(`Expected --out to be another folder than the pack ${quote(engine.pack.dir)} itself: the calibrated copy would overwrite it.`);
    }
    const bar = progressBar(io, total);
    try {
      scored = await scoreDataset(engine, dataset, { onProgress: (done) => bar.update(done) });
    } finally {
      bar.stop();
    }
    report = { pack: { name: engine.pack.name, version: engine.pack.version }, ...buildReport(scored, {
      species: dataset.species, threshold: args.threshold, targetBpcer: args.targetBpcer, calibrationRule: args.calibrationRule,
    }) };
    // The report is printed even when writing the scores, the plot or the pack fails afterwards.
    try {
      if (args.scores !== undefined) {
        await writeScores(args.scores, scored.liveness, dataset.root);
        notes.push(`Scores written to ${args.scores} (${scored.liveness.length} liveness images).`);
      }
      if (args.plot !== undefined) {
        const threshold = report.liveness?.threshold ?? NaN;
        await writePlot(args.plot, {
          ...(Number.isNaN(threshold) ? {} : { liveness: { samples: scored.liveness, threshold } }),
          ...(report.attributes ? { attributes: scored.flags.attribute } : {}),
          ...(report.quality ? { quality: { samples: scored.flags.quality.samples, names: Object.keys(report.quality.metrics) } } : {}),
        }, `facelive eval: ${path.basename(path.resolve(args.source))}, pack ${engine.pack.name} ${engine.pack.version}`);
        notes.push(`Plot written to ${args.plot}.`);
      }
      const point = report.liveness?.calibration?.point;
      // --calibrate that finds no threshold is a failure with or without --out: a script that trusts
      // the exit status would otherwise go on without one.
      if (args.targetBpcer !== undefined && (!point || !report.liveness)) {
        throw new Error(args.calibrationRule === 'new_faces' && report.liveness
          ? `Cannot calibrate for new faces at BPCER ${args.targetBpcer}: it needs at least ${liveNeededForNewFaces(args.targetBpcer)} scored live images, the set has ${report.liveness.counts.live.scored}.`
          : 'Cannot calibrate: the set has no scored live image.');
      }
      if (args.out === undefined && point) {
        notes.push(`Calibrated threshold ${point.threshold}: give it to the checks of these cameras (a middleware credential's livenessThreshold, msg.livenessThreshold in Node-RED, facelive check --liveness-threshold), or add --out DIR for a copy of the pack. It holds for the model pack ${engine.pack.name} ${engine.pack.version} only: calibrate again when the pack changes (a facelive upgrade may bring new models). For a credential: "livenessThreshold": ${point.threshold}, "livenessThresholdPack": "${packId(engine.pack)}" (the service then refuses to run it on another pack).`);
      }
      if (args.out !== undefined) {
        if (!point || !report.liveness) throw new Error('Cannot calibrate: no threshold was found.'); // refused above
        const counts = report.liveness.counts;
        const files = await writeCalibratedPack(engine.pack.dir, args.out, point, {
          target_bpcer: args.targetBpcer as number,
          rule: args.calibrationRule,
          expected_bpcer: report.liveness.calibration?.expected_bpcer ?? null,
          expected_bpcer_ci: report.liveness.calibration?.expected_bpcer_ci ?? null,
          live: counts.live.scored,
          attacks: counts.attack.scored,
          data: path.basename(path.resolve(args.source)),
        });
        notes.push(`Calibrated pack written to ${args.out} (${files.join(', ')}): liveness.threshold ${report.liveness.threshold} -> ${point.threshold} for BPCER <= ${args.targetBpcer}.`);
      }
    } catch (err) {
      lateError = err as Error;
    }
  } finally {
    await engine.dispose();
  }
  if (args.json) {
    // A threshold of Infinity (reject everything) would print as null, which here means "no value".
    io.stdout.write(JSON.stringify(report, (_key, value: unknown) => (value === Infinity ? 'reject-all' : value), 2) + '\n');
    for (const note of notes) io.stderr.write(note + '\n');
  } else {
    io.stdout.write(formatReport(report) + notes.map((n) => n + '\n').join(''));
  }
  if (lateError !== undefined) {
    io.stderr.write(`facelive eval: ${lateError.message}\n`);
    return 1;
  }
  return 0;
}

if (require.main === module) {
  runEval(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
