"""Reads what models/train/export-attribute-regions.ts writes: aligned crops and their labels."""

import csv
import json
import os

import numpy as np

LABELS = ["sunglasses", "mask", "hat", "veil", "eyeglasses"]


def load_export(directory):
    """Crops (N, 3, S, S) uint8, labels (N, 5) float32 and the index rows as dicts."""
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    size = meta["size"]
    with open(os.path.join(directory, "index.tsv")) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    raw = np.fromfile(os.path.join(directory, "crops.u8"), dtype=np.uint8)
    if raw.size != len(rows) * size * size * 3:
        raise ValueError(f"{directory}: crops.u8 holds {raw.size} bytes for {len(rows)} rows of {size}x{size}")
    crops = raw.reshape(len(rows), size, size, 3).transpose(0, 3, 1, 2).copy()
    labels = np.array([[float(r[name]) for name in LABELS] for r in rows], dtype=np.float32)
    return crops, labels, rows, meta


def grouped_folds(sources, k):
    """Assigns whole sources to k folds, largest source first into the smallest fold (deterministic)."""
    counts = {}
    for s in sources:
        counts[s] = counts.get(s, 0) + 1
    sizes = [0] * k
    fold_of = {}
    for source in sorted(counts, key=lambda s: (-counts[s], s)):
        f = min(range(k), key=lambda i: (sizes[i], i))
        fold_of[source] = f
        sizes[f] += counts[source]
    return np.array([fold_of[s] for s in sources]), fold_of
