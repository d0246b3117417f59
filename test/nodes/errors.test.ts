// Every error code a facelive node can raise reaches a Catch node with msg.error.code, the node
// shows it in red, and the runtime keeps serving the next message.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { landscapeJpeg, selfieJpeg } from '../helpers/faces';
import { imageTraces } from '../helpers/leaks';
import { ERROR_TABLE, FaceliveError, type ErrorCode } from '../../core';
import { describeUnexpected } from '../../nodes/lib/errors';
import { attributeNode, detectNode, engineNode, helper, nodeFlow, qualityNode, run, settledStatus } from './support';

interface Case {
  readonly code: keyof typeof ERROR_TABLE;
  /** What the message or the configuration does wrong. */
  readonly why: string;
  readonly msg: () => Promise<Record<string, unknown>>;
  readonly props?: Record<string, unknown>;
  readonly engine?: Record<string, unknown>;
}

const CASES: Case[] = [
  { code: 'INVALID_PAYLOAD', why: 'a flag of the wrong type in msg.options', msg: async () => ({ payload: await selfieJpeg(), options: { is_quality: 'yes' } }) },
  { code: 'INVALID_PAYLOAD', why: 'a flag spelt otherwise in msg.options (validateLiveness)', msg: async () => ({ payload: await selfieJpeg(), options: { validateLiveness: true } }) },
  { code: 'INVALID_PAYLOAD', why: 'a flag spelt otherwise in a request body (Validate_Liveness)', msg: async () => ({ payload: { image: (await selfieJpeg()).toString('base64'), Validate_Liveness: true } }) },
  { code: 'INVALID_PAYLOAD', why: 'flags inside an object of a request body ("options")', msg: async () => ({ payload: { image: (await selfieJpeg()).toString('base64'), options: { validate_nface: true } } }) },
  { code: 'INVALID_PAYLOAD', why: 'flags inside an object of msg.options', msg: async () => ({ payload: await selfieJpeg(), options: { flags: { validate_liveness: true } } }) },
  { code: 'INVALID_PAYLOAD', why: 'msg.options not an object', msg: async () => ({ payload: await selfieJpeg(), options: 'validate_quality' }) },
  { code: 'INVALID_PAYLOAD', why: 'msg.livenessThreshold outside [0,1]', msg: async () => ({ payload: await selfieJpeg(), livenessThreshold: 1.5 }) },
  { code: 'INVALID_PAYLOAD', why: 'a number as the image', msg: async () => ({ payload: 42 }) },
  { code: 'MISSING_PAYLOAD_IMAGE', why: 'no msg.payload', msg: async () => ({ topic: 'no payload' }) },
  { code: 'MISSING_PAYLOAD_IMAGE', why: 'a contract body without image', msg: async () => ({ payload: { is_quality: true } }) },
  { code: 'MISSING_PAYLOAD_IMAGE', why: 'an image property whose parent the message lacks (msg.data.image, no msg.data)', msg: async () => ({ payload: await selfieJpeg() }), props: { property: 'msg.data.image' } },
  { code: 'INVALID_PAYLOAD_IMAGE_MISSING', why: 'an empty string', msg: async () => ({ payload: '' }) },
  { code: 'INVALID_PAYLOAD_IMAGE_MISSING', why: 'text that is not base64', msg: async () => ({ payload: 'not base64 at all!' }) },
  { code: 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY', why: 'validate_quality without is_quality (msg.options)', msg: async () => ({ payload: await selfieJpeg(), options: { is_quality: false, validate_quality: true } }) },
  { code: 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY', why: 'validate_attribute without is_attribute (form)', msg: async () => ({ payload: await selfieJpeg() }), props: { is_attribute: false, validate_attribute: true } },
  { code: 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY', why: 'validate_liveness without is_liveness (msg.options)', msg: async () => ({ payload: await selfieJpeg(), options: { is_liveness: false, validate_liveness: true } }) },
  { code: 'INVALID_PAYLOAD_IMAGE_SIZE', why: 'more bytes than the engine node allows', msg: async () => ({ payload: await selfieJpeg() }), engine: { maxImageMiB: '0.01' } },
  { code: 'INVALID_PAYLOAD_IMAGE_SIZE', why: 'more pixels than the engine node allows', msg: async () => ({ payload: await selfieJpeg() }), engine: { maxMegapixels: '0.1' } },
  { code: 'INVALID_PAYLOAD_IMAGE_FORMAT', why: 'bytes that are no image', msg: async () => ({ payload: Buffer.from('GIF89a, or rather plain text that is no image') }) },
  { code: 'FACE_NOT_DETECTED', why: 'a landscape without a face', msg: async () => ({ payload: await landscapeJpeg() }) },
  { code: 'INTERNAL_SERVER_ERROR', why: 'a model pack directory that does not exist', msg: async () => ({ payload: await selfieJpeg() }), engine: { pack: 'no-such-model-pack-directory' } },
  { code: 'INTERNAL_SERVER_ERROR', why: 'a threshold that is not a number', msg: async () => ({ payload: await selfieJpeg() }), engine: { threshold_blur: 'sharp' } },
];

describe('facelive node errors', function () {
  this.timeout(60_000);

  afterEach(() => helper.unload());

  for (const c of CASES) {
    it(`${c.code} reaches a Catch node from facelive-detect: ${c.why}`, async () => {
      await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', c.props, c.engine));
      const status = settledStatus();
      const msg = await run('caught', await c.msg());
      assert.equal(msg.error.code, c.code);
      assert.equal(msg.statusCode, ERROR_TABLE[c.code as ErrorCode].status);
      assert.equal(msg.error.source.type, 'facelive-detect');
      assert.ok(!/FaceliveError:/.test(msg.error.message), 'the message is the plain sentence');
      if (c.code !== 'INTERNAL_SERVER_ERROR') assert.ok(msg.error.message.length > 0);
      else assert.equal(msg.error.message, ERROR_TABLE.INTERNAL_SERVER_ERROR.message);
      assert.deepEqual(await status, { fill: 'red', shape: 'ring', text: c.code });
      if (c.code !== 'INTERNAL_SERVER_ERROR') assert.equal(helper.getNode('n1').warn.callCount, 0, 'no unexpected error logged');
    });
  }

  it('names msg.options, not the body, when it refuses a flag spelt otherwise or flags inside an object of it', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect'));
    const image = await selfieJpeg();
    const misspelt = await run('caught', { payload: image, options: { validateLiveness: true } });
    assert.equal(misspelt.error.message, 'Unknown field "validateLiveness" in msg.options; the flag is named validate_liveness.');
    const nested = await run('caught', { payload: image, options: { flags: { is_quality: false } } });
    assert.equal(nested.error.message, 'Field "flags" in msg.options holds the flag is_quality; send the flags as fields of msg.options itself.');
    const inBody = await run('caught', { payload: { image: image.toString('base64'), flags: { is_quality: false } } });
    assert.equal(inBody.error.message, 'Field "flags" holds the flag is_quality; send the flags as fields of the body itself.');
  });

  it('answers an image property that is no property expression as an unexpected error, its cause logged', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', { property: 'data..image' }));
    const msg = await run('caught', { payload: await selfieJpeg(), data: { image: 'x' } });
    assert.equal(msg.error.code, 'INTERNAL_SERVER_ERROR');
    const warned: string[] = helper.getNode('n1').warn.getCalls().map((call: { args: unknown[] }) => String(call.args[0]));
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.match(warned[0]!, /^Unexpected error, answered as INTERNAL_SERVER_ERROR: Error: Invalid property expression/);
  });

  it('logs the cause of an INTERNAL_SERVER_ERROR as a warning (a Catch node keeps it out of the log), without the image', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', {}, { pack: 'no-such-model-pack-directory' }));
    const image = (await selfieJpeg()).toString('base64');
    const msg = await run('caught', { payload: image });
    assert.equal(msg.error.code, 'INTERNAL_SERVER_ERROR');
    assert.equal(msg.error.message, ERROR_TABLE.INTERNAL_SERVER_ERROR.message, 'the answer still hides it');
    const warned: string[] = helper.getNode('n1').warn.getCalls().map((call: { args: unknown[] }) => String(call.args[0]));
    assert.equal(warned.length, 1, JSON.stringify(warned));
    const [first, ...frames] = warned[0]!.split('\n');
    assert.match(first!, /^Unexpected error, answered as INTERNAL_SERVER_ERROR: \w*Error: .*no-such-model-pack-directory/);
    assert.ok(frames.length > 0 && frames.every((line) => /^\s+at /.test(line)), 'then its stack frames');
    assert.ok(!warned[0]!.includes(image.slice(1000, 1064)), 'no image data');
  });

  it('logs no warning for an error whose answer says what went wrong', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', { engine: '' }));
    const msg = await run('caught', { payload: await selfieJpeg() });
    assert.match(msg.error.message, /No facelive-engine/);
    assert.equal(helper.getNode('n1').warn.callCount, 0);
  });

  it('INVALID_PAYLOAD_IMAGE_TIMEOUT reaches a Catch node when the image URL stalls', async () => {
    const server = http.createServer(() => { /* never answers */ });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await helper.load([engineNode, detectNode], nodeFlow('facelive-detect', {}, { allowPrivateNetwork: true, urlTimeout: '0.5' }));
      const { port } = server.address() as AddressInfo;
      const msg = await run('caught', { payload: `http://127.0.0.1:${port}/slow.jpg` });
      assert.equal(msg.error.code, 'INVALID_PAYLOAD_IMAGE_TIMEOUT');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('refuses loopback image URLs unless the engine node allows them', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect'));
    const msg = await run('caught', { payload: 'http://127.0.0.1:9/selfie.jpg' });
    assert.match(msg.error.code, /^INVALID_PAYLOAD/);
  });

  for (const [type, node] of [['facelive-validate-quality', qualityNode], ['facelive-validate-attribute', attributeNode]] as const) {
    it(`${type} reports MISSING_PAYLOAD_IMAGE, INVALID_PAYLOAD_IMAGE_FORMAT and FACE_NOT_DETECTED to a Catch node`, async () => {
      await helper.load([engineNode, node], nodeFlow(type));
      for (const [payload, code] of [
        [undefined, 'MISSING_PAYLOAD_IMAGE'],
        [Buffer.from('no image'), 'INVALID_PAYLOAD_IMAGE_FORMAT'],
        [await landscapeJpeg(), 'FACE_NOT_DETECTED'],
      ] as const) {
        const msg = await run('caught', { payload });
        assert.equal(msg.error.code, code);
        assert.equal(msg.error.source.type, type);
      }
    });
  }

  it('keeps serving after errors: the next good image passes', async () => {
    await helper.load([engineNode, detectNode], nodeFlow('facelive-detect'));
    await run('caught', { payload: await landscapeJpeg() });
    await run('caught', { payload: 'not base64 at all!' });
    const msg = await run('pass', { payload: await selfieJpeg() });
    assert.equal(msg.liveness.error_code, null);
  });
});

describe('describeUnexpected (the log line for an INTERNAL_SERVER_ERROR)', () => {
  it('names the original error, cuts its message and drops base64 data from it', () => {
    const data = Buffer.alloc(600, 7).toString('base64');
    const line = describeUnexpected(new TypeError(`bad input ${data} then ${'word '.repeat(100)}`))!;
    const [first, ...frames] = line.split('\n');
    assert.ok(first!.startsWith('Unexpected error, answered as INTERNAL_SERVER_ERROR: TypeError: bad input [data] then word'));
    assert.ok(!line.includes(data.slice(0, 64)), 'no base64 run');
    assert.ok(first!.length < 300, `cut to about 200 characters: ${first!.length}`);
    assert.ok(frames.length > 0 && frames.every((frame) => /^\s+at /.test(frame)));
  });

  it('drops image data in any form from the message: base64url, wrapped base64, raw bytes, a Buffer dump', async () => {
    const selfie = await selfieJpeg('frontal', 320, 240);
    const base64 = selfie.toString('base64');
    const leaks: string[] = [];
    for (const [form, message] of [
      ['base64', `cannot read image ${base64.slice(0, 3000)}`],
      ['base64url', `cannot read image ${selfie.toString('base64url').slice(0, 3000)}`],
      ['base64 wrapped at 60 characters', `cannot read image\n${base64.slice(0, 600).replace(/.{60}/g, '$&\n')}`],
      ['bytes read as latin1', `cannot read image ${selfie.subarray(0, 400).toString('latin1')}`],
      ['bytes read as UTF-8', `cannot read image ${selfie.subarray(0, 400).toString('utf8')}`],
      ['a Buffer dump', `cannot read image ${inspect(selfie)}`],
    ] as const) {
      const line = describeUnexpected(new FaceliveError('INTERNAL_SERVER_ERROR', undefined, { cause: new Error(message) }))!;
      const kept = /: Error: cannot read image \[data\]/.test(line);
      if (!kept || imageTraces(line, selfie).length > 0 || /<Buffer|ff d8 ff/.test(line)) leaks.push(form);
    }
    assert.deepEqual(leaks, []);
  });

  it('reads a long message in bounded time: a whole base64 selfie in one word is not scanned whole', async () => {
    const data = (await selfieJpeg('frontal', 640, 480)).toString('base64');
    assert.ok(data.length > 50_000);
    const started = Date.now();
    const line = describeUnexpected(new TypeError(`Cannot read image data:image/jpeg;base64,${data}`))!;
    // Scanned whole, the binary pattern backtracked on the one long word: 10 s for 80,000 characters.
    assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
    assert.match(line, /: TypeError: Cannot read image \[data\]\n/);
    assert.ok(!line.includes(data.slice(0, 12)) && !line.includes(data.slice(1000, 1012)));
  });

  it('unwraps the engine\'s INTERNAL_SERVER_ERROR to its cause, and skips errors that explain themselves', () => {
    const wrapped = new FaceliveError('INTERNAL_SERVER_ERROR', undefined, { cause: new RangeError('worker exited') });
    assert.match(describeUnexpected(wrapped)!, /: RangeError: worker exited\n/);
    assert.equal(describeUnexpected(new FaceliveError('INTERNAL_SERVER_ERROR', 'No facelive-engine configuration node is set for this node.')), undefined);
    assert.match(describeUnexpected('thrown text')!, /: string: thrown text$/);
  });
});
