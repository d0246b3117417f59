// The package as consumers load it: the exports map from CommonJS and ESM, the bin, and the
// Node-RED section pointing at built nodes with their editor files beside them, and the links of the
// README and the docs pages.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  'node-red': { nodes: Record<string, string> };
  facelive: { modelPackages: Record<string, string> };
};

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

describe('the package', function () {
  it('exports the core and the middleware to CommonJS and ESM consumers by name', function () {
    assert.equal(node(['-e', "const f = require('facelive'); const m = require('facelive/middleware'); console.log(typeof f.createEngine, typeof m.faceLiveness, typeof m.errorHandler)"]), 'function function function');
    assert.equal(node(['--input-type=module', '-e', "import { createEngine, FaceliveError } from 'facelive'; import { faceLiveness } from 'facelive/middleware'; console.log(typeof createEngine, typeof FaceliveError, typeof faceLiveness)"]), 'function function function');
  });

  it('exports its tables and name lists frozen (the engine checks options against them)', function () {
    const unfrozen = node(['-e', "const f = require('facelive'); console.log(Object.entries(f).filter(([, v]) => v !== null && typeof v === 'object' && !Object.isFrozen(v)).map(([k]) => k).join(' '))"]);
    assert.equal(unfrozen, '', `not frozen: ${unfrozen}`);
    assert.equal(node(['-e', "console.log(Object.isFrozen(require('facelive').ATTRIBUTE_NAMES))"]), 'true');
  });

  it('packs the demo page, both example flows and the licences, with no folder under examples/ (Node-RED lists it as Import > Examples)', function () {
    this.timeout(60_000);
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    for (const file of ['demo/index.html', 'demo/demo.js', 'demo/demo.css', 'examples/kyc-endpoint.json', 'examples/batch-folder.json',
      'LICENSE', 'THIRD-PARTY-NOTICES.md', 'LICENSES/Apache-2.0.txt']) {
      assert.ok(files.includes(file), `${file} is packed`);
    }
    // What a consumer loads: the built code and every model file and card the packs' manifests name
    // (a tarball packed without building first has none of them; docs/install.md, "Publishing").
    for (const file of ['dist/core/index.js', 'dist/core/index.d.ts', 'dist/middleware/index.js', 'dist/middleware/index.d.ts', pkg.bin.facelive!.replace(/^\.\//, '')]) {
      assert.ok(files.includes(file), `${file} is packed`);
    }
    for (const manifestPath of ['models/manifest.json', 'models/faceplugin/manifest.json']) {
      const manifest = JSON.parse(readFileSync(path.join(root, manifestPath), 'utf8')) as { models: Record<string, { file: string; card: string }> };
      for (const { file, card } of Object.values(manifest.models)) {
        for (const named of [file, card]) {
          const packedPath = path.posix.normalize(path.posix.join(path.posix.dirname(manifestPath), named));
          assert.ok(files.includes(packedPath), `${packedPath} (named by ${manifestPath}) is packed`);
        }
      }
    }
    assert.deepEqual(files.filter((f) => f.startsWith('dist/models/train/')), [], 'the training helpers stay in the repository');
    assert.deepEqual(files.filter((f) => /^examples\/[^/]+\//.test(f)), [], 'no folder under examples/');
  });

  it('asks TypeScript consumers of the middleware for @types/express, without installing it for JavaScript ones', function () {
    const meta = pkg as unknown as { peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>; dependencies: Record<string, string> };
    assert.ok(meta.peerDependencies?.['@types/express']);
    assert.equal(meta.peerDependenciesMeta?.['@types/express']?.optional, true);
    const middlewareDir = path.join(root, 'dist', 'middleware');
    const importing = readdirSync(middlewareDir).filter((f) => f.endsWith('.d.ts') && /from 'express'/.test(readFileSync(path.join(middlewareDir, f), 'utf8')));
    assert.ok(importing.length > 0, 'the published declarations import express types, which only @types/express provides');
  });

  it('names a built bin and built Node-RED nodes with their .html beside them', function () {
    assert.ok(existsSync(path.join(root, pkg.bin.facelive!)));
    for (const file of Object.values(pkg['node-red'].nodes)) {
      assert.ok(existsSync(path.join(root, file)), file);
      assert.ok(existsSync(path.join(root, file.replace(/\.js$/, '.html'))), `${file} has its .html`);
    }
  });

  it('has no install-time script, so that no package manager asks its users to approve one', function () {
    // npm 11 listed a `prepare` script among the install scripts to approve after every install of
    // the package, though npm runs none of them for a registry or tarball install.
    const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const installTime = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'];
    assert.deepEqual(installTime.filter((name) => name in scripts), []);
  });

  it('pins every model package of the default pack to an exact version', function () {
    const manifest = JSON.parse(readFileSync(path.join(root, 'models', 'manifest.json'), 'utf8')) as { sources: Record<string, { version: string }> };
    assert.deepEqual(Object.keys(pkg.facelive.modelPackages), Object.keys(manifest.sources));
    for (const [name, version] of Object.entries(pkg.facelive.modelPackages)) {
      assert.match(version, /^\d+\.\d+\.\d+$/, name);
      assert.equal(manifest.sources[name]!.version, version);
    }
  });

  it("has README and docs links that lead somewhere: each #anchor names a heading of the page it points at, each relative link a file of the repository", function () {
    const pages = ['README.md', 'CHANGELOG.md', 'SECURITY.md', ...readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    // GitHub's heading anchors: lower case, punctuation but hyphens and underscores dropped, spaces as hyphens.
    const anchorsOf = (page: string): Set<string> => {
      const text = readFileSync(path.join(root, page), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
      return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replace(/ /g, '-')));
    };
    const broken: string[] = [];
    let links = 0;
    for (const page of pages) {
      const text = readFileSync(path.join(root, page), 'utf8');
      for (const target of [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
        const [file, anchor] = target.split('#') as [string, string | undefined];
        const linked = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file));
        links++;
        if (!existsSync(path.join(root, linked))) broken.push(`${page}: ${target} (no such file)`);
        else if (anchor !== undefined && !anchorsOf(linked).has(anchor)) broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    assert.ok(links >= 50, 'the pages link to their sections and to each other');
    assert.deepEqual(broken, [], 'links that lead nowhere');
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    assert.deepEqual(pages.filter((page) => page !== 'README.md' && !readme.includes(`](${page})`)), [], 'pages the README does not link to');
  });
});
