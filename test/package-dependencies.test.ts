// Every module the published files load or name is one the package declares: under npm's hoisted
// node_modules an undeclared one is often found anyway, under pnpm's strict layout or Yarn's
// Plug'n'Play it is not. Read from the files `npm pack` would publish, not from the source tree.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

interface Manifest {
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function isBare(specifier: string): boolean {
  return !specifier.startsWith('.') && !path.isAbsolute(specifier);
}

/** Each bare specifier in `files` matched by one of `patterns` (group 2), once per file. */
function specifiers(files: readonly string[], patterns: readonly RegExp[]): { file: string; name: string }[] {
  const found: { file: string; name: string }[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const pattern of patterns) {
      for (const m of text.matchAll(pattern)) {
        if (isBare(m[2]!) && !found.some((f) => f.file === file && f.name === m[2])) found.push({ file, name: m[2]! });
      }
    }
  }
  return found;
}

/** Whether an installed dependency ships its own declarations (read from this repository's node_modules). */
function shipsTypes(name: string): boolean {
  const manifest = JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { types?: string; typings?: string; exports?: unknown };
  return manifest.types !== undefined || manifest.typings !== undefined || /"types"/.test(JSON.stringify(manifest.exports ?? null));
}

describe('the published files and the package\'s dependencies', function () {
  let packed: string[];

  before(function () {
    this.timeout(60_000);
    const listed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { files: { path: string }[] }[];
    packed = listed[0]!.files.map((f) => f.path);
  });

  it('loads only Node built-ins, dependencies and optional peer dependencies', function () {
    const js = packed.filter((f) => f.endsWith('.js'));
    assert.ok(js.length > 50, 'the package holds its compiled code');
    // require('x'), import('x') and the import() plot.ts makes through a function (importEsm('x')).
    const loaded = specifiers(js, [/\b(require|import|importEsm)\(\s*['"]([^'"]+)['"]\s*\)/g]);
    assert.ok(loaded.some((s) => s.name === 'onnxruntime-node'), 'the scan finds the requires tsc writes');
    const optionalPeer = (name: string) => pkg.peerDependencies?.[name] !== undefined && pkg.peerDependenciesMeta?.[name]?.optional === true;
    const undeclared = loaded.filter(({ name }) => !isBuiltin(name) && pkg.dependencies[packageOf(name)] === undefined && !optionalPeer(packageOf(name)));
    assert.deepEqual(undeclared.map(({ file, name }) => `${file}: ${name}`), []);
  });

  it('names in its declarations only Node built-ins, dependencies that ship types and peer @types packages', function () {
    const dts = packed.filter((f) => f.endsWith('.d.ts'));
    assert.ok(dts.some((f) => f === 'dist/middleware/index.d.ts'));
    // import ... from 'x', import('x'), declare module 'x' (an augmentation), /// <reference types="x" />.
    const named = specifiers(dts, [/\b(from|import\(|declare module)\s*['"]([^'"]+)['"]/g, /<reference (types)="([^"]+)"/g]);
    assert.ok(named.some((s) => s.name === 'express'), 'the scan finds the middleware\'s express types');
    const declared = (name: string) => {
      const typesPackage = `@types/${name.replace(/^@([^/]+)\//, '$1__')}`;
      if (pkg.peerDependencies?.[typesPackage] !== undefined) return true;
      return pkg.dependencies[name] !== undefined && shipsTypes(name);
    };
    const undeclared = named.filter(({ name }) => !isBuiltin(name) && !declared(packageOf(name)));
    assert.deepEqual(undeclared.map(({ file, name }) => `${file}: ${name}`), []);
  });
});
