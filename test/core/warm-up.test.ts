// The warm-up createEngine() runs before it resolves: every model of the pack runs in it (a pack
// whose model loads but cannot run is refused at load, naming the model), it changes no answer, and
// it can be switched off.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEngine, DEFAULT_PACK_DIR, FaceliveError, type CheckResult } from '../../core';
import type { Manifest } from '../../core/models/manifest';
import { selfieJpeg } from '../helpers/faces';

function defaultManifest(): Manifest {
  return JSON.parse(readFileSync(path.join(DEFAULT_PACK_DIR, 'manifest.json'), 'utf8')) as Manifest;
}

/** The default pack in a temp directory, with `key`'s input named wrongly: it loads, but fails when run. */
function packWithUnrunnable(key: string): string {
  const manifest = defaultManifest();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-unrunnable-'));
  for (const entry of Object.values(manifest.models)) copyFileSync(path.join(DEFAULT_PACK_DIR, entry.file), path.join(dir, entry.file));
  const broken = { ...manifest.models[key]!, input: { ...manifest.models[key]!.input, name: 'not_an_input' } };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...manifest, models: { ...manifest.models, [key]: broken } }));
  return dir;
}

/** The answer without what differs between any two checks. */
function stable(result: CheckResult): unknown {
  return JSON.parse(JSON.stringify(result, (key, value) => (key === 'request_id' || key === 'timings_ms' ? undefined : value)));
}

describe('engine warm-up', function () {
  this.timeout(300000);
  const made: string[] = [];
  after(function () {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  for (const key of Object.keys(defaultManifest().models)) {
    it(`runs the pack's ${key} model as the engine loads: a pack whose ${key} model cannot run is refused, naming it`, async function () {
      const pack = packWithUnrunnable(key);
      made.push(pack);
      await assert.rejects(createEngine({ pack, workerThreads: false }), (err: Error) => {
        assert.ok(err instanceof TypeError, `a bad pack is a TypeError, got ${err.name}`);
        assert.match(err.message, new RegExp(`^The models of pack facelive-default loaded but failed on a generated test image: Model ${key}: `));
        return true;
      });
    });
  }

  it('names the model that failed in a worker thread too', async function () {
    const pack = packWithUnrunnable('pose');
    made.push(pack);
    await assert.rejects(createEngine({ pack, workerThreads: true }), /failed on a generated test image: Model pose: /);
  });

  it('without warm-up such a pack loads, and its first check fails instead', async function () {
    const pack = packWithUnrunnable('attributes');
    made.push(pack);
    const engine = await createEngine({ pack, workerThreads: false, warmUp: false });
    try {
      await assert.rejects(engine.check(await selfieJpeg()), (err: FaceliveError) => err.code === 'INTERNAL_SERVER_ERROR');
    } finally {
      await engine.dispose();
    }
  });

  it('changes no answer: the first check of a warmed engine equals an unwarmed one\'s, and its second', async function () {
    const image = await selfieJpeg('right');
    const options = { is_quality: true, is_attribute: true, is_liveness: true, validate_quality: true, validate_attribute: true, validate_liveness: true, validate_nface: true };
    const answers: unknown[] = [];
    for (const warmUp of [false, true]) {
      const engine = await createEngine({ warmUp });
      try {
        answers.push(stable(await engine.check(image, options)));
        answers.push(stable(await engine.check(image, options)));
      } finally {
        await engine.dispose();
      }
    }
    for (const answer of answers.slice(1)) assert.deepEqual(answer, answers[0]);
  });

  it('warms up under a pixel cap smaller than its own image: the cap is for callers\' images', async function () {
    const engine = await createEngine({ limits: { maxPixels: 10000 } });
    try {
      await assert.rejects(engine.check(await selfieJpeg()), (err: FaceliveError) => err.code === 'INVALID_PAYLOAD_IMAGE_SIZE');
    } finally {
      await engine.dispose();
    }
  });

  it('takes only a boolean for warmUp', async function () {
    await assert.rejects(createEngine({ warmUp: 'yes' as unknown as boolean }), /^TypeError: Expected a boolean for warmUp but received the string "yes"/);
  });
});
