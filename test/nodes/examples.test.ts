// The example flows in examples/, loaded as they ship and run with real images: the KYC endpoint
// answers over HTTP exactly what the Express middleware answers; the batch flow writes its CSV.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { blurredSelfie, landscapeJpeg, selfieJpeg, twoFaces } from '../helpers/faces';
import { coreNode, faceliveNodes, helper, nextMessage } from './support';
import { sharedEngine } from '../helpers/engine';
import { parseCsv } from '../../core/eval/dataset';

const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples');
const readFlow = (name: string): Record<string, any>[] => JSON.parse(readFileSync(path.join(EXAMPLES, name), 'utf8'));

/** A body without what differs between two runs of the same check: request ids and stage timings. */
function comparable(body: Record<string, any>): Record<string, any> {
  const { request_id: _id, ...rest } = body;
  if (rest.data) {
    const { request_id: _dataId, timings_ms: _timings, ...data } = rest.data;
    rest.data = data;
  }
  return rest;
}

describe('example flow: kyc-endpoint.json', function () {
  this.timeout(60_000);
  let flowApp: express.Express;
  let middlewareApp: express.Express;
  let closeMiddleware: () => Promise<void>;

  before(async () => {
    // Loaded lazily: the middleware is another adapter of this package, used here as the reference.
    const { faceLiveness } = require('../../middleware') as typeof import('../../middleware');
    const router = faceLiveness({ auth: false, metrics: false, logger: () => undefined });
    middlewareApp = express().use('/v1/face/liveness', router);
    closeMiddleware = () => router.close();
    const httpIn = coreNode('network/21-httpin.js');
    const captureHttpNode = (RED: { httpNode: express.Express }): unknown => {
      flowApp = RED.httpNode;
      return httpIn(RED);
    };
    await helper.load([
      ...faceliveNodes, captureHttpNode, coreNode('function/10-switch.js'), coreNode('function/15-change.js'),
      coreNode('function/10-function.js'), coreNode('common/90-comment.js'),
    ], readFlow('kyc-endpoint.json'));
  });

  after(async () => {
    await helper.unload();
    await closeMiddleware();
  });

  async function both(body: unknown): Promise<[request.Response, request.Response]> {
    return [
      await request(flowApp).post('/v1/face/liveness').send(body as object),
      await request(middlewareApp).post('/v1/face/liveness').send(body as object),
    ];
  }

  const cases: [string, () => Promise<unknown>][] = [
    ['a selfie with the default flags', async () => ({ image: (await selfieJpeg()).toString('base64') })],
    ['two faces with validate_nface', async () => ({ image: (await twoFaces()).toString('base64'), validate_nface: true })],
    ['a blurred selfie as a data URI, quality validated, no attributes', async () => ({
      image: `data:image/jpeg;base64,${(await blurredSelfie()).toString('base64')}`, validate_quality: true, is_attribute: false,
    })],
    ['a landscape (FACE_NOT_DETECTED)', async () => ({ image: (await landscapeJpeg()).toString('base64') })],
    ['no image (MISSING_PAYLOAD_IMAGE)', async () => ({ is_quality: true })],
    ['a flag of the wrong type (INVALID_PAYLOAD)', async () => ({ image: 'abcd', is_quality: 'yes' })],
    ['a dependency error', async () => ({ image: (await selfieJpeg()).toString('base64'), validate_attribute: true, is_attribute: false })],
  ];

  for (const [name, body] of cases) {
    it(`answers ${name} exactly as the middleware does`, async () => {
      const [flow, middleware] = await both(await body());
      assert.equal(flow.status, middleware.status);
      assert.match(String(flow.headers['content-type']), /^application\/json/);
      assert.deepEqual(comparable(flow.body), comparable(middleware.body));
      const id = flow.body.request_id ?? flow.body.data?.request_id;
      assert.equal(typeof id, 'string');
      assert.equal(flow.headers['x-request-id'], id, 'the request id in a header too, as the middleware sends it');
    });
  }

  it('answers a JSON array and an empty body as the middleware does (INVALID_PAYLOAD: not a JSON object)', async () => {
    for (const send of [
      (target: express.Express) => request(target).post('/v1/face/liveness').send([1, 2]),
      (target: express.Express) => request(target).post('/v1/face/liveness').set('Content-Type', 'application/json'),
      // No body and no Content-Type (Node-RED's http in gives '' then, not {}), and an empty text/plain one.
      (target: express.Express) => request(target).post('/v1/face/liveness'),
      (target: express.Express) => request(target).post('/v1/face/liveness').set('Content-Type', 'text/plain').send(''),
    ]) {
      const [flow, middleware] = [await send(flowApp), await send(middlewareApp)];
      assert.equal(flow.status, 400);
      assert.equal(flow.body.error_code, 'INVALID_PAYLOAD');
      assert.deepEqual([flow.status, comparable(flow.body)], [middleware.status, comparable(middleware.body)]);
    }
  });

  it('differs from the middleware where docs/node-red.md says: a raw image or a form-encoded body is checked, an empty chunked JSON body has no image', async () => {
    const jpeg = await selfieJpeg();
    for (const send of [
      (target: express.Express) => request(target).post('/v1/face/liveness').set('Content-Type', 'image/jpeg').send(jpeg),
      (target: express.Express) => request(target).post('/v1/face/liveness').set('Content-Type', 'application/octet-stream').send(jpeg),
      (target: express.Express) => request(target).post('/v1/face/liveness').type('form').send({ image: jpeg.toString('base64') }),
    ]) {
      const [flow, middleware] = [await send(flowApp), await send(middlewareApp)];
      assert.deepEqual([flow.status, flow.body.data?.nface], [200, 1]);
      assert.deepEqual([middleware.status, middleware.body.error_code], [400, 'INVALID_PAYLOAD']);
    }
    const chunked = (target: express.Express) => request(target).post('/v1/face/liveness')
      .set('Content-Type', 'application/json').set('Transfer-Encoding', 'chunked');
    assert.equal((await chunked(flowApp)).body.error_code, 'MISSING_PAYLOAD_IMAGE');
    assert.equal((await chunked(middlewareApp)).body.error_code, 'INVALID_PAYLOAD');
  });

  it('adds its decision header: accept a plain selfie, reject a blurred one on quality', async () => {
    const good = await request(flowApp).post('/v1/face/liveness').send({ image: (await selfieJpeg()).toString('base64') });
    assert.equal(good.status, 200);
    assert.match(good.headers['x-kyc-decision'], /^(accept|reject: spoof)$/);
    assert.equal(good.headers['x-kyc-decision'] === 'accept', good.body.data.liveness.is_live);
    const blurred = await request(flowApp).post('/v1/face/liveness').send({ image: (await blurredSelfie()).toString('base64') });
    assert.equal(blurred.status, 200);
    assert.equal(blurred.headers['x-kyc-decision'], 'reject: quality');
    assert.equal(blurred.body.error_code, null, 'the body stays the contract answer for the request flags');
  });
});

describe('example flow: batch-folder.json', function () {
  this.timeout(60_000);
  let folder: string;

  before(async () => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'facelive-batch-'));
    writeFileSync(path.join(folder, 'a-selfie.jpg'), await selfieJpeg());
    // Not the "right" selfie: the attribute model reads a mask on it (a false alarm documented in
    // models/attributes.md), and this test is about the flow, not the model.
    writeFileSync(path.join(folder, 'b-downward.jpg'), await selfieJpeg('downward'));
    writeFileSync(path.join(folder, 'c-blurred.jpg'), await blurredSelfie());
    // A comma and quotes in the name: the CSV must quote the field.
    writeFileSync(path.join(folder, 'd-land,"scape".jpg'), await landscapeJpeg());
    // Names a spreadsheet would run as formulas: written with a leading ', through both CSV nodes.
    writeFileSync(path.join(folder, '=1+2.jpg'), await selfieJpeg());
    writeFileSync(path.join(folder, '@SUM(A1),x.jpg'), await landscapeJpeg());
    writeFileSync(path.join(folder, '+cmd.jpg'), await landscapeJpeg());
    writeFileSync(path.join(folder, '-2.jpg'), await landscapeJpeg());
    writeFileSync(path.join(folder, '\t=3.jpg'), await landscapeJpeg());
    writeFileSync(path.join(folder, 'notes.txt'), 'not an image, skipped');
  });

  after(async () => {
    await helper.unload();
    rmSync(folder, { recursive: true, force: true });
  });

  it('writes a CSV line per image: verdict, liveness, nface, quality and attribute flags', async () => {
    const flow = readFlow('batch-folder.json');
    const fileNode = flow.find((n) => n.type === 'file');
    const inject = flow.find((n) => n.type === 'inject');
    assert.ok(fileNode && inject);
    fileNode.wires = [['written']];
    flow.push({ id: 'written', z: fileNode.z, type: 'helper' });
    await helper.load([
      ...faceliveNodes, coreNode('common/20-inject.js'), coreNode('function/10-function.js'), coreNode('storage/10-file.js'),
      coreNode('common/90-comment.js'),
    ], flow);

    const lines = new Promise<void>((resolve) => {
      let count = 0;
      helper.getNode('written').on('input', () => {
        if (++count === 9) resolve();
      });
    });
    // The inject node takes the folder from FACELIVE_IMAGES; the CSV goes to <folder>/liveness.csv.
    const csv = path.join(folder, 'liveness.csv');
    const saved = process.env.FACELIVE_IMAGES;
    process.env.FACELIVE_IMAGES = folder;
    try {
      helper.getNode(inject.id).receive({});
      await lines;
    } finally {
      if (saved === undefined) delete process.env.FACELIVE_IMAGES;
      else process.env.FACELIVE_IMAGES = saved;
    }

    const rows = parseCsv(readFileSync(csv, 'utf8'));
    assert.ok(rows.every((row) => row.length === 11), 'eleven fields in every row');
    assert.deepEqual(rows[0], ['file', 'verdict', 'liveness_probability', 'nface', 'blur_pass', 'dark_pass', 'grayscale_pass', 'sunglasses', 'mask', 'veil', 'hat']);
    const byFile = new Map(rows.slice(1).map((row) => [row[0], row]));
    assert.deepEqual([...byFile.keys()].sort(), ["'\t=3.jpg", "'+cmd.jpg", "'-2.jpg", "'=1+2.jpg", "'@SUM(A1),x.jpg", 'a-selfie.jpg', 'b-downward.jpg', 'c-blurred.jpg', 'd-land,"scape".jpg']);
    assert.match(byFile.get("'=1+2.jpg")![1]!, /^(PASS|FAIL_ON_\d+)$/, 'a checked image: the CSV line node');
    for (const name of ["'@SUM(A1),x.jpg", "'+cmd.jpg", "'-2.jpg"]) assert.equal(byFile.get(name)![1], 'FACE_NOT_DETECTED', name);
    const engine = await sharedEngine();
    for (const [name, jpeg] of [['a-selfie.jpg', await selfieJpeg()], ['b-downward.jpg', await selfieJpeg('downward')]] as const) {
      const row = byFile.get(name) as string[];
      assert.match(row[1], /^(PASS|FAIL_ON_1)$/, `${name}: only liveness could fail a clean selfie`);
      assert.ok(Number(row[2]) >= 0 && Number(row[2]) <= 1);
      assert.equal(row[3], '1');
      assert.deepEqual(row.slice(4, 9), ['true', 'true', 'true', 'false', 'false'], `${name}: quality passes, no sunglasses, no mask`);
      // Veil and hat are reported, not validated, and the model has known false alarms on them
      // (the frontal selfie reads veil 0.07 against 0.05, models/attributes.md): the CSV must say
      // what the engine says.
      const { attributes } = (await engine.check(jpeg, { is_liveness: false, is_quality: false })).data;
      assert.ok(attributes);
      assert.deepEqual(row.slice(9), [String(attributes.veil.detected), String(attributes.hat.detected)], `${name}: veil and hat as the engine reports them`);
    }
    const blurred = byFile.get('c-blurred.jpg') as string[];
    // Quality (4) must be among the failures; a face this blurred may also read as masked (0.23 against
    // 0.20 with the current model, a known false alarm in models/attributes.md), adding 2.
    const failed = /^FAIL_ON_(\d+)$/.exec(blurred[1]!);
    assert.ok(failed && (Number(failed[1]) & 4) !== 0, `blurred: ${blurred[1]}`);
    assert.equal(blurred[4], 'false');
    assert.deepEqual(byFile.get('d-land,"scape".jpg'), ['d-land,"scape".jpg', 'FACE_NOT_DETECTED', '', '', '', '', '', '', '', '', '']);
  });
});
