// The check CLI as a user runs it: JSON on stdout and the documented exit status.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { landscapeJpeg, selfieJpeg, twoFaces } from './helpers/faces';
import { longestEcho } from './helpers/leaks';
import { heicLike } from './helpers/phone-formats';

const cli = path.resolve(__dirname, '..', 'bin', 'facelive.js');

function run(args: string[], input?: Buffer): { status: number | null; json: Record<string, unknown>; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { input, maxBuffer: 16 * 1024 * 1024 });
  const stdout = result.stdout.toString();
  return { status: result.status, json: stdout ? (JSON.parse(stdout) as Record<string, unknown>) : {}, stderr: result.stderr.toString() };
}

/** The CLI's exit status and output as text; a command that does not end in time is killed (status null). */
function runText(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { env, timeout: 30_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

/** The CLI run without blocking this process (which may be serving its image): exit status and JSON. */
function runAsync(args: string[]): Promise<{ status: number | null; json: Record<string, unknown> }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { maxBuffer: 16 * 1024 * 1024 }, (_err, stdout) => {
      resolve({ status: child.exitCode, json: stdout ? (JSON.parse(stdout) as Record<string, unknown>) : {} });
    });
  });
}

describe('facelive check (CLI)', function () {
  let dir: string;
  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-cli-'));
    writeFileSync(path.join(dir, 'selfie.jpg'), await selfieJpeg());
    writeFileSync(path.join(dir, 'two.jpg'), await twoFaces());
    writeFileSync(path.join(dir, 'landscape.jpg'), await landscapeJpeg());
    writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
    writeFileSync(path.join(dir, 'IMG_0001.HEIC'), await heicLike(await selfieJpeg()));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a verdict with liveness, quality, attributes and nface, exit 0', function () {
    const { status, json } = run(['check', path.join(dir, 'selfie.jpg')]);
    assert.equal(status, 0);
    const data = json.data as Record<string, unknown>;
    assert.equal(json.error_code, null);
    assert.equal(data.nface, 1);
    for (const section of ['liveness', 'quality', 'attributes', 'faces']) assert.ok(section in data, section);
  });

  it('FAIL_ON_n is a processed verdict too: exit 0', function () {
    const { status, json } = run(['check', path.join(dir, 'two.jpg'), '--validate-nface', '--no-attribute']);
    assert.equal(status, 0);
    assert.equal(json.error_code, 'FAIL_ON_8');
    assert.ok(!('attributes' in (json.data as object)));
  });

  it('--liveness-threshold decides the liveness verdict; a value outside [0,1] is a usage error', function () {
    const selfie = path.join(dir, 'selfie.jpg');
    const strict = run(['check', selfie, '--validate-liveness', '--no-quality', '--no-attribute', '--liveness-threshold', '1']);
    const open = run(['check', selfie, '--validate-liveness', '--no-quality', '--no-attribute', '--liveness-threshold', '0']);
    assert.deepEqual([strict.status, strict.json.error_code, (strict.json.data as { liveness: { threshold: number } }).liveness.threshold], [0, 'FAIL_ON_1', 1]);
    assert.deepEqual([open.status, open.json.error_code], [0, null]);
    for (const bad of ['1.5', 'high', '-0.1', '']) {
      const refused = run(['check', selfie, '--liveness-threshold', bad]);
      assert.equal(refused.status, 2, bad);
      assert.match(refused.stderr, /--liveness-threshold/);
    }
  });

  it('fetches a URL on a loopback address only with --allow-private-network', async function () {
    const selfie = await selfieJpeg();
    const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(selfie));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/selfie.jpg`;
      const refused = await runAsync(['check', url, '--compact', '--no-quality', '--no-attribute']);
      assert.equal(refused.status, 2);
      assert.match(String(refused.json.error_code), /^INVALID_PAYLOAD_IMAGE_/);
      const allowed = await runAsync(['check', url, '--compact', '--no-quality', '--no-attribute', '--allow-private-network']);
      assert.deepEqual([allowed.status, allowed.json.error_code, (allowed.json.data as { nface?: number } | undefined)?.nface], [0, null, 1]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads the image from standard input with -', async function () {
    const { status, json } = run(['check', '-', '--compact'], await selfieJpeg());
    assert.equal(status, 0);
    assert.equal((json.data as Record<string, unknown>).nface, 1);
  });

  it('a 4xx code prints the error body and exits 2', function () {
    for (const [file, code] of [['landscape.jpg', 'FACE_NOT_DETECTED'], ['notes.txt', 'INVALID_PAYLOAD_IMAGE_FORMAT'], ['missing.jpg', 'INVALID_PAYLOAD_IMAGE_MISSING']]) {
      const { status, json } = run(['check', path.join(dir, file!)]);
      assert.equal(status, 2, file);
      assert.equal(json.error_code, code);
      assert.equal(typeof json.message, 'string');
    }
    const heic = run(['check', path.join(dir, 'IMG_0001.HEIC')]);
    assert.equal(heic.status, 2);
    assert.equal(heic.json.error_code, 'INVALID_PAYLOAD_IMAGE_FORMAT');
    assert.match(String(heic.json.message), /^The image is HEIC\b.*send a JPEG, PNG or WebP/);
    const dependency = run(['check', path.join(dir, 'selfie.jpg'), '--no-quality', '--validate-quality']);
    assert.equal(dependency.status, 2);
    assert.equal(dependency.json.error_code, 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY');
  });

  it('refuses an argument too long to start onnxruntime with, before loading a model, and never prints image data', async function () {
    const dataUri = `data:image/jpeg;base64,${(await selfieJpeg()).toString('base64')}`;
    assert.ok(dataUri.length > 32 * 1024, 'long enough to crash a session created beside it');
    const long = run(['check', dataUri, '--compact']);
    assert.equal(long.status, 2, 'a usage error, not a crash (signal) or a verdict');
    assert.match(long.stderr, /characters long \(at most 4096\).*standard input/);
    const short = `data:image/jpeg;base64,${(await selfieJpeg('frontal', 32, 24)).toString('base64')}`;
    assert.ok(short.length < 4096);
    const named = run(['check', short]);
    assert.equal(named.status, 2);
    assert.equal(named.json.error_code, 'INVALID_PAYLOAD_IMAGE_MISSING');
    assert.doesNotMatch(JSON.stringify(named.json) + named.stderr, /base64,/, 'the data URI is not echoed');
  });

  it('quotes at most 100 characters of any argument it refuses (3000 characters of a pasted base64 selfie)', async function () {
    const value = (await selfieJpeg()).toString('base64').slice(0, 3000);
    const selfie = path.join(dir, 'selfie.jpg');
    const tooLong: string[] = [];
    for (const [args, said] of [
      [['check', selfie, '--liveness-threshold', value], /for --liveness-threshold but received/],
      [['check', selfie, `--${value}`], /Unknown option/],
      [[value], /Unknown command/],
      [['models', `--${value}`], /Unknown option/],
      [['serve', value], /unexpected argument/],
    ] as const) {
      const { status, stdout, stderr } = runText([...args]);
      assert.equal(status, 2, `${said.source}: a usage error`);
      assert.match(stderr, said);
      const echoed = longestEcho(stdout + stderr, value);
      if (echoed > 100) tooLong.push(`${said.source}: ${echoed} characters`);
    }
    assert.deepEqual(tooLong, []);
  });

  it('stops reading past the image size limit: standard input, a folder, a file too large', async function () {
    const big = run(['check', '-'], Buffer.alloc(5 * 1024 * 1024 + 1));
    assert.deepEqual([big.status, big.json.error_code], [2, 'INVALID_PAYLOAD_IMAGE_SIZE']);
    const folder = run(['check', dir]);
    assert.deepEqual([folder.status, folder.json.error_code], [2, 'INVALID_PAYLOAD_IMAGE_MISSING']);
    const sparse = path.join(dir, 'huge.jpg');
    writeFileSync(sparse, '');
    truncateSync(sparse, 3 * 1024 * 1024 * 1024); // 3 GiB, sparse: Node cannot read it into one Buffer
    const huge = run(['check', sparse]);
    assert.deepEqual([huge.status, huge.json.error_code], [2, 'INVALID_PAYLOAD_IMAGE_SIZE']);
  });

  it('an empty --pack is a usage error, not the built-in pack', function () {
    const { status, stderr } = run(['check', path.join(dir, 'selfie.jpg'), '--pack', '']);
    assert.equal(status, 2);
    assert.match(stderr, /--pack/);
  });

  it('a usage error exits 2 in every command, as --help says', function () {
    for (const args of [['check', path.join(dir, 'selfie.jpg'), '--bogus'], ['check'], ['check', 'a.jpg', 'b.jpg'], ['models', '--bogus'],
      ['models', 'frob'], ['models', 'install', 'minifasnet', '--dir', ''], ['serve', '--bogus'], ['bench', '--bogus'], ['hash-key', '--bogus'], ['eval', '--bogus', dir], ['frob'], []]) {
      const { status, stdout, stderr } = runText(args);
      assert.equal(status, 2, `facelive ${args.join(' ')}: ${stderr}`);
      assert.match(stdout + stderr, /Usage: facelive/, args.join(' '));
    }
    assert.match(runText(['check', '--help']).stdout, /2 request error \(4xx code\) or usage error/);
    assert.match(runText(['models', '--help']).stdout, /2 usage error/);
  });

  it('an unusable model pack is an internal error: exit 1', function () {
    const { status, json, stderr } = run(['check', path.join(dir, 'selfie.jpg'), '--pack', dir]);
    assert.equal(status, 1);
    assert.equal(json.error_code, 'INTERNAL_SERVER_ERROR');
    assert.match(stderr, /manifest.json is missing/);
  });
  it('reads base64 text and a data URI from standard input as the engine reads a string', async function () {
    const selfie = await selfieJpeg();
    const wrapped = `${selfie.toString('base64').replace(/.{76}/g, '$&\n')}\n`;
    const base64 = run(['check', '-', '--compact', '--no-quality', '--no-attribute'], Buffer.from(wrapped));
    assert.deepEqual([base64.status, base64.json.error_code, (base64.json.data as { nface?: number } | undefined)?.nface], [0, null, 1]);
    const uri = run(['check', '-', '--compact', '--no-quality', '--no-attribute'], Buffer.from(`  data:image/jpeg;base64,${selfie.toString('base64')}\r\n`));
    assert.deepEqual([uri.status, uri.json.error_code], [0, null]);
    // Text saved with a UTF-8 byte order mark (Windows editors, PowerShell).
    const bom = run(['check', '-', '--compact', '--no-quality', '--no-attribute'], Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(wrapped)]));
    assert.deepEqual([bom.status, bom.json.error_code], [0, null]);
    const notBase64 = run(['check', '-'], Buffer.from('not an image, not base64'));
    assert.deepEqual([notBase64.status, notBase64.json.error_code], [2, 'INVALID_PAYLOAD_IMAGE_MISSING']);
    // Text is capped too: base64 of more than the 5 MiB image limit.
    const tooLong = run(['check', '-'], Buffer.alloc(8 * 1024 * 1024, 'A'));
    assert.deepEqual([tooLong.status, tooLong.json.error_code], [2, 'INVALID_PAYLOAD_IMAGE_SIZE']);
  });

  it('serve --help prints what it reads and exits 0 without starting; any other argument is a usage error', function () {
    // A FACELIVE_CONFIG that cannot be read: a serve that starts anyway stops with exit 1 at once.
    const env = { ...process.env, FACELIVE_CONFIG: path.join(dir, 'no-such-config.json'), PORT: '0' };
    for (const flag of ['--help', '-h']) {
      const help = runText(['serve', flag], env);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /Usage: facelive serve/);
      assert.match(help.stdout, /PORT[\s\S]*HOST[\s\S]*FACELIVE_CONFIG/);
      assert.doesNotMatch(help.stdout + help.stderr, /listening|cannot read/);
    }
    const unknown = runText(['serve', '--port', '8080'], env);
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /unexpected argument "--port"[\s\S]*Usage: facelive serve/);
  });

  it('bench --help prints its usage without running the benchmark; an unknown argument is a usage error', function () {
    for (const flag of ['--help', '-h']) {
      const help = runText(['bench', flag]);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /^Usage: facelive bench \[--json\]/);
    }
    const unknown = runText(['bench', '--fast']);
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /unexpected argument "--fast"/);
  });
});
