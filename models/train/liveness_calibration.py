"""What calibrating on your own camera buys, predicted from out-of-fold scores: for each held-out source,
draw K of its live faces, set the threshold as `facelive eval --calibrate --target-bpcer R` would on them
(the largest threshold whose BPCER on them is <= R; with --for-new-faces, whose BPCER expected on new
faces is <= R), and measure BPCER on the source's other live faces and
APCER on its attacks. Compared with the threshold chosen on the other folds (no calibration).

  liveness_calibration.py WORK RULE NAME[=WEIGHT] [...] [--sizes 10,20,50] [--targets 0.05,0.1]
                          [--repeats 200] [--rules calibration_faces,new_faces] [--markdown OUT.md] [--json OUT.json]

NAME[=WEIGHT] as in liveness_report.py. Only sources with at least K + 10 live faces and MIN_ATTACKS attacks
take part (a source's rates on fewer faces say little).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from liveness_metrics import rates  # noqa: E402
from liveness_report import evaluate, load_scores, scores_parser  # noqa: E402

MIN_ATTACKS = 20
RULE_NAMES = {'calibration_faces': 'on the calibration faces', 'new_faces': 'for new faces'}
HELD_BACK_LIVE = 10


def calibrated_threshold(live_scores, target, rule='calibration_faces'):
    """The threshold `facelive eval --calibrate` sets on these live scores. 'calibration_faces': the largest
    whose BPCER on them is <= target, the (floor(n * target) + 1)-th lowest score (core/eval/metrics.ts
    calibrateThreshold); 'new_faces' (--for-new-faces): the largest whose expected BPCER on new faces,
    (r + 1) / (n + 1), is <= target, the (floor(target * (n + 1)) - 1 + 1)-th lowest (None when n is too
    small; calibrateThresholdForNewFaces)."""
    ordered = np.sort(live_scores)
    if rule == 'new_faces':
        r = int(np.floor(target * (len(ordered) + 1) + 1e-9)) - 1
        return None if r < 0 else float(ordered[r])
    return float(ordered[int(np.floor(len(ordered) * target + 1e-9))])


def calibrated_rates(scores, labels, k, target, repeats, rng, rule='calibration_faces'):
    """One source: mean BPCER on the live faces not drawn and mean worst APCER (print, replay), over draws."""
    live = np.flatnonzero(labels == 'live')
    bpcer, apcer = [], []
    for _ in range(repeats):
        drawn = rng.choice(live, k, replace=False)
        t = calibrated_threshold(scores[drawn], target, rule)
        rest = np.setdiff1d(np.arange(len(scores)), drawn)
        r = rates(scores[rest], labels[rest], t)
        bpcer.append(r['bpcer'])
        apcer.append(r['apcer_worst'] or 0.0)
    return float(np.mean(bpcer)), float(np.mean(apcer))


def eligible(labels_of_source, k):
    return (labels_of_source == 'live').sum() >= k + HELD_BACK_LIVE and (labels_of_source != 'live').sum() >= MIN_ATTACKS


def simulate(scores, meta, sizes, targets, repeats, seed=0, rules=('calibration_faces',)):
    sources = np.array(meta['sources'])
    labels = np.array(meta['labels'])
    rows, _, _, _, _ = evaluate(scores, meta)
    held_out_threshold = {r['source']: r['threshold'] for r in rows}
    rng = np.random.default_rng(seed)
    results = []
    for rule in rules:
        for k in sizes:
            for target in targets:
                if calibrated_threshold(np.zeros(k), target, rule) is None:
                    continue  # too few faces for this rule and target
                per_source = []
                for s in sorted(set(sources)):
                    m = sources == s
                    if not eligible(labels[m], k):
                        continue
                    b, a = calibrated_rates(scores[m], labels[m], k, target, repeats, rng, rule)
                    r = rates(scores[m], labels[m], held_out_threshold[s])
                    per_source.append({'source': s, 'calibrated_bpcer': b, 'calibrated_apcer': a,
                                       'held_out_bpcer': r['bpcer'], 'held_out_apcer': r['apcer_worst'] or 0.0})
                results.append({'rule': rule, 'k': k, 'target': target, 'sources': per_source, 'summary': summarise(per_source)})
    return results


def summarise(per_source):
    out = {'sources': len(per_source)}
    for key in ('calibrated_bpcer', 'calibrated_apcer', 'held_out_bpcer', 'held_out_apcer'):
        v = np.array([r[key] for r in per_source])
        out[key] = {'mean': float(v.mean()), 'median': float(np.median(v)), 'worst': float(v.max())} if len(v) else None
    return out


def markdown(results):
    pct = lambda v: f'{100 * v:.1f} %'  # noqa: E731
    lines = ['| rule | live faces drawn | target BPCER | sources | BPCER mean / worst | APCER mean / median / worst | '
             'without calibration: BPCER mean / worst | APCER mean / median / worst |', '|---|---|---|---|---|---|---|---|']
    for r in results:
        s = r['summary']
        if not s['sources']:
            continue
        cb, ca, hb, ha = s['calibrated_bpcer'], s['calibrated_apcer'], s['held_out_bpcer'], s['held_out_apcer']
        lines.append(f"| {RULE_NAMES[r['rule']]} | {r['k']} | {pct(r['target'])} | {s['sources']} | {pct(cb['mean'])} / {pct(cb['worst'])} | "
                     f"{pct(ca['mean'])} / {pct(ca['median'])} / {pct(ca['worst'])} | {pct(hb['mean'])} / {pct(hb['worst'])} | "
                     f"{pct(ha['mean'])} / {pct(ha['median'])} / {pct(ha['worst'])} |")
    return '\n'.join(lines)


def main():
    p = scores_parser()
    p.add_argument('--sizes', default='10,20,50'); p.add_argument('--targets', default='0.05,0.1')
    p.add_argument('--repeats', type=int, default=200)
    p.add_argument('--rules', default='calibration_faces,new_faces')
    args = p.parse_args()
    meta, scores = load_scores(args)
    results = simulate(scores, meta, [int(v) for v in args.sizes.split(',')], [float(v) for v in args.targets.split(',')], args.repeats,
                       rules=tuple(args.rules.split(',')))
    print(markdown(results))
    if args.markdown:
        open(args.markdown, 'w').write(markdown(results) + '\n')
    if args.json:
        json.dump({'parts': args.parts, 'repeats': args.repeats, 'results': results}, open(args.json, 'w'), indent=1)


if __name__ == '__main__':
    main()
