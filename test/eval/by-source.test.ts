// AUC with ties, and the per-source report: sources from file names as the --scores CSV reads them,
// counts, AUC only with both classes, rates with intervals at one threshold, and the worst source.

import assert from 'node:assert/strict';
import { areaUnderCurve } from '../../core/eval/auc';
import { reportBySource, worstSources } from '../../core/eval/by-source';
import { binomialInterval } from '../../core/eval/interval';
import type { ScoredSample } from '../../core/eval/metrics';
import { buildReport, formatReport } from '../../core/eval/report';
import { byGroup } from '../../core/eval/groups';
import type { Scored } from '../../core/eval/score';

const live = (file: string, score: number | null): Scored<ScoredSample> => ({ path: `set/live/${file}`, label: 'live', score });
const attack = (file: string, species: string, score: number | null): Scored<ScoredSample> =>
  ({ path: `set/spoof_${species}/${file}`, label: 'attack', species, score, ...(score === null ? { error: 'FACE_NOT_DETECTED' } : {}) });

// camA: 4 live (one rejected at 0.5), 2 prints (one accepted), 1 non-response. camB: 2 live rejected of 2,
// 1 replay. camC: attacks only. No prefix: 1 live.
const SAMPLES = [
  live('camA__1.jpg', 0.9), live('camA__2.jpg', 0.8), live('camA__3.jpg', 0.7), live('camA__4.jpg', 0.2),
  attack('camA__5.jpg', 'print', 0.6), attack('camA__6.jpg', 'print', 0.1), attack('camA__7.jpg', 'print', null),
  live('camB__1.jpg', 0.4), live('camB__2.jpg', 0.3), attack('camB__3.jpg', 'replay', 0.2),
  attack('camC__1.jpg', 'replay', 0.3),
  live('plain.jpg', 0.95),
];

describe('eval/by-source', () => {
  it('AUC is the share of live x attack pairs ranked right, ties counting half; NaN without both classes', () => {
    const s = (score: number, label: 'live' | 'attack'): ScoredSample => ({ score, label });
    assert.equal(areaUnderCurve([s(0.9, 'live'), s(0.1, 'attack')]), 1);
    assert.equal(areaUnderCurve([s(0.1, 'live'), s(0.9, 'attack')]), 0);
    // Pairs (live, attack): (0.8, 0.5) right, (0.8, 0.8) tie, (0.4, 0.5) wrong, (0.4, 0.8) wrong: 1.5 / 4.
    assert.equal(areaUnderCurve([s(0.8, 'live'), s(0.4, 'live'), s(0.5, 'attack'), s(0.8, 'attack')]), 1.5 / 4);
    assert.equal(areaUnderCurve([s(0.5, 'live'), { score: null, label: 'attack' }, s(0.2, 'attack')]), 1, 'non-responses left out');
    assert.ok(Number.isNaN(areaUnderCurve([s(0.5, 'live')])));
  });

  it('splits by the file name before "__", files without one last as source ""', () => {
    const rows = reportBySource(SAMPLES, 0.5);
    assert.deepEqual(rows.map((r) => r.source), ['camA', 'camB', 'camC', '']);
    const [a, b, c, none] = rows;
    assert.deepEqual(a.counts, {
      live: { scored: 4, non_responses: 0 }, attack: { scored: 2, non_responses: 1 }, by_species: { print: { scored: 2, non_responses: 1 } },
    });
    assert.deepEqual(Object.keys(b.at_threshold.apcer_by_species), ['replay'], 'only the species of its own attacks');
    // camA: live 0.9, 0.8, 0.7, 0.2 against prints 0.6, 0.1: 7 of 8 pairs right.
    assert.equal(a.auc, 7 / 8);
    assert.equal(a.at_threshold.bpcer, 1 / 4);
    assert.deepEqual(a.at_threshold.bpcer_ci, binomialInterval(1, 4));
    assert.equal(a.at_threshold.apcer_by_species.print, 1 / 2);
    assert.deepEqual(a.at_threshold.apcer_by_species_ci.print, binomialInterval(1, 2));
    assert.equal(b.at_threshold.bpcer, 1);
    assert.equal(b.auc, 1);
    assert.ok(Number.isNaN(c.auc) && Number.isNaN(c.at_threshold.bpcer) && Number.isNaN(c.at_threshold.bpcer_ci.lower), 'no live face: n/a');
    assert.equal(c.at_threshold.apcer_max, 0);
    assert.ok(Number.isNaN(none.auc));
    assert.equal(none.at_threshold.bpcer, 0);
  });

  it('names the worst source by AUC, BPCER and max APCER, and how many share it', () => {
    const worst = worstSources(reportBySource(SAMPLES, 0.5));
    assert.deepEqual(worst.auc, { source: 'camA', auc: 7 / 8, ties: 1 });
    assert.deepEqual(worst.bpcer, { source: 'camB', bpcer: 1, bpcer_ci: binomialInterval(2, 2), ties: 1 });
    assert.deepEqual(worst.apcer_max, { source: 'camA', apcer_max: 0.5, apcer_max_ci: binomialInterval(1, 2), ties: 1 });
    // At a threshold of 0: nothing rejected anywhere; the tie goes to the source measured on the fewest faces.
    const open = worstSources(reportBySource(SAMPLES, 0));
    assert.deepEqual([open.bpcer?.source, open.bpcer?.bpcer, open.bpcer?.ties], ['', 0, 3], 'camC has no live face');
    assert.deepEqual([open.apcer_max?.source, open.apcer_max?.apcer_max, open.apcer_max?.ties], ['camA', 1, 3], 'all reach 100 %: the first by name');
    // At 0.65: BPCER camA 1 / 4, camB 2 / 2, '' 0; APCER camA 0 / 2, camB 0 / 1, camC 0 / 1: the tie at 0 % goes to a
    // source on one attack, whose interval reaches 97.5 %, not to camA's two.
    const mid = worstSources(reportBySource(SAMPLES, 0.65));
    assert.deepEqual([mid.apcer_max?.source, mid.apcer_max?.ties], ['camB', 3]);
    assert.equal(mid.apcer_max?.apcer_max_ci.upper, binomialInterval(0, 1).upper);
    assert.deepEqual(worstSources([]), { auc: null, bpcer: null, apcer_max: null });
  });

  it('reports a set of 150,000 sources, as many as file names may carry, without running out of stack', function () {
    this.timeout(120000);
    const sources = 150000;
    const samples: Scored<ScoredSample>[] = [];
    for (let i = 0; i < sources; i++) {
      samples.push(live(`s${i}__l.jpg`, (i % 97) / 97), attack(`s${i}__a.jpg`, 'print', (i % 89) / 89));
    }
    const report = buildReport({ liveness: samples, livenessThreshold: 0.5, flags: byGroup(() => ({ samples: [], thresholds: {} })) });
    const rows = report.liveness?.by_source ?? [];
    assert.equal(rows.length, sources);
    // Live below attack (AUC 0) first at s1: live 1 / 97 against a print at 1 / 89.
    assert.equal(report.liveness?.worst_source.auc?.source, 's1');
    assert.equal(report.liveness?.worst_source.auc?.auc, 0);
    const text = formatReport(report);
    assert.match(text, /By source \(the file name before "__"\): 150000 sources/);
    assert.match(text, /\ns149999 +1 +1 +0 /, 'the last source has its row');
  });

  it('prints a source whose file name holds control characters on one line, escaped, and never sends them to the terminal', () => {
    const odd = [
      live('cam\nB__1.jpg', 0.9), attack('cam\nB__2.jpg', 'print', 0.1),
      live('cam\u001b[31mRED__1.jpg', 0.2), attack('cam\u001b[31mRED__2.jpg', 'print', 0.6),
      live('cam\u202eC__1.jpg', 0.8),
    ];
    const report = buildReport({ liveness: odd, livenessThreshold: 0.5, flags: byGroup(() => ({ samples: [], thresholds: {} })) });
    assert.deepEqual(report.liveness?.by_source.map((r) => r.source), ['cam\nB', 'cam\u001b[31mRED', 'cam\u202eC'], 'JSON keeps the names');
    const text = formatReport(report);
    assert.doesNotMatch(text, /[\u001b\u202e]/);
    const lines = text.split('\n');
    const header = lines.findIndex((l) => l.startsWith('source '));
    assert.deepEqual(lines.slice(header + 1, header + 4).map((l) => l.split(/ {2,}/)[0]), ['cam\\nB', 'cam\\x1b[31mRED', 'cam\\u202eC']);
    assert.match(lines[header + 4] ?? '', /^Worst source: lowest AUC cam\\x1b\[31mRED \(0\.000\); highest BPCER cam\\x1b\[31mRED /);
  });
});
