"""Rescores a training run's out-of-fold probabilities (train.py --oof) against other labels of the real
faces, so that runs trained on different labels or drawings are compared on the same truth.

  /usr/bin/python3 models/train/attributes/rescore.py --oof OOF.tsv --report REPORT.json \
      --labels models/train/attributes/label-corrections-pass2.tsv --labels models/train/attributes/label-corrections.tsv

Truth of a real face: the first --labels rule naming its file (as in export-attribute-regions.ts: a
trailing * matches a prefix), else its folder (attr_<name>, or none for attr_none and live). Each run is
read at its own thresholds (REPORT.json), with the engine's rule (sunglasses only at or above the
clear-glasses probability). Drawn crops are left out: their truth is what was drawn, already in the report.
"""

import argparse
import csv
import json
import re

import numpy as np

from data import LABELS
from train import decide


def read_rules(paths):
    rules = []
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                pattern, labels = line.split("\t")[:2]
                correction = "exclude" if labels == "exclude" else [] if labels == "none" else labels.split(",")
                prefix = pattern.endswith("*")
                rules.append((pattern[:-1] if prefix else pattern, prefix, correction))
    return rules


def truth_of(file, rules):
    for pattern, prefix, correction in rules:
        if (file.startswith(pattern) if prefix else file == pattern):
            return correction
    m = re.fullmatch(f"attr_({'|'.join(LABELS)})", file.split("/")[1])
    return [m.group(1)] if m else []


def rescore(oof_path, thresholds, rules):
    with open(oof_path) as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["synthetic"] == ""]
    rows = [(r, truth_of(r["file"], rules)) for r in rows]
    rows = [(r, t) for r, t in rows if t != "exclude"]
    prob = np.array([[float(r[name]) for name in LABELS] for r, _ in rows])
    truth = np.array([[name in t for name in LABELS] for _, t in rows])
    hit = decide(prob, thresholds)
    sun, eye, mask = LABELS.index("sunglasses"), LABELS.index("eyeglasses"), LABELS.index("mask")
    out = {"faces": len(rows)}
    for j, name in enumerate(LABELS):
        pos, neg = truth[:, j], ~truth[:, j]
        out[name] = {"positives": int(pos.sum()), "found": int(hit[pos, j].sum()),
                     "negatives": int(neg.sum()), "false_alarms": int(hit[neg, j].sum())}
    clear = truth[:, eye] & ~truth[:, sun]
    out["clear_glasses_as_sunglasses"] = {"of": int(clear.sum()), "n": int(hit[clear, sun].sum())}
    masked_clear = clear & truth[:, mask]
    out["masked_clear_glasses_as_sunglasses"] = {"of": int(masked_clear.sum()), "n": int(hit[masked_clear, sun].sum())}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--oof", required=True, action="append", help="train.py --oof output (repeat, with --report, per run)")
    ap.add_argument("--report", required=True, action="append", help="that run's report.json (its thresholds)")
    ap.add_argument("--labels", action="append", default=[], help="label corrections, first rule wins")
    args = ap.parse_args()
    if len(args.oof) != len(args.report):
        raise SystemExit("give one --report per --oof")
    rules = read_rules(args.labels)
    results = []
    for oof, report in zip(args.oof, args.report):
        with open(report) as f:
            results.append(rescore(oof, json.load(f)["thresholds"], rules))
    print("| real faces | " + " | ".join(args.oof) + " |")
    print("|---|" + "---|" * len(results))
    for name in LABELS:
        cells = [f"{r[name]['found']} / {r[name]['positives']} found, {r[name]['false_alarms']} / {r[name]['negatives']} false" for r in results]
        print(f"| {name} | " + " | ".join(cells) + " |")
    for key in ("clear_glasses_as_sunglasses", "masked_clear_glasses_as_sunglasses"):
        print(f"| {key.replace('_', ' ')} | " + " | ".join(f"{r[key]['n']} / {r[key]['of']}" for r in results) + " |")


if __name__ == "__main__":
    main()
