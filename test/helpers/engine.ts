// One real Engine (the built-in pack) shared by the test files of a run, created on first use; and
// engines on the built-in pack with its manifest changed (a temporary pack that links the model files).

import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine, DEFAULT_PACK_DIR, type Engine } from '../../core';
import type { Manifest } from '../../core/models/manifest';

let shared: Promise<Engine> | undefined;

export function sharedEngine(): Promise<Engine> {
  shared ??= createEngine();
  return shared;
}

/**
 * An engine (models on the calling thread) on the default pack with its manifest changed by `change`,
 * in a temporary pack whose model files link to the default pack's; close() disposes of both.
 */
export async function engineWithManifest(change: (manifest: Manifest) => Manifest): Promise<{ engine: Engine; close(): Promise<void> }> {
  const manifest = change(JSON.parse(readFileSync(path.join(DEFAULT_PACK_DIR, 'manifest.json'), 'utf8')) as Manifest);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-pack-'));
  for (const entry of Object.values(manifest.models)) symlinkSync(path.join(DEFAULT_PACK_DIR, entry.file), path.join(dir, entry.file));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const engine = await createEngine({ pack: dir, workerThreads: false });
  return {
    engine,
    async close() {
      await engine.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
