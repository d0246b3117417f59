// `facelive hash-key` as a user runs it: the SHA-256 of the key on standard input, in hex, and exit
// status 2 for input no request could send as its key.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';

const cli = path.resolve(__dirname, '..', 'bin', 'facelive.js');
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function hashKey(input: string | Buffer, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, 'hash-key', ...args], { input, timeout: 30_000, killSignal: 'SIGKILL' });
  return { status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe('facelive hash-key (CLI)', function () {
  this.timeout(60_000);
  const KEY = 'shop-key-Zq8vW2x9 with spaces inside';

  it('prints the SHA-256 of the key on standard input, its line break not counted (LF, CRLF or none)', () => {
    for (const input of [KEY, `${KEY}\n`, `${KEY}\r\n`, `\uFEFF${KEY}\n`]) {
      const { status, stdout, stderr } = hashKey(input);
      assert.equal(status, 0, stderr);
      assert.equal(stdout, `${sha256(KEY)}\n`, JSON.stringify(input));
      assert.equal(stderr, '');
    }
  });

  it('refuses an empty key with exit status 2', () => {
    for (const input of ['', '\n', '\r\n']) {
      const { status, stdout, stderr } = hashKey(input);
      assert.equal(status, 2, JSON.stringify(input));
      assert.equal(stdout, '');
      assert.match(stderr, /^facelive hash-key: standard input holds no key\.\n\nUsage: facelive hash-key/);
    }
  });

  it('refuses a key no API-Key header can carry, or more than one line, never printing it', () => {
    const cases: [string, RegExp][] = [
      [`${KEY} \n`, /can never match an API-Key header: it starts or ends with white space/],
      [`\t${KEY}`, /can never match an API-Key header: it starts or ends with white space/],
      [`${KEY}\u0007`, /can never match an API-Key header: it holds a control character/],
      ['schlüssel-Zq8', /can never match an API-Key header: it holds a character outside ASCII/],
      [`${KEY}\n${KEY}\n`, /more than one line/],
      [`${KEY}\n\n`, /more than one line/],
      ['x'.repeat(20_000), /longer than 16384 bytes/],
    ];
    for (const [input, message] of cases) {
      const { status, stdout, stderr } = hashKey(input);
      assert.equal(status, 2, JSON.stringify(input.slice(0, 40)));
      assert.equal(stdout, '');
      assert.match(stderr, message);
      assert.ok(!stderr.includes('Zq8') && !stderr.includes('xxxxxxxx'), stderr);
    }
  });

  it('takes no argument (the key goes on standard input), exit status 2, and prints its usage for --help', () => {
    const refused = hashKey(`${KEY}\n`, ['Zq8-secret']);
    assert.equal(refused.status, 2);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /takes no arguments .*standard input/);
    assert.ok(!refused.stderr.includes('Zq8'), refused.stderr);
    const help = hashKey('', ['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: facelive hash-key/);
    assert.match(help.stdout, /printf %s "\$KEY" \| sha256sum/);
    const usage = spawnSync(process.execPath, [cli, '--help']).stdout.toString();
    assert.match(usage, /\n {2}hash-key {2,}/);
  });
});
