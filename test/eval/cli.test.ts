// `facelive eval` end to end on a small generated set: face selfies from the test helpers and a
// landscape without a face (a non-response). Checks the JSON report's structure and counts, the plot
// file, the calibrated pack and the usage errors.

import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runEval } from '../../bin/eval';
import type { EvalReport } from '../../core/eval/report';
import { blurredSelfie, grayscaleSelfie, landscapeJpeg, selfieJpeg } from '../helpers/faces';

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

    const a = report.attributes;
    assert.ok(a);
    assert.equal(a.samples, 3);
    assert.deepEqual(a.non_responses, { total: 1, by_code: { FACE_NOT_DETECTED: 1 } });
    assert.deepEqual(Object.keys(a.metrics).sort(), ['hat', 'mask', 'sunglasses', 'veil']);
    assert.equal(a.metrics.sunglasses.support, 1);
    for (const m of Object.values(a.metrics)) assert.equal(m.tp + m.fp + m.fn + m.tn, 2);

    assert.match(await fs.readFile(plot, 'utf8'), /^<svg/);
    assert.match(stderr, /Plot written/);

    const again = await evalCli([dir, '--json']);
    assert.deepEqual(JSON.parse(again.stdout), report, 'the same set gives the same report');
  });

  it('prints a text table', async () => {
    const { code, stdout } = await evalCli([dir]);
    assert.equal(code, 0);
    assert.match(stdout, /spoof_print \(APCER\)/);
    assert.match(stdout, /Non-responses \(left out of every rate\): 1 \(FACE_NOT_DETECTED 1\)/);
    assert.match(stdout, /ACER/);
    assert.match(stdout, /sunglasses/);
  });

  it('writes a calibrated copy of the pack with the threshold replaced', async () => {
    const out = path.join(dir, 'pack');
    const { code, stdout, stderr } = await evalCli([dir, '--json', '--calibrate', '--target-bpcer', '0.34', '--out', out]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as EvalReport;
    const point = report.liveness?.calibration?.point;
    assert.ok(point);
    assert.ok(point.bpcer <= 0.34);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.liveness.threshold, point.threshold);
    assert.equal(manifest.liveness.calibration.target_bpcer, 0.34);
    for (const model of Object.values(manifest.models) as { file: string }[]) {
      await fs.access(path.join(out, model.file));
    }
    assert.match(stderr, /Calibrated pack written/);

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
  });

  it('answers usage errors with exit code 2', async () => {
    assert.equal((await evalCli([])).code, 2);
    assert.equal((await evalCli([dir, '--calibrate'])).code, 2);
    assert.equal((await evalCli([dir, '--out', dir])).code, 2);
    assert.equal((await evalCli([dir, '--calibrate', '--target-bpcer', '2', '--out', dir])).code, 2);
    assert.equal((await evalCli([path.join(dir, 'missing')])).code, 1);
    assert.match((await evalCli(['--help'])).stdout, /Usage: facelive eval/);
  });
});
