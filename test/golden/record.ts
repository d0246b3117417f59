// Records the golden outputs of a model pack's models into test/golden/records.json, keyed by each
// model's manifest key and pinned to its file's sha256. Run after replacing a model, once the new
// model has been checked against its own reference (PyTorch parity for trained models):
//   npm run golden:record                      every model of the default pack
//   npm run golden:record -- --only liveness   just these keys (comma-separated); others are kept
//   npm run golden:record -- --pack DIR        another pack

import { writeFileSync } from 'node:fs';
import { DEFAULT_PACK_DIR } from '../../core/engine';
import { detectFaces } from '../../core/faces/detector';
import { readPack } from '../../core/models/manifest';
import { createRegistry } from '../../core/models/registry';
import type { Box } from '../../core/types';
import { fixtureRaster, GOLDEN_FIXTURES, goldenInput } from './cases';
import { readRecords, RECORDS_FILE, type GoldenCase, type GoldenFile, type ModelRecord } from './records';
import { referenceDecode, referenceRun, releaseReferenceSessions, summarize } from './reference';

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const round = (v: number): number => Math.round(v * 10) / 10;

async function main(): Promise<void> {
  const pack = readPack(argument('--pack') ?? DEFAULT_PACK_DIR);
  const only = argument('--only')?.split(',').map((key) => key.trim());
  const registry = await createRegistry(pack);
  const detectorKey = Object.entries(pack.manifest.models).find(([, e]) => e.role === 'detector')![0];
  const previous = readRecords();
  const models: Record<string, ModelRecord> = { ...previous.models };
  // The face box every crop model is recorded around: the pack's detector on the fixture, rounded.
  const boxes = new Map<string, Box>();
  for (const fixture of GOLDEN_FIXTURES) {
    const faces = await detectFaces(registry.get(detectorKey), await fixtureRaster(fixture));
    const b = faces[0]!.box;
    boxes.set(fixture, { x: round(b.x), y: round(b.y), width: round(b.width), height: round(b.height) });
  }
  for (const [key, entry] of Object.entries(pack.manifest.models)) {
    // The attribute model's input is the landmark-aligned face, not a crop about the box: its
    // preprocessing and behaviour are tested in test/core/attributes.test.ts, its ONNX file against
    // PyTorch by the training's parity check.
    if (entry.role === 'attributes') continue;
    if (only && !only.includes(key)) continue;
    const cases: GoldenCase[] = [];
    for (const fixture of GOLDEN_FIXTURES) {
      const raster = await fixtureRaster(fixture);
      const box = entry.role === 'detector' ? null : previous.models[key]?.cases.find((c) => c.fixture === fixture)?.box ?? boxes.get(fixture)!;
      const input = goldenInput(entry, raster, box);
      const outputs = await referenceRun(pack.dir, entry, input);
      const faces = entry.role === 'detector'
        ? (await detectFaces(registry.get(key), raster)).map((f) => ({ box: { x: round(f.box.x), y: round(f.box.y), width: round(f.box.width), height: round(f.box.height) }, score: Math.round(f.score * 1e4) / 1e4 }))
        : undefined;
      cases.push({
        fixture,
        box,
        inputSize: input.size,
        outputs: Object.fromEntries(Object.entries(outputs).map(([name, t]) => [name, summarize(t.data, t.dims)])),
        decoded: referenceDecode(entry, outputs, box, raster.width, raster.height),
        ...(faces ? { faces } : {}),
      });
    }
    models[key] = { file: entry.file, sha256: entry.sha256, role: entry.role, input: entry.input, crop: entry.crop, output: entry.output, recorded: new Date().toISOString().slice(0, 10), cases };
    console.log(`recorded ${key} (${entry.file}, sha256 ${entry.sha256.slice(0, 12)}...) on ${cases.length} fixtures`);
  }
  const file: GoldenFile = {
    about: 'Golden outputs of each model of the default pack, keyed by manifest key and pinned to the file\'s sha256. Written by test/golden/record.ts; checked by test/golden/golden.test.ts.',
    models,
  };
  // Arrays of numbers on one line each, so the file stays readable in a diff.
  const text = JSON.stringify(file, null, 1).replace(/\[[-\d.e+,\s]*\]/g, (array) => array.replace(/\s+/g, ''));
  writeFileSync(RECORDS_FILE, `${text}\n`);
  await registry.dispose();
  await releaseReferenceSessions();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
