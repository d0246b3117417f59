// Development script: writes a model pack that pairs the default pack's detector, landmark and
// pose models with Silent-Face MiniFASNet V2 + V1SE (Apache-2.0) for liveness, to show that the
// pack format expresses it (two crops, BGR raw input, class 1 = live, averaged) and to evaluate it:
//   node dist/scripts/silent-face-pack.js <dir with MiniFASNetV2.onnx and MiniFASNetV1SE.onnx> <out dir>
//   node dist/bin/facelive.js eval <labelled dir> --pack <out dir>
// The MiniFASNet files are not on npm; this pack is not shipped.

import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PACK_DIR } from '../core/engine';
import { readPack, type ModelEntry } from '../core/models/manifest';

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function miniFasNet(file: string, scale: number, sourceDir: string): ModelEntry {
  const digest = sha256(path.join(sourceDir, file));
  return {
    role: 'liveness',
    file,
    sha256: digest,
    source: { url: 'minivision-ai/Silent-Face-Anti-Spoofing (Apache-2.0), ONNX export by yakhyo/face-anti-spoofing', path: file, sha256: digest },
    input: { name: 'input', width: 80, height: 80, layout: 'NCHW', channels: 'BGR', mean: [0, 0, 0], std: [1, 1, 1] },
    crop: { scale, mode: 'shift', square: false },
    output: { type: 'classes', name: 'output', activation: 'softmax', liveClass: 1 },
  };
}

function main(): void {
  const [sourceDir, outDir] = process.argv.slice(2);
  if (!sourceDir || !outDir) {
    console.error('usage: silent-face-pack <dir with MiniFASNet*.onnx> <out dir>');
    process.exit(2);
  }
  const base = readPack(DEFAULT_PACK_DIR).manifest;
  mkdirSync(outDir, { recursive: true });
  const models: Record<string, ModelEntry> = {};
  for (const [key, entry] of Object.entries(base.models)) {
    if (entry.role === 'liveness') continue;
    copyFileSync(path.join(DEFAULT_PACK_DIR, entry.file), path.join(outDir, entry.file));
    models[key] = entry;
  }
  models.minifasnet_v2 = miniFasNet('MiniFASNetV2.onnx', 2.7, sourceDir);
  models.minifasnet_v1se = miniFasNet('MiniFASNetV1SE.onnx', 4.0, sourceDir);
  for (const file of ['MiniFASNetV2.onnx', 'MiniFASNetV1SE.onnx']) copyFileSync(path.join(sourceDir, file), path.join(outDir, file));
  const manifest = {
    ...base,
    name: 'silent-face-minifasnet',
    description: 'Development pack: default detector/landmarks/pose with Silent-Face MiniFASNet V2 + V1SE liveness (Apache-2.0).',
    models,
    liveness: { models: ['minifasnet_v2', 'minifasnet_v1se'], fusion: 'mean', threshold: 0.5 },
  };
  writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  readPack(outDir);
  console.log(`wrote ${path.join(outDir, 'manifest.json')}`);
}

main();
