"""Prints the markdown tables of the model card from train.py's report.json.

  /usr/bin/python3 models/train/attributes/report_md.py REPORT.json
"""

import json
import sys


def pct(v):
    return "-" if v is None else f"{100 * v:.1f} %"


def main():
    with open(sys.argv[1]) as f:
        r = json.load(f)
    labels = r["labels"]
    print("Grouped by source, out of fold (each source held out once), at the manifest thresholds:\n")
    print("| fold | held-out sources | " + " | ".join(f"{n}: recall real / synthetic, false alarms" for n in labels) + " |")
    print("|---|---|" + "---|" * len(labels))
    for fold in r["folds"] + [{"fold": "all", "sources": ["(pooled)"], "attributes": r["pooled"]}]:
        cells = []
        for n in labels:
            a = fold["attributes"][n]
            real = f"{pct(a['recall_real'])} ({a['n_real']})"
            syn = f"{pct(a['recall_synthetic'])} ({a['n_synthetic']})"
            cells.append(f"{real} / {syn}, {pct(a['far'])} ({a['n_negative']})")
        print(f"| {fold['fold']} | {', '.join(fold['sources'])} | " + " | ".join(cells) + " |")
    print("\nThresholds:", ", ".join(f"{n} {r['thresholds'][n]}" for n in labels))
    print("Eyeglasses read as sunglasses (out of fold):", pct(r["eyeglasses_as_sunglasses"]), "of all (real and drawn);",
          pct(r.get("real_eyeglasses_as_sunglasses")), f"of the {r.get('n_real_eyeglasses', '-')} real ones")
    if "dev" in r:
        print("\nHeld-out attribute photos (never trained on), final model:\n")
        print("| attribute | positives | recall | negatives | false alarms |")
        print("|---|---|---|---|---|")
        for n in labels:
            a = r["dev"][n]
            print(f"| {n} | {a['n_real']} | {pct(a['recall_real'])} | {a['n_negative']} | {pct(a['far'])} |")
    print(f"\nONNX {r['onnx_bytes']} bytes, sha256 {r['sha256']}, parity max abs diff {r['parity_max_abs_diff']:.2e}")


if __name__ == "__main__":
    main()
