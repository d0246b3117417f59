"""Per-source liveness report from out-of-fold scores: thresholds chosen on the other folds only, so each
source's APCER and BPCER are measured at a threshold that never saw it.

  liveness_report.py WORK RULE NAME[=WEIGHT] [NAME[=WEIGHT] ...] [--markdown OUT.md] [--json OUT.json]

NAME is an oof_NAME.npy in WORK, or a released model's zero-shot scores: "zeroshot" for zeroshot_RULE.npy,
"zeroshot-OTHER" for zeroshot_OTHER.npy (another crop rule's model over the same faces); several names are
fused by weighted mean, as the engine fuses a pack's liveness models.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from liveness_data import fold_count, grouped_folds, weighted_mean  # noqa: E402
from liveness_metrics import SIZABLE, auc, choose_threshold, clopper_pearson, per_source_table, rates, summarise  # noqa: E402


def fused_scores(work, rule, parts):
    def load(name):
        if name == 'zeroshot':
            return np.load(os.path.join(work, f'zeroshot_{rule}.npy'))
        if name.startswith('zeroshot-'):
            return np.load(os.path.join(work, f'zeroshot_{name[len("zeroshot-"):]}.npy'))
        return np.load(os.path.join(work, f'oof_{name}.npy'))
    return weighted_mean(parts, load)


def evaluate(scores, meta):
    sources = np.array(meta['sources'])
    labels = np.array(meta['labels'])
    k = fold_count(sources)
    folds = grouped_folds(sources, k, seed=0)
    thresholds = {}
    for f in range(k):
        t = choose_threshold(scores[folds != f], labels[folds != f])
        for s in set(sources[folds == f]):
            thresholds[s] = t
    rows = per_source_table(scores, labels, sources, thresholds)
    shipped = choose_threshold(scores, labels)
    pooled_heldout = {'auc': auc(scores, (labels == 'live').astype(int))}
    # Pooled rates where each face is judged at its own fold's held-out threshold.
    per_face_t = np.array([thresholds[s] for s in sources])
    live = labels == 'live'
    pooled_heldout['bpcer'] = float(np.mean(scores[live] < per_face_t[live]))
    pooled_heldout['live'] = int(live.sum())
    for species in ('spoof_print', 'spoof_replay', 'spoof_other'):
        m = labels == species
        pooled_heldout[species] = float(np.mean(scores[m] >= per_face_t[m])) if m.any() else None
    return rows, summarise(rows), shipped, pooled_heldout, rates(scores, labels, shipped)


def bpcer_interval(bpcer, live):
    """The 95 % Clopper-Pearson interval of a BPCER measured on `live` faces, as text ('–' without any)."""
    if bpcer is None or not live:
        return '–'
    lower, upper = clopper_pearson(round(bpcer * live), live)
    return f'{100 * lower:.1f}-{100 * upper:.1f} %'


def markdown(rows, summary, shipped, pooled):
    fmt = lambda v: '–' if v is None else f'{100 * v:.1f} %'  # noqa: E731
    lines = ['| source | live | attacks | AUC | threshold | BPCER | BPCER 95 % interval | APCER print | APCER replay | APCER other |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        auc_text = '–' if r['auc'] is None else '%.3f' % r['auc']
        lines.append(f"| {r['source']} | {r['live']} | {r['attack']} | {auc_text} | "
                     f"{r['threshold']:.3f} | {fmt(r['bpcer'])} | {bpcer_interval(r['bpcer'], r['live'])} | "
                     f"{fmt(r.get('spoof_print'))} | {fmt(r.get('spoof_replay'))} | {fmt(r.get('spoof_other'))} |")
    lines.append('')
    lines.append(f"Sources: {summary['sources']}. Per-source AUC mean {summary['auc_mean']:.3f}, worst {summary['auc_worst']:.3f} "
                 f"({summary['auc_worst_source']}). BPCER mean {fmt(summary['bpcer_mean'])}, worst {fmt(summary['bpcer_worst'])}; "
                 f"APCER (worst of print and replay) mean {fmt(summary['apcer_mean'])}, worst {fmt(summary['apcer_worst'])}.")
    if summary['sizable_sources']:
        lines.append(f"The {summary['sizable_sources']} sources with at least {SIZABLE} live faces and {SIZABLE} attacks: AUC mean "
                     f"{summary['sizable_auc_mean']:.3f}, worst {summary['sizable_auc_worst']:.3f} ({summary['sizable_auc_worst_source']}).")
    lines.append(f"All held-out faces pooled: AUC {pooled['auc']:.3f}, BPCER {fmt(pooled['bpcer'])} "
                 f"({bpcer_interval(pooled['bpcer'], pooled['live'])}), APCER print "
                 f"{fmt(pooled['spoof_print'])}, replay {fmt(pooled['spoof_replay'])}, other {fmt(pooled['spoof_other'])}. "
                 f"Threshold chosen on all out-of-fold scores (shipped): {shipped:.3f}.")
    return '\n'.join(lines)


def scores_parser():
    """The arguments every report over out-of-fold scores takes: WORK RULE NAME[=WEIGHT]..., --markdown, --json."""
    p = argparse.ArgumentParser()
    p.add_argument('work'); p.add_argument('rule'); p.add_argument('parts', nargs='+')
    p.add_argument('--markdown'); p.add_argument('--json')
    return p


def load_scores(args):
    """The crop rule's meta (sources, labels) and the named parts' fused out-of-fold scores."""
    return json.load(open(os.path.join(args.work, f'meta_{args.rule}.json'))), fused_scores(args.work, args.rule, args.parts)


def main():
    args = scores_parser().parse_args()
    meta, scores = load_scores(args)
    rows, summary, shipped, pooled, shipped_rates = evaluate(scores, meta)
    print(json.dumps({'parts': args.parts, **summary, 'pooled_heldout': pooled, 'shipped_threshold': shipped}, indent=None))
    if args.markdown:
        open(args.markdown, 'w').write(markdown(rows, summary, shipped, pooled) + '\n')
    if args.json:
        json.dump({'parts': args.parts, 'rows': rows, 'summary': summary, 'pooled_heldout': pooled,
                   'shipped_threshold': shipped, 'rates_at_shipped_on_oof': shipped_rates}, open(args.json, 'w'), indent=1)


if __name__ == '__main__':
    main()
