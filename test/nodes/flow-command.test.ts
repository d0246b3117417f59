// `npm run flow` (dist/bin/flow.js): a real Node-RED starts on a free port with the KYC example
// deployed, answers a selfie over HTTP with the contract's JSON, and stops on SIGTERM; it refuses a
// HOST other than loopback, where its unauthenticated admin API would be open, unless told otherwise.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ALLOW_REMOTE_ADMIN, isLoopbackHost, remoteAdminRefusal } from '../../bin/flow-host';
import { selfieJpeg } from '../helpers/faces';

const FLOW_JS = path.resolve(__dirname, '..', '..', 'bin', 'flow.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

/** Resolves with the child's output once `pattern` shows up in it. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`flow.js printed no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`flow.js exited (${code}) early:\n${output}`));
    });
  });
}

describe('npm run flow', function () {
  this.timeout(90_000);
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('starts Node-RED with the KYC flow, answers a selfie, and stops cleanly', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [FLOW_JS], { env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' }, stdio: 'pipe' });
    const output = await waitForOutput(child, /User directory:.*\n/, 60_000);
    const base = `http://127.0.0.1:${port}`;
    assert.match(output, new RegExp(`Node-RED editor: ${base}/`));
    assert.match(output, new RegExp(`POST ${base}/v1/face/liveness`));
    const userDir = /User directory: +(\S+)/.exec(output)?.[1];

    const editor = await fetch(`${base}/`);
    assert.equal(editor.status, 200);
    assert.match(await editor.text(), /Node-RED/);

    const examples = await fetch(`${base}/library/examples/flows/facelive/`);
    const entries = await examples.json() as unknown[];
    const listed = entries.filter((e): e is { fn: string } => typeof e === 'object' && e !== null);
    assert.deepEqual(listed.map((e) => e.fn).sort(), ['batch-folder', 'kyc-endpoint'], 'both flows under Import > Examples > facelive');
    assert.deepEqual(entries.filter((e) => typeof e === 'string'), [], 'no folders beside them (the demo page lives outside examples/)');

    const answer = await fetch(`${base}/v1/face/liveness`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ image: (await selfieJpeg()).toString('base64'), validate_nface: true }),
    });
    assert.equal(answer.status, 200);
    const body = await answer.json() as Record<string, any>;
    assert.equal(body.message, 'PASS');
    assert.equal(body.error_code, null);
    assert.equal(body.data.nface, 1);
    assert.equal(body.data.options.validate_nface, true);

    const refused = await fetch(`${base}/v1/face/liveness`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(refused.status, 400);
    assert.equal((await refused.json() as Record<string, any>).error_code, 'MISSING_PAYLOAD_IMAGE');

    // Broken JSON is refused by Node-RED's own body parser before any flow node runs (docs/node-red.md), as
    // under node-red's CLI: not passed on to the flow as an empty message.
    const broken = await fetch(`${base}/v1/face/liveness`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"image": ' });
    assert.equal(broken.status, 400);
    assert.doesNotMatch(await broken.text(), /MISSING_PAYLOAD_IMAGE/);

    const running = child;
    const exited = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)));
    running.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(userDir && !existsSync(userDir), 'the temporary user directory is removed');
  });

  it('takes only a loopback HOST unless FACELIVE_FLOW_ALLOW_REMOTE_ADMIN=1', function () {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      assert.equal(isLoopbackHost(host), true, host);
      assert.equal(remoteAdminRefusal(host, {}), undefined, host);
    }
    for (const host of ['0.0.0.0', '::', '', '192.168.1.20', '10.0.0.1', 'example.org', '128.0.0.1', '::ffff:10.0.0.1']) {
      assert.equal(isLoopbackHost(host), false, host);
      assert.match(remoteAdminRefusal(host, {}) ?? '', /not a loopback address.*without authentication/, host);
      assert.equal(remoteAdminRefusal(host, { [ALLOW_REMOTE_ADMIN]: '1' }), undefined, host);
    }
    assert.ok(remoteAdminRefusal('0.0.0.0', { [ALLOW_REMOTE_ADMIN]: 'yes' }), 'only 1 opts in');
  });

  it('refuses a PORT that is not decimal digits with exit 2 before starting Node-RED (" " listened on a random port, 1e4 on 10000)', () => {
    for (const port of [' ', '0x4790', '1e4']) {
      const result = spawnSync(process.execPath, [FLOW_JS], { env: { ...process.env, PORT: port, LOG_LEVEL: 'warn' }, timeout: 30_000, killSignal: 'SIGKILL' });
      const output = result.stdout.toString() + result.stderr.toString();
      assert.equal(result.status, 2, `PORT=${JSON.stringify(port)}: ${output}`);
      assert.ok(output.includes(`PORT must be a port number (decimal digits, 0 to 65535; 0 for any free port), not "${port}".`), output);
      assert.doesNotMatch(output, /Node-RED editor/);
    }
  });

  it('with HOST=0.0.0.0, exits 2 with the reason before starting Node-RED', async () => {
    const port = await freePort();
    const result = spawnSync(process.execPath, [FLOW_JS], {
      env: { ...process.env, PORT: String(port), HOST: '0.0.0.0', LOG_LEVEL: 'warn', [ALLOW_REMOTE_ADMIN]: '' },
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    const output = result.stdout.toString() + result.stderr.toString();
    assert.equal(result.status, 2, output);
    assert.match(output, /HOST="0\.0\.0\.0" is not a loopback address[\s\S]*FACELIVE_FLOW_ALLOW_REMOTE_ADMIN=1/);
    assert.doesNotMatch(output, /Node-RED editor/);
  });
});
