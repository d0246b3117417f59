// The shipped model packs' versions move with their contents (docs/upgrading.md): every released
// name@version is recorded here with a digest of its manifest (models, thresholds, rules; all but
// the version and the description), so that a pack changed without a new version fails here
// instead of reaching users whose calibrated thresholds name that version. A pack retrained from
// the repository marks its version with its files' digest (models/train/pin_manifest.py); such a
// mark is checked against the files instead.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Released packs: name@version -> sha256 of the manifest's canonical JSON without version and description. */
const RELEASED: Readonly<Record<string, string>> = {
  'facelive-default@0.1.0': 'ed590f894bc1d4cb98ff28491f5eddf0f21b2fa3ceb5a907a38e6cc2ac72716c',
  'facelive-faceplugin@0.1.0': '3bd56a5adfd0eac0e9f2d8faab2dfeced1c6103526d2646dc7eef283ea96e4df',
};

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly models: Readonly<Record<string, { readonly sha256: string }>>;
  readonly [field: string]: unknown;
}

/** JSON with every object's keys sorted, so that the digest does not depend on their order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The digest RELEASED records for a manifest. */
function contentDigest(manifest: Manifest): string {
  const { version: _version, description: _description, ...content } = manifest;
  return createHash('sha256').update(canonical(content)).digest('hex');
}

/** The build metadata models/train/pin_manifest.py --mark-retrained gives a retrained pack. */
function retrainedMark(manifest: Manifest): string {
  const files = Object.keys(manifest.models).sort().map((key) => `${key}=${manifest.models[key]!.sha256}`).join('\n');
  return `retrained.${createHash('sha256').update(files).digest('hex').slice(0, 8)}`;
}

/** Why the manifest's version does not account for its contents, or undefined when it does. */
function versionProblem(manifest: Manifest): string | undefined {
  const [base, build] = manifest.version.split('+') as [string, string | undefined];
  if (build !== undefined) {
    return build === retrainedMark(manifest) ? undefined
      : `${manifest.name}@${manifest.version}: its retrained mark does not match its files; run models/train/pin_manifest.py --mark-retrained again`;
  }
  const id = `${manifest.name}@${base}`;
  const recorded = RELEASED[id];
  const digest = contentDigest(manifest);
  if (recorded === undefined) return `${id} is not recorded: a new pack version records its digest in test/pack-version.test.ts (${digest})`;
  if (digest !== recorded) return `${id} changed since it was recorded: give the pack a new version (docs/upgrading.md) and record that version's digest in test/pack-version.test.ts`;
  return undefined;
}

const read = (file: string): Manifest => JSON.parse(readFileSync(path.join(root, file), 'utf8')) as Manifest;

describe('the shipped model packs', function () {
  for (const file of ['models/manifest.json', 'models/faceplugin/manifest.json']) {
    it(`${file}: its version accounts for its contents`, function () {
      assert.equal(versionProblem(read(file)), undefined);
    });
  }

  it('asks for a new version when a threshold or a model file changes, not when keys are reordered', function () {
    const manifest = read('models/manifest.json') as Manifest & { liveness: { threshold: number } };
    const moved = { ...manifest, liveness: { ...manifest.liveness, threshold: manifest.liveness.threshold + 0.001 } };
    assert.match(versionProblem(moved) ?? '', /changed since it was recorded: give the pack a new version/);
    const [key, entry] = Object.entries(manifest.models)[0]!;
    const swapped = { ...manifest, models: { ...manifest.models, [key]: { ...entry, sha256: '0'.repeat(64) } } };
    assert.match(versionProblem(swapped) ?? '', /changed since it was recorded/);
    assert.match(versionProblem({ ...manifest, version: '0.2.0' }) ?? '', /facelive-default@0\.2\.0 is not recorded/);
    assert.equal(versionProblem(Object.fromEntries(Object.entries(manifest).reverse()) as Manifest), undefined);
  });

  it('takes a retrained pack whose version carries its files\' digest, and no other mark', function () {
    const manifest = read('models/manifest.json');
    const [key, entry] = Object.entries(manifest.models)[0]!;
    const retrained = { ...manifest, models: { ...manifest.models, [key]: { ...entry, sha256: '1'.repeat(64) } } };
    assert.equal(versionProblem({ ...retrained, version: `0.1.0+${retrainedMark(retrained)}` }), undefined);
    assert.match(versionProblem({ ...retrained, version: `0.1.0+${retrainedMark(manifest)}` }) ?? '', /retrained mark does not match its files/);
  });
});
