"""Pins a retrained model file in the pack manifests that name it: its sha256 (and its source's,
where the source is this repository's own training), so that the engine, which checks every file
against its manifest at load, takes the new file; or pins a retrained pack's liveness threshold.

  pin_manifest.py MODEL.onnx MANIFEST.json [MANIFEST.json ...]
  pin_manifest.py --liveness-threshold REPORT.json MANIFEST.json [MANIFEST.json ...]
  pin_manifest.py --mark-retrained MANIFEST.json [MANIFEST.json ...]

A manifest with no entry for the file's name is left as it is; one that names it gets the file's
sha256 (a retrained file differs by machine: float sums run in another order). With
--liveness-threshold, each manifest's liveness threshold becomes the report's shipped threshold
(liveness_report.py --json: chosen on all out-of-fold scores), rounded to three decimals as the
report prints it. With --mark-retrained, each manifest's version gets build metadata naming its
files: 0.1.0 becomes 0.1.0+retrained.1a2b3c4d, the first 8 hex digits of the sha256 of its models'
sha256s (in key order), so that every check's pack.version tells a retrained pack from the shipped
one and from another retrain; marking again replaces the mark.
"""
import hashlib
import json
import os
import sys


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pin(model_path, manifest_path):
    name = os.path.basename(model_path)
    digest = sha256_of(model_path)
    with open(manifest_path) as f:
        manifest = json.load(f)
    pinned = []
    for key, entry in manifest.get("models", {}).items():
        if entry.get("file") != name:
            continue
        entry["sha256"] = digest
        source = entry.get("source") or {}
        # A file trained here names itself as its source ("trained"); a file converted from others'
        # weights keeps the sha256 of those weights.
        if "trained" in source:
            source["sha256"] = digest
        pinned.append(key)
    if pinned:
        with open(manifest_path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
    return pinned


def pin_threshold(report_path, manifest_path):
    """Sets the manifest's liveness threshold to the report's shipped one; returns (old, new)."""
    with open(report_path) as f:
        threshold = round(float(json.load(f)['shipped_threshold']), 3)
    with open(manifest_path) as f:
        manifest = json.load(f)
    if 'liveness' not in manifest:
        sys.exit(f'{manifest_path} has no liveness section to take the threshold.')
    old = manifest['liveness'].get('threshold')
    manifest['liveness']['threshold'] = threshold
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return old, threshold


def mark_retrained(manifest_path):
    """Sets the manifest's version to its base version + "+retrained." + a digest of its files; returns (old, new)."""
    with open(manifest_path) as f:
        manifest = json.load(f)
    files = "\n".join(f"{key}={entry.get('sha256')}" for key, entry in sorted(manifest.get("models", {}).items()))
    old = manifest.get("version", "0.0.0")
    manifest["version"] = f"{old.split('+')[0]}+retrained.{hashlib.sha256(files.encode()).hexdigest()[:8]}"
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    return old, manifest["version"]


def main(argv):
    if len(argv) >= 2 and argv[0] == '--mark-retrained':
        for manifest_path in argv[1:]:
            old, new = mark_retrained(manifest_path)
            print(f'{manifest_path}: version {old} -> {new}')
        return
    if len(argv) >= 3 and argv[0] == '--liveness-threshold':
        for manifest_path in argv[2:]:
            old, new = pin_threshold(argv[1], manifest_path)
            print(f'{manifest_path}: liveness threshold {old} -> {new}')
        return
    if len(argv) < 2 or argv[0].startswith('--'):
        sys.exit(__doc__)
    for manifest_path in argv[1:]:
        keys = pin(argv[0], manifest_path)
        print(f"{manifest_path}: {', '.join(keys) if keys else 'no entry for ' + os.path.basename(argv[0])}")


if __name__ == "__main__":
    main(sys.argv[1:])
