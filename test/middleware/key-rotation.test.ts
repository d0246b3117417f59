// An App-ID listed twice, one key each, while its key is replaced: both keys are accepted and share
// the App-ID's quota; entries that disagree on anything but the key are refused at construction.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import type { Engine } from '../../core/engine-types';
import { faceLiveness, type FaceLivenessOptions, type ListedCredential } from '../../middleware';
import { selfieJpeg } from '../helpers/faces';
import { sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
const OLD_KEY = 'shop-key-old-Zq8vW2x9';
const NEW_KEY = 'shop-key-new-Pw3nR8sd';
const NEW_DIGEST = createHash('sha256').update(NEW_KEY, 'utf8').digest('hex');

describe('replacing a key: an App-ID listed once for each of its keys', function () {
  this.timeout(60_000);
  let engine: Engine;
  let face: string;

  before(async () => {
    engine = await sharedEngine();
    face = (await selfieJpeg('right', 320, 240)).toString('base64');
  });

  const appWith = (credentials: readonly ListedCredential[]): express.Express =>
    express().use(PATH, faceLiveness({ engine, auth: { credentials }, metrics: false, authFailures: false }));
  const build = (credentials: readonly unknown[]) => () => faceLiveness({ engine, auth: { credentials }, metrics: false } as unknown as FaceLivenessOptions);

  it('accepts the old key and the new one (given as its digest), and no other', async () => {
    const app = appWith([
      { appId: 'shop', apiKey: OLD_KEY, mode: 'live', livenessThreshold: 0.5 },
      { appId: 'shop', apiKeySha256: NEW_DIGEST, mode: 'live', livenessThreshold: 0.5 },
    ]);
    for (const apiKey of [OLD_KEY, NEW_KEY]) {
      const res = await request(app).post(PATH).set({ 'App-ID': 'shop', 'API-Key': apiKey }).send({ image: face });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.data.liveness.threshold, 0.5);
    }
    for (const apiKey of [`${OLD_KEY}x`, NEW_DIGEST, 'shop-key']) {
      const res = await request(app).post(PATH).set({ 'App-ID': 'shop', 'API-Key': apiKey }).send({ image: face });
      assert.equal(res.status, 401, apiKey);
    }
  });

  it('counts both keys against the one testing quota of their App-ID', async () => {
    const app = appWith([
      { appId: 'trial', apiKey: OLD_KEY, mode: 'testing', quota: 1 },
      { appId: 'trial', apiKey: NEW_KEY, mode: 'testing', quota: 1 },
    ]);
    const first = await request(app).post(PATH).set({ 'App-ID': 'trial', 'API-Key': OLD_KEY }).send({ image: face });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await request(app).post(PATH).set({ 'App-ID': 'trial', 'API-Key': NEW_KEY }).send({ image: face });
    assert.equal(second.body.error_code, 'INSUFFICIENT_QUOTA_LIVENESS');
  });

  it('refuses entries of one App-ID that differ in anything but the key, and one key listed twice', () => {
    const differs = /^TypeError: auth\.credentials\[1\] repeats the App-ID "shop" with other settings; the entries of one App-ID \(one for each of its keys\) must agree on everything but the key\.$/;
    const base = { appId: 'shop', apiKey: OLD_KEY, mode: 'live' };
    for (const other of [
      { mode: 'testing', quota: 5 },
      { livenessThreshold: 0.6 },
      { livenessThreshold: 0.5, livenessThresholdPack: 'facelive-default@0.1.0' },
    ]) {
      assert.throws(build([{ ...base, livenessThreshold: 0.5 }, { ...base, apiKey: NEW_KEY, livenessThreshold: 0.5, ...other }]), differs, JSON.stringify(other));
    }
    assert.throws(build([base, { appId: 'shop', apiKeySha256: createHash('sha256').update(OLD_KEY).digest('hex'), mode: 'live' }]), /^TypeError: auth\.credentials\[1\] repeats the App-ID "shop" and its key\.$/);
  });
});
