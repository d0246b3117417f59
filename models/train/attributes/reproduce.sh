#!/usr/bin/env bash
# Reproduces models/attributes.onnx, its manifest entry and thresholds, and the validation report:
#   models/train/attributes/reproduce.sh DATA_ROOT WORK_DIR
# DATA_ROOT holds train_attributes/ (attr_sunglasses/, attr_mask/, attr_hat/, attr_veil/, attr_eyeglasses/,
# attr_none/: at least one with images) and, read when present, train/ and liveness/ (their live/ faces,
# as uncovered faces) and attributes/ (the same attr_* folders, held out: evaluated only). Folder names in
# any case; a file's source is its name before "__", and the grouped folds need at least two sources.
# Relative paths are read from the folder the command is run in. WORK_DIR (outside the repository)
# receives the exported crops and report.json; nothing there is committed.
# It writes into this clone: models/attributes.onnx, its entry, sha256 and the five thresholds in
# models/manifest.json, and the same sha256 in models/faceplugin/manifest.json, and marks both versions
# with their files' digest (+retrained.<8 hex>). Run it in your own clone
# of the git repository (the training tools are not in the npm package), then commit or copy those files.
# Environment: EPOCHS (24), FOLDS (5; at most one fold per source), PYTHON (/usr/bin/python3),
# LABEL_CORRECTIONS (models/train/attributes/label-corrections.tsv: the project's own photos; empty for none).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
usage() {
  cat <<'USAGE'
usage: models/train/attributes/reproduce.sh DATA_ROOT WORK_DIR
  DATA_ROOT  train_attributes/ with attr_sunglasses/, attr_mask/, attr_hat/, attr_veil/, attr_eyeglasses/,
             attr_none/ (at least one with images); when present, train/ and liveness/ (their live/
             faces, uncovered) and attributes/ (held out, evaluated only); a file's source is its name
             before "__"; at least two sources
  WORK_DIR   exported crops and report.json (outside the repository)
Writes models/attributes.onnx, its sha256 and thresholds into models/manifest.json and its sha256 into
models/faceplugin/manifest.json of this clone.
Environment: EPOCHS (24), FOLDS (5; at most one fold per source), PYTHON (/usr/bin/python3),
LABEL_CORRECTIONS (models/train/attributes/label-corrections.tsv; empty for none).
USAGE
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
if [ $# -ne 2 ]; then usage >&2; exit 2; fi
refuse() { echo "reproduce.sh: $*" >&2; exit 2; }
# Paths as the caller typed them, read from the caller's folder (the script works from the repository).
absolute() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }
data="$(absolute "$1")"; work="$(absolute "$2")"
python="${PYTHON:-/usr/bin/python3}"; epochs="${EPOCHS:-24}"; folds="${FOLDS:-5}"
corrections="${LABEL_CORRECTIONS-$repo/models/train/attributes/label-corrections.tsv}"
labels=(); [ -n "$corrections" ] && labels=(--labels "$(absolute "$corrections")")
case "$work/" in "$repo/"*) refuse "WORK_DIR $work is inside the repository (it holds face crops)" ;; esac
[ -d "$data" ] || refuse "no DATA_ROOT $data"
# Images in a folder's labelled subfolders (the names export-attribute-regions reads, any case).
labelled_images() {
  local sub n=0
  for sub in "$1"/*/; do
    case "$(basename "$sub" | tr '[:upper:]' '[:lower:]')" in
      live|attr_none|attr_sunglasses|attr_mask|attr_hat|attr_veil|attr_eyeglasses)
        n=$((n + $(find "$sub" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.webp' \) | wc -l))) ;;
    esac
  done
  echo "$n"
}
[ -d "$data/train_attributes" ] || refuse "no $data/train_attributes (the attribute photos: attr_<name>/ folders)"
train_dirs=("$data/train_attributes")
for name in train liveness; do
  if [ -d "$data/$name" ]; then train_dirs+=("$data/$name"); else echo "reproduce.sh: no $data/$name: its live faces are not used"; fi
done
for dir in "${train_dirs[@]}"; do
  [ "$(labelled_images "$dir")" -gt 0 ] || refuse "no images in the labelled folders of $dir (attr_<name>/ or live/)"
done
dev=(); if [ -d "$data/attributes" ]; then
  [ "$(labelled_images "$data/attributes")" -gt 0 ] || refuse "no images in the labelled folders of $data/attributes (attr_<name>/)"
  dev=(--dev "$work/dev")
else echo "reproduce.sh: no $data/attributes: no held-out evaluation"; fi

cd "$repo"
npm run build
node dist/models/train/export-attribute-regions.js --out "$work/train" --synth 2 --per-source 40 --seed 1 \
  "${labels[@]}" "${train_dirs[@]}"
[ ${#dev[@]} -eq 0 ] || node dist/models/train/export-attribute-regions.js --out "$work/dev" "$data/attributes"
"$python" models/train/attributes/train.py --data "$work/train" "${dev[@]}" --folds "$folds" --epochs "$epochs" \
  --onnx models/attributes.onnx --report "$work/report.json" --manifest models/manifest.json
# The faceplugin pack carries the same file (copied at build): pin it there too.
"$python" models/train/pin_manifest.py models/attributes.onnx models/faceplugin/manifest.json
# Every check reports the pack's name and version: mark both versions with their files' digest.
"$python" models/train/pin_manifest.py --mark-retrained models/manifest.json models/faceplugin/manifest.json
