// Credentials that hold the SHA-256 of their key (apiKeySha256) instead of the key: a request's
// API-Key is hashed and compared with it, and a malformed credential is refused at construction,
// named by its index and field, never quoting the key or the digest.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import type { Engine } from '../../core/engine-types';
import { faceLiveness, type FaceLivenessOptions, type ListedCredential } from '../../middleware';
import { selfieJpeg } from '../helpers/faces';
import { sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
const KEY = 'shop-key-Zq8vW2x9';
const DIGEST = createHash('sha256').update(KEY, 'utf8').digest('hex');

describe('credentials with apiKeySha256', function () {
  this.timeout(60_000);
  let engine: Engine;
  let face: string;

  before(async () => {
    engine = await sharedEngine();
    face = (await selfieJpeg('right', 320, 240)).toString('base64');
  });

  function appWith(credentials: readonly ListedCredential[]): express.Express {
    return express().use(PATH, faceLiveness({ engine, auth: { credentials }, metrics: false, authFailures: false }));
  }

  const build = (credentials: readonly unknown[]) => () => faceLiveness({ engine, auth: { credentials }, metrics: false } as unknown as FaceLivenessOptions);

  it('accepts a request with the key whose SHA-256 the credential holds', async () => {
    const app = appWith([{ appId: 'shop', apiKeySha256: DIGEST, mode: 'live' }]);
    const res = await request(app).post(PATH).set({ 'App-ID': 'shop', 'API-Key': KEY }).send({ image: face });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.error_code, null);
  });

  it('takes the digest in upper-case hex too', async () => {
    const app = appWith([{ appId: 'shop', apiKeySha256: DIGEST.toUpperCase(), mode: 'live' }]);
    const res = await request(app).post(PATH).set({ 'App-ID': 'shop', 'API-Key': KEY }).send({});
    assert.equal(res.body.error_code, 'MISSING_PAYLOAD_IMAGE', 'authenticated');
  });

  it('refuses a wrong key, and the digest sent as the key, 401 with the body a plain key answers', async () => {
    const hashed = appWith([{ appId: 'shop', apiKeySha256: DIGEST, mode: 'live' }]);
    const plain = appWith([{ appId: 'shop', apiKey: KEY, mode: 'live' }]);
    const withoutId = (body: Record<string, unknown>): Record<string, unknown> => ({ ...body, request_id: undefined });
    for (const apiKey of [`${KEY}x`, KEY.slice(0, -1), DIGEST, DIGEST.toUpperCase()]) {
      const res = await request(hashed).post(PATH).set({ 'App-ID': 'shop', 'API-Key': apiKey }).send({ image: face });
      const today = await request(plain).post(PATH).set({ 'App-ID': 'shop', 'API-Key': apiKey }).send({ image: face });
      assert.equal(res.status, 401);
      assert.equal(res.body.error_code, 'UNAUTHORIZED');
      assert.deepEqual(withoutId(res.body), withoutId(today.body));
    }
  });

  it('keeps what the credential carries besides its key: a testing credential\'s quota', async () => {
    const app = appWith([{ appId: 'trial', apiKeySha256: DIGEST, mode: 'testing', quota: 0 }]);
    const res = await request(app).post(PATH).set({ 'App-ID': 'trial', 'API-Key': KEY }).send({ image: face });
    assert.equal(res.body.error_code, 'INSUFFICIENT_QUOTA_LIVENESS');
  });

  it('lets a plain key and a digest of it serve two App-IDs, as two plain keys can; refuses an App-ID repeated with its key', async () => {
    const app = appWith([{ appId: 'a', apiKey: KEY, mode: 'live' }, { appId: 'b', apiKeySha256: DIGEST, mode: 'live' }]);
    for (const appId of ['a', 'b']) {
      const res = await request(app).post(PATH).set({ 'App-ID': appId, 'API-Key': KEY }).send({});
      assert.equal(res.body.error_code, 'MISSING_PAYLOAD_IMAGE', appId);
    }
    assert.throws(build([{ appId: 'a', apiKey: KEY, mode: 'live' }, { appId: 'a', apiKeySha256: DIGEST, mode: 'live' }]), /^TypeError: auth\.credentials\[1\] repeats the App-ID "a" and its key\.$/);
  });

  it('checks the key against the apiKeySha256 or apiKey of a credential an auth function returns as it looked it up', async () => {
    // A common lookup: the stored credential by App-ID, returned whole. Its key has not been checked.
    const stored: Record<string, Record<string, unknown>> = {
      hashed: { appId: 'hashed', apiKeySha256: DIGEST, mode: 'live' },
      plain: { appId: 'plain', apiKey: KEY, mode: 'live' },
      malformed: { appId: 'malformed', apiKeySha256: ` ${DIGEST}`, mode: 'live' },
      both: { appId: 'both', apiKey: KEY, apiKeySha256: DIGEST, mode: 'live' },
    };
    const app = express().use(PATH, faceLiveness({ engine, auth: (appId) => stored[appId] as never, metrics: false, authFailures: false }));
    const send = (appId: string, apiKey: string) => request(app).post(PATH).set({ 'App-ID': appId, 'API-Key': apiKey }).send({});
    for (const appId of ['hashed', 'plain']) {
      assert.equal((await send(appId, KEY)).body.error_code, 'MISSING_PAYLOAD_IMAGE', `${appId}: authenticated`);
      for (const wrong of [`${KEY}x`, DIGEST]) assert.equal((await send(appId, wrong)).status, 401, `${appId}: a wrong key`);
    }
    for (const appId of ['malformed', 'both']) {
      const res = await send(appId, KEY);
      assert.equal(res.body.error_code, 'INTERNAL_SERVER_ERROR', appId);
      assert.ok(!JSON.stringify(res.body).includes(DIGEST.slice(0, 12)) && !JSON.stringify(res.body).includes(KEY));
    }
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['both apiKey and apiKeySha256', { apiKey: KEY, apiKeySha256: DIGEST }, /^auth\.credentials\[1\] \(App-ID "b"\) has both apiKey and apiKeySha256; give one/],
    ['neither apiKey nor apiKeySha256', {}, /^Expected a non-empty string for auth\.credentials\[1\]\.apiKey, or the key's SHA-256 for auth\.credentials\[1\]\.apiKeySha256\.$/],
    ['a digest one hex digit short', { apiKeySha256: DIGEST.slice(1) }, /^Expected the key's SHA-256 as 64 hex digits for auth\.credentials\[1\]\.apiKeySha256 \(App-ID "b"\) but it has 63 hex digits\.$/],
    ['a digest with a character that is not a hex digit', { apiKeySha256: `${DIGEST.slice(1)}g` }, /auth\.credentials\[1\]\.apiKeySha256 .*not a hex digit/],
    ['a digest with a line break after it', { apiKeySha256: `${DIGEST}\n` }, /auth\.credentials\[1\]\.apiKeySha256 .*but it starts or ends with white space/],
    ['a digest with 0x before it', { apiKeySha256: `0x${DIGEST}` }, /auth\.credentials\[1\]\.apiKeySha256 .*but it starts with 0x/],
    ['a digest in base64', { apiKeySha256: createHash('sha256').update(KEY).digest('base64') }, /auth\.credentials\[1\]\.apiKeySha256 .*not a hex digit/],
    ['the key given as its digest', { apiKeySha256: KEY }, /auth\.credentials\[1\]\.apiKeySha256 /],
    ['an empty digest', { apiKeySha256: '' }, /auth\.credentials\[1\]\.apiKeySha256 .*but it has 0 hex digits/],
    ['a digest that is not a string', { apiKeySha256: 12345 }, /auth\.credentials\[1\]\.apiKeySha256 .*but received a number\.$/],
  ];
  for (const [name, secret, message] of bad) {
    it(`refuses ${name} at construction, naming the credential and never quoting the value`, () => {
      const credentials = [{ appId: 'a', apiKey: 'other-key', mode: 'live' }, { appId: 'b', mode: 'live', ...secret }];
      assert.throws(build(credentials), (err: unknown) => {
        assert.ok(err instanceof TypeError, String(err));
        assert.match(err.message, message);
        for (const value of Object.values(secret)) if (String(value).length > 0) assert.ok(!err.message.includes(String(value)), err.message);
        assert.ok(!err.message.includes(DIGEST.slice(0, 12)) && !err.message.includes(KEY), err.message);
        return true;
      });
    });
  }
});
