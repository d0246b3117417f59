"""Trains the face-orientation model: which clockwise quarter turn (0, 90, 180, 270) puts the face in
a detector box upright. Crops come from models/train/export-orientation-crops.ts (faces as the engine's
detector boxes them in images turned each way). Grouped-by-source k-fold validation (whole sources held
out), a final model on all crops, ONNX export and a parity check in onnxruntime-node against PyTorch.

  /usr/bin/python3 models/train/train_orientation.py --data EXPORT_DIR --onnx models/orientation.onnx \
      --report REPORT.json [--folds 3] [--epochs 6] [--seed 1]
"""

import argparse
import json
import os
import random
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "attributes"))
from data import grouped_folds  # noqa: E402
# The attribute training's parity check and checksum: the same input normalisation, (x - 127.5) / 127.5.
from train import parity, sha256  # noqa: E402

TURNS = [0, 90, 180, 270]
WIDTHS = (24, 48, 96, 128)
MEAN = 127.5
STD = 127.5
PARITY_TOLERANCE = 1e-4


class OrientationNet(nn.Module):
    """Strided 3x3 convolutions (WIDTHS channels), each followed by a 3x3 convolution at its scale, global
    average pool, four logits; the exported model ends in a softmax over the turns."""

    def __init__(self, softmax=False):
        super().__init__()
        layers, width = [], 3
        for out in WIDTHS:
            layers += [nn.Conv2d(width, out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True),
                       nn.Conv2d(out, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
            width = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, len(TURNS))
        self.softmax = softmax

    def forward(self, x):
        logits = self.head(self.features(x).mean(dim=(2, 3)))
        return torch.softmax(logits, dim=1) if self.softmax else logits


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_export(folder):
    with open(os.path.join(folder, "crop.json")) as f:
        size = json.load(f)["size"]
    with open(os.path.join(folder, "index.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(header, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    crops = np.fromfile(os.path.join(folder, "crops.u8"), dtype=np.uint8).reshape(-1, size, size, 3)
    assert len(crops) == len(rows), f"{len(crops)} crops, {len(rows)} index rows"
    labels = np.array([TURNS.index(int(r["turn"])) for r in rows], dtype=np.int64)
    return crops.transpose(0, 3, 1, 2).copy(), labels, rows


def to_tensor(crops):
    return (torch.from_numpy(crops).float() - MEAN) / STD


# A mirror image turns the other way: a face needing a quarter turn clockwise needs one anticlockwise.
MIRRORED = torch.tensor([0, 3, 2, 1])


def augment(x, y, gen):
    """Mirror (with its label), +-3 px shift, brightness, contrast and colour jitter, some grey copies."""
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(3), x)
    y = torch.where(flip, MIRRORED[y], y)
    dx, dy = [int(v) for v in torch.randint(-3, 4, (2,), generator=gen)]
    x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
    contrast = 1 + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.6
    bright = (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.5
    colour = 1 + (torch.rand(n, 3, 1, 1, generator=gen) - 0.5) * 0.2
    x = x * contrast * colour + bright
    grey = torch.rand(n, generator=gen) < 0.1
    x = torch.where(grey[:, None, None, None], x.mean(dim=1, keepdim=True).expand_as(x), x)
    return x.clamp(-1.5, 1.5), y


def train_net(crops, labels, epochs, seed, batch=128, lr=3e-3):
    seed_all(seed)
    gen = torch.Generator().manual_seed(seed)
    net = OrientationNet()
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-3)
    steps = epochs * ((len(crops) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    x_all, y_all = to_tensor(crops), torch.from_numpy(labels)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(crops), generator=gen)
        total = 0.0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            x, y = augment(x_all[idx], y_all[idx], gen)
            loss = loss_fn(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        print(f"  epoch {epoch + 1}/{epochs} loss {total / len(crops):.4f}", flush=True)
    net.eval()
    return net


def predict(net, crops):
    with torch.no_grad():
        return torch.cat([torch.softmax(net(to_tensor(crops[i:i + 512])), dim=1) for i in range(0, len(crops), 512)]).numpy()


def summarise(prob, labels, rows):
    """Accuracy by true turn and by source; upright faces turned, turned faces left, at each confidence."""
    pred = prob.argmax(1)
    conf = prob.max(1)
    out = {"n": int(len(labels)), "accuracy": float((pred == labels).mean())}
    out["by_turn"] = {str(t): float((pred[labels == i] == i).mean()) for i, t in enumerate(TURNS)}
    sources = sorted({r["source"] for r in rows})
    src = np.array([r["source"] for r in rows])
    by_source = {s: float((pred[src == s] == labels[src == s]).mean()) for s in sources}
    out["by_source"] = by_source
    out["worst_source"] = min(by_source.items(), key=lambda kv: kv[1])
    upright, turned = labels == 0, labels != 0
    out["at_confidence"] = {}
    for tau in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        act = (pred != 0) & (conf >= tau)
        out["at_confidence"][str(tau)] = {
            # An upright face the engine would turn (the costly error: a good photo judged on its side).
            "upright_turned": float(act[upright].mean()),
            # A turned face put upright by the right turn.
            "turned_righted": float((act & (pred == labels))[turned].mean()),
            # A turned face turned the wrong way.
            "turned_wrongly": float((act & (pred != labels))[turned].mean()),
        }
    return out


def export_onnx(net, size, path):
    served = OrientationNet(softmax=True)
    served.load_state_dict(net.state_dict())
    served.eval()
    torch.onnx.export(served, torch.zeros(1, 3, size, size), path, input_names=["input"], output_names=["turns"],
                      opset_version=13, do_constant_folding=True)
    return served


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parity-script", default="dist/models/train/attribute-parity.js")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    crops, labels, rows = load_export(args.data)
    sources = [r["source"] for r in rows]
    fold, _ = grouped_folds(sources, args.folds)
    oof = np.zeros((len(crops), len(TURNS)), dtype=np.float32)
    for k in range(args.folds):
        print(f"fold {k + 1}/{args.folds}: {int((fold != k).sum())} training crops, {int((fold == k).sum())} held out", flush=True)
        net = train_net(crops[fold != k], labels[fold != k], args.epochs, args.seed + k)
        oof[fold == k] = predict(net, crops[fold == k])
    report = {"held_out": summarise(oof, labels, rows), "folds": args.folds, "epochs": args.epochs, "seed": args.seed,
              "sources": len(set(sources))}
    print(json.dumps({k: v for k, v in report["held_out"].items() if k != "by_source"}, indent=1), flush=True)
    np.save(os.path.splitext(args.report)[0] + "_oof.npy", oof)
    print("final model on all crops", flush=True)
    net = train_net(crops, labels, args.epochs, args.seed)
    served = export_onnx(net, crops.shape[2], args.onnx)
    diff = parity(served, crops, args.onnx, args.parity_script)
    if diff > PARITY_TOLERANCE:
        raise SystemExit(f"parity check failed: max abs diff {diff}")
    report.update({"parity_max_abs_diff": diff, "onnx_bytes": os.path.getsize(args.onnx), "sha256": sha256(args.onnx)})
    with open(args.report, "w") as f:
        json.dump(report, f, indent=1)
    print(f"wrote {args.onnx} (parity {diff:.2e}, sha256 {report['sha256']})")


if __name__ == "__main__":
    main()
