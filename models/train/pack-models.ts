// The models of a pack that a training exporter needs, loaded by role without the others: the
// models being trained may not exist yet, or are about to be replaced.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Manifest, ModelRole } from '../../core/models/manifest';
import { createRegistry, type Registry } from '../../core/models/registry';

/** A registry of some of a pack's models and the pack's manifest narrowed to them. */
export interface PackModels {
  readonly registry: Registry;
  readonly manifest: Manifest;
}

/** Loads the models of `roles` from the pack in `packDir` (sha256-checked like any engine's). */
export async function loadPackModels(packDir: string, roles: readonly ModelRole[]): Promise<PackModels> {
  const full = JSON.parse(readFileSync(path.join(packDir, 'manifest.json'), 'utf8')) as Manifest;
  const models = Object.fromEntries(Object.entries(full.models).filter(([, entry]) => roles.includes(entry.role)));
  const manifest: Manifest = { ...full, models };
  return { registry: await createRegistry({ dir: path.resolve(packDir), manifest }), manifest };
}
