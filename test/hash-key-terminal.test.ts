// `facelive hash-key` typed at a real terminal (a pseudo-terminal from util-linux's `script`): the key
// is never shown on the screen, Backspace and Ctrl-U edit it, Ctrl-C abandons it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { onPath, pendingUnlessAvailable } from './helpers/binaries';

const cli = path.resolve(__dirname, '..', 'bin', 'facelive.js');
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const PROMPT = 'type the key and press Enter (it is not shown): ';

/** Everything the terminal showed, and the exit status, when `keystrokes` are typed after the prompt. */
function typeAtTerminal(script: string, keystrokes: string): Promise<{ screen: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    // `script -e` runs the command on a new pseudo-terminal, passes on its exit status and copies
    // what we write to the terminal's input, and what the terminal shows to its standard output.
    const command = `'${process.execPath}' '${cli}' hash-key`;
    const child = spawn(script, ['--quiet', '--return', '--command', command, '/dev/null'], { stdio: 'pipe' });
    let screen = '';
    let typed = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
      if (!typed && screen.includes(PROMPT)) {
        typed = true;
        child.stdin.write(keystrokes);
      }
    });
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ screen, status });
    });
  });
}

describe('facelive hash-key at a terminal', function () {
  this.timeout(60_000);
  let script = '';

  before(function () {
    const found = process.platform === 'linux' ? onPath('script') : undefined;
    if (found === undefined) {
      pendingUnlessAvailable(this, 'hash-key terminal tests', {
        reason: "util-linux's script (a pseudo-terminal) was not found on Linux",
        enable: 'apt-get install bsdutils',
      });
    }
    script = found;
  });

  it('never shows the key as it is typed, and prints its digest', async () => {
    const KEY = 'shop-key-Zq8vW2x9';
    const { screen, status } = await typeAtTerminal(script, `${KEY}\r`);
    assert.equal(status, 0, screen);
    assert.ok(!screen.includes('Zq8vW2x9'), `the key was shown: ${JSON.stringify(screen)}`);
    assert.ok(screen.includes(sha256(KEY)), screen);
  });

  it('edits with Backspace and Ctrl-U as a shell prompt does', async () => {
    const { screen, status } = await typeAtTerminal(script, 'wrong\x15shop-kez\x7fy\r');
    assert.equal(status, 0, screen);
    assert.ok(screen.includes(sha256('shop-key')), screen);
  });

  it('abandons the key on Ctrl-C with exit status 130, printing no digest', async () => {
    const { screen, status } = await typeAtTerminal(script, 'shop-key\x03');
    assert.equal(status, 130, screen);
    assert.doesNotMatch(screen, /[0-9a-f]{64}/);
  });

  it('refuses an empty line (Enter or Ctrl-D at once) with exit status 2', async () => {
    for (const keystrokes of ['\r', '\x04']) {
      const { screen, status } = await typeAtTerminal(script, keystrokes);
      assert.equal(status, 2, screen);
      assert.match(screen, /standard input holds no key/);
    }
  });
});
