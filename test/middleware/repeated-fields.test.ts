// A contract field (image or a flag) given twice in one JSON body is refused: JSON.parse kept the
// last value, other parsers keep the first, so {"validate_liveness":true,"validate_liveness":false}
// ran with liveness unvalidated. Names count as decoded (\u escapes); a client's own fields and
// nested objects may repeat keys.

import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { errorHandler, faceLiveness } from '../../middleware';
import { repeatedField } from '../../middleware/json-repeated-fields';
import { selfieJpeg } from '../helpers/faces';
import { authHeaders, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
const repeated = (text: string): string | undefined => repeatedField(Buffer.from(text));

describe('repeated fields of a JSON body', function () {
  this.timeout(60_000);

  describe('repeatedField()', () => {
    it('finds a flag or the image given twice at the top level', () => {
      assert.equal(repeated('{"validate_liveness":true,"validate_liveness":false}'), 'validate_liveness');
      assert.equal(repeated('{"image":"a","is_quality":true,"image":"b"}'), 'image');
      assert.equal(repeated('{"validate_liveness":true,"validate_nface":true}'), undefined);
    });

    it('compares names as JSON.parse decodes them', () => {
      assert.equal(repeated('{"validate_liveness":true,"valid\\u0061te_liveness":false}'), 'validate_liveness');
      assert.equal(repeated('{"\\u0069\\u006d\\u0061\\u0067\\u0065":"a","image":"b"}'), 'image');
    });

    it('leaves a client\'s own fields, nested objects, values and strings that look like keys alone', () => {
      assert.equal(repeated('{"note":1,"note":2,"image":"a"}'), undefined);
      assert.equal(repeated('{"image":"a","meta":{"image":1,"image":2},"list":[{"image":1},{"image":2}]}'), undefined);
      assert.equal(repeated('{"a":"image","b":"image","image":"x"}'), undefined);
      assert.equal(repeated('{"a":"x\\",\\"image\\":\\"y","image":"z"}'), undefined, 'an escaped quote does not end the string');
      assert.equal(repeated('[{"image":1},{"image":2}]'), undefined, 'not an object: the body check says so');
    });

    it('scans a body of a few MiB well within the time JSON.parse takes', () => {
      const body = Buffer.from(`{"image":"${'A'.repeat(7 * 1024 * 1024)}","validate_liveness":true}`);
      const started = process.hrtime.bigint();
      assert.equal(repeatedField(body), undefined);
      assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 200);
    });
  });

  describe('over HTTP', () => {
    let app: express.Express;
    let faceB64: string;

    before(async () => {
      faceB64 = (await selfieJpeg('right', 320, 240)).toString('base64');
      app = express();
      app.use(PATH, faceLiveness({ engine: await sharedEngine(), auth: { credentials: [LIVE] }, metrics: false }));
      app.use(errorHandler());
    });

    const send = (text: string) => request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json').send(text);

    it('refuses a flag given twice with INVALID_PAYLOAD naming it, whichever value comes last', async () => {
      for (const [first, last] of [[true, false], [false, true], [true, true]]) {
        const res = await send(`{"image":"${faceB64}","validate_liveness":${first},"validate_liveness":${last}}`);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.error_code, 'INVALID_PAYLOAD');
        assert.equal(res.body.message, 'The request body gives the field validate_liveness more than once; send each field once.');
      }
    });

    it('refuses a flag repeated through a \\u escape, and the image given twice', async () => {
      const escaped = await send(`{"image":"${faceB64}","validate_liveness":true,"valid\\u0061te_liveness":false}`);
      assert.equal(escaped.body.error_code, 'INVALID_PAYLOAD');
      assert.match(escaped.body.message, /field validate_liveness more than once/);
      const twice = await send(`{"image":"${faceB64}","image":"${faceB64}"}`);
      assert.equal(twice.body.error_code, 'INVALID_PAYLOAD');
      assert.match(twice.body.message, /field image more than once/);
    });

    it('still checks a body whose own fields repeat', async () => {
      const res = await send(`{"image":"${faceB64}","note":1,"note":2,"validate_liveness":true}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.data.options.validate_liveness, true);
    });
  });
});
