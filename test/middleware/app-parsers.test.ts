// The middleware in an app that already parses bodies: mounted before the app's express.json() it
// reads its own bodies (its own limit, credentials first); mounted after it, the app's parser has
// read the body, so the router says so once in its log, and the app parser's refusal is the app's:
// errorHandler() hands it on, and toContractError() names the app parser's limit, not the image limit.

import assert from 'node:assert/strict';
import express, { type ErrorRequestHandler } from 'express';
import type { Engine } from '../../core/engine-types';
import { errorHandler, faceLiveness, toContractError } from '../../middleware';
import { selfieJpeg } from '../helpers/faces';
import { authHeaders, listen, type Listening, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
const WRONG_KEY = { ...LIVE, apiKey: 'not-the-key-0123456789' };

describe('middleware in an app with its own body parsers', function () {
  this.timeout(60_000);
  let engine: Engine;
  /** A photo whose JSON body is over express.json()'s default 100 kB limit. */
  let large: string;
  const apps: Listening[] = [];

  before(async () => {
    engine = await sharedEngine();
    large = JSON.stringify({ image: (await selfieJpeg('frontal', 1280, 960)).toString('base64') });
    assert.ok(large.length > 100 * 1024, `the body is only ${large.length} bytes`);
  });

  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  async function serve(order: 'facelive first' | 'app parser first', lines?: Record<string, unknown>[], onPath?: ErrorRequestHandler): Promise<string> {
    const app = express();
    const router = faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false, ...(lines ? { logger: (line: Record<string, unknown>) => lines.push(line) } : {}) });
    if (order === 'facelive first') app.use(PATH, router);
    app.use(express.json());
    app.post('/other', (req, res) => res.json({ parsed: req.body }));
    if (order === 'app parser first') app.use(PATH, router);
    if (onPath) app.use(PATH, onPath);
    app.use(errorHandler());
    // The app's own error handler: its status, and the contract's code and message for the error.
    app.use(((err, _req, res, _next) => {
      res.status((err as { status?: number }).status ?? 500).json({ own: true, ...toContractError(err).toJSON() });
    }) as ErrorRequestHandler);
    const listening = await listen(app);
    apps.push(listening);
    return listening.url;
  }

  async function post(url: string, body: string, credential = LIVE): Promise<{ status: number; code: string | null; message: string; own: boolean }> {
    const res = await fetch(url, { method: 'POST', headers: { ...authHeaders(credential), 'Content-Type': 'application/json' }, body });
    const answer = (await res.json()) as { error_code: string | null; message?: string; own?: boolean };
    return { status: res.status, code: answer.error_code, message: answer.message ?? '', own: answer.own === true };
  }

  it('mounted before the app\'s express.json(): its own limit, credentials checked first, the app\'s routes still parsed, no warning', async () => {
    const lines: Record<string, unknown>[] = [];
    const url = await serve('facelive first', lines);
    assert.deepEqual((await post(`${url}${PATH}`, large)).status, 200);
    assert.deepEqual((await post(`${url}${PATH}`, large, WRONG_KEY)).code, 'UNAUTHORIZED');
    const other = await fetch(`${url}/other`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    assert.deepEqual(await other.json(), { parsed: { a: 1 } });
    assert.ok(!lines.some((line) => line.level === 'warn'), JSON.stringify(lines));
  });

  it('mounted after it: the app parser\'s size error is the app\'s (handed on by an app-wide errorHandler(); toContractError() names its limit), and the router warns once that the app read the body first', async () => {
    const lines: Record<string, unknown>[] = [];
    const url = await serve('app parser first', lines);
    const refused = await post(`${url}${PATH}`, large);
    assert.deepEqual([refused.own, refused.status, refused.code], [true, 413, 'INVALID_PAYLOAD_IMAGE_SIZE']);
    assert.match(refused.message, /102400 bytes/);
    assert.doesNotMatch(refused.message, /maxImageBytes/, 'not the image limit, which this body is well under');
    // Small bodies pass the app's parser and reach the router already read: it still answers them.
    const small = JSON.stringify({ image: (await selfieJpeg('frontal', 160, 120)).toString('base64') });
    assert.equal((await post(`${url}${PATH}`, small)).status, 200);
    assert.equal((await post(`${url}${PATH}`, small)).status, 200);
    const warnings = lines.filter((line) => line.level === 'warn');
    assert.equal(warnings.length, 1, JSON.stringify(lines));
    assert.match(String(warnings[0]!.msg), /Mount faceLiveness before the app's body parsers/);
  });

  it('mounted after it, with errorHandler({ bodyParserErrors: true }) on its path: the app parser\'s refusals there get the contract\'s body, those of the app\'s own paths reach its own handler', async () => {
    const url = await serve('app parser first', [], errorHandler({ bodyParserErrors: true }));
    const refused = await post(`${url}${PATH}`, large);
    assert.deepEqual([refused.own, refused.status, refused.code], [false, 400, 'INVALID_PAYLOAD_IMAGE_SIZE']);
    assert.match(refused.message, /102400 bytes/);
    const malformed = await post(`${url}${PATH}`, '{"image": "/9j/4AAQ');
    assert.deepEqual([malformed.own, malformed.status, malformed.code], [false, 400, 'INVALID_PAYLOAD']);
    assert.doesNotMatch(malformed.message, /4AAQ/, 'the body is not echoed');
    const elsewhere = await post(`${url}/other`, '{"image": "/9j/4AAQ');
    assert.deepEqual([elsewhere.own, elsewhere.status], [true, 400], 'the app\'s own path: its own handler');
    assert.throws(() => errorHandler({ bodyParserErrors: 'yes' as unknown as boolean }), /bodyParserErrors/);
  });

  it('without a logger, warns once as a Node.js process warning', async () => {
    const warned: Error[] = [];
    const listener = (warning: Error): void => { if ((warning as { code?: string }).code === 'FACELIVE_BODY_READ_BEFORE') warned.push(warning); };
    process.on('warning', listener);
    try {
      const url = await serve('app parser first');
      const small = JSON.stringify({ image: (await selfieJpeg('frontal', 160, 120)).toString('base64') });
      for (let i = 0; i < 2; i += 1) assert.equal((await post(`${url}${PATH}`, small)).status, 200);
      await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
      assert.equal(warned.length, 1);
      assert.match(warned[0]!.message, /Mount faceLiveness before the app's body parsers/);
    } finally {
      process.off('warning', listener);
    }
  });
});
