// The Chromium the browser tests drive (playwright-core), found in this order:
//   1. FACELIVE_TEST_CHROMIUM, a path to a Chromium binary, when set (and nothing else then);
//   2. the headless shell inside the npm devDependency @sparticuz/chromium: its brotli files are
//      unpacked once into node_modules/.cache (the binary, the NSS libraries it links, fonts), so a
//      plain `npm install` brings a browser from the npm registry alone;
//   3. Debian's /usr/bin/chromium.
// Each candidate must really start; the first that does is used.

import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { isExecutable, type Unavailable } from './binaries';

export const CHROMIUM_ENABLE = 'npm install (the devDependency @sparticuz/chromium), or sudo apt-get install -y chromium';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Candidate {
  readonly source: string;
  readonly executablePath: string;
  readonly env?: Record<string, string>;
}

function fontsConf(fontsDir: string): string {
  return ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">', '<fontconfig>',
    `  <dir>${path.join(fontsDir, 'fonts')}</dir>`, `  <cachedir>${path.join(fontsDir, 'cache')}</cachedir>`, '</fontconfig>', ''].join('\n');
}

/** Extracts a brotli-compressed tar (a few MB) with the system's tar. */
function untarBrotli(archive: string, into: string): void {
  mkdirSync(into, { recursive: true });
  const tar = spawnSync('tar', ['-x', '-C', into], { input: brotliDecompressSync(readFileSync(archive)), stdio: ['pipe', 'ignore', 'pipe'] });
  if (tar.error) throw tar.error;
  if (tar.status !== 0) throw new Error(`tar failed on ${archive}: ${tar.stderr.toString()}`);
}

/** Unpacks @sparticuz/chromium's files once (into a temporary folder, then renamed) and returns the candidate. */
async function npmChromium(): Promise<Candidate | string> {
  let entry: string;
  try {
    entry = require.resolve('@sparticuz/chromium');
  } catch {
    return 'the devDependency @sparticuz/chromium is not installed';
  }
  const pkgDir = path.resolve(path.dirname(entry), '..', '..');
  const { version } = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  if (process.platform !== 'linux') return `@sparticuz/chromium ships Linux binaries only (this is ${process.platform})`;
  const bin = path.join(pkgDir, 'bin');
  const dir = path.resolve(pkgDir, '..', '..', '.cache', `facelive-test-chromium-${version}-${process.arch}`);
  const executablePath = path.join(dir, 'chromium');
  if (!existsSync(executablePath)) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await pipeline(createReadStream(path.join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(path.join(tmp, 'chromium'), { mode: 0o755 }));
    untarBrotli(path.join(bin, 'al2023.tar.br'), tmp);
    untarBrotli(path.join(bin, 'fonts.tar.br'), path.join(tmp, 'fonts'));
    // The package's fonts.conf names serverless folders (/tmp/fonts...): point fontconfig at ours.
    writeFileSync(path.join(tmp, 'fonts', 'fonts.conf'), fontsConf(path.join(dir, 'fonts')));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  const libs = path.join(dir, 'lib');
  return {
    source: `@sparticuz/chromium ${version}`,
    executablePath,
    env: {
      // The NSS libraries the headless shell links come with it; the system's are used only after them.
      LD_LIBRARY_PATH: [libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_PATH: path.join(dir, 'fonts'),
    },
  };
}

export interface LaunchedBrowser {
  readonly browser: Browser;
  /** Where the binary came from, for the test log. */
  readonly source: string;
}

/**
 * Launches the first candidate Chromium that starts, or says why none did and how to get one.
 * `extraArgs` are added to the command line (a fake camera for the demo page's tests).
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<LaunchedBrowser | Unavailable> {
  const configured = process.env.FACELIVE_TEST_CHROMIUM;
  const candidates: Candidate[] = [];
  const reasons: string[] = [];
  if (configured) {
    if (isExecutable(configured)) candidates.push({ source: 'FACELIVE_TEST_CHROMIUM', executablePath: configured });
    else reasons.push(`FACELIVE_TEST_CHROMIUM=${configured} is not an executable file`);
  } else {
    try {
      const found = await npmChromium();
      if (typeof found === 'string') reasons.push(found);
      else candidates.push(found);
    } catch (err) {
      reasons.push(`unpacking @sparticuz/chromium failed: ${(err as Error).message}`);
    }
    if (isExecutable('/usr/bin/chromium')) candidates.push({ source: '/usr/bin/chromium', executablePath: '/usr/bin/chromium' });
    else reasons.push('/usr/bin/chromium is not installed');
  }
  for (const candidate of candidates) {
    try {
      const browser = await chromium.launch({
        executablePath: candidate.executablePath,
        headless: true,
        args: [...ARGS, ...extraArgs],
        env: { ...process.env, ...candidate.env } as Record<string, string>,
        timeout: 60_000,
      });
      return { browser, source: candidate.source };
    } catch (err) {
      reasons.push(`${candidate.source} did not start: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return {
    reason: `no Chromium could be started (${reasons.join('; ')})`,
    enable: configured ? 'unset FACELIVE_TEST_CHROMIUM, or point it at a Chromium binary' : CHROMIUM_ENABLE,
  };
}
