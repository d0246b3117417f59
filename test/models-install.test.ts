// The opt-in model download: files come from a (loopback) server, each is checked against its
// pinned sha256 before anything is written, and the written pack loads in an Engine.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createEngine, DEFAULT_PACK_DIR } from '../core';
import { readPack } from '../core/models/manifest';
import { UnwritableFolder } from '../models/install-folder';
import { installMiniFasNetPack, MINIFASNET_MODELS, sha256, type RemoteModel } from '../models/minifasnet';

const cli = path.resolve(__dirname, '..', 'bin', 'facelive.js');

/** Every file of a folder and its bytes, to tell that a refused install left it as it was. */
function snapshot(dir: string): Record<string, string> {
  const names = (readdirSync(dir, { recursive: true }) as string[]).sort();
  return Object.fromEntries(names.map((name) => {
    const file = path.join(dir, name);
    return [name, statSync(file).isDirectory() ? 'folder' : sha256(readFileSync(file))];
  }));
}

/** The pack `facelive models install minifasnet` extends: one liveness model, as its fusion weights assume. */
const FACEPLUGIN_PACK_DIR = path.join(DEFAULT_PACK_DIR, 'faceplugin');

describe('facelive models install (opt-in download)', function () {
  // A stand-in model file: a real ONNX file of the default pack, served under the MiniFASNet name.
  // One of the project's MiniFASNet fine-tunes: the same input and output as the downloaded files,
  // so that the written pack also runs (createEngine checks an image with every model as it loads).
  const standIn = readFileSync(path.join(DEFAULT_PACK_DIR, 'liveness_minifasnet_v2_facelive.onnx'));
  let server: http.Server;
  let base: string;
  let dir: string;
  /** Model files the server has been asked for. */
  let downloads = 0;

  before(async function () {
    server = http.createServer((req, res) => {
      if (req.url?.endsWith('.onnx')) downloads += 1;
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

  describe('where it writes', function () {
    let pinned: RemoteModel[];
    before(function () {
      pinned = MINIFASNET_MODELS.map((m) => ({ ...m, sha256: sha256(standIn) }));
    });

    it('an empty --dir is a usage error, not the current folder', function () {
      const cwd = path.join(dir, 'webapp');
      mkdirSync(cwd);
      writeFileSync(path.join(cwd, 'manifest.json'), '{"name":"my web app"}');
      const result = spawnSync(process.execPath, [cli, 'models', 'install', 'minifasnet', '--dir', '', '--from', path.join(dir, 'no-mirror')], { cwd });
      assert.equal(result.status, 2);
      assert.match(result.stderr.toString(), /Expected a directory for --dir but received an empty string/);
      assert.deepEqual(readdirSync(cwd), ['manifest.json']);
      assert.equal(readFileSync(path.join(cwd, 'manifest.json'), 'utf8'), '{"name":"my web app"}');
    });

    it('refuses a folder holding another pack, other files or the base pack, and leaves it as it was', async function () {
      const otherPack = path.join(dir, 'other-pack');
      cpSync(FACEPLUGIN_PACK_DIR, otherPack, { recursive: true });
      const notes = path.join(dir, 'notes');
      mkdirSync(notes);
      writeFileSync(path.join(notes, 'todo.txt'), 'keep me');
      const holder = path.join(dir, 'holder');
      const basePack = path.join(holder, 'base-pack');
      cpSync(FACEPLUGIN_PACK_DIR, basePack, { recursive: true });
      for (const [baseDir, outDir, said] of [
        [FACEPLUGIN_PACK_DIR, otherPack, /holds another model pack \("facelive-faceplugin"\)/],
        [FACEPLUGIN_PACK_DIR, notes, /holds files that are not a model pack/],
        [basePack, basePack, /holds the pack the MiniFASNet pack is built from/],
        [basePack, holder, /holds the pack the MiniFASNet pack is built from/],
      ] as const) {
        const before = snapshot(outDir);
        await assert.rejects(installMiniFasNetPack({ baseDir, outDir, from: base, models: pinned }), said);
        assert.deepEqual(snapshot(outDir), before, outDir);
      }
    });

    it('refuses a place where no folder can be made before downloading anything', async function () {
      // A read-only install or a package inside Yarn Plug'n'Play's zip archive fails the same way
      // (EROFS); a path under a file does for any user, root included (EEXIST on Linux).
      const file = path.join(dir, 'a-file');
      writeFileSync(file, 'not a folder');
      const out = path.join(file, 'minifasnet');
      const before = downloads;
      await assert.rejects(installMiniFasNetPack({ baseDir: FACEPLUGIN_PACK_DIR, outDir: out, from: base, models: pinned }),
        (err: Error) => err instanceof UnwritableFolder && /^Cannot create a folder in .*a-file \([A-Z]+\)\. Nothing was downloaded or written\.$/.test(err.message));
      const result = spawnSync(process.execPath, [cli, 'models', 'install', 'minifasnet', '--dir', out, '--from', base]);
      assert.equal(result.status, 1);
      assert.match(result.stderr.toString(), /Cannot create a folder in .*a-file \([A-Z]+\)\. Nothing was downloaded or written\./);
      assert.doesNotMatch(result.stderr.toString(), /default folder/, 'the hint is for the default folder only');
      assert.equal(downloads, before, 'no file was downloaded');
      assert.equal(readFileSync(file, 'utf8'), 'not a folder');
    });

    it('a failure after the first file was written leaves no folder, and an earlier install as it was', async function () {
      // A base pack missing its last model file: the files before it are copied, then the copy fails.
      const brokenBase = path.join(dir, 'broken-base');
      cpSync(FACEPLUGIN_PACK_DIR, brokenBase, { recursive: true });
      rmSync(path.join(brokenBase, 'attributes.onnx'));
      const parent = path.join(dir, 'installs');
      mkdirSync(parent);
      const out = path.join(parent, 'minifasnet');
      await assert.rejects(installMiniFasNetPack({ baseDir: brokenBase, outDir: out, from: base, models: pinned }), /attributes\.onnx/);
      assert.deepEqual(readdirSync(parent), [], 'no target folder and no temporary one');

      await installMiniFasNetPack({ baseDir: FACEPLUGIN_PACK_DIR, outDir: out, from: base, models: pinned });
      await installMiniFasNetPack({ baseDir: FACEPLUGIN_PACK_DIR, outDir: out, from: base, models: pinned });
      const installed = snapshot(out);
      assert.equal(readPack(out).manifest.name, 'facelive-minifasnet');
      await assert.rejects(installMiniFasNetPack({ baseDir: brokenBase, outDir: out, from: base, models: pinned }), /attributes\.onnx/);
      assert.deepEqual(snapshot(out), installed);
      assert.deepEqual(readdirSync(parent), ['minifasnet']);
    });
  });

  describe('its arguments and messages', function () {
    it('an empty --from is a usage error, not the public URLs', function () {
      // A --dir the install refuses, so that a command taking the empty value for the public URLs
      // stops there too, before it downloads anything.
      const out = path.join(dir, 'from-empty');
      mkdirSync(out);
      writeFileSync(path.join(out, 'keep.txt'), 'keep me');
      const result = spawnSync(process.execPath, [cli, 'models', 'install', 'minifasnet', '--from', '', '--dir', out]);
      assert.equal(result.status, 2);
      assert.match(result.stderr.toString(), /Expected a folder or URL for --from but received an empty string/);
      assert.doesNotMatch(result.stderr.toString(), /fetching/);
      assert.deepEqual(readdirSync(out), ['keep.txt']);
    });

    it('a failed download names the file, the host and the cause', async function () {
      // A port that was free a moment ago and is closed now: the connection is refused.
      const closed = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      const out = path.join(dir, 'from-closed');
      const result = spawnSync(process.execPath, [cli, 'models', 'install', 'minifasnet', '--from', `http://127.0.0.1:${closed}/mirror`, '--dir', out]);
      assert.equal(result.status, 1);
      assert.match(result.stderr.toString(), new RegExp(`Downloading MiniFASNetV(2|1SE)\\.onnx from 127\\.0\\.0\\.1:${closed} failed: ECONNREFUSED\\.`));
      assert.equal(existsSync(out), false);
    });
  });
});
