// `facelive eval` end to end on a small generated set: face selfies from the test helpers, blurred,
// darkened and grayscale ones for the quality folders, and a landscape without a face (a
// non-response). Checks the JSON report's structure and counts, the quality figures, the plot file,
// the calibrated pack, the per-image scores file, the intervals and the per-source table, CSV
// labels, the usage errors, and a run stopped by an engine that fails.

import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import workerThreads from 'node:worker_threads';
import { runEval } from '../../bin/eval';
import { DEFAULT_PACK_DIR } from '../../core';
import { WARM_UP_RUNS } from '../../core/warm-up';
import { writeCalibratedPack } from '../../core/eval/calibrate';
import { parseCsv } from '../../core/eval/dataset';
import { binomialInterval } from '../../core/eval/interval';
import type { EvalReport, FlagReport } from '../../core/eval/report';
import { blurredSelfie, darkenedSelfie, grayscaleSelfie, landscapeJpeg, selfieJpeg } from '../helpers/faces';
import { longestEcho } from '../helpers/leaks';

interface Captured { code: number; stdout: string; stderr: string }

async function evalCli(argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const code = await runEval(argv, {
    stdout: { write: (t: string) => { stdout += t; } },
    stderr: { write: (t: string) => { stderr += t; }, isTTY: false },
  });
  return { code, stdout, stderr };
}

/** Runs eval with the first model thread that answers a run ended right after that answer, as a crashed thread would be. */
async function evalWithThreadEnded(argv: string[]): Promise<Captured> {
  const Original = workerThreads.Worker;
  let ended = false;
  // Ended after its first answer to a check: the answers of the engine's warm-up come first.
  class EndedAfterFirstAnswer extends Original {
    constructor(...args: ConstructorParameters<typeof Original>) {
      super(...args);
      let answers = 0;
      this.on('message', (reply: { type?: string }) => {
        if (reply.type !== 'result' || ended || ++answers <= WARM_UP_RUNS) return;
        ended = true;
        void this.terminate();
      });
    }
  }
  (workerThreads as { Worker: typeof Original }).Worker = EndedAfterFirstAnswer;
  // eval's engine starts its threads only where the process may use more than one CPU: on a one-CPU
  // runner it is told there are two, so that there is a thread to end.
  const available = os.availableParallelism;
  os.availableParallelism = () => Math.max(2, available());
  try {
    return await evalCli(argv);
  } finally {
    (workerThreads as { Worker: typeof Original }).Worker = Original;
    os.availableParallelism = available;
  }
}

describe('facelive eval (bin/eval)', function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'facelive-eval-'));
    const files: Record<string, Promise<Buffer>> = {
      'live/frontal.jpg': selfieJpeg('frontal'),
      'live/right.jpg': selfieJpeg('right'),
      'live/downward.jpg': selfieJpeg('downward'),
      'spoof_print/gray.jpg': grayscaleSelfie(),
      'spoof_print/blurred.jpg': blurredSelfie(),
      'spoof_replay/landscape.jpg': landscapeJpeg(),
      'attr_none/frontal.jpg': selfieJpeg('frontal'),
      'attr_none/landscape.jpg': landscapeJpeg(),
      'attr_sunglasses/right.jpg': selfieJpeg('right'),
      'quality_blur/blurred.jpg': blurredSelfie(),
      'quality_dark/dark.jpg': darkenedSelfie(),
      'quality_grayscale/gray.jpg': grayscaleSelfie(),
      'quality_none/frontal.jpg': selfieJpeg('frontal'),
      // A close-up: the face box spans 1.38 of the image's width and height, under framing's 1.5.
      'quality_framing/right.jpg': selfieJpeg('right'),
      'quality_none/landscape.jpg': landscapeJpeg(),
    };
    for (const [name, image] of Object.entries(files)) {
      await fs.mkdir(path.join(dir, path.dirname(name)), { recursive: true });
      await fs.writeFile(path.join(dir, name), await image);
    }
    await fs.mkdir(path.join(dir, 'spoof_mask'));
  });

  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('prints a JSON report with counts, non-responses and every figure, and writes the plot', async () => {
    const plot = path.join(dir, 'plot.svg');
    const { code, stdout, stderr } = await evalCli([path.join(dir), '--json', '--plot', plot]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as EvalReport;
    const l = report.liveness;
    assert.ok(l && report.pack);
    assert.deepEqual(l.counts, {
      live: { scored: 3, non_responses: 0 },
      attack: { scored: 2, non_responses: 1 },
      by_species: {
        mask: { scored: 0, non_responses: 0 },
        print: { scored: 2, non_responses: 0 },
        replay: { scored: 0, non_responses: 1 },
      },
    });
    assert.deepEqual(l.non_responses, { total: 1, by_code: { FACE_NOT_DETECTED: 1 } });
    assert.equal(typeof l.threshold, 'number');
    assert.deepEqual(Object.keys(l.at_threshold.apcer_by_species), ['mask', 'print', 'replay']);
    assert.equal(l.at_threshold.apcer_by_species.mask, null, 'an empty species is null in JSON');
    assert.equal(l.at_threshold.apcer_by_species.replay, null);
    for (const v of [l.at_threshold.apcer_max, l.at_threshold.bpcer, l.at_threshold.acer, l.eer.eer]) {
      assert.ok(typeof v === 'number' && v >= 0 && v <= 1);
    }
    assert.deepEqual(Object.keys(l.bpcer_at_apcer), ['0.01', '0.05']);
    assert.equal(l.calibration, undefined);
    assert.deepEqual(l.intervals, { method: 'clopper-pearson', confidence: 0.95 });
    const [rejected, liveScored] = [Math.round(l.at_threshold.bpcer * 3), 3];
    assert.deepEqual(l.at_threshold.bpcer_ci, binomialInterval(rejected, liveScored), 'BPCER\'s interval from its counts');
    assert.deepEqual(l.at_threshold.apcer_by_species_ci.print, binomialInterval(Math.round(l.at_threshold.apcer_by_species.print * 2), 2));
    assert.deepEqual(l.at_threshold.apcer_by_species_ci.mask, { lower: null, upper: null }, 'no attack, no interval');
    assert.deepEqual(l.at_threshold.apcer_max_ci, l.at_threshold.apcer_by_species_ci.print, 'one species with attacks: its own interval');
    assert.deepEqual(l.at_threshold.apcer_pooled_ci, l.at_threshold.apcer_by_species_ci.print);
    assert.ok(typeof l.auc === 'number' && l.auc >= 0 && l.auc <= 1);
    assert.deepEqual(l.by_source.map((r) => r.source), [''], 'no file name has a source: one source, ""');
    assert.equal(l.worst_source.bpcer?.source, '');

    const a = report.attributes;
    assert.ok(a);
    assert.equal(a.samples, 3);
    assert.deepEqual(a.non_responses, { total: 1, by_code: { FACE_NOT_DETECTED: 1 } });
    assert.deepEqual(Object.keys(a.metrics).sort(), ['eyeglasses', 'hat', 'mask', 'sunglasses', 'veil'], 'the four attributes and the eyeglasses extension');
    assert.equal(a.metrics.sunglasses.support, 1);
    for (const m of Object.values(a.metrics)) assert.equal(m.tp + m.fp + m.fn + m.tn, 2);

    assert.ok(report.quality, 'quality_* folders give a quality section');

    const svg = await fs.readFile(plot, 'utf8');
    assert.match(svg, /^<svg/);
    assert.match(svg, /Quality problems/);
    assert.match(stderr, /Plot written/);

    const again = await evalCli([dir, '--json']);
    assert.deepEqual(JSON.parse(again.stdout), report, 'the same set gives the same report');
  });

  it('scores quality folders like attribute folders: blur, dark, grayscale and framing each found, nothing else', async () => {
    const { code, stdout, stderr } = await evalCli([dir, '--json']);
    assert.equal(code, 0, stderr);
    const q = (JSON.parse(stdout) as EvalReport).quality;
    assert.ok(q);
    assert.equal(q.samples, 6);
    assert.deepEqual(q.non_responses, { total: 1, by_code: { FACE_NOT_DETECTED: 1 } });
    assert.deepEqual(Object.keys(q.metrics), ['blur', 'dark', 'grayscale', 'exposure', 'backlight', 'face_size', 'framing', 'pose']);
    for (const [name, m] of Object.entries(q.metrics)) {
      assert.equal(m.tp + m.fp + m.fn + m.tn, 5, 'the five scored images');
      assert.equal(m.fp, 0, `no image is flagged for ${name} without carrying it`);
    }
    for (const name of ['blur', 'dark', 'grayscale', 'framing']) {
      const m: FlagReport['metrics'][string] = q.metrics[name];
      assert.deepEqual([m.support, m.tp, m.fp, m.fn, m.tn], [1, 1, 0, 0, 4], name);
      assert.deepEqual([m.precision, m.recall, m.f1], [1, 1, 1], name);
      assert.deepEqual([m.precision_ci, m.recall_ci], [binomialInterval(1, 1), binomialInterval(1, 1)], `${name}: found once of once`);
    }
    assert.deepEqual(q.metrics.exposure.recall_ci, { lower: null, upper: null }, 'no image carries it: no interval');
    assert.equal(q.metrics.exposure.support, 0);
    assert.equal(q.metrics.exposure.recall, null, 'no image carries it: recall is n/a (null in JSON)');
    assert.equal(typeof q.metrics.blur.threshold, 'number');
    assert.equal(typeof q.metrics.face_size.threshold, 'number');
    assert.deepEqual(Object.keys(q.metrics.pose.threshold), ['max_yaw', 'max_pitch', 'max_roll', 'max_yaw_from_landmarks']);
  });

  it('prints a text table', async () => {
    const { code, stdout } = await evalCli([dir]);
    assert.equal(code, 0);
    assert.match(stdout, /spoof_print \(APCER\)/);
    assert.match(stdout, /^class +scored +non-resp +error rate +95% interval$/m);
    assert.match(stdout, /^spoof_mask \(APCER\) +0 +0 +n\/a +n\/a$/m);
    assert.match(stdout, /^max APCER \d+\.\d\d% \(\d+\.\d\d-\d+\.\d\d%\) +BPCER \d+\.\d\d% \(\d+\.\d\d-\d+\.\d\d%\) +ACER/m);
    assert.doesNotMatch(stdout, /By source/, 'one source: no per-source table');
    assert.match(stdout, /Non-responses \(left out of every rate\): 1 \(FACE_NOT_DETECTED 1\)/);
    assert.match(stdout, /ACER/);
    assert.match(stdout, /sunglasses/);
    assert.match(stdout, /Quality problems \(a measure that fails its threshold\): 6 images; non-responses 1 \(FACE_NOT_DETECTED 1\)/);
    assert.match(stdout, /^blur +\d\.\d{4} +1 +1 +0 +0 +100\.00% +100\.00% +100\.00%$/m);
    assert.match(stdout, /^pose +yaw\/pitch\/roll\/yaw_from_landmarks \d+\/\d+\/\d+\/\d+ /m);
  });

  it('writes a calibrated copy of the pack with the threshold replaced', async () => {
    const out = path.join(dir, 'pack');
    const { code, stdout, stderr } = await evalCli([dir, '--json', '--calibrate', '--target-bpcer', '0.34', '--out', out]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as EvalReport;
    const point = report.liveness?.calibration?.point;
    assert.ok(point);
    assert.ok(point.bpcer <= 0.34);
    const expected = report.liveness?.calibration?.expected_bpcer;
    assert.ok(typeof expected === 'number' && expected > point.bpcer, 'new faces are expected to fare worse than the calibration faces');
    const range = report.liveness?.calibration?.expected_bpcer_ci;
    assert.ok(range && range.lower < expected && expected < range.upper && range.upper <= 1, 'the range holds the expected BPCER');
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.liveness.threshold, point.threshold);
    assert.equal(manifest.liveness.calibration.target_bpcer, 0.34);
    assert.deepEqual(manifest.liveness.calibration.expected_bpcer_ci, range, 'the pack records the range too');
    for (const model of Object.values(manifest.models) as { file: string }[]) {
      await fs.access(path.join(out, model.file));
    }
    assert.match(stderr, /Calibrated pack written/);

    // Without --out: the threshold is printed for a credential or a check, and nothing is written.
    const printed = await evalCli([dir, '--calibrate', '--target-bpcer', '0.34']);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, new RegExp(`Calibrated threshold ${point.threshold}: give it to the checks`));
    assert.match(printed.stdout, /for 95 % of calibrations on 3 live images it falls within \d+\.\d\d-\d+\.\d\d%/);
    const pack = (JSON.parse(stdout) as EvalReport).pack;
    assert.ok(pack !== undefined && printed.stdout.includes(`It holds for the model pack ${pack.name} ${pack.version} only: calibrate again when the pack changes`), 'names the pack the threshold belongs to');
    assert.ok(pack !== undefined && printed.stdout.includes(`"livenessThreshold": ${point.threshold}, "livenessThresholdPack": "${pack.name}@${pack.version}"`), 'prints the credential fields');

    const forNew = await evalCli([dir, '--json', '--calibrate', '--target-bpcer', '0.34', '--for-new-faces', '--out', path.join(dir, 'pack-new')]);
    assert.equal(forNew.code, 0, forNew.stderr);
    const strict = (JSON.parse(forNew.stdout) as EvalReport).liveness?.calibration;
    assert.equal(strict?.rule, 'new_faces');
    assert.ok(strict?.point && strict.expected_bpcer !== null && strict.expected_bpcer <= 0.34, 'expected BPCER on new faces meets the target');
    assert.ok(strict.point.threshold <= point.threshold, 'the new-faces threshold is no higher');
    const written = JSON.parse(await fs.readFile(path.join(dir, 'pack-new', 'manifest.json'), 'utf8'));
    assert.deepEqual([written.liveness.calibration.rule, written.liveness.threshold], ['new_faces', strict.point.threshold]);
    const tooFew = await evalCli([dir, '--calibrate', '--target-bpcer', '0.001', '--for-new-faces', '--out', path.join(dir, 'pack-none')]);
    assert.equal(tooFew.code, 1);
    assert.match(tooFew.stderr, /needs at least 999 scored live images/);
    // Without --out too: a script that trusts the exit status must not go on without a threshold.
    const tooFewPrinted = await evalCli([dir, '--json', '--calibrate', '--target-bpcer', '0.001', '--for-new-faces']);
    assert.equal(tooFewPrinted.code, 1, tooFewPrinted.stderr);
    assert.match(tooFewPrinted.stderr, /needs at least 999 scored live images/);
    assert.equal((JSON.parse(tooFewPrinted.stdout) as EvalReport).liveness?.calibration?.point, null, 'the report is still printed');

    const recheck = await evalCli([dir, '--json', '--pack', out]);
    const l = (JSON.parse(recheck.stdout) as EvalReport).liveness;
    assert.equal(l?.threshold, point.threshold);
    assert.equal(l?.at_threshold.bpcer, point.bpcer);
  });

  it('reads a CSV list', async () => {
    const csv = path.join(dir, 'list.csv');
    await fs.writeFile(csv, 'path,label,species\nlive/frontal.jpg,live,\nspoof_print/gray.jpg,attack,print\n');
    const { code, stdout } = await evalCli([csv, '--json']);
    assert.equal(code, 0);
    const report = JSON.parse(stdout) as EvalReport;
    assert.equal(report.liveness?.counts.live.scored, 1);
    assert.deepEqual(Object.keys(report.liveness?.counts.by_species ?? {}), ['print']);
    assert.equal(report.attributes, undefined);
    assert.equal(report.quality, undefined);
  });

  it('reads quality labels from a CSV list, a path in several rows carrying all their measures', async () => {
    const csv = path.join(dir, 'quality.csv');
    await fs.writeFile(csv, [
      'path,label,species',
      'quality_blur/blurred.jpg,quality_blur,',
      'quality_dark/dark.jpg,quality_dark,',
      'quality_dark/dark.jpg,quality_grayscale,',
      'quality_none/frontal.jpg,quality_none,',
      'quality_none/landscape.jpg,quality_none,',
      '',
    ].join('\n'));
    const { code, stdout, stderr } = await evalCli([csv, '--json']);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as EvalReport;
    assert.equal(report.liveness, undefined);
    assert.equal(report.attributes, undefined);
    const q = report.quality;
    assert.ok(q);
    assert.equal(q.samples, 4);
    assert.equal(q.non_responses.total, 1);
    assert.deepEqual([q.metrics.blur.tp, q.metrics.blur.fp, q.metrics.blur.fn], [1, 0, 0]);
    assert.deepEqual([q.metrics.dark.tp, q.metrics.dark.fp, q.metrics.dark.fn], [1, 0, 0]);
    assert.deepEqual([q.metrics.grayscale.support, q.metrics.grayscale.tp, q.metrics.grayscale.fn], [1, 0, 1], 'the dark colour image is not grayscale');
  });

  it('checks where --plot and --out write before scoring any image', async () => {
    const started = Date.now();
    const badPlot = await evalCli([dir, '--plot', path.join(dir, 'plot.jpg')]);
    assert.equal(badPlot.code, 2);
    assert.match(badPlot.stderr, /Expected a \.png or \.svg file for --plot/);
    const noFolder = await evalCli([dir, '--plot', path.join(dir, 'no-such-folder', 'plot.svg')]);
    assert.equal(noFolder.code, 2);
    assert.match(noFolder.stderr, /folder of --plot .* does not exist/);
    const file = path.join(dir, 'a-file');
    await fs.writeFile(file, '');
    const underFile = await evalCli([dir, '--calibrate', '--out', path.join(file, 'pack')]);
    assert.equal(underFile.code, 2);
    assert.match(underFile.stderr, /exists and is not a folder/);
    assert.ok(Date.now() - started < 3000, 'refused without scoring the set');
  });

  it('answers usage errors with exit code 2', async () => {
    assert.equal((await evalCli([])).code, 2);
    assert.equal((await evalCli([dir, '--for-new-faces'])).code, 2);
    assert.equal((await evalCli([dir, '--out', dir])).code, 2);
    assert.equal((await evalCli([dir, '--calibrate', '--target-bpcer', '2', '--out', dir])).code, 2);
    const missing = await evalCli([path.join(dir, 'missing')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /The data set ".*missing" does not exist/);
    const help = (await evalCli(['--help'])).stdout;
    assert.match(help, /Usage: facelive eval/);
    assert.match(help, /quality_<measure>/);

    const bad = path.join(dir, 'bad-quality');
    await fs.mkdir(path.join(bad, 'quality_noise'), { recursive: true });
    const unknown = await evalCli([bad]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown quality measure "noise".*quality_blur, quality_dark, quality_grayscale, quality_exposure, quality_backlight, quality_face_size, quality_framing, quality_pose or quality_none/);
  });
  it('cuts long values in CSV messages to 100 characters', async () => {
    const csv = path.join(dir, 'long.csv');
    const uri = `data:image/png;base64,${'A'.repeat(5000)}`;
    await fs.writeFile(csv, `live/frontal.jpg,"${uri}",\n`);
    const label = await evalCli([csv]);
    assert.equal(label.code, 2);
    assert.ok(label.stderr.includes(`but received "${uri.slice(0, 100)}..."`), label.stderr.slice(0, 400));
    assert.ok(!label.stderr.includes('A'.repeat(200)), 'the whole value is not printed');
    const long = `${'d'.repeat(300)}/x.jpg`;
    await fs.writeFile(csv, `${long},live,\n`);
    const missing = await evalCli([csv]);
    assert.equal(missing.code, 2);
    assert.ok(missing.stderr.includes(`missing or not files: "${long.slice(0, 100)}..."`), missing.stderr.slice(0, 400));
    assert.ok(!missing.stderr.includes('d'.repeat(150)));
  });

  it('quotes at most 100 characters of any value it refuses (3000 characters of a pasted base64 selfie)', async () => {
    const value = (await selfieJpeg()).toString('base64').slice(0, 3000);
    // As a file name (no slashes), and as an attribute label (letters and digits in lower case).
    const name = value.replace(/\//g, '_');
    const label = value.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
    const file = path.join(dir, 'a-file');
    await fs.writeFile(file, '');
    const attr = path.join(dir, 'long-attr.csv');
    await fs.writeFile(attr, `live/frontal.jpg,attr_${label},\n`);
    const tooLong: string[] = [];
    for (const [argv, said, passed] of [
      [[dir, '--threshold', value], /for --threshold but received/, value],
      [[dir, '--calibrate', '--target-bpcer', value], /for --target-bpcer but received/, value],
      [[dir, `--${value}`], /Unknown option/, value],
      [[path.join(dir, `${name}.csv`)], /The data set .* does not exist/, name],
      [[attr], /Unknown attribute .*\(label /, label],
      [[dir, '--plot', path.join(dir, name, 'plot.svg')], /folder of --plot .* does not exist/, name],
      [[dir, '--calibrate', '--out', path.join(file, name)], /exists and is not a folder/, name],
    ] as const) {
      const { code, stdout, stderr } = await evalCli([...argv]);
      assert.equal(code, 2, stderr.slice(0, 300));
      assert.match(stderr, said);
      const echoed = longestEcho(stdout + stderr, passed);
      if (echoed > 100) tooLong.push(`${said.source}: ${echoed} characters`);
    }
    assert.deepEqual(tooLong, []);
  });

  it('a data set that is neither a folder nor a CSV, or has no labelled image, is a usage error: exit 2', async () => {
    const png = path.join(dir, 'plot.png');
    await fs.writeFile(png, '');
    const notSet = await evalCli([png]);
    assert.equal(notSet.code, 2, notSet.stderr);
    assert.match(notSet.stderr, /Expected a folder or a \.csv list/);
    const empty = path.join(dir, 'empty-set');
    await fs.mkdir(path.join(empty, 'unrelated'), { recursive: true });
    const none = await evalCli([empty]);
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /No labelled image found/);
  });
  it('counts a bare spoof_ label or folder as species unknown, with no empty species', async () => {
    const csv = path.join(dir, 'bare.csv');
    await fs.writeFile(csv, 'path,label,species\nlive/frontal.jpg,live,\nspoof_print/gray.jpg,spoof_,\n');
    const listed = await evalCli([csv, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual((JSON.parse(listed.stdout) as EvalReport).liveness?.counts.by_species, { unknown: { scored: 1, non_responses: 0 } });
    const set = path.join(dir, 'bare-set');
    await fs.mkdir(path.join(set, 'live'), { recursive: true });
    await fs.mkdir(path.join(set, 'spoof_'));
    await fs.copyFile(path.join(dir, 'live/frontal.jpg'), path.join(set, 'live', 'f.jpg'));
    await fs.copyFile(path.join(dir, 'spoof_print/gray.jpg'), path.join(set, 'spoof_', 'g.jpg'));
    const folder = await evalCli([set, '--json']);
    assert.equal(folder.code, 0, folder.stderr);
    const l = (JSON.parse(folder.stdout) as EvalReport).liveness;
    assert.deepEqual(l?.counts.by_species, { unknown: { scored: 1, non_responses: 0 } });
    assert.equal(l?.counts.attack.scored, 1, 'the spoof_/ image is not left out');
  });

  it('counts a liveness file once however it is named; refuses one labelled live and attack', async () => {
    const set = path.join(dir, 'dup-set');
    await fs.mkdir(path.join(set, 'live'), { recursive: true });
    await fs.mkdir(path.join(set, 'spoof_print'), { recursive: true });
    await fs.copyFile(path.join(dir, 'live/frontal.jpg'), path.join(set, 'live', 'a.jpg'));
    await fs.copyFile(path.join(dir, 'spoof_print/gray.jpg'), path.join(set, 'spoof_print', 'p.jpg'));
    await fs.symlink(path.join(set, 'live', 'a.jpg'), path.join(set, 'live', 'link1.jpg'));
    await fs.symlink('a.jpg', path.join(set, 'live', 'link2.jpg'));
    const folder = await evalCli([set, '--json']);
    assert.equal(folder.code, 0, folder.stderr);
    assert.equal((JSON.parse(folder.stdout) as EvalReport).liveness?.counts.live.scored, 1, 'two links to a.jpg are a.jpg');
    assert.equal(folder.stderr.match(/liveness label\(s\)/g)?.length, 1, 'said once');
    assert.match(folder.stderr, /2 liveness label\(s\) name a file already labelled the same/);

    // The same file four ways in a CSV: as written, ./, absolute, through a link.
    const csv = path.join(set, 'dup.csv');
    await fs.writeFile(csv, ['path,label,species', 'live/a.jpg,live,', './live/a.jpg,live,', `${path.join(set, 'live', 'a.jpg')},live,`,
      'live/link1.jpg,live,', 'spoof_print/p.jpg,attack,print', ''].join('\n'));
    const listed = await evalCli([csv, '--json', '--calibrate', '--target-bpcer', '0.34', '--for-new-faces']);
    assert.equal(listed.code, 1, 'no threshold: four labels of one live face are one face, too few'); // the report is still printed
    const l = (JSON.parse(listed.stdout) as EvalReport).liveness;
    assert.equal(l?.counts.live.scored, 1);
    assert.equal(l?.calibration?.point, null, 'one live face is too few for the new-faces rule at 0.34');
    assert.match(listed.stderr, /3 liveness label\(s\)/);

    await fs.writeFile(csv, 'path,label,species\nlive/a.jpg,live,\n./live/link2.jpg,attack,print\n');
    const both = await evalCli([csv]);
    assert.equal(both.code, 2, both.stderr);
    assert.match(both.stderr, /The image "live\/a\.jpg" \(also as "live\/link2\.jpg"\) is labelled both live and an attack of species "print"/);
    await fs.writeFile(csv, 'path,label,species\nlive/a.jpg,spoof_print,\nlive/a.jpg,spoof_replay,\n');
    assert.equal((await evalCli([csv])).code, 2, 'two species for one file');
  });

  it('refuses --out on the evaluated pack through a link, before scoring, and leaves the pack alone', async () => {
    const own = path.join(dir, 'own-pack');
    await fs.mkdir(own);
    const manifestText = await fs.readFile(path.join(DEFAULT_PACK_DIR, 'manifest.json'), 'utf8');
    await fs.writeFile(path.join(own, 'manifest.json'), manifestText);
    for (const model of Object.values(JSON.parse(manifestText).models) as { file: string }[]) {
      await fs.copyFile(path.join(DEFAULT_PACK_DIR, model.file), path.join(own, model.file));
    }
    const link = path.join(dir, 'own-pack-link');
    await fs.symlink(own, link);
    const refused = await evalCli([dir, '--pack', own, '--calibrate', '--target-bpcer', '0.34', '--out', link]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /Expected --out to be another folder than the pack .* itself/);
    assert.equal(refused.stdout, '', 'nothing scored');
    assert.equal(await fs.readFile(path.join(own, 'manifest.json'), 'utf8'), manifestText, 'the pack is unchanged');
    // The writer itself compares real paths too.
    const point = { threshold: 0.5, apcer: 0, apcer_max: 0, bpcer: 0 };
    await assert.rejects(writeCalibratedPack(own, link, point, { target_bpcer: 0.05, rule: 'calibration_faces', expected_bpcer: null, expected_bpcer_ci: null, live: 1, attacks: 0, data: 'x' }),
      /another folder than the pack itself/);
    assert.equal(await fs.readFile(path.join(own, 'manifest.json'), 'utf8'), manifestText);
  });

  it('refuses an attribute the pack does not report, in a folder or a CSV, naming the known ones', async () => {
    const set = path.join(dir, 'attr-typo');
    await fs.mkdir(path.join(set, 'attr_sunglass'), { recursive: true });
    await fs.copyFile(path.join(dir, 'live/right.jpg'), path.join(set, 'attr_sunglass', 'r.jpg'));
    const folder = await evalCli([set]);
    assert.equal(folder.code, 2, folder.stderr);
    assert.match(folder.stderr, /Unknown attribute "sunglass" in .*attr_sunglass.*; expected attr_sunglasses, attr_mask, attr_veil, attr_hat, attr_eyeglasses or attr_none/);
    const csv = path.join(set, 'list.csv');
    await fs.writeFile(csv, 'attr_sunglass/r.jpg,ATTR_SUNGLAS,\n');
    const listed = await evalCli([csv]);
    assert.equal(listed.code, 2, listed.stderr);
    assert.match(listed.stderr, /Unknown attribute "sunglas"/);
  });

  it('stops with exit status 1 and no report when the engine fails, writing no pack: a failure is not a non-response', async () => {
    const out = path.join(dir, 'pack-after-failure');
    const { code, stdout, stderr } = await evalWithThreadEnded([dir, '--json', '--calibrate', '--target-bpcer', '0.34', '--out', out]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /The engine failed while scoring ".*\.jpg": The model worker exited\. The run is stopped/);
    assert.equal(stdout, '', 'no figures from the images scored before the failure');
    await assert.rejects(fs.stat(out), { code: 'ENOENT' });
  });
  it('stops with exit status 2, naming it, at an image file that cannot be read (in a folder or a CSV list)', async () => {
    const set = path.join(dir, 'unreadable-set');
    await fs.mkdir(path.join(set, 'live'), { recursive: true });
    await fs.copyFile(path.join(dir, 'live/frontal.jpg'), path.join(set, 'live', 'a.jpg'));
    // A file that exists and that nobody can read from its start, root included: reading it fails with EIO.
    await fs.symlink('/proc/self/mem', path.join(set, 'live', 'mem.jpg'));
    const folder = await evalCli([set, '--json']);
    assert.equal(folder.code, 2, folder.stderr);
    assert.match(folder.stderr, /Cannot read the image ".*live\/mem\.jpg" \(EIO\)/);
    assert.equal(folder.stdout, '', 'no report');
    const csv = path.join(set, 'list.csv');
    await fs.writeFile(csv, 'path,label,species\nlive/a.jpg,live,\nlive/mem.jpg,attack,print\n');
    const listed = await evalCli([csv]);
    assert.equal(listed.code, 2, listed.stderr);
    assert.match(listed.stderr, /Cannot read the image ".*live\/mem\.jpg" \(EIO\)/);
  });
  it('reads Live/ as live/ and says once on stderr which folders it ignores', async () => {
    const set = path.join(dir, 'cased-set');
    await fs.mkdir(path.join(set, 'Live'), { recursive: true });
    await fs.mkdir(path.join(set, 'Spoof_Print'));
    await fs.mkdir(path.join(set, 'spoofs'));
    await fs.copyFile(path.join(dir, 'live/frontal.jpg'), path.join(set, 'Live', 'f.jpg'));
    await fs.copyFile(path.join(dir, 'spoof_print/gray.jpg'), path.join(set, 'Spoof_Print', 'g.jpg'));
    await fs.copyFile(path.join(dir, 'spoof_print/blurred.jpg'), path.join(set, 'spoofs', 'b.jpg'));
    const { code, stdout, stderr } = await evalCli([set, '--json']);
    assert.equal(code, 0, stderr);
    const l = (JSON.parse(stdout) as EvalReport).liveness;
    assert.equal(l?.counts.live.scored, 1);
    assert.deepEqual(l?.counts.by_species, { print: { scored: 1, non_responses: 0 } });
    assert.equal(stderr.match(/ignored/g)?.length, 1, stderr);
    assert.match(stderr, /1 folder\(s\) in ".*cased-set" are not labels and are ignored: "spoofs" \(labels: live, spoof_<species>/);
  });
  it('writes a CSV row per liveness image with --scores, from which the report\'s rates can be taken again', async () => {
    const set = path.join(dir, 'scores-set');
    await fs.mkdir(path.join(set, 'live'), { recursive: true });
    await fs.mkdir(path.join(set, 'spoof_print'));
    await fs.copyFile(path.join(dir, 'live/frontal.jpg'), path.join(set, 'live', 'camA__f.jpg'));
    await fs.copyFile(path.join(dir, 'live/right.jpg'), path.join(set, 'live', 'r.jpg'));
    await fs.copyFile(path.join(dir, 'spoof_print/gray.jpg'), path.join(set, 'spoof_print', 'camB__g, "copy".jpg'));
    await fs.copyFile(path.join(dir, 'spoof_replay/landscape.jpg'), path.join(set, 'spoof_print', 'land.jpg'));
    const file = path.join(dir, 'scores.csv');
    const { code, stdout, stderr } = await evalCli([set, '--json', '--scores', file]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Scores written to .*scores\.csv \(4 liveness images\)/);
    const [header, ...rows] = parseCsv(await fs.readFile(file, 'utf8'));
    assert.deepEqual(header, ['path', 'label', 'species', 'source', 'live_probability', 'non_response']);
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[2], r[3], r[5]]), [
      ['live/camA__f.jpg', 'live', '', 'camA', ''],
      ['live/r.jpg', 'live', '', '', ''],
      ['spoof_print/camB__g, "copy".jpg', 'attack', 'print', 'camB', ''],
      ['spoof_print/land.jpg', 'attack', 'print', '', 'FACE_NOT_DETECTED'],
    ]);
    assert.equal(rows[3][4], '', 'no probability for a non-response');
    const l = (JSON.parse(stdout) as EvalReport).liveness;
    assert.ok(l);
    const live = rows.filter((r) => r[1] === 'live').map((r) => Number(r[4]));
    for (const p of live) assert.ok(p >= 0 && p <= 1);
    assert.equal(l.at_threshold.bpcer, live.filter((p) => p < l.threshold).length / live.length, 'BPCER from the rows');
    assert.equal(l.at_threshold.apcer_by_species.print, Number(rows[2][4]) >= l.threshold ? 1 : 0, 'APCER from the rows');

    // Checked before scoring: a missing folder, and the set's own list.
    const missing = await evalCli([set, '--scores', path.join(dir, 'no-such-folder', 'scores.csv')]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /The folder of --scores .* does not exist/);
    const csv = path.join(set, 'list.csv');
    await fs.writeFile(csv, 'live/r.jpg,live,\n');
    const ownList = await evalCli([csv, '--scores', csv]);
    assert.equal(ownList.code, 2, ownList.stderr);
    assert.match(ownList.stderr, /Expected --scores to be another file than the data set/);
    assert.equal(await fs.readFile(csv, 'utf8'), 'live/r.jpg,live,\n');
  });

  it('reports per source, with intervals, figures the --scores rows give again, and names the worst source', async () => {
    const set = path.join(dir, 'sources-set');
    const files: Record<string, string> = {
      'live/camA__f.jpg': 'live/frontal.jpg',
      'live/camA__r.jpg': 'live/right.jpg',
      'spoof_print/camA__g.jpg': 'spoof_print/gray.jpg',
      'spoof_replay/camA__land.jpg': 'spoof_replay/landscape.jpg',
      'live/camB__d.jpg': 'live/downward.jpg',
      'live/camB__b.jpg': 'spoof_print/blurred.jpg',
      'spoof_print/camB__b.jpg': 'spoof_print/blurred.jpg',
      'live/plain.jpg': 'live/right.jpg',
    };
    for (const [to, from] of Object.entries(files)) {
      await fs.mkdir(path.join(set, path.dirname(to)), { recursive: true });
      await fs.copyFile(path.join(dir, from), path.join(set, to));
    }
    const file = path.join(dir, 'sources-scores.csv');
    const { code, stdout, stderr } = await evalCli([set, '--json', '--scores', file]);
    assert.equal(code, 0, stderr);
    const l = (JSON.parse(stdout) as EvalReport).liveness;
    assert.ok(l);
    assert.deepEqual(l.by_source.map((r) => r.source), ['camA', 'camB', '']);
    const [a, b, none] = l.by_source;
    assert.deepEqual(a.counts, {
      live: { scored: 2, non_responses: 0 },
      attack: { scored: 1, non_responses: 1 },
      by_species: { print: { scored: 1, non_responses: 0 }, replay: { scored: 0, non_responses: 1 } },
    });
    assert.deepEqual([b.counts.live.scored, b.counts.attack.scored, none.counts.live.scored, none.counts.attack.scored], [2, 1, 1, 0]);
    assert.equal(none.auc, null, 'no attack: no AUC');

    // Every figure again from the rows of the scores file, at the report's threshold.
    const [, ...rows] = parseCsv(await fs.readFile(file, 'utf8'));
    const bySource = new Map<string, { live: number[]; attack: number[] }>();
    for (const [, label, , source, probability] of rows) {
      if (probability === '') continue;
      const entry = bySource.get(source) ?? { live: [], attack: [] };
      entry[label === 'live' ? 'live' : 'attack'].push(Number(probability));
      bySource.set(source, entry);
    }
    const bpcers: Record<string, number> = {};
    for (const r of l.by_source) {
      const scores = bySource.get(r.source);
      assert.ok(scores, r.source);
      const rejected: number = scores.live.filter((p) => p < l.threshold).length;
      const accepted: number = scores.attack.filter((p) => p >= l.threshold).length;
      bpcers[r.source] = rejected / scores.live.length;
      assert.equal(r.at_threshold.bpcer, bpcers[r.source], `${r.source} BPCER`);
      assert.deepEqual(r.at_threshold.bpcer_ci, binomialInterval(rejected, scores.live.length), `${r.source} BPCER interval`);
      if (scores.attack.length > 0) {
        assert.equal(r.at_threshold.apcer_max, accepted / scores.attack.length, `${r.source} APCER`);
        let right = 0;
        for (const p of scores.live) for (const q of scores.attack) right += p > q ? 1 : p === q ? 0.5 : 0;
        assert.equal(r.auc, right / (scores.live.length * scores.attack.length), `${r.source} AUC`);
      }
    }
    const worstBpcer = Math.max(...Object.values(bpcers));
    const tied = Object.keys(bpcers).filter((s) => bpcers[s] === worstBpcer);
    assert.equal(l.worst_source.bpcer?.bpcer, worstBpcer);
    assert.equal(l.worst_source.bpcer?.ties, tied.length);
    assert.ok(tied.includes(l.worst_source.bpcer?.source ?? 'none'), `worst by BPCER ${l.worst_source.bpcer?.source}, expected one of ${tied}`);
    assert.equal(l.worst_source.auc?.auc, Math.min(a.auc, b.auc), 'lowest AUC of the sources with both classes');

    const text = await evalCli([set]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^By source \(the file name before "__"\): 3 sources, at threshold \d\.\d{4}$/m);
    assert.match(text.stdout, /^source +live +attacks +non-resp +AUC +BPCER +95% interval +max APCER +95% interval +species$/m);
    assert.match(text.stdout, /^camA +2 +1 +1 +\d\.\d{3} +\d+\.\d\d% +\d+\.\d\d-\d+\.\d\d% /m);
    assert.match(text.stdout, /^\(no prefix\) +1 +0 +0 +n\/a +\d+\.\d\d% +0\.00-97\.50%/m);
    const worstLine = text.stdout.split('\n').find((line) => line.startsWith('Worst source: '));
    assert.ok(worstLine?.includes(`highest BPCER ${l.worst_source.bpcer?.source === '' ? '(no prefix)' : l.worst_source.bpcer?.source} (`), worstLine);
  });
});
