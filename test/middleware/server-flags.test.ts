// The middleware's `flags` option: validations the server decides. A recaptured selfie (a screen
// replay the models judge below the threshold) passes a body that asks for no validation, and fails
// liveness once the server sets validate_liveness, whatever the body says; a body that contradicts a
// server flag is refused; the service's config file takes the option too.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import type { Engine } from '../../core/engine-types';
import { faceLiveness, type FaceLivenessOptions, type ServerFlags } from '../../middleware';
import { selfieJpeg } from '../helpers/faces';
import { recapture } from '../helpers/recapture';
import { sharedEngine } from '../helpers/server';
import { serveWithConfig } from '../helpers/service';

const PATH = '/v1/face/liveness';

describe('faceLiveness({ flags }): checks the server decides', function () {
  this.timeout(90_000);
  let engine: Engine;
  let replay: string;

  before(async () => {
    engine = await sharedEngine();
    replay = (await recapture(await selfieJpeg('frontal'))).toString('base64');
  });

  const appWith = (flags?: ServerFlags): express.Express => express().use(PATH, faceLiveness({ engine, auth: false, metrics: false, ...(flags === undefined ? {} : { flags }) }));

  it('fails liveness on a screen replay whose body asks for no validation, where without the option it passes', async () => {
    const open = await request(appWith()).post(PATH).send({ image: replay });
    assert.equal(open.status, 200);
    assert.equal(open.body.error_code, null, 'the body decides: no validation, PASS');
    assert.ok(open.body.data.liveness.probability < open.body.data.liveness.threshold, 'the replay scores as an attack');
    const decided = await request(appWith({ validate_liveness: true })).post(PATH).send({ image: replay });
    assert.equal(decided.status, 200);
    assert.equal(decided.body.error_code, 'FAIL_ON_1');
  });

  it('sets the flags in annotate mode too, where req.faceLiveness is what the app reads', async () => {
    const app = express().use(PATH, faceLiveness({ engine, auth: false, metrics: false, mode: 'annotate', flags: { validate_liveness: true, validate_nface: true } }));
    app.post(PATH, (req, res) => void res.json({ verdict: req.faceLiveness?.error_code ?? 'PASS' }));
    const res = await request(app).post(PATH).send({ image: replay });
    assert.equal(res.body.verdict, 'FAIL_ON_1');
  });

  it('refuses a body that gives a server flag another value (JSON or multipart), and takes one that gives the same', async () => {
    const app = appWith({ validate_liveness: true });
    for (const body of [{ validate_liveness: false }, { is_liveness: false }, { validate_liveness: 'true' }]) {
      const res = await request(app).post(PATH).send({ image: replay, ...body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error_code, 'INVALID_PAYLOAD');
      assert.match(res.body.message, /^This service sets (validate|is)_liveness to true for every request/);
    }
    const form = await request(app).post(PATH).field('validate_liveness', 'false').attach('image', Buffer.from(replay, 'base64'), 'replay.jpg');
    assert.equal(form.status, 400);
    assert.equal(form.body.error_code, 'INVALID_PAYLOAD');
    const same = await request(app).post(PATH).send({ image: replay, is_liveness: true, validate_liveness: true, validate_nface: false });
    assert.equal(same.body.error_code, 'FAIL_ON_1');
  });

  it('refuses bad flags at construction, naming them', () => {
    const build = (flags: unknown) => () => faceLiveness({ engine, auth: false, metrics: false, flags } as unknown as FaceLivenessOptions);
    assert.throws(build({ validateLiveness: true }), /^TypeError: Unknown flag "validateLiveness" in flags; expected some of is_quality/);
    assert.throws(build({ validate_liveness: 'yes' }), /^TypeError: Expected true or false for flags\.validate_liveness but received the string "yes"\.$/);
    assert.throws(build({ validate_quality: true, is_quality: false }), /^TypeError: flags\.validate_quality is true while flags\.is_quality is false/);
    assert.throws(build([true]), /^TypeError: Expected an object of the contract's flags for flags but received an array/);
  });

  it('is read from the service\'s config file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-flags-'));
    const service = await serveWithConfig(dir, { credentials: [{ appId: 'shop', apiKey: 'shop-key-7fQ2mLx0', mode: 'live' }], flags: { validate_liveness: true } });
    try {
      assert.ok(service.base !== undefined, `exited ${String(service.code)}: ${service.stderr}`);
      const res = await fetch(`${service.base}${PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'App-ID': 'shop', 'API-Key': 'shop-key-7fQ2mLx0' },
        body: JSON.stringify({ image: replay }),
      });
      assert.equal(((await res.json()) as { error_code: unknown }).error_code, 'FAIL_ON_1');
    } finally {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
