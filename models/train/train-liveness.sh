#!/usr/bin/env bash
# facelive's liveness training, start to end, in one command:
#   models/train/train-liveness.sh WORK_DIR MINIFASNET_V2.pth DATA_DIR [DATA_DIR ...]
# 1. crops of every labelled image, made by the engine's own detector and crop code (TypeScript);
# 2. frozen-trunk activations of each crop as served plus augmented copies (the trunk exported from
#    PyTorch, run by onnxruntime-node: several times faster than PyTorch on CPU);
# 3. the released model's zero-shot scores (its own head on the same features); grouped k-fold (sources as groups) fine-tuning of the
#    later layers; a per-source report with thresholds chosen on held-out folds;
# 4. the final model trained on every source, fused with the released head (one trunk, two heads),
#    exported to ONNX and checked against PyTorch with
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
"$python" "$here/train_liveness.py" trunk "$work" "$work/crops" "$rule" "$weights" --copies "$copies"
node dist/models/train/trunk-features.js "$work/trunk.onnx" "$work/crops/crops_$rule.u8" 80 "$work/features_${rule}_0.f32"
for k in $(seq 1 $((copies - 1))); do
  node dist/models/train/trunk-features.js "$work/trunk.onnx" "$work/aug_${rule}_$k.u8" 80 "$work/features_${rule}_$k.f32"
done
"$python" "$here/train_liveness.py" cv "$work" finetuned --rule "$rule" --weights "$weights" --epochs "$epochs" --lr "$lr"
for parts in "finetuned" "zeroshot" "finetuned=1 zeroshot=1"; do
  name="$(echo "$parts" | tr ' =' '_-')"
  # shellcheck disable=SC2086
  "$python" "$here/liveness_report.py" "$work" "$rule" $parts --markdown "$work/report_$name.md" --json "$work/report_$name.json"
done
"$python" "$here/train_liveness.py" final "$work" finetuned "$work/finetuned_only.onnx" --rule "$rule" --weights "$weights" --epochs "$epochs" --lr "$lr"
# The shipped file: the fine-tuned head and the released head over the shared frozen trunk, averaged.
"$python" "$here/train_liveness.py" fuse "$work" finetuned "$out" --weights "$weights"
node dist/models/train/check-parity.js "$out" 4 3 80 80
fixtures="${FIXTURES:-$repo/test/fixtures/pytorch}"; base="$(basename "$out" .onnx)"
mkdir -p "$fixtures"
mv "$out.parity-in.bin" "$fixtures/$base.in.bin"
mv "$out.parity-out.bin" "$fixtures/$base.out.bin"
sha256sum "$out"
