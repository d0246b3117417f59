// limits.allowUrlImages false: a URL image is refused with INVALID_PAYLOAD_IMAGE_FORMAT before any
// lookup or connection, in the core library and in the service configured from its file; images sent
// as bytes are checked as before.

import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FaceliveError } from '../core/errors';
import { classifyImage, loadImageBytes } from '../core/image/source';
import { resolveLimits } from '../core/limits';
import { selfieJpeg } from './helpers/faces';
import { serveWithConfig } from './helpers/service';

const REFUSAL = /^This service does not accept image URLs: send the image itself/;

describe('URL images turned off (limits.allowUrlImages false)', function () {
  this.timeout(90_000);
  let face: Buffer;
  let imageServer: http.Server;
  let imageUrl = '';
  let connections = 0;
  let dir = '';

  before(async () => {
    face = await selfieJpeg('right', 320, 240);
    imageServer = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(face));
    imageServer.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    imageUrl = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/face.jpg`;
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-url-off-'));
  });
  after(async () => {
    imageServer.closeAllConnections();
    await new Promise<void>((resolve) => imageServer.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => (connections = 0));

  it('is on by default, and takes only a boolean', () => {
    assert.equal(resolveLimits().allowUrlImages, true);
    assert.throws(() => resolveLimits({ allowUrlImages: 'false' as never }), /Expected a boolean for limits\.allowUrlImages but received the string "false"/);
  });

  it('refuses a URL image without connecting, where the same URL is fetched when allowed', async () => {
    const url = classifyImage(imageUrl);
    await assert.rejects(loadImageBytes(url, resolveLimits({ allowPrivateNetwork: true, allowUrlImages: false })), (err: unknown) => {
      assert.ok(err instanceof FaceliveError && err.code === 'INVALID_PAYLOAD_IMAGE_FORMAT', String(err));
      assert.match(err.message, REFUSAL);
      return true;
    });
    assert.equal(connections, 0);
    assert.deepEqual(await loadImageBytes(url, resolveLimits({ allowPrivateNetwork: true })), face);
    assert.equal(connections, 1);
  });

  it('makes the service answer a URL image 400 with nothing fetched, and an image sent as base64 200', async () => {
    const service = await serveWithConfig(dir, {
      credentials: [{ appId: 'shop', apiKey: 'shop-key-7fQ2mLx0', mode: 'live' }],
      allowPrivateNetwork: true,
      limits: { allowUrlImages: false },
    });
    try {
      assert.ok(service.base !== undefined, `exited ${String(service.code)}: ${service.stderr}`);
      const post = async (image: string): Promise<{ status: number; body: { error_code: unknown; message?: string } }> => {
        const res = await fetch(`${service.base}/v1/face/liveness`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'App-ID': 'shop', 'API-Key': 'shop-key-7fQ2mLx0' },
          body: JSON.stringify({ image }),
        });
        return { status: res.status, body: (await res.json()) as { error_code: unknown; message?: string } };
      };
      const refused = await post(imageUrl);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error_code, 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.match(refused.body.message ?? '', REFUSAL);
      assert.equal(connections, 0, 'the service connected to the image URL');
      const sent = await post(face.toString('base64'));
      assert.equal(sent.status, 200);
      assert.equal(sent.body.error_code, null);
    } finally {
      await service.stop();
    }
  });
});
