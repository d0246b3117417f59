// No log entry of any kind holds the request's image, its body or the API key, across the
// middleware's error paths (docs/privacy.md, "Logs").

import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import express from 'express';
import request from 'supertest';
import type { Engine } from '../../core/engine-types';
import { errorHandler, faceLiveness, type LogEntry } from '../../middleware';
import { selfieJpeg } from '../helpers/faces';
import { imageTraces } from '../helpers/leaks';
import { authHeaders, LIVE, sharedEngine } from '../helpers/server';

const PATH = '/v1/face/liveness';
/** Text no entry may quote: it stands for personal data sent in a body or a URL. */
const MARKER = 'PersonalDataMarker';

describe('what the logs hold', function () {
  this.timeout(60_000);
  let engine: Engine;
  let jpeg: Buffer;
  let b64: string;

  before(async () => {
    engine = await sharedEngine();
    jpeg = await selfieJpeg('frontal', 320, 240);
    b64 = jpeg.toString('base64');
  });

  it('no entry holds the image, the body or the key, on any path: answers, refusals, summaries', async () => {
    const entries: LogEntry[] = [];
    const logger = (entry: LogEntry): void => {
      entries.push(entry);
    };
    const app = express();
    app.use(PATH, faceLiveness({ engine, auth: { credentials: [LIVE] }, metrics: false, logger, authFailures: { limit: 2, windowMs: 60_000 } }));
    app.use(errorHandler({ logger }));
    const auth = authHeaders(LIVE);
    const json = { ...auth, 'Content-Type': 'application/json' };
    const post = (headers: Record<string, string>, body: string | Buffer, query = ''): request.Test => request(app).post(`${PATH}${query}`).set(headers).send(body);
    const truncated = jpeg.subarray(0, 2000).toString('base64');
    const statuses: number[] = [];
    for (const sent of [
      post(json, JSON.stringify({ image: b64, note: MARKER })),
      post(json, `{"image": "${b64}", "note": "${MARKER}", `),
      post({ ...auth, 'Content-Type': 'image/jpeg' }, jpeg),
      post(json, JSON.stringify({ image: b64.repeat(120), note: MARKER })),
      post({ ...json, 'Content-Encoding': 'gzip' }, Buffer.from(`{"image": "${b64}", "note": "${MARKER}"}`)),
      post({ ...json, 'Content-Encoding': 'gzip' }, zlib.gzipSync(`{"image": "${b64}", "note": "${MARKER}"`)),
      post({ ...auth, 'Content-Type': 'multipart/form-data; boundary=XYZ' }, Buffer.concat([Buffer.from(`--XYZ\r\nContent-Disposition: form-data; name="image"; filename="${MARKER}.jpg"\r\n\r\n`), jpeg])),
      post(json, `{"image": "${b64}", "a": ${'['.repeat(40)}${']'.repeat(40)}}`),
      post(json, JSON.stringify({ image: b64, validate_liveness: MARKER })),
      post(json, JSON.stringify({ image: b64 }), `?image=${encodeURIComponent(b64.slice(0, 200))}`),
      post(json, JSON.stringify({ image: truncated })),
      post(json, JSON.stringify({ image: `${b64.slice(0, 300)}!${MARKER}` })),
      post(json, JSON.stringify({ image: `http://127.0.0.1:9/${b64.slice(0, 100)}?${MARKER}=1` })),
      post(json, JSON.stringify({ image: `data:text/plain;base64,${b64}` })),
      request(app).get(`${PATH}?image=${MARKER}`).set(auth),
      post({ ...json, 'API-Key': `${LIVE.apiKey}-${MARKER}` }, JSON.stringify({ image: b64 })),
      post({ ...json, 'API-Key': `${LIVE.apiKey}-${MARKER}` }, JSON.stringify({ image: b64 })),
      post({ ...json, 'API-Key': `${LIVE.apiKey}-${MARKER}` }, JSON.stringify({ image: b64 })),
    ]) {
      statuses.push((await sent).status);
    }
    assert.deepEqual(statuses, [200, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 400, 405, 401, 401, 429]);
    // The 401, 405 and 429 summary lines are written a second later.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.ok(entries.length >= 17, `${entries.length} entries`);
    assert.ok(entries.some((entry) => entry.msg === 'client address cooling down after failed authentications'));
    assert.deepEqual(imageTraces(entries, jpeg), [], 'no entry holds the image');
    const text = JSON.stringify(entries);
    assert.doesNotMatch(text, new RegExp(MARKER), 'no entry quotes the body, the URL or the key sent');
    assert.doesNotMatch(text, new RegExp(LIVE.apiKey), 'no entry holds the API key');
  });
});
