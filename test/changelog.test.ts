// CHANGELOG.md against package.json: its latest entry is the package's version, and it is packed, so
// that a release cannot go out without its entry, nor its entry without the release.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

/** The version of the changelog's first entry that names one (`## [1.2.3] - 2027-01-31`), skipping `## [Unreleased]`. */
function latestEntry(changelog: string): string | undefined {
  for (const [, heading] of changelog.matchAll(/^## (.+)$/gm)) {
    const version = /^\[?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\]?(?:\s|$)/.exec(heading!.trim());
    if (version) return version[1];
  }
  return undefined;
}

describe('the changelog', function () {
  it("has its latest entry for package.json's version", function () {
    const changelog = readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
    assert.equal(latestEntry(changelog), pkg.version, `CHANGELOG.md's latest entry is for package.json's version ${pkg.version}`);
  });

  it('reads the version of the first entry that names one', function () {
    assert.equal(latestEntry('# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2027-01-31\n\n## [1.1.0] - 2026-12-01\n'), '1.2.0');
    assert.equal(latestEntry('## 0.2.0-rc.1 - Unreleased\n## [0.1.0]\n'), '0.2.0-rc.1');
    assert.equal(latestEntry('# Changelog\n\n## [Unreleased]\n'), undefined);
  });

  it('is packed', function () {
    this.timeout(60_000);
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { files: { path: string }[] }[];
    const files = packed[0]!.files.map((f) => f.path);
    for (const file of ['CHANGELOG.md', 'docs/upgrading.md']) assert.ok(files.includes(file), `${file} is packed`);
  });
});
