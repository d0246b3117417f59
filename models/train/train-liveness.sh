#!/usr/bin/env bash
# facelive's liveness training, start to end, in one command:
#   models/train/train-liveness.sh WORK_DIR MINIFASNET_V2.pth DATA_DIR [DATA_DIR ...]
# 1. crops of every labelled image, made by the engine's own detector and crop code (TypeScript);
# 2. frozen-trunk activations of each crop as served plus augmented copies (the trunk exported from
#    PyTorch, run by onnxruntime-node: several times faster than PyTorch on CPU);
# 3. the released model's zero-shot scores; grouped k-fold (sources as groups) fine-tuning of the
#    later layers; a per-source report with thresholds chosen on held-out folds;
# 4. the final model trained on every source, exported to ONNX and checked against PyTorch with
#    onnxruntime-node (max abs difference <= 1e-4).
# Needs Debian's python3-torch (apt-get install python3-torch python3-torchvision); WORK_DIR must be
# outside the repository (it holds face crops). Seeds are fixed; on 2 CPU cores it takes about an hour.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$1"; weights="$2"; shift 2
python="${PYTHON:-/usr/bin/python3}"
epochs="${EPOCHS:-2}"; lr="${LR:-3e-4}"; copies="${COPIES:-4}"; rule="${RULE:-s27}"
out="${OUT:-$repo/models/liveness_minifasnet_v2_facelive.onnx}"

cd "$repo"
npm run build --silent
node dist/models/train/export-crops.js "$work/crops" "$@"
"$python" "$here/train_liveness.py" zeroshot "$work" "$work/crops" "$rule" "$weights"
"$python" "$here/train_liveness.py" trunk "$work" "$work/crops" "$rule" "$weights" --copies "$copies"
node dist/models/train/trunk-features.js "$work/trunk.onnx" "$work/crops/crops_$rule.u8" 80 "$work/features_${rule}_0.f32"
for k in $(seq 1 $((copies - 1))); do
  node dist/models/train/trunk-features.js "$work/trunk.onnx" "$work/aug_${rule}_$k.u8" 80 "$work/features_${rule}_$k.f32"
done
"$python" "$here/train_liveness.py" cv "$work" finetuned --rule "$rule" --weights "$weights" --epochs "$epochs" --lr "$lr"
"$python" "$here/liveness_report.py" "$work" "$rule" finetuned --markdown "$work/report_finetuned.md" --json "$work/report_finetuned.json"
"$python" "$here/liveness_report.py" "$work" "$rule" zeroshot --markdown "$work/report_zeroshot.md" --json "$work/report_zeroshot.json"
"$python" "$here/train_liveness.py" final "$work" finetuned "$out" --rule "$rule" --weights "$weights" --epochs "$epochs" --lr "$lr"
node dist/models/train/check-parity.js "$out" 4 3 80 80
sha256sum "$out"
