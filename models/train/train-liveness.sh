#!/usr/bin/env bash
# facelive's liveness training, start to end, in one command:
#   models/train/train-liveness.sh WORK_DIR SILENT_FACE_PTH_DIR DATA_DIR [DATA_DIR ...]
# SILENT_FACE_PTH_DIR holds the released Silent-Face weights 2.7_80x80_MiniFASNetV2.pth and
# 4_0_0_80x80_MiniFASNetV1SE.pth (Apache-2.0). DATA_DIR holds live/, spoof_print/, spoof_replay/ and
# spoof_other/ (names in any case); a file's source is its name before "__" (files without one are all
# the source "unknown"), and at least two sources are needed: each fold holds whole sources out.
# Relative paths are read from the folder the command is run in.
# It writes the default pack into this repository: models/liveness_minifasnet_{v2,v1se,v2face}_facelive.onnx,
# their sha256, the pack's liveness threshold and a version marked with their digest (0.1.0+retrained.<8 hex>)
# in models/manifest.json, and their parity fixtures in
# test/fixtures/pytorch. Run it in your own clone of the git repository (the training tools are not in the
# npm package), then commit or copy that pack.
# Environment: EPOCHS (2), COPIES (4), LR (3e-4), MIXSTYLE (0.5), PYTHON (/usr/bin/python3), FIXTURES
# (test/fixtures/pytorch), FACELIVE_TRAIN_FOLDS (6; at most one fold per source).
# For each of the three models, on its own crop:
# 1. crops of every labelled image, made by the engine's own detector and crop code (TypeScript):
#    2.7x the face box for V2, 4x for V1SE, and 1.2x (the face itself) for a second V2;
# 2. frozen-trunk activations of each crop as served plus augmented copies (the trunk exported from
#    PyTorch, run by onnxruntime-node: several times faster than PyTorch on CPU);
# 3. the released model's zero-shot scores (its own head on the same features); grouped k-fold (sources
#    as groups) fine-tuning of every layer after the frozen ones (conv1 to conv_23 frozen, chosen over
#    conv1 to conv_34 and over conv1 to conv2_dw on the held-out folds), with MixStyle on half the batches
#    (each face's feature statistics mixed with another face's of the same class, mostly from another
#    source: chosen on the held-out folds), out-of-fold scores;
# 4. the final model trained on every source, fused with the released head (one trunk, two heads) or,
#    for the face crop, alone,
#    exported to ONNX and checked against PyTorch with onnxruntime-node (max abs difference <= 1e-4).
# Then per-source reports with thresholds chosen on held-out folds: each model alone and the pack's
# fusion of all three (the mean of the files' outputs, as the manifest fuses them), and what calibrating
# the pack's threshold on a few of a source's own live faces would give it (liveness_calibration.py).
# The pack's threshold, chosen on all out-of-fold scores (report_pack.json, "shipped"), is pinned in the manifest.
# Needs Debian's python3-torch and python3-onnx (apt-get install python3-torch python3-torchvision python3-onnx); WORK_DIR must be
# outside the repository (it holds face crops). Seeds are fixed; on 2 CPU cores it takes about an hour and a half (each model's six folds about 22 minutes).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
usage() {
  cat <<'EOF'
usage: models/train/train-liveness.sh WORK_DIR SILENT_FACE_PTH_DIR DATA_DIR [DATA_DIR ...]
  WORK_DIR             crops, features and reports (outside the repository)
  SILENT_FACE_PTH_DIR  holds 2.7_80x80_MiniFASNetV2.pth and 4_0_0_80x80_MiniFASNetV1SE.pth
  DATA_DIR             live/, spoof_print/, spoof_replay/, spoof_other/ (any case); a file's source is
                       its name before "__"; at least two sources
Writes the three liveness files, their sha256 and the pack's threshold into models/ (the default pack)
and their parity fixtures into test/fixtures/pytorch of this clone.
Environment: EPOCHS (2), COPIES (4), LR (3e-4), MIXSTYLE (0.5), PYTHON (/usr/bin/python3),
FIXTURES (test/fixtures/pytorch), FACELIVE_TRAIN_FOLDS (6; at most one fold per source).
EOF
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
if [ $# -lt 3 ]; then usage >&2; exit 2; fi
# Paths as the caller typed them, read from the caller's folder (the script works from the repository).
absolute() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
work="$(absolute "$1")"; weights_dir="$(absolute "$2")"; shift 2
data_dirs=(); for dir in "$@"; do data_dirs+=("$(absolute "$dir")"); done
python="${PYTHON:-/usr/bin/python3}"
epochs="${EPOCHS:-2}"; lr="${LR:-3e-4}"; copies="${COPIES:-4}"; mixstyle="${MIXSTYLE:-0.5}"
fixtures="$(absolute "${FIXTURES:-$repo/test/fixtures/pytorch}")"
for file in 2.7_80x80_MiniFASNetV2.pth 4_0_0_80x80_MiniFASNetV1SE.pth; do
  if [ ! -f "$weights_dir/$file" ]; then
    echo "train-liveness: no $file in $weights_dir (SILENT_FACE_PTH_DIR: Silent-Face's released weights)" >&2
    exit 2
  fi
done
# id, crop rule (export-crops.ts), released weights, last frozen layer, heads in the shipped file
# (pair: the fine-tuned and the released head averaged; alone: the fine-tuned one, a head's run cheaper)
models=("v2 s27 2.7_80x80_MiniFASNetV2.pth conv_23 pair" "v1se s40 4_0_0_80x80_MiniFASNetV1SE.pth conv_23 pair"
        "v2face s12 2.7_80x80_MiniFASNetV2.pth conv_23 alone")

cd "$repo"
npm run build --silent
node dist/models/train/export-crops.js "$work/crops" "${data_dirs[@]}"
fused=()
for model in "${models[@]}"; do
  read -r id rule file frozen heads <<<"$model"
  weights="$weights_dir/$file"
  out="$repo/models/liveness_minifasnet_${id}_facelive.onnx"
  "$python" "$here/train_liveness.py" trunk "$work" "$work/crops" "$rule" "$weights" --copies "$copies" --frozen "$frozen"
  node dist/models/train/trunk-features.js "$work/trunk_$rule.onnx" "$work/crops/crops_$rule.u8" 80 "$work/features_${rule}_0.f32"
  for k in $(seq 1 $((copies - 1))); do
    node dist/models/train/trunk-features.js "$work/trunk_$rule.onnx" "$work/aug_${rule}_$k.u8" 80 "$work/features_${rule}_$k.f32"
  done
  "$python" "$here/train_liveness.py" cv "$work" "$id" --rule "$rule" --weights "$weights" --epochs "$epochs" --lr "$lr" --frozen "$frozen" --mixstyle "$mixstyle"
  for parts in "$id" "zeroshot" "$id zeroshot"; do
    name="$(echo "$parts" | tr ' ' '_')"
    # shellcheck disable=SC2086
    "$python" "$here/liveness_report.py" "$work" "$rule" $parts --markdown "$work/report_${rule}_$name.md" --json "$work/report_${rule}_$name.json"
  done
  "$python" "$here/train_liveness.py" final "$work" "$id" "$work/${id}_only.onnx" --rule "$rule" --weights "$weights" --epochs "$epochs" --lr "$lr" --frozen "$frozen" --mixstyle "$mixstyle"
  # The shipped file: the fine-tuned head and the released head over the shared frozen trunk, averaged
  # (pair), or the fine-tuned model alone.
  alone=(); [ "$heads" = alone ] && alone=(--alone)
  "$python" "$here/train_liveness.py" fuse "$work" "$id" "$out" --rule "$rule" --weights "$weights" --frozen "$frozen" "${alone[@]}"
  node dist/models/train/check-parity.js "$out" 4 3 80 80
  base="$(basename "$out" .onnx)"
  mkdir -p "$fixtures"
  mv "$out.parity-in.bin" "$fixtures/$base.in.bin"
  mv "$out.parity-out.bin" "$fixtures/$base.out.bin"
  sha256sum "$out"
  # The engine checks each file against the manifest at load: pin the new one there.
  "$python" "$here/pin_manifest.py" "$out" "$repo/models/manifest.json"
  if [ "$heads" = alone ]; then fused+=("$id=2"); else fused+=("$id" "zeroshot-$rule"); fi
done
# The pack: the three files averaged with equal weights (a pair file is the mean of its two heads).
"$python" "$here/liveness_report.py" "$work" s27 "${fused[@]}" --markdown "$work/report_pack.md" --json "$work/report_pack.json"
# The engine compares the fused score with the manifest's threshold: pin the one this run chose (old -> new).
"$python" "$here/pin_manifest.py" --liveness-threshold "$work/report_pack.json" "$repo/models/manifest.json"
# Every check reports the pack's name and version: mark the version with the new files' digest.
"$python" "$here/pin_manifest.py" --mark-retrained "$repo/models/manifest.json"
"$python" "$here/liveness_calibration.py" "$work" s27 "${fused[@]}" --markdown "$work/report_calibration.md" --json "$work/report_calibration.json"
