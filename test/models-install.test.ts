// The opt-in model download: files come from a (loopback) server, each is checked against its
// pinned sha256 before anything is written, and the written pack loads in an Engine.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createEngine, DEFAULT_PACK_DIR } from '../core';
import { readPack } from '../core/models/manifest';
import { installMiniFasNetPack, MINIFASNET_MODELS, sha256, type RemoteModel } from '../models/minifasnet';

/** The pack `facelive models install minifasnet` extends: one liveness model, as its fusion weights assume. */
const FACEPLUGIN_PACK_DIR = path.join(DEFAULT_PACK_DIR, 'faceplugin');

describe('facelive models install (opt-in download)', function () {
  // A stand-in model file: a real ONNX file of the default pack, served under the MiniFASNet name.
  const standIn = readFileSync(path.join(DEFAULT_PACK_DIR, 'faceplugin', 'fr_liveness.onnx'));
  let server: http.Server;
  let base: string;
  let dir: string;

  before(async function () {
    server = http.createServer((req, res) => {
      if (req.url?.endsWith('.onnx')) res.end(standIn);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/weights`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-install-'));
  });

  after(async function () {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('pins the two MiniFASNet files by commit URL and sha256', function () {
    assert.equal(MINIFASNET_MODELS.length, 2);
    for (const model of MINIFASNET_MODELS) {
      assert.match(model.url, /^https:\/\/.+\/[0-9a-f]{40}\/weights\/MiniFASNet/);
      assert.match(model.sha256, /^[0-9a-f]{64}$/);
    }
  });

  it('refuses a download whose sha256 differs from the pin and writes nothing', async function () {
    const out = path.join(dir, 'refused');
    await assert.rejects(installMiniFasNetPack({ baseDir: FACEPLUGIN_PACK_DIR, outDir: out, from: base }), /sha256 .* is pinned/);
    assert.equal(existsSync(out), false);
  });

  it('writes a pack that fuses the downloaded models with the default one, and it loads', async function () {
    const pinned: RemoteModel[] = MINIFASNET_MODELS.map((m) => ({ ...m, sha256: sha256(standIn) }));
    const out = path.join(dir, 'pack');
    await installMiniFasNetPack({ baseDir: FACEPLUGIN_PACK_DIR, outDir: out, from: base, models: pinned });
    const { manifest } = readPack(out);
    assert.deepEqual(manifest.liveness.models, ['liveness', 'minifasnetv2', 'minifasnetv1se']);
    assert.equal(manifest.models.minifasnetv1se!.crop.scale, 4);
    assert.equal(manifest.models.minifasnetv2!.output.type === 'classes' && manifest.models.minifasnetv2!.output.liveClass, 1);
    const engine = await createEngine({ pack: out });
    assert.equal(engine.pack.name, 'facelive-minifasnet');
    await engine.dispose();
  });
});
