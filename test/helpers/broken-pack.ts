// A model pack that passes every check made before loading (its manifest is the default pack's)
// but fails when the engine loads it: none of its model files is there. For tests of an engine
// that cannot load, now that a pack without a manifest is refused when the options are checked.

import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_PACK_DIR } from '../../core';

export interface BrokenPack {
  readonly dir: string;
  remove(): void;
}

export function packWithoutModels(): BrokenPack {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-no-models-'));
  copyFileSync(path.join(DEFAULT_PACK_DIR, 'manifest.json'), path.join(dir, 'manifest.json'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
