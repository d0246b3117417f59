// The developer harnesses' options as a developer types them: --help prints the usage and exits 0,
// an unknown, misspelt or empty option is refused with exit status 2, each before any service starts
// (a started service leaves its temporary folder in TMPDIR meanwhile); SIGTERM stops a running
// harness with its service and removes that folder.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BENCH = path.resolve(__dirname, '..', '..', 'bench');

describe('harness options (fuzz, soak, bench:blur, bench:transports)', function () {
  let tmp: string;
  beforeEach(function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'facelive-options-'));
  });
  afterEach(function () {
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A harness run to its end, or killed after 20 s: far less than a run with its defaults takes. */
  function harness(file: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(process.execPath, [path.join(BENCH, file), ...args], {
      env: { ...process.env, TMPDIR: tmp },
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
  }

  it('--help and -h print the usage and exit 0', function () {
    for (const [file, name] of [['fuzz.js', 'fuzz'], ['soak.js', 'soak'], ['blur-degradations.js', 'bench:blur'], ['transports.js', 'bench:transports']]) {
      for (const flag of ['--help', '-h']) {
        const run = harness(file, [flag]);
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, new RegExp(`^Usage: npm run ${name}`));
        assert.deepEqual(readdirSync(tmp), []);
      }
    }
  });

  it('refuses unknown and misspelt options, a value without =, and bad numbers, with exit 2', function () {
    const refused: [string, string[], RegExp][] = [
      ['fuzz.js', ['--cuont=5'], /Unknown option "--cuont"/],
      ['fuzz.js', ['--count', '5'], /--count takes a value written with '='/],
      ['fuzz.js', ['--count=abc'], /--count must be a whole number at least 1, not "abc"/],
      ['fuzz.js', ['--minutes=-1'], /--minutes must be a number above 0/],
      ['soak.js', ['--jsn'], /Unknown option "--jsn"/],
      ['soak.js', ['--requests'], /--requests/],
      ['blur-degradations.js', ['--jsn'], /Unknown option "--jsn"/],
      ['blur-degradations.js', [], /name at least one folder of images/],
      ['transports.js', ['--jsn', 'set'], /Unknown option "--jsn"/],
      ['transports.js', ['--per-source=0', 'set'], /--per-source must be a whole number at least 1, not "0"/],
      ['transports.js', [], /name one folder of labelled images/],
      ['transports.js', ['a', 'b'], /name one folder of labelled images/],
    ];
    for (const [file, args, message] of refused) {
      const run = harness(file, args);
      assert.equal(run.status, 2, `${file} ${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /Usage: npm run /);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(readdirSync(tmp), [], 'no service started');
    }
  });

  it('refuses an empty fuzz run and a soak that ends within its warm-up', function () {
    for (const [file, args, message] of [
      ['fuzz.js', ['--count=0'], /--count must be a whole number at least 1/],
      ['fuzz.js', ['--concurrency=0'], /--concurrency must be a whole number at least 1/],
      ['soak.js', ['--requests=100'], /--requests \(100\) must be more than --warmup \(3000\)/],
      ['soak.js', ['--requests=500', '--warmup=500'], /--requests \(500\) must be more than --warmup \(500\)/],
    ] as const) {
      const run = harness(file, [...args]);
      assert.equal(run.status, 2, `${file} ${args.join(' ')}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stdout, /PASS/);
      assert.deepEqual(readdirSync(tmp), [], 'no service started');
    }
  });

  it('SIGTERM stops a running fuzz and its service, removes its temporary config and exits 143', async function () {
    this.timeout(180_000);
    const child = spawn(process.execPath, [path.join(BENCH, 'fuzz.js'), '--count=100000', '--concurrency=1'], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('facelive fuzz')) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    assert.equal(status, 143, out);
    assert.deepEqual(readdirSync(tmp), []);
  });
});
