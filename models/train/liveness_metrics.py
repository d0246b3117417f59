"""ISO/IEC 30107-3 style metrics per source and pooled: AUC, APCER (per attack species and worst), BPCER."""
import math

import numpy as np


def auc(scores, live):
    """Probability that a live sample scores above an attack (ties count half); None without both classes."""
    pos, neg = scores[live == 1], scores[live == 0]
    if len(pos) == 0 or len(neg) == 0:
        return None
    order = np.argsort(np.concatenate([pos, neg]), kind='mergesort')
    ranks = np.empty(len(order))
    values = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def rates(scores, labels, threshold):
    """BPCER (live rejected), APCER per species (attack accepted) and its worst over print and replay."""
    live = labels == 'live'
    out = {'bpcer': float(np.mean(scores[live] < threshold)) if live.any() else None}
    worst = None
    for species in ('spoof_print', 'spoof_replay', 'spoof_other'):
        mask = labels == species
        if mask.any():
            out[species] = float(np.mean(scores[mask] >= threshold))
            if species != 'spoof_other':
                worst = max(worst or 0.0, out[species])
    out['apcer_worst'] = worst
    return out


def choose_threshold(scores, labels):
    """The threshold minimising max(BPCER, worst APCER over print and replay), pooled."""
    best, best_t = None, 0.5
    for t in np.unique(np.round(scores, 4)):
        r = rates(scores, labels, t)
        cost = max(r['bpcer'] or 0, r['apcer_worst'] or 0)
        if best is None or cost < best:
            best, best_t = cost, float(t)
    return best_t


def _binomial_cdf(k, n, p):
    """P(X <= k) for X ~ Binomial(n, p), summed in log space (n up to many thousands)."""
    if p <= 0:
        return 1.0
    if p >= 1:
        return 1.0 if k >= n else 0.0
    lp, lq = math.log(p), math.log1p(-p)
    base = math.lgamma(n + 1)
    return min(1.0, sum(math.exp(base - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq) for i in range(k + 1)))


def clopper_pearson(errors, attempts, confidence=0.95):
    """The exact (Clopper-Pearson) interval of a rate of `errors` in `attempts`, as `facelive eval` reports
    it (core/eval/interval.ts): bisection on the binomial tails, each holding (1 - confidence) / 2."""
    tail = (1 - confidence) / 2

    def solve(holds):  # the p where holds(p) turns from True to False, p rising
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if holds(mid) else (lo, mid)
        return (lo + hi) / 2

    lower = 0.0 if errors == 0 else solve(lambda p: 1 - _binomial_cdf(errors - 1, attempts, p) < tail)
    upper = 1.0 if errors == attempts else solve(lambda p: _binomial_cdf(errors, attempts, p) > tail)
    return lower, upper


def per_source_table(scores, labels, sources, thresholds):
    """One row per source: counts, AUC, BPCER and APCER at that source's threshold (held-out choice)."""
    rows = []
    for s in sorted(set(sources)):
        m = sources == s
        r = rates(scores[m], labels[m], thresholds[s])
        rows.append({'source': s, 'n': int(m.sum()), 'live': int((labels[m] == 'live').sum()),
                     'attack': int((labels[m] != 'live').sum()), 'auc': auc(scores[m], (labels[m] == 'live').astype(int)),
                     'threshold': thresholds[s], **r})
    return rows


# A source's AUC on a handful of faces is noise (one live face and two attacks give 0, 0.5 or 1):
# the summary also reports the sources with at least this many live faces and this many attacks.
SIZABLE = 20


def summarise(rows):
    sizable = [r for r in rows if r['live'] >= SIZABLE and r['attack'] >= SIZABLE and r['auc'] is not None]
    aucs = [r['auc'] for r in rows if r['auc'] is not None]
    bp = [r['bpcer'] for r in rows if r['bpcer'] is not None]
    ap = [r['apcer_worst'] for r in rows if r['apcer_worst'] is not None]
    return {'sources': len(rows), 'auc_mean': float(np.mean(aucs)), 'auc_worst': float(np.min(aucs)),
            'auc_worst_source': min((r for r in rows if r['auc'] is not None), key=lambda r: r['auc'])['source'],
            'bpcer_mean': float(np.mean(bp)), 'bpcer_worst': float(np.max(bp)),
            'apcer_mean': float(np.mean(ap)), 'apcer_worst': float(np.max(ap)),
            'sizable_sources': len(sizable),
            'sizable_auc_mean': float(np.mean([r['auc'] for r in sizable])) if sizable else None,
            'sizable_auc_worst': float(min(r['auc'] for r in sizable)) if sizable else None,
            'sizable_auc_worst_source': min(sizable, key=lambda r: r['auc'])['source'] if sizable else None}
