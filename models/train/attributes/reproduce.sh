#!/usr/bin/env bash
# Reproduces models/attributes.onnx, its manifest entry and thresholds, and the validation report.
#   models/train/attributes/reproduce.sh DATA_ROOT WORK_DIR
# DATA_ROOT holds train_attributes/, train/, liveness/ (training) and attributes/ (held out, evaluated
# only). WORK_DIR receives the exported crops and report.json; nothing there is committed.
set -euo pipefail
cd "$(dirname "$0")/../../.."
data=${1:?DATA_ROOT}
work=${2:?WORK_DIR}
npm run build
node dist/models/train/export-attribute-regions.js --out "$work/train" --synth 2 --per-source 40 --seed 1 \
  --labels models/train/attributes/label-corrections.tsv \
  "$data/train_attributes" "$data/train" "$data/liveness"
node dist/models/train/export-attribute-regions.js --out "$work/dev" "$data/attributes"
/usr/bin/python3 models/train/attributes/train.py --data "$work/train" --dev "$work/dev" \
  --onnx models/attributes.onnx --report "$work/report.json" --manifest models/manifest.json
# The faceplugin pack carries the same file (copied at build): pin it there too.
/usr/bin/python3 models/train/pin_manifest.py models/attributes.onnx models/faceplugin/manifest.json
