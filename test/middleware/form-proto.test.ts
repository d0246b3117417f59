// Multipart fields named __proto__ are fields like any other, as the same keys in JSON are: the form's
// __proto__[image] set the body's prototype, and its text was checked as the image.

import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { errorHandler, faceLiveness } from '../../middleware';
import { selfieJpeg } from '../helpers/faces';
import { authHeaders, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';

describe('multipart fields named __proto__', function () {
  this.timeout(60_000);
  let app: express.Express;
  let face: Buffer;

  before(async () => {
    face = await selfieJpeg('right', 320, 240);
    app = express();
    app.use(PATH, faceLiveness({ engine: await sharedEngine(), auth: { credentials: [LIVE] }, metrics: false }));
    app.use(errorHandler());
  });

  const form = () => request(app).post(PATH).set(authHeaders(LIVE));
  const json = (text: string) => request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json').send(text);

  it('an image under __proto__ is no image, in a form as in JSON', async () => {
    const b64 = face.toString('base64');
    for (const res of [await form().field('__proto__[image]', b64), await json(`{"__proto__":{"image":"${b64}"}}`)]) {
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error_code, 'MISSING_PAYLOAD_IMAGE');
    }
  });

  it('a flag under __proto__ is refused as a field holding a flag, in a form as in JSON', async () => {
    const formRes = await form().attach('image', face, 'face.jpg').field('__proto__[validate_liveness]', 'true');
    const jsonRes = await json(`{"image":"${face.toString('base64')}","__proto__":{"validate_liveness":true}}`);
    for (const res of [formRes, jsonRes]) {
      assert.equal(res.body.error_code, 'INVALID_PAYLOAD', JSON.stringify(res.body));
      assert.equal(res.body.message, 'Field "__proto__" holds the flag validate_liveness; send the flags as fields of the body itself.');
    }
  });

  it('leaves no trace for the next request', async () => {
    const res = await form().attach('image', face, 'face.jpg').field('validate_liveness', 'true');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.data.options.validate_liveness, true);
    assert.equal(({} as Record<string, unknown>).image, undefined);
  });
});
