// facelive-detect in a running Node-RED: verdict routing, input forms, per-message options, status.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import vm from 'node:vm';
import { selfieJpeg, selfiePng, twoFaces } from '../helpers/faces';
import { detectNode, engineNode, helper, nodeFlow, run, settledStatus } from './support';

describe('facelive-detect node', function () {
  this.timeout(60_000);

  afterEach(() => helper.unload());

  it('sends a live selfie to the PASS output with the contract answer in msg.liveness', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect'));
    const status = settledStatus();
    const msg = await run('pass', { payload: await selfieJpeg(), topic: 'kept' });
    assert.equal(msg.liveness.message, 'PASS');
    assert.equal(msg.liveness.error_code, null);
    assert.equal(msg.liveness.data.status, 'PASS');
    assert.equal(msg.liveness.data.nface, 1);
    assert.equal(typeof msg.liveness.data.liveness.probability, 'number');
    assert.ok(msg.liveness.data.quality && msg.liveness.data.attributes, 'every section computed by default');
    assert.equal(msg.topic, 'kept');
    assert.ok(Buffer.isBuffer(msg.payload), 'the image stays in msg.payload');
    assert.deepEqual(await status, { fill: 'green', shape: 'dot', text: 'PASS' });
  });

  it('sends a failed verdict to the FAIL output, with the failed validations listed', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', { validate_nface: true }));
    const status = settledStatus();
    const msg = await run('fail', { payload: await twoFaces() });
    assert.equal(msg.liveness.error_code, 'FAIL_ON_8');
    assert.deepEqual(msg.liveness.data.validations.failed, ['nface']);
    assert.equal(msg.liveness.data.nface, 2);
    assert.deepEqual(await status, { fill: 'yellow', shape: 'dot', text: 'FAIL_ON_8' });
  });

  it('takes base64, data URI and PNG images, and a configurable image and result property', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', { property: 'photo.bytes', result: 'out.check' }));
    const jpeg = await selfieJpeg();
    const base64 = await run('pass', { photo: { bytes: jpeg.toString('base64') } });
    assert.equal(base64.out.check.error_code, null);
    const dataUri = await run('pass', { photo: { bytes: `data:image/png;base64,${(await selfiePng()).toString('base64')}` } });
    assert.equal(dataUri.out.check.data.image.format, 'png');
    assert.equal(dataUri.liveness, undefined);
  });

  it('takes a Uint8Array made in another realm (a function node\'s vm context)', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect'));
    const jpeg = await selfieJpeg();
    const foreign = vm.runInNewContext('new Uint8Array(bytes)', { bytes: [...jpeg] }) as Uint8Array;
    assert.ok(!(foreign instanceof Uint8Array), 'not this realm\'s Uint8Array');
    const msg = await run('pass', { payload: foreign });
    assert.equal(msg.liveness.data.nface, 1);
    assert.equal(msg.liveness.data.image.format, 'jpeg');
  });

  it('fetches an http URL image (private addresses allowed in the engine node)', async () => {
    const jpeg = await selfieJpeg();
    const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'image/jpeg' }).end(jpeg));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', {}, { allowPrivateNetwork: true }));
      const { port } = server.address() as AddressInfo;
      const msg = await run('pass', { payload: `http://127.0.0.1:${port}/selfie.jpg` });
      assert.equal(msg.liveness.data.nface, 1);
    } finally {
      server.close();
    }
  });

  it('lets msg.options override the form, with the contract field names', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', { is_attribute: true, validate_nface: false }));
    const image = await twoFaces();
    const byForm = await run('pass', { payload: image });
    assert.ok(byForm.liveness.data.attributes);
    const overridden = await run('fail', { payload: image, options: { is_attribute: false, validate_nface: true, unknown: 1 } });
    assert.equal(overridden.liveness.error_code, 'FAIL_ON_8');
    assert.equal(overridden.liveness.data.attributes, undefined, 'a section switched off is absent');
    assert.equal(overridden.liveness.data.options.is_attribute, false);
  });

  it('takes msg.livenessThreshold over the engine node\'s threshold (a camera fleet\'s calibrated one)', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', { validate_liveness: true }));
    const image = await selfieJpeg();
    const strict = await run('fail', { payload: image, livenessThreshold: 1 });
    assert.deepEqual([strict.liveness.error_code, strict.liveness.data.liveness.threshold], ['FAIL_ON_1', 1]);
    const open = await run('pass', { payload: image, livenessThreshold: 0 });
    assert.deepEqual([open.liveness.error_code, open.liveness.data.liveness.threshold], [null, 0]);
    assert.equal(open.liveness.data.liveness.probability, strict.liveness.data.liveness.probability);
  });

  it('takes a whole contract body as an http in node delivers it; msg.options still wins', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect'));
    const image = (await twoFaces()).toString('base64');
    const byBody = await run('fail', { payload: { image, validate_nface: true, is_quality: false } });
    assert.equal(byBody.liveness.error_code, 'FAIL_ON_8');
    assert.equal(byBody.liveness.data.quality, undefined);
    const overridden = await run('pass', { payload: { image, validate_nface: true }, options: { validate_nface: false } });
    assert.equal(overridden.liveness.error_code, null);
  });

  it('lets a request body switch validations on but not off one the form switches on; msg.options still can', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', { validate_liveness: true }));
    const image = (await selfieJpeg()).toString('base64');
    // Threshold 1: no face is live enough, so only validate_liveness being on decides the output.
    const kept = await run('fail', { payload: { image, validate_liveness: false }, livenessThreshold: 1 });
    assert.equal(kept.liveness.error_code, 'FAIL_ON_1');
    assert.equal(kept.liveness.data.liveness.is_live, false);
    assert.equal(kept.liveness.data.options.validate_liveness, true);
    const noSection = await run('caught', { payload: { image, is_liveness: false, validate_liveness: false } });
    assert.equal(noSection.error.code, 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY');
    const added = await run('fail', { payload: { image: (await twoFaces()).toString('base64'), validate_nface: true } });
    assert.ok(added.liveness.data.validations.failed.includes('nface'), 'a body may add a validation');
    const byFlow = await run('pass', { payload: { image }, options: { validate_liveness: false }, livenessThreshold: 1 });
    assert.equal(byFlow.liveness.data.options.validate_liveness, false);
  });

  it('stops at startup without an engine config node, and the runtime keeps going', async () => {
    await helper.load([engineNode, detectNode], [
      { id: 'tab', type: 'tab', label: 'orphan' },
      { id: 'n1', z: 'tab', type: 'facelive-detect', name: 'orphan', engine: '', wires: [[], []] },
    ]);
    const node = helper.getNode('n1');
    assert.ok(node, 'the node exists');
    node.receive({ payload: await selfieJpeg() });
    const errorCall = node.error.getCalls().find((call: { args: unknown[] }) => /No facelive-engine/.test(String(call.args[0])));
    assert.ok(errorCall, 'the missing config is reported');
  });
});
