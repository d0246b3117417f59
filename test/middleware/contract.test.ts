// Every code of API.md over HTTP through faceLiveness() in respond mode, each FAIL_ON bit,
// request ids and multipart uploads. Real engine, real face images, real loopback URL servers.

import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import express from 'express';
import request from 'supertest';
import sharp from 'sharp';
import { ERROR_CODES, ERROR_TABLE } from '../../core/errors';
import type { Engine } from '../../core/engine-types';
import { errorHandler, faceLiveness, type FaceLivenessRouter } from '../../middleware';
import type { Credential } from '../../middleware/auth';
import { BODY_TOO_LARGE_MESSAGE } from '../../middleware/errors';
import { MAX_EXTRA_FORM_FIELDS } from '../../middleware/multipart';
import { jsonBodyLimitFor } from '../../middleware/options';
import { packWithoutModels } from '../helpers/broken-pack';
import { grayscaleSelfie, landscapeJpeg, selfieJpeg, twoFaces } from '../helpers/faces';
import { heicLike } from '../helpers/phone-formats';
import { withAttributeDrawn } from '../helpers/rendered';
import { authHeaders, listen, type Listening, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Asserts the contract's error answer: status from the table, {message, error_code, request_id}. */
function assertError(res: request.Response, code: keyof typeof ERROR_TABLE): void {
  assert.equal(res.body.error_code, code, `expected ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(res.status, ERROR_TABLE[code].status);
  assert.deepEqual(Object.keys(res.body).sort(), ['error_code', 'message', 'request_id']);
  assert.equal(typeof res.body.message, 'string');
  assert.ok(res.body.message.length > 0);
  assert.equal(res.body.request_id, res.headers['x-request-id']);
  assert.doesNotMatch(JSON.stringify(res.body), /\bat .+:\d+:\d+/, 'no stack trace in the body');
}

describe('faceLiveness() respond mode: the contract over HTTP', function () {
  this.timeout(60_000);
  let engine: Engine;
  let strictEngine: Engine;
  let app: express.Express;
  let strictApp: express.Express;
  let timeoutRouter: FaceLivenessRouter;
  let timeoutApp: express.Express;
  let guardedApp: express.Express;
  let images: Listening;
  let face: Buffer;
  let faceB64: string;
  let withSunglassesB64: string;

  before(async () => {
    engine = await sharedEngine();
    // Same pack, thresholds set so that this (live, unmasked) face fails liveness and shows a mask.
    strictEngine = await sharedEngine({ thresholds: { liveness: 0.99999, mask: 0.000001 } });
    face = await selfieJpeg('right', 320, 240);
    faceB64 = face.toString('base64');
    withSunglassesB64 = (await withAttributeDrawn(engine, face, 'sunglasses', 11)).toString('base64');
    const build = (options: Parameters<typeof faceLiveness>[0]): express.Express => {
      const built = express();
      built.use(PATH, faceLiveness(options));
      built.use(errorHandler());
      return built;
    };
    app = build({ engine, auth: { credentials: [LIVE] }, metrics: false });
    strictApp = build({ engine: strictEngine, auth: false, metrics: false });
    timeoutRouter = faceLiveness({ engineOptions: {}, limits: { urlTimeoutMs: 1000, allowPrivateNetwork: true }, auth: false, metrics: false });
    timeoutApp = express();
    timeoutApp.use(PATH, timeoutRouter);
    guardedApp = build({ engine: await sharedEngine({ limits: { allowPrivateNetwork: false } }), auth: false, metrics: false });

    const html = Buffer.from('<!doctype html><html><body>Not an image</body></html>');
    images = await listen((req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url === '/face.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(face);
      } else if (req.url === '/face-as-text') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(face);
      } else if (req.url === '/page.html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(html);
      } else if (req.url === '/big.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.on('error', () => undefined);
        res.end(Buffer.alloc(6 * 1024 * 1024, 0xff));
      } else if (req.url === '/drip.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        const timer = setInterval(() => res.write(face.subarray(0, 1)), 100);
        res.on('close', () => clearInterval(timer));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });

  after(async () => {
    await images.close();
    await timeoutRouter.close();
  });

  const post = (body: unknown, target: express.Express = app) =>
    request(target).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json').send(JSON.stringify(body));

  describe('200 verdicts', () => {
    it('answers PASS with message, error_code null and data', async () => {
      const res = await post({ image: faceB64 });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.error_code, null);
      assert.equal(typeof res.body.message, 'string');
      const data = res.body.data;
      assert.equal(data.status, 'PASS');
      assert.equal(data.fail_code, 0);
      assert.equal(data.nface, 1);
      assert.equal(data.faces.length, 1);
      for (const key of ['x', 'y', 'width', 'height']) assert.equal(typeof data.faces[0].box[key], 'number');
      assert.ok(Array.isArray(data.faces[0].landmarks) && data.faces[0].landmarks.length > 0);
      assert.ok(data.liveness.probability >= 0 && data.liveness.probability <= 1);
      assert.ok('quality' in data && 'attributes' in data);
      assert.equal(data.request_id, res.headers['x-request-id']);
      assert.equal(data.pack.name, engine.pack.name);
    });

    it('accepts a data URI and an http URL image', async () => {
      const viaUri = await post({ image: `data:image/jpeg;base64,${faceB64}` });
      assert.equal(viaUri.status, 200);
      const viaUrl = await post({ image: `${images.url}/face.jpg` });
      assert.equal(viaUrl.status, 200);
      const viaText = await post({ image: `${images.url}/face-as-text` });
      assert.equal(viaText.status, 200, 'the content decides, not the Content-Type');
    });

    it('parses JSON sent without a Content-Type', async () => {
      const res = await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', '').send(Buffer.from(JSON.stringify({ image: faceB64 })));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    it('reads JSON as UTF-8 whatever ASCII-compatible charset its Content-Type names (JSON has no charset parameter, RFC 8259)', async () => {
      // body-parser refused every charset not named utf-*, and the 415 answered "not valid JSON".
      const body = JSON.stringify({ image: faceB64, is_quality: false, is_attribute: false });
      for (const charset of ['utf8', 'UTF8', '"utf8"', 'us-ascii', 'ascii', 'latin1', 'iso-8859-1', 'windows-1252']) {
        const res = await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', `application/json; charset=${charset}`).send(body);
        assert.equal(res.status, 200, `${charset}: ${JSON.stringify(res.body)}`);
      }
      // A body in UTF-16 is still decoded as its charset says (raw bytes: supertest would serialise a Buffer).
      const server = await listen(app);
      try {
        const res = await fetch(server.url + PATH, {
          method: 'POST',
          headers: { ...authHeaders(LIVE), 'Content-Type': 'application/json; charset=utf-16le' },
          body: new Uint8Array(Buffer.from(body, 'utf16le')),
        });
        assert.equal(res.status, 200, await res.text());
        // charset=utf-16 follows the byte order mark: big-endian behind FE FF (it was read little-endian).
        const bigEndian = Buffer.from(body, 'utf16le').swap16();
        const marked = await fetch(server.url + PATH, {
          method: 'POST',
          headers: { ...authHeaders(LIVE), 'Content-Type': 'application/json; charset=utf-16' },
          body: new Uint8Array(Buffer.concat([Buffer.from([0xfe, 0xff]), bigEndian])),
        });
        assert.equal(marked.status, 200, await marked.text());
      } finally {
        await server.close();
      }
    });

    it('leaves out the sections switched off', async () => {
      const res = await post({ image: faceB64, is_liveness: false, is_quality: false, is_attribute: false });
      assert.equal(res.status, 200);
      assert.equal('liveness' in res.body.data, false);
      assert.equal('quality' in res.body.data, false);
      assert.equal('attributes' in res.body.data, false);
    });

    it('FAIL_ON_1: validate_liveness on a face judged a spoof', async () => {
      const res = await post({ image: faceB64, validate_liveness: true }, strictApp);
      assert.equal(res.status, 200);
      assert.equal(res.body.error_code, 'FAIL_ON_1');
      assert.equal(res.body.data.liveness.is_live, false);
    });

    it('FAIL_ON_2: validate_attribute when sunglasses are detected (drawn on the face, the default thresholds)', async () => {
      const res = await post({ image: withSunglassesB64, validate_attribute: true });
      assert.equal(res.status, 200);
      assert.equal(res.body.error_code, 'FAIL_ON_2');
      assert.equal(res.body.data.attributes.sunglasses.detected, true);
    });

    it('FAIL_ON_4: validate_quality on a grayscale image', async () => {
      const res = await post({ image: (await grayscaleSelfie()).toString('base64'), validate_quality: true, is_attribute: false });
      assert.equal(res.status, 200);
      assert.equal(res.body.error_code, 'FAIL_ON_4');
      assert.equal(res.body.data.quality.grayscale.value, true);
    });

    it('FAIL_ON_8: validate_nface with two faces', async () => {
      const res = await post({ image: (await twoFaces()).toString('base64'), validate_nface: true });
      assert.equal(res.status, 200);
      assert.equal(res.body.error_code, 'FAIL_ON_8');
      assert.equal(res.body.data.nface, 2);
      assert.equal(res.body.data.faces.length, 2);
    });

    it('FAIL_ON_15: every validation failing at once', async () => {
      const grayPair = await sharp(await twoFaces()).grayscale().jpeg({ quality: 92 }).toBuffer();
      const res = await post(
        { image: grayPair.toString('base64'), validate_liveness: true, validate_attribute: true, validate_quality: true, validate_nface: true },
        strictApp,
      );
      assert.equal(res.status, 200);
      assert.equal(res.body.error_code, 'FAIL_ON_15');
      assert.deepEqual([...res.body.data.validations.failed].sort(), ['attribute', 'liveness', 'nface', 'quality']);
    });

    it('no validation requested: PASS whatever the scores', async () => {
      const res = await post({ image: faceB64 }, strictApp);
      assert.equal(res.status, 200);
      assert.equal(res.body.error_code, null);
    });

    it('a credential\'s livenessThreshold decides its own checks (one engine, several calibrated camera fleets)', async () => {
      const strict = { appId: 'fleet-strict', apiKey: 'strict-key-0123456789', mode: 'live' as const, livenessThreshold: 1 };
      const open = { appId: 'fleet-open', apiKey: 'open-key-0123456789', mode: 'live' as const, livenessThreshold: 0 };
      const fleets = express();
      fleets.use(PATH, faceLiveness({ engine, metrics: false, auth: { credentials: [strict, open, LIVE] } }));
      const ask = (credential: Credential) =>
        request(fleets).post(PATH).set(authHeaders(credential)).send({ image: faceB64, validate_liveness: true });
      const [a, b, c] = [await ask(strict), await ask(open), await ask(LIVE)];
      for (const res of [a, b, c]) assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(a.body.data.liveness.probability, b.body.data.liveness.probability);
      assert.deepEqual([a.body.data.liveness.threshold, a.body.data.status, a.body.data.fail_code], [1, 'FAIL', 1]);
      assert.deepEqual([b.body.data.liveness.threshold, b.body.data.status, b.body.data.fail_code], [0, 'PASS', 0]);
      assert.equal(c.body.data.liveness.threshold, (await engine.check(face, { is_quality: false, is_attribute: false })).data.liveness!.threshold);

      // From an auth function too; a malformed one is the integrator's fault: 500, nothing leaked.
      const fnApp = express();
      fnApp.use(PATH, faceLiveness({ engine, metrics: false, auth: (appId) => ({ mode: 'live', livenessThreshold: appId === 'bad' ? 7 : 1 }) }));
      const fn = await request(fnApp).post(PATH).set({ 'App-ID': 'fn', 'API-Key': 'k' }).send({ image: faceB64, validate_liveness: true });
      assert.deepEqual([fn.status, fn.body.data?.liveness?.threshold, fn.body.data?.fail_code], [200, 1, 1]);
      assertError(await request(fnApp).post(PATH).set({ 'App-ID': 'bad', 'API-Key': 'k' }).send({ image: faceB64 }), 'INTERNAL_SERVER_ERROR');
      assert.throws(() => faceLiveness({ engine, auth: { credentials: [{ ...open, livenessThreshold: -1 }] } }), /auth\.credentials\[0\]\.livenessThreshold/);
    });

    it('a credential\'s threshold calibrated on another pack is refused, with the reason logged; on its own pack it decides as before', async () => {
      const running = `${engine.pack.name}@${engine.pack.version}`;
      const same = { appId: 'fleet-same', apiKey: 'same-key-0123456789', mode: 'live' as const, livenessThreshold: 1, livenessThresholdPack: running };
      const other = { appId: 'fleet-other', apiKey: 'other-key-0123456789', mode: 'live' as const, livenessThreshold: 1, livenessThresholdPack: `${engine.pack.name}@0.0.1-old` };
      const entries: Record<string, unknown>[] = [];
      const pinned = express();
      pinned.use(PATH, faceLiveness({ engine, metrics: false, logger: (entry) => entries.push(entry), auth: { credentials: [same, other] } }));
      const ok = await request(pinned).post(PATH).set(authHeaders(same)).send({ image: faceB64, validate_liveness: true });
      assert.deepEqual([ok.status, ok.body.data?.liveness?.threshold, ok.body.data?.fail_code], [200, 1, 1]);
      const refused = await request(pinned).post(PATH).set(authHeaders(other)).send({ image: faceB64, validate_liveness: true });
      assertError(refused, 'INTERNAL_SERVER_ERROR');
      const logged = entries.find((entry) => entry.app_id === 'fleet-other' && entry.error_code === 'INTERNAL_SERVER_ERROR');
      assert.match(String(logged?.error), new RegExp(`calibrated on the model pack "${engine.pack.name}@0\\.0\\.1-old", and this service runs "${running.replace(/\./g, '\\.')}": calibrate it again`));
      // From an auth function too.
      const fnApp = express();
      fnApp.use(PATH, faceLiveness({ engine, metrics: false, auth: () => ({ mode: 'live', livenessThreshold: 1, livenessThresholdPack: 'another-pack@1.0.0' }) }));
      assertError(await request(fnApp).post(PATH).set({ 'App-ID': 'fn', 'API-Key': 'k' }).send({ image: faceB64 }), 'INTERNAL_SERVER_ERROR');
    });
  });

  describe('400 codes, in the table order', () => {
    it('INVALID_PAYLOAD: malformed JSON', async () => {
      const res = await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json').send('{"image": ');
      assertError(res, 'INVALID_PAYLOAD');
    });

    it('INVALID_PAYLOAD: a compressed body that does not decompress; a good one is read', async () => {
      // Raw bytes over a socket: supertest would serialise a Buffer sent as JSON.
      const server = await listen(app);
      try {
        const json = Buffer.from(JSON.stringify({ image: faceB64, is_quality: false, is_attribute: false }));
        const send = async (encoding: string, body: Buffer) => {
          const res = await fetch(server.url + PATH, {
            method: 'POST',
            headers: { ...authHeaders(LIVE), 'Content-Type': 'application/json', 'Content-Encoding': encoding },
            body: new Uint8Array(body),
          });
          return { status: res.status, body: await res.json() as { error_code?: string } };
        };
        const gzipped = zlib.gzipSync(json);
        for (const [encoding, body] of [
          ['gzip', json], // plain JSON labelled gzip
          ['gzip', gzipped.subarray(0, gzipped.length >> 1)], // cut short
          ['deflate', json],
          ['br', json],
        ] as const) {
          const res = await send(encoding, body);
          assert.deepEqual([res.status, res.body.error_code], [400, 'INVALID_PAYLOAD'], encoding);
        }
        const good = await send('gzip', gzipped);
        assert.equal(good.status, 200, JSON.stringify(good.body));
      } finally {
        await server.close();
      }
    });

    it('INVALID_PAYLOAD: a Content-Encoding or a charset the server cannot decode is named as such, not called invalid JSON', async () => {
      const body = JSON.stringify({ image: faceB64 });
      for (const encoding of ['gzip, identity', 'compress', 'x-custom']) {
        const res = await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send(body);
        assertError(res, 'INVALID_PAYLOAD');
        assert.equal(res.body.message, `The request body's Content-Encoding "${encoding}" is not supported; send it uncompressed, or compressed with gzip, deflate or br.`);
      }
      for (const charset of ['utf-32', 'utf-16xx']) {
        const res = await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', `application/json; charset=${charset}`).send(body);
        assertError(res, 'INVALID_PAYLOAD');
        assert.match(res.body.message, new RegExp(`^The request body's charset "${charset}" is not supported; send JSON in UTF-8\\.$`, 'i'), charset);
      }
    });

    it('INVALID_PAYLOAD: the request\'s fields in the query string, where they would be ignored (validate_liveness left off)', async () => {
      for (const [query, field] of [
        ['validate_liveness=true&validate_quality=true', 'validate_liveness'],
        ['image=abc', 'image'],
        ['cb=1&is_quality=false', 'is_quality'],
        ['validateNface=1', 'validate_nface'],
        ['Validate-Attribute', 'validate_attribute'],
        ['IMAGE=abc', 'image'],
      ] as const) {
        const res = await request(app).post(`${PATH}?${query}`).set(authHeaders(LIVE)).send({ image: faceB64 });
        assertError(res, 'INVALID_PAYLOAD');
        assert.equal(res.body.message, `The query string names the field ${field}; send the request's fields in the JSON body (or the multipart form), not in the URL.`, query);
      }
      // Other parameters (a cache buster) are ignored; the check comes after authentication, as the body's 400s do.
      assert.equal((await request(app).post(`${PATH}?_=1700000000&v=2`).set(authHeaders(LIVE)).send({ image: faceB64, is_attribute: false })).status, 200);
      // (An app of its own: this suite's 401s on app count towards its address's cool-down.)
      const own = express().use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false }));
      assertError(await request(own).post(`${PATH}?validate_liveness=true`).send({ image: faceB64 }), 'UNAUTHORIZED');
    });

    it('INVALID_PAYLOAD: a body nested deeper than 32 levels, refused before it is parsed', async () => {
      const levels = 1_000_000; // 2 MB of brackets: parsed, this took seconds and hundreds of MiB
      const deep = `{"image":"${faceB64}","x":${'['.repeat(levels)}${']'.repeat(levels)}}`;
      const started = Date.now();
      const res = await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json').send(deep);
      assertError(res, 'INVALID_PAYLOAD');
      assert.match(res.body.message, /deeper than 32 levels/);
      assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`);
      // Nesting within the limit, in a field the contract ignores, and brackets inside strings are fine.
      const nested = `{"image":"${faceB64}","is_quality":false,"is_attribute":false,"note":"[[[{{{\\\"","x":${'['.repeat(30)}${']'.repeat(30)}}`;
      assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json').send(nested)).status, 200);
    });

    it('INVALID_PAYLOAD: nesting too deep in a UTF-16 body too (its bytes are decoded before the scan)', async () => {
      const server = await listen(app);
      try {
        const levels = 100_000;
        // U+2200 is the bytes 00 22 in UTF-16LE: read as UTF-8 bytes, a quote that hides the brackets.
        const text = `{"note":"\u2200","image":"${faceB64.slice(0, 100)}","x":${'['.repeat(levels)}${']'.repeat(levels)}}`;
        const res = await fetch(server.url + PATH, {
          method: 'POST',
          headers: { ...authHeaders(LIVE), 'Content-Type': 'application/json; charset=utf-16le' },
          body: new Uint8Array(Buffer.from(text, 'utf16le')),
        });
        const body = await res.json() as { error_code?: string; message?: string };
        assert.deepEqual([res.status, body.error_code], [400, 'INVALID_PAYLOAD']);
        assert.match(body.message ?? '', /deeper than 32 levels/);
      } finally {
        await server.close();
      }
    });

    it('INVALID_PAYLOAD: a body that is not JSON at all (image bytes posted raw, a bare null) says so', async () => {
      const jpeg = Buffer.from(faceB64, 'base64');
      for (const [type, body] of [['image/jpeg', jpeg], ['application/json', ' null'], ['text/plain', 'image=abc']] as const) {
        const res = await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', type).send(body);
        assertError(res, 'INVALID_PAYLOAD');
        assert.match(res.body.message, /Expected the request body to be a JSON object/, type);
      }
      // White space and a byte order mark before the object are fine.
      // (Strings: superagent would serialise a Buffer sent as JSON.)
      const padded = `\ufeff \r\n\t${JSON.stringify({ image: faceB64, is_quality: false, is_attribute: false })}`;
      assert.equal((await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json').send(padded)).status, 200);
    });

    it('INVALID_PAYLOAD: a JSON array, a JSON string, an empty body', async () => {
      assertError(await post([{ image: faceB64 }]), 'INVALID_PAYLOAD');
      assertError(await post('abc'), 'INVALID_PAYLOAD');
      assertError(await request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json'), 'INVALID_PAYLOAD');
    });

    it('INVALID_PAYLOAD: a field of the wrong type (before any image check)', async () => {
      assertError(await post({ image: faceB64, is_quality: 'yes' }), 'INVALID_PAYLOAD');
      assertError(await post({ image: 42 }), 'INVALID_PAYLOAD');
      assertError(await post({ validate_nface: 1 }), 'INVALID_PAYLOAD');
    });

    it('INVALID_PAYLOAD: the flags sent inside an object ("options") instead of as fields of the body', async () => {
      // Ignored as an unknown field, validate_nface would stay off: two faces would PASS.
      const res = await post({ image: faceB64, options: { validate_nface: true } });
      assertError(res, 'INVALID_PAYLOAD');
      assert.match(res.body.message, /"options" holds the flag validate_nface/);
    });

    it('MISSING_PAYLOAD_IMAGE: no image field', async () => {
      assertError(await post({}), 'MISSING_PAYLOAD_IMAGE');
      assertError(await post({ is_quality: false, validate_quality: true }), 'MISSING_PAYLOAD_IMAGE');
    });

    it('INVALID_PAYLOAD_IMAGE_MISSING: empty, not base64, not http(s)', async () => {
      assertError(await post({ image: '' }), 'INVALID_PAYLOAD_IMAGE_MISSING');
      assertError(await post({ image: 'this is *not* base64!' }), 'INVALID_PAYLOAD_IMAGE_MISSING');
      assertError(await post({ image: 'ftp://example.com/face.jpg' }), 'INVALID_PAYLOAD_IMAGE_MISSING');
    });

    it('INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY', async () => {
      assertError(await post({ image: faceB64, is_quality: false, validate_quality: true }), 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY');
    });

    it('INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY', async () => {
      assertError(await post({ image: faceB64, is_attribute: false, validate_attribute: true }), 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY');
    });

    it('INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY', async () => {
      assertError(await post({ image: faceB64, is_liveness: false, validate_liveness: true }), 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY');
    });

    it('the dependency rules come in the order quality, attribute, liveness', async () => {
      const all = { image: faceB64, is_quality: false, validate_quality: true, is_attribute: false, validate_attribute: true, is_liveness: false, validate_liveness: true };
      assertError(await post(all), 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY');
      assertError(await post({ ...all, validate_quality: false }), 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY');
    });

    it('INVALID_PAYLOAD_IMAGE_SIZE: base64 of more than 5 MiB of bytes', async () => {
      const bytes = Buffer.alloc(5 * 1024 * 1024 + 3, 0x41);
      assertError(await post({ image: bytes.toString('base64') }), 'INVALID_PAYLOAD_IMAGE_SIZE');
    });

    it('INVALID_PAYLOAD_IMAGE_SIZE: a body over the JSON limit (body-parser 413)', async () => {
      const res = await post({ image: 'A'.repeat(9 * 1024 * 1024) });
      assertError(res, 'INVALID_PAYLOAD_IMAGE_SIZE');
    });

    it('INVALID_PAYLOAD_IMAGE_SIZE from the HTTP layer: a small image padded past the JSON limit, not past it', async () => {
      // The image is small, so only the body parser's limit (its 413, mapped to the documented code)
      // can refuse this body; the engine would answer 200.
      const limit = jsonBodyLimitFor(engine.limits.maxImageBytes);
      const padded = (size: number): string => {
        const json = JSON.stringify({ image: faceB64 });
        return `${json.slice(0, -1)}${' '.repeat(size - json.length)}}`;
      };
      const send = (text: string) => request(app).post(PATH).set(authHeaders(LIVE)).set('Content-Type', 'application/json').send(text);
      const over = await send(padded(limit + 1));
      assertError(over, 'INVALID_PAYLOAD_IMAGE_SIZE');
      assert.equal(over.body.message, BODY_TOO_LARGE_MESSAGE);
      const at = await send(padded(limit));
      assert.equal(at.status, 200, `a body of exactly the limit is read: ${JSON.stringify(at.body)}`);
    });

    it('INVALID_PAYLOAD_IMAGE_SIZE: a URL streaming 6 MiB', async () => {
      assertError(await post({ image: `${images.url}/big.jpg` }), 'INVALID_PAYLOAD_IMAGE_SIZE');
    });

    it('INVALID_PAYLOAD_IMAGE_TIMEOUT: a URL slower than the budget (1 s here)', async () => {
      const started = Date.now();
      const res = await request(timeoutApp).post(PATH).send({ image: `${images.url}/drip.jpg` });
      assertError(res, 'INVALID_PAYLOAD_IMAGE_TIMEOUT');
      assert.ok(Date.now() - started < 5000);
    });

    it('INVALID_PAYLOAD_IMAGE_FORMAT: bytes that are no image', async () => {
      assertError(await post({ image: Buffer.from('hello, this is plain text and not a picture').toString('base64') }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assertError(await post({ image: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}` }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    });

    it('INVALID_PAYLOAD_IMAGE_FORMAT: a URL giving an HTML page, a 404, a refused address', async () => {
      assertError(await post({ image: `${images.url}/page.html` }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assertError(await post({ image: `${images.url}/nothing-here` }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      const refused = await request(guardedApp).post(PATH).send({ image: `${images.url}/face.jpg` });
      assertError(refused, 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.match(refused.body.message, /non-public/);
    });

    it('FACE_NOT_DETECTED: a landscape', async () => {
      assertError(await post({ image: (await landscapeJpeg()).toString('base64') }), 'FACE_NOT_DETECTED');
    });
  });

  describe('401 UNAUTHORIZED', () => {
    it('missing headers, a wrong key, an unknown App-ID', async () => {
      assertError(await request(app).post(PATH).send({ image: faceB64 }), 'UNAUTHORIZED');
      assertError(await request(app).post(PATH).set('App-ID', LIVE.appId).send({ image: faceB64 }), 'UNAUTHORIZED');
      assertError(await request(app).post(PATH).set({ 'App-ID': LIVE.appId, 'API-Key': `${LIVE.apiKey}x` }).send({ image: faceB64 }), 'UNAUTHORIZED');
      assertError(await request(app).post(PATH).set({ 'App-ID': LIVE.appId, 'API-Key': LIVE.apiKey.slice(0, -1) }).send({ image: faceB64 }), 'UNAUTHORIZED');
      assertError(await request(app).post(PATH).set({ 'App-ID': 'nobody', 'API-Key': LIVE.apiKey }).send({ image: faceB64 }), 'UNAUTHORIZED');
    });

    it('comes before every 400: a bad body without credentials is 401', async () => {
      assertError(await request(app).post(PATH).set('Content-Type', 'application/json').send('{not json'), 'UNAUTHORIZED');
      assertError(await request(app).post(PATH).send({}), 'UNAUTHORIZED');
    });

    it('an auth function decides; null means 401, a throw means 500 without details', async () => {
      const fnApp = express();
      fnApp.use(
        PATH,
        faceLiveness({
          engine,
          metrics: false,
          auth: (appId, apiKey) => {
            if (appId === 'boom') throw new Error('database down at db.internal:5432');
            return appId === 'fn-app' && apiKey === 'fn-key' ? { mode: 'live' } : null;
          },
        }),
      );
      assert.equal((await request(fnApp).post(PATH).set({ 'App-ID': 'fn-app', 'API-Key': 'fn-key' }).send({ image: faceB64 })).status, 200);
      assertError(await request(fnApp).post(PATH).set({ 'App-ID': 'fn-app', 'API-Key': 'nope' }).send({ image: faceB64 }), 'UNAUTHORIZED');
      const boom = await request(fnApp).post(PATH).set({ 'App-ID': 'boom', 'API-Key': 'x' }).send({ image: faceB64 });
      assertError(boom, 'INTERNAL_SERVER_ERROR');
      assert.equal(boom.body.message, ERROR_TABLE.INTERNAL_SERVER_ERROR.message);
      assert.doesNotMatch(JSON.stringify(boom.body), /database|5432/);
    });

    it('auth: false lets requests through without headers', async () => {
      assert.equal((await request(strictApp).post(PATH).send({ image: faceB64 })).status, 200);
    });
  });

  describe('405 METHOD_NOT_ALLOWED', () => {
    it('GET, PUT, DELETE and PATCH get the contract\'s JSON error and Allow: POST, OPTIONS, without credentials', async () => {
      for (const method of ['get', 'put', 'delete', 'patch'] as const) {
        const res = await request(app)[method](PATH).set('X-Request-Id', `wrong-${method}`);
        assertError(res, 'METHOD_NOT_ALLOWED');
        assert.equal(res.headers.allow, 'POST, OPTIONS', method);
        assert.match(res.headers['content-type'], /^application\/json/, method);
        assert.equal(res.body.request_id, `wrong-${method}`);
      }
    });

    it('HEAD gets the status and Allow; OPTIONS is answered by the router: 200, Allow, no body, no credentials asked for', async () => {
      const head = await request(app).head(PATH);
      assert.deepEqual([head.status, head.headers.allow], [405, 'POST, OPTIONS']);
      const options = await request(app).options(PATH).set('X-Request-Id', 'asking-1');
      assert.deepEqual([options.status, options.headers.allow, options.headers['x-request-id'], options.text], [200, 'POST, OPTIONS', 'asking-1', '']);
    });

    it('comes before auth and the body: credentials are not asked for and the body is not parsed', async () => {
      let asked = 0;
      const counted = express();
      counted.use(PATH, faceLiveness({ engine, metrics: false, auth: () => ((asked += 1), null) }));
      assertError(await request(counted).put(PATH).set('Content-Type', 'application/json').send('{not json'), 'METHOD_NOT_ALLOWED');
      assertError(await request(counted).patch(PATH).set(authHeaders(LIVE)).send({ image: faceB64 }), 'METHOD_NOT_ALLOWED');
      assert.equal(asked, 0, 'the auth function was not called');
      assertError(await request(counted).post(PATH).set(authHeaders(LIVE)).send({ image: faceB64 }), 'UNAUTHORIZED');
      assert.equal(asked, 1, 'POST still is');
    });
  });

  describe('caching', () => {
    it('every answer carries Cache-Control: no-store and X-Content-Type-Options: nosniff (faces, landmarks and scores stay out of caches)', async () => {
      const stopped = faceLiveness({ engine, auth: false, metrics: false });
      await stopped.close();
      const answers = {
        200: await post({ image: faceB64, is_attribute: false }),
        400: await post({}),
        401: await request(express().use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false }))).post(PATH).send({ image: faceB64 }),
        405: await request(app).get(PATH),
        OPTIONS: await request(app).options(PATH),
        503: await request(express().use(PATH, stopped)).post(PATH).send({ image: faceB64 }),
      };
      assert.deepEqual(Object.values(answers).map((res) => res.status), [200, 400, 401, 405, 503, 200]);
      for (const [what, res] of Object.entries(answers)) {
        assert.equal(res.headers['cache-control'], 'no-store', what);
        assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
      }
    });
  });

  describe('500 INTERNAL_SERVER_ERROR', () => {
    it('an engine that cannot load answers 500 with the generic message', async () => {
      const pack = packWithoutModels();
      try {
        const broken = faceLiveness({ engineOptions: { pack: pack.dir }, auth: false, metrics: false });
        const brokenApp = express();
        brokenApp.use(PATH, broken);
        const res = await request(brokenApp).post(PATH).send({ image: faceB64 });
        assertError(res, 'INTERNAL_SERVER_ERROR');
        assert.equal(res.body.message, ERROR_TABLE.INTERNAL_SERVER_ERROR.message);
        assert.doesNotMatch(res.text, /facelive-no-models/);
        await assert.rejects(broken.ready());
      } finally {
        pack.remove();
      }
    });
  });

  describe('request ids', () => {
    it('echoes a caller X-Request-Id in the header and data.request_id', async () => {
      const res = await post({ image: faceB64 }).set('X-Request-Id', 'trace-42.a:b_c');
      assert.equal(res.headers['x-request-id'], 'trace-42.a:b_c');
      assert.equal(res.body.data.request_id, 'trace-42.a:b_c');
    });

    it('sanitises it and keeps at most 128 characters', async () => {
      const dirty = await post({}).set('X-Request-Id', 'a<script>"b c"\u00e9');
      assert.equal(dirty.headers['x-request-id'], 'ascriptbc');
      assert.equal(dirty.body.request_id, 'ascriptbc');
      const long = await post({}).set('X-Request-Id', 'x'.repeat(300));
      assert.equal(long.headers['x-request-id'], 'x'.repeat(128));
    });

    it("reuses an id the app set on the response before the router (sanitised), over the caller's", async () => {
      const hosted = express();
      hosted.use((req, res, next) => {
        res.setHeader('X-Request-Id', req.path.startsWith('/dirty') ? 'host 123<>' : 'host-123');
        next();
      });
      const router = faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false });
      hosted.use(PATH, router);
      hosted.use(`/dirty${PATH}`, router);
      const refused = await request(hosted).post(PATH).send({});
      assert.deepEqual([refused.headers['x-request-id'], refused.body.request_id], ['host-123', 'host-123']);
      const checked = await request(hosted).post(PATH).set(authHeaders(LIVE)).set('X-Request-Id', 'caller-1').send({ image: faceB64 });
      assert.equal(checked.status, 200);
      assert.deepEqual([checked.headers['x-request-id'], checked.body.data.request_id], ['host-123', 'host-123']);
      const dirty = await request(hosted).post(`/dirty${PATH}`).send({});
      assert.deepEqual([dirty.headers['x-request-id'], dirty.body.request_id], ['host123', 'host123']);
    });

    it('makes a UUID when absent or unusable, on errors too', async () => {
      const none = await request(app).post(PATH).send({});
      assert.match(none.headers['x-request-id'], UUID);
      assert.equal(none.body.request_id, none.headers['x-request-id']);
      const junk = await post({ image: faceB64 }).set('X-Request-Id', '<<>>');
      assert.match(junk.headers['x-request-id'], UUID);
      assert.equal(junk.body.data.request_id, junk.headers['x-request-id']);
    });
  });

  describe('multipart/form-data', () => {
    const form = () => request(app).post(PATH).set(authHeaders(LIVE));

    it('takes the image file part and text flags', async () => {
      const res = await form().attach('image', face, { filename: 'face.jpg', contentType: 'image/jpeg' }).field('is_liveness', 'false').field('validate_nface', 'true');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal('liveness' in res.body.data, false);
      assert.equal(res.body.data.options.validate_nface, true);
    });

    it('applies the flags: FAIL_ON_8 for two faces with validate_nface=true', async () => {
      const res = await form().attach('image', await twoFaces(), 'pair.jpg').field('validate_nface', 'true');
      assert.equal(res.status, 200);
      assert.equal(res.body.error_code, 'FAIL_ON_8');
    });

    it('a flag that is not true/false is INVALID_PAYLOAD', async () => {
      assertError(await form().attach('image', face, 'face.jpg').field('is_quality', 'yes'), 'INVALID_PAYLOAD');
    });

    it('no image part is MISSING_PAYLOAD_IMAGE; an empty one INVALID_PAYLOAD_IMAGE_MISSING', async () => {
      assertError(await form().field('is_quality', 'true'), 'MISSING_PAYLOAD_IMAGE');
      assertError(await form().attach('image', Buffer.alloc(0), 'empty.jpg'), 'INVALID_PAYLOAD_IMAGE_MISSING');
    });

    it('dependency rules apply to form flags', async () => {
      assertError(await form().attach('image', face, 'face.jpg').field('is_quality', 'false').field('validate_quality', 'true'), 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY');
    });

    it('a file over 5 MiB is INVALID_PAYLOAD_IMAGE_SIZE', async () => {
      assertError(await form().attach('image', Buffer.alloc(5 * 1024 * 1024 + 1), 'big.jpg'), 'INVALID_PAYLOAD_IMAGE_SIZE');
    });

    it('a file over 5 MiB comes after the flags\' own 400s, as the same request in JSON, wherever the file stands in the form', async () => {
      const big = Buffer.alloc(5 * 1024 * 1024 + 1000);
      const faults: readonly [Record<string, string>, keyof typeof ERROR_TABLE][] = [
        [{ is_quality: 'false', validate_quality: 'true' }, 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY'],
        [{ validate_nface: 'yes' }, 'INVALID_PAYLOAD'],
        [{ validateLiveness: 'true' }, 'INVALID_PAYLOAD'],
      ];
      for (const [fields, code] of faults) {
        let flagsFirst = form();
        for (const [name, value] of Object.entries(fields)) flagsFirst = flagsFirst.field(name, value);
        assertError(await flagsFirst.attach('image', big, 'big.jpg'), code);
        let fileFirst = form().attach('image', big, 'big.jpg');
        for (const [name, value] of Object.entries(fields)) fileFirst = fileFirst.field(name, value);
        assertError(await fileFirst, code);
        const flags = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, value === 'true' ? true : value === 'false' ? false : value]));
        assertError(await request(app).post(PATH).set(authHeaders(LIVE)).send({ image: big.toString('base64'), ...flags }), code);
      }
    });

    it('fields that are not flags are ignored, as in JSON, up to 40 text fields in all', async () => {
      const names = ['is_quality', 'is_attribute', 'is_liveness', 'validate_quality', 'validate_attribute', 'validate_liveness', 'validate_nface'];
      const withFields = (extra: number) => {
        let req = form().attach('image', face, 'face.jpg');
        for (const name of names) req = req.field(name, 'false');
        for (let i = 0; i < extra; i += 1) req = req.field(`client_field_${i}`, String(i));
        return req;
      };
      // docs/express.md: the seven flags, image sent as text and 32 more, 40 in all (here the image is the file,
      // so its place holds one more field of the client's own).
      assert.equal(MAX_EXTRA_FORM_FIELDS, 32);
      const atBound = await withFields(40 - names.length);
      assert.equal(atBound.status, 200, JSON.stringify(atBound.body));
      assert.equal(atBound.body.data.options.validate_nface, false);
      assertError(await withFields(40 - names.length + 1), 'INVALID_PAYLOAD');
    });

    it('a file under another name, an image sent both as a file and as a text field, or a malformed form, is INVALID_PAYLOAD', async () => {
      assertError(await form().attach('photo', face, 'face.jpg'), 'INVALID_PAYLOAD');
      const both = await form().field('image', faceB64).attach('image', face, 'face.jpg');
      assertError(both, 'INVALID_PAYLOAD');
      assert.match(both.body.message, /either as a file part or as a text field, not both/);
      const broken = await request(app)
        .post(PATH)
        .set(authHeaders(LIVE))
        .set('Content-Type', 'multipart/form-data; boundary=XYZ')
        .send('--XYZ\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\nabc');
      assertError(broken, 'INVALID_PAYLOAD');
    });

    it('text fields share the JSON body limit: seven 6 MB flag fields are refused as a body too large', async () => {
      let req = form().attach('image', Buffer.from([0xff, 0xd8, 0xff]), 'tiny.jpg');
      const names = ['is_quality', 'is_attribute', 'is_liveness', 'validate_quality', 'validate_attribute', 'validate_liveness', 'validate_nface'];
      for (const name of names) req = req.field(name, 't'.repeat(6 * 1000 * 1000));
      const res = await req;
      assertError(res, 'INVALID_PAYLOAD_IMAGE_SIZE');
      assert.equal(res.body.message, BODY_TOO_LARGE_MESSAGE);
      // The whole form counts: two fields of a client's own, each half the limit, put it just over.
      const half = Math.ceil(jsonBodyLimitFor(engine.limits.maxImageBytes) / 2);
      const justOver = await form().attach('image', face, 'face.jpg').field('note_a', 'n'.repeat(half)).field('note_b', 'n'.repeat(half));
      assertError(justOver, 'INVALID_PAYLOAD_IMAGE_SIZE');
      assert.equal(justOver.body.message, BODY_TOO_LARGE_MESSAGE);
    });

    it('a non-image file is INVALID_PAYLOAD_IMAGE_FORMAT', async () => {
      assertError(await form().attach('image', Buffer.from('%PDF-1.4 not a picture'), 'doc.pdf'), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    });

    it('an iPhone\'s HEIC photo is INVALID_PAYLOAD_IMAGE_FORMAT, saying what it is and what to send instead', async () => {
      const heic = await heicLike(face);
      for (const res of [await form().attach('image', heic, 'IMG_0001.HEIC'), await post({ image: `data:image/heic;base64,${heic.toString('base64')}` })]) {
        assertError(res, 'INVALID_PAYLOAD_IMAGE_FORMAT');
        assert.match(res.body.message, /^The image is HEIC\b.*send a JPEG, PNG or WebP/);
      }
    });
  });

  it('covers every code of the error table, each under its documented HTTP status', () => {
    // The 200 codes are tested above; this pins the table this file was written against (the
    // README's "Error codes"), so that assertError's status from the table is the documented one.
    const documented: [string, number][] = [
      ['INVALID_PAYLOAD', 400],
      ['MISSING_PAYLOAD_IMAGE', 400],
      ['INVALID_PAYLOAD_IMAGE_MISSING', 400],
      ['INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY', 400],
      ['INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY', 400],
      ['INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY', 400],
      ['INVALID_PAYLOAD_IMAGE_SIZE', 400],
      ['INVALID_PAYLOAD_IMAGE_TIMEOUT', 400],
      ['INVALID_PAYLOAD_IMAGE_FORMAT', 400],
      ['FACE_NOT_DETECTED', 400],
      ['UNAUTHORIZED', 401],
      ['INSUFFICIENT_QUOTA_LIVENESS', 403],
      ['METHOD_NOT_ALLOWED', 405],
      ['TOO_MANY_REQUESTS', 429],
      ['INTERNAL_SERVER_ERROR', 500],
      ['SERVICE_UNAVAILABLE', 503],
    ];
    assert.deepEqual(ERROR_CODES, documented.map(([code]) => code));
    assert.deepEqual(ERROR_CODES.map((code) => [code, ERROR_TABLE[code].status]), documented);
  });
});
