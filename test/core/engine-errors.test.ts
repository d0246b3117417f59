// Every 400 code of the contract, each caused by a real input, through engine.checkRequest and engine.check.

import assert from 'node:assert/strict';
import sharp from 'sharp';
import { ERROR_TABLE, FaceliveError, type Engine, type ErrorCode } from '../../core';
import { sharedEngine } from '../helpers/engine';
import { landscapeJpeg, selfieJpeg } from '../helpers/faces';
import { cutAndClosed, GIF_DATA_URI, pngClaiming, randomBytes, sixMebibytePng, truncate } from '../helpers/bad-inputs';
import { claiming, withJunkBetweenScans, withStrayByte } from '../helpers/jpeg-edits';

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof FaceliveError, `expected a FaceliveError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, ERROR_TABLE[code].status);
    assert.deepEqual(Object.keys(err.toJSON()).sort(), ['error_code', 'message']);
    return true;
  });
}

describe('engine: 400 codes from real inputs', function () {
  let engine: Engine;
  let selfie: string;

  before(async function () {
    engine = await sharedEngine();
    selfie = (await selfieJpeg()).toString('base64');
  });

  it('INVALID_PAYLOAD: body missing, not an object, or a field of the wrong type', async function () {
    for (const body of [undefined, null, 'text', 42, [1, 2], Buffer.from('x')]) {
      await rejectsWith(engine.checkRequest(body), 'INVALID_PAYLOAD');
    }
    await rejectsWith(engine.checkRequest({ image: selfie, is_quality: 'yes' }), 'INVALID_PAYLOAD');
    await rejectsWith(engine.checkRequest({ image: selfie, validate_nface: 1 }), 'INVALID_PAYLOAD');
    // A null flag is of the wrong type too: read as its default, validate_liveness: null would leave liveness unvalidated.
    await rejectsWith(engine.checkRequest({ image: selfie, validate_liveness: null }), 'INVALID_PAYLOAD');
    await rejectsWith(engine.check(selfie, { validate_liveness: null } as never), 'INVALID_PAYLOAD');
    await rejectsWith(engine.checkRequest({ image: 12345 }), 'INVALID_PAYLOAD');
  });

  it('INVALID_PAYLOAD: a flag spelt otherwise in a body or inside an object of it, any unknown key in check()\'s options; other unknown body fields pass', async function () {
    // Read as unknown fields, these would leave the validation off and the check would pass.
    for (const misspelt of ['validateLiveness', 'Validate_Liveness', 'validate-liveness', 'VALIDATE_NFACE', 'isQuality']) {
      await assert.rejects(engine.checkRequest({ image: selfie, [misspelt]: true }), (err: FaceliveError) => {
        assert.equal(err.code, 'INVALID_PAYLOAD');
        assert.match(err.message, new RegExp(`"${misspelt}"; the flag is named (validate_liveness|validate_nface|is_quality)`));
        return true;
      });
      await rejectsWith(engine.check(selfie, { [misspelt]: true }), 'INVALID_PAYLOAD');
      await rejectsWith(engine.loadRequest!({ image: selfie, [misspelt]: true }), 'INVALID_PAYLOAD');
    }
    // Flags inside an object of the body (as check()'s options, or spelt otherwise there) would be ignored too.
    for (const [field, nested] of [['options', { validate_nface: true }], ['flags', { validateLiveness: true }], ['settings', { note: 'x', is_quality: false }]] as const) {
      await assert.rejects(engine.checkRequest({ image: selfie, [field]: nested }), (err: FaceliveError) => {
        assert.equal(err.code, 'INVALID_PAYLOAD');
        assert.match(err.message, new RegExp(`^Field "${field}" holds the flag (validate_nface|validate_liveness|is_quality); send the flags as fields of the body itself\\.$`));
        return true;
      });
      await rejectsWith(engine.loadRequest!({ image: selfie, [field]: nested }), 'INVALID_PAYLOAD');
    }
    // check()'s options hold flags only; a body may carry fields of its own (a client's reference, an object of its own).
    await assert.rejects(engine.check(selfie, { strict: true } as never), /Unknown check option "strict"; expected some of is_quality/);
    assert.equal((await engine.checkRequest({ image: selfie, client_reference: 'a-1', client: { id: 7, tags: ['x'] }, is_attribute: false })).error_code, null);
    // Flags come before the image in the contract's order.
    await rejectsWith(engine.check(undefined as unknown as string, { validateLiveness: true } as never), 'INVALID_PAYLOAD');
  });

  it('MISSING_PAYLOAD_IMAGE: no fields, or no image field', async function () {
    await rejectsWith(engine.checkRequest({}), 'MISSING_PAYLOAD_IMAGE');
    await rejectsWith(engine.checkRequest({ is_quality: true }), 'MISSING_PAYLOAD_IMAGE');
    await rejectsWith(engine.check(undefined as unknown as string), 'MISSING_PAYLOAD_IMAGE');
  });

  it('INVALID_PAYLOAD_IMAGE_MISSING: empty string, padding alone, invalid base64, other URL schemes', async function () {
    // Padding alone ('==') is valid-looking base64 of nothing: empty, not a format problem.
    for (const image of ['', '   ', '==', ' = = ', 'data:image/jpeg;base64,==', 'not base64 at all!', '@@@@', 'ftp://example.org/a.jpg', 'file:///etc/passwd', 'data:image/png,notbase64']) {
      await rejectsWith(engine.checkRequest({ image }), 'INVALID_PAYLOAD_IMAGE_MISSING');
    }
    await rejectsWith(engine.check(Buffer.alloc(0)), 'INVALID_PAYLOAD_IMAGE_MISSING');
  });

  it('INVALID_PAYLOAD_IMAGE_FORMAT: a GIF data URI, random bytes, a truncated JPEG (cut, cut and closed, or claiming more pixels than it holds, with or without stray bytes between segments), a text data URI', async function () {
    await rejectsWith(engine.checkRequest({ image: GIF_DATA_URI }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    await rejectsWith(engine.checkRequest({ image: randomBytes(4096).toString('base64') }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    await rejectsWith(engine.check(truncate(await selfieJpeg())), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    // Scan data that stops short: libjpeg would fill the rest with grey (the cut selfie passed liveness),
    // whether the file is cut and closed with an end marker or its header claims more pixels than it holds.
    // So too with a stray byte between segments (as some webcams write), which libjpeg skips with a
    // warning of its own that would otherwise come first: they answered PASS, PASS and FACE_NOT_DETECTED.
    const selfieBytes = await selfieJpeg();
    const progressive = await sharp(selfieBytes).jpeg({ progressive: true }).toBuffer();
    for (const edit of [(jpeg: Buffer) => jpeg, withStrayByte]) {
      await rejectsWith(engine.check(edit(cutAndClosed(selfieBytes))), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      await rejectsWith(engine.check(edit(cutAndClosed(progressive))), 'INVALID_PAYLOAD_IMAGE_FORMAT');
      await rejectsWith(engine.check(edit(claiming(selfieBytes, 6000, 6000))), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    }
    // Or bytes between two scans of a progressive JPEG, after a table segment.
    await rejectsWith(engine.check(cutAndClosed(withJunkBetweenScans(progressive, Buffer.from([0x00, 0xff, 0x00, 0x5a])))), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    await rejectsWith(engine.checkRequest({ image: `data:text/plain;base64,${Buffer.from('hello').toString('base64')}` }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    // The message (which servers log) names the client's media type, but not 7 MB of it.
    await assert.rejects(engine.checkRequest({ image: `data:text/${'x'.repeat(100_000)};base64,AAAA` }), (err: unknown) => {
      assert.ok(err instanceof FaceliveError && err.code === 'INVALID_PAYLOAD_IMAGE_FORMAT');
      assert.ok(err.message.length < 200, `${err.message.length} characters`);
      return true;
    });
  });

  it('INVALID_PAYLOAD_IMAGE_SIZE: a PNG claiming 50000x50000 pixels, and a 6 MiB image', async function () {
    await rejectsWith(engine.check(pngClaiming(50000, 50000)), 'INVALID_PAYLOAD_IMAGE_SIZE');
    const big = await sixMebibytePng();
    await rejectsWith(engine.check(big), 'INVALID_PAYLOAD_IMAGE_SIZE');
    await rejectsWith(engine.checkRequest({ image: big.toString('base64') }), 'INVALID_PAYLOAD_IMAGE_SIZE');
    await rejectsWith(engine.checkRequest({ image: `data:image/png;base64,${big.toString('base64')}` }), 'INVALID_PAYLOAD_IMAGE_SIZE');
  });

  it('INVALID_PAYLOAD_IMAGE_SIZE only past the default caps: 5 MiB of bytes and 40 000 000 pixels are judged as an image', async function () {
    // Bytes that are no image: at the cap they get as far as decoding (FORMAT), one byte more is too large.
    const atCap = randomBytes(5 * 1024 * 1024);
    const overCap = Buffer.concat([atCap, Buffer.alloc(1)]);
    await rejectsWith(engine.check(atCap), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    await rejectsWith(engine.check(overCap), 'INVALID_PAYLOAD_IMAGE_SIZE');
    await rejectsWith(engine.checkRequest({ image: atCap.toString('base64') }), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    await rejectsWith(engine.checkRequest({ image: overCap.toString('base64') }), 'INVALID_PAYLOAD_IMAGE_SIZE');
    // A PNG header claiming exactly 40 000 000 pixels is decoded (and found truncated); one row more is refused unread.
    await rejectsWith(engine.check(pngClaiming(8000, 5000)), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    await rejectsWith(engine.check(pngClaiming(8000, 5001)), 'INVALID_PAYLOAD_IMAGE_SIZE');
  });

  it('INVALID_PAYLOAD_IMAGE_FORMAT: a URL on a loopback address, refused by default (limits.allowPrivateNetwork false)', async function () {
    await assert.rejects(engine.checkRequest({ image: 'http://127.0.0.1:9/face.jpg' }), (err: unknown) => {
      assert.ok(err instanceof FaceliveError && err.code === 'INVALID_PAYLOAD_IMAGE_FORMAT', String(err));
      assert.match(err.message, /non-public address, which is not allowed/);
      return true;
    });
  });

  it('FACE_NOT_DETECTED: a landscape with no face', async function () {
    await rejectsWith(engine.check(await landscapeJpeg()), 'FACE_NOT_DETECTED');
  });

  it('the dependency rules, for every combination of is_* and validate_*', async function () {
    const rules = [
      ['quality', 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY'],
      ['attribute', 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY'],
      ['liveness', 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY'],
    ] as const;
    // All 64 combinations of the six flags; the first broken rule in contract order decides.
    for (let mask = 0; mask < 64; mask++) {
      const body: Record<string, unknown> = { image: 'http://127.0.0.1:9/never-fetched.jpg' };
      rules.forEach(([name], i) => {
        body[`is_${name}`] = Boolean(mask & (1 << (2 * i)));
        body[`validate_${name}`] = Boolean(mask & (1 << (2 * i + 1)));
      });
      const broken = rules.find(([name]) => body[`validate_${name}`] === true && body[`is_${name}`] === false);
      if (broken) {
        await rejectsWith(engine.checkRequest(body), broken[1]);
      } else {
        // No rule broken: the check goes on to the URL, which the guard refuses (loopback) without connecting.
        await assert.rejects(engine.checkRequest(body), (err: unknown) => err instanceof FaceliveError && !err.code.endsWith('_DEPENDENCY'));
      }
    }
  });

  it('checks run in the contract order: one request gets exactly the first code', async function () {
    // Wrong type beats missing image; missing image beats dependency; empty image beats dependency;
    // dependency beats size and format.
    await rejectsWith(engine.checkRequest({ is_quality: 'no' }), 'INVALID_PAYLOAD');
    await rejectsWith(engine.checkRequest({ is_quality: false, validate_quality: true }), 'MISSING_PAYLOAD_IMAGE');
    // A null image is a missing one, as check(null) says; a wrong type is still INVALID_PAYLOAD.
    await rejectsWith(engine.checkRequest({ image: null }), 'MISSING_PAYLOAD_IMAGE');
    await rejectsWith(engine.check(null as unknown as string), 'MISSING_PAYLOAD_IMAGE');
    await rejectsWith(engine.checkRequest({ image: 5 }), 'INVALID_PAYLOAD');
    await rejectsWith(engine.checkRequest({ image: '', is_quality: false, validate_quality: true }), 'INVALID_PAYLOAD_IMAGE_MISSING');
    await rejectsWith(engine.checkRequest({ image: GIF_DATA_URI, is_attribute: false, validate_attribute: true }), 'INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY');
    await rejectsWith(engine.check(pngClaiming(), { is_liveness: false, validate_liveness: true }), 'INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY');
  });

  it('rejects only with FaceliveError carrying a documented code', async function () {
    const inputs: unknown[] = [undefined, null, {}, [], { image: null }, { image: {} }, { image: 'x' }, { image: '=' }, { image: GIF_DATA_URI }];
    for (const body of inputs) {
      await assert.rejects(engine.checkRequest(body), (err: unknown) => err instanceof FaceliveError && err.code in ERROR_TABLE);
    }
  });
  it('loadRequest() answers the steps before the models as checkRequest() does, and check() on what it loaded the rest', async function () {
    const face = (await selfieJpeg()).toString('base64');
    for (const [body, code] of [
      [[1, 2], 'INVALID_PAYLOAD'],
      [{ is_quality: true }, 'MISSING_PAYLOAD_IMAGE'],
      [{ image: '==' }, 'INVALID_PAYLOAD_IMAGE_MISSING'],
      [{ image: face, is_quality: false, validate_quality: true }, 'INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY'],
      [{ image: 'data:text/plain;base64,aGVsbG8=' }, 'INVALID_PAYLOAD_IMAGE_FORMAT'],
    ] as const) {
      await rejectsWith(engine.loadRequest!(body), code);
      await rejectsWith(engine.checkRequest(body), code);
    }
    // Decoding is the check's first step: a GIF loads, and check() refuses it.
    const gif = await engine.loadRequest!({ image: GIF_DATA_URI });
    await rejectsWith(engine.check(gif.image, gif.options), 'INVALID_PAYLOAD_IMAGE_FORMAT');
    const body = { image: face, is_attribute: false, validate_nface: true };
    const loaded = await engine.loadRequest!(body);
    assert.ok(Buffer.isBuffer(loaded.image) && loaded.image.equals(Buffer.from(face, 'base64')));
    assert.deepEqual({ ...loaded.options }, { is_quality: true, is_attribute: false, is_liveness: true, validate_quality: false, validate_attribute: false, validate_liveness: false, validate_nface: true });
    const strip = ({ data: { request_id: _id, timings_ms: _t, ...data }, ...rest }: Awaited<ReturnType<Engine['check']>>) => ({ ...rest, data });
    assert.deepEqual(strip(await engine.check(loaded.image, loaded.options)), strip(await engine.checkRequest(body)));
  });
});
