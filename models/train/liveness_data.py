"""Liveness crops exported by export-crops.ts, their labels and sources, and folds grouped by source."""
import json
import os
import sys

import numpy as np

# The grouped folds asked for; fold_count gives fewer where there are fewer sources.
REQUESTED_FOLDS = int(os.environ.get('FACELIVE_TRAIN_FOLDS', '6'))

# Training classes of the MiniFASNet head: 1 = live, 0 = print (and other), 2 = screen replay.
CLASS_OF_LABEL = {'live': 1, 'spoof_print': 0, 'spoof_other': 0, 'spoof_replay': 2}


class Crops:
    def __init__(self, directory, rule):
        rows = [line.rstrip('\n').split('\t') for line in open(os.path.join(directory, 'index.tsv'))]
        header, rows = rows[0], rows[1:]
        col = {name: i for i, name in enumerate(header)}
        self.skipped = [r for r in rows if r[col['status']] != 'ok']
        ok = [r for r in rows if r[col['status']] == 'ok']
        size = json.load(open(os.path.join(directory, 'rules.json')))[rule]['size']
        self.images = np.fromfile(os.path.join(directory, f'crops_{rule}.u8'), dtype=np.uint8).reshape(-1, size, size, 3)
        assert len(self.images) == len(ok), 'index and crops disagree'
        self.files = np.array([r[col['file']] for r in ok], dtype=str)
        self.sources = np.array([r[col['source']] for r in ok], dtype=str)
        self.labels = np.array([r[col['label']] for r in ok], dtype=str)
        self.live = (self.labels == 'live').astype(np.int64)
        self.classes = np.array([CLASS_OF_LABEL[label] for label in self.labels], dtype=np.int64)
        self.face_width = np.array([float(r[col['box_w']]) for r in ok])
        # The image's size over the face box, as quality.framing.image_to_face reports it (core/checks/quality.ts).
        self.framing = np.array([min(float(r[col['width']]) / max(1.0, float(r[col['box_w']])),
                                     float(r[col['height']]) / max(1.0, float(r[col['box_h']]))) for r in ok])


def fold_count(sources, note=False):
    """The number of grouped folds: FACELIVE_TRAIN_FOLDS (6 by default), at most one per source; with note, says so
    on stderr when there are fewer. Fewer than two sources stop the run: a fold needs another source to train on."""
    if REQUESTED_FOLDS < 2:
        sys.exit(f'FACELIVE_TRAIN_FOLDS is {REQUESTED_FOLDS}: grouped validation needs at least 2 folds.')
    names = sorted(set(sources))
    if len(names) < 2:
        found = f"only the source {names[0]!r}" if names else 'no face'
        sys.exit(f'Grouped validation needs faces of at least two sources; found {found}. A file\'s source is its name '
                 f'before "__" (cameraA__0001.jpg is of the source cameraA); files without "__" are all of the source "unknown".')
    if len(names) < REQUESTED_FOLDS and note:
        print(f'{len(names)} sources: {len(names)} grouped folds instead of {REQUESTED_FOLDS} (FACELIVE_TRAIN_FOLDS), '
              f'one source held out in each', file=sys.stderr, flush=True)
    return min(REQUESTED_FOLDS, len(names))


def grouped_folds(sources, k, seed=0):
    """Assigns whole sources to k folds, largest sources first, each to the currently smallest fold."""
    names, counts = np.unique(sources, return_counts=True)
    rng = np.random.RandomState(seed)
    order = sorted(range(len(names)), key=lambda i: (-counts[i], rng.rand()))
    sizes = [0] * k
    fold_of = {}
    for i in order:
        f = int(np.argmin(sizes))
        fold_of[names[i]] = f
        sizes[f] += counts[i]
    return np.array([fold_of[s] for s in sources])


# The framing bands of the framing table in docs/accuracy.md (image size over the face box).
FRAMING_BANDS = (1.25, 1.5, 2.0, 2.7, 4.0)
# Face-box width bands, in the working raster's pixels (measured with --balance-framing 2, not used).
FACE_WIDTH_BANDS = (60.0, 100.0, 160.0, 250.0)


def framing_balanced(weights, framing, live, face_width=None):
    """Sampling weights rescaled so that in every framing band live faces and attacks weigh the same (each band
    keeping its total weight): how tightly an image was cut then tells the head nothing about its class, though
    the training sources cut their live faces and attacks differently. With face_width, the bands are framing
    band x face-width band (FACE_WIDTH_BANDS, pixels). A band holding one class only is left as it is."""
    band = np.digitize(framing, FRAMING_BANDS)
    if face_width is not None:
        band = band * (len(FACE_WIDTH_BANDS) + 1) + np.digitize(face_width, FACE_WIDTH_BANDS)
    out = np.asarray(weights, dtype=np.float64).copy()
    for b in np.unique(band):
        in_band = band == b
        total = out[in_band].sum()
        masses = [out[in_band & (live == k)].sum() for k in (0, 1)]
        if min(masses) <= 0:
            continue
        for k in (0, 1):
            out[in_band & (live == k)] *= (total / 2) / masses[k]
    return out / out.sum()


def weighted_mean(parts, load):
    """The weighted mean of the score arrays named by parts ("NAME" or "NAME=WEIGHT", weight 1 by default),
    each read by load(NAME): how a pack's models, or a teacher's, are fused."""
    total, weight = 0, 0.0
    for part in parts:
        name, _, w = part.partition('=')
        w = float(w or 1)
        total = total + w * load(name)
        weight += w
    return total / weight
