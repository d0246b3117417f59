"""ISO/IEC 30107-3 style metrics per source and pooled: AUC, APCER (per attack species and worst), BPCER."""
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
