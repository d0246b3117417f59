// onnxruntime-node's telemetry stays off: a process that creates an engine and runs a check writes
// no device id or telemetry database under its home directory and no /tmp/mat-debug-<pid>.log.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Every file below `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('onnxruntime telemetry', function () {
  this.timeout(60_000);

  it('an engine writes nothing under HOME and no /tmp/mat-debug file (ORT_DISABLE_TELEMETRY unset)', async () => {
    const started = Date.now() - 1000; // file times may be coarser than the clock
    const home = mkdtempSync(path.join(os.tmpdir(), 'facelive-home-'));
    try {
      const core = path.join(__dirname, '..', '..', 'core');
      const faces = path.join(__dirname, '..', 'helpers', 'faces');
      const script = `
        const { createEngine } = require(${JSON.stringify(core)});
        const { selfieJpeg } = require(${JSON.stringify(faces)});
        (async () => {
          const engine = await createEngine();
          const { data } = await engine.check(await selfieJpeg('frontal', 320, 240));
          await engine.dispose();
          process.stdout.write(JSON.stringify({ pid: process.pid, nface: data.nface }));
        })();`;
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
      delete env.ORT_DISABLE_TELEMETRY;
      const { stdout } = await run(process.execPath, ['-e', script], { env });
      const { pid, nface } = JSON.parse(stdout) as { pid: number; nface: number };
      assert.equal(nface, 1, 'the engine ran its models');
      assert.deepEqual(filesUnder(home), [], 'nothing written under HOME');
      // A file of that name left by an earlier process with the same pid (pids are reused) is older than this run.
      for (const tmp of new Set([os.tmpdir(), '/tmp'])) {
        const log = path.join(tmp, `mat-debug-${pid}.log`);
        assert.ok(!existsSync(log) || statSync(log).mtimeMs < started, `${log} written by this run`);
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
