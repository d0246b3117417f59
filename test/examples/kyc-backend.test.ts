// examples/kyc-backend.ts, driven over HTTP with real face images made at test time: attempts, the
// three answers the device may get, the checks the server decides, and every refusal. The attack is
// the frontal selfie replayed on a simulated screen (test/helpers/recapture.ts), which the default
// pack judges an attack at its shipped threshold while it judges the selfie itself live.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Express } from 'express';
import request, { type Response } from 'supertest';
import { createEngine } from '../../core';
import type { Engine } from '../../core/engine-types';
import type { CheckResult } from '../../core/types';
import { ATTEMPT_TTL_MS, createKycBackend, type KycBackend, MAX_SELFIES_PER_ATTEMPT, SERVER_CHECKS } from '../../examples/kyc-backend';
import { recapture } from '../helpers/recapture';
import { blurredSelfie, darkenedSelfie, distantSelfie, landscapeJpeg, selfieJpeg, twoFaces } from '../helpers/faces';

const EXAMPLE_JS = path.resolve(__dirname, '..', '..', 'examples', 'kyc-backend.js');

/** What an answer to the device must never carry: a score to climb, or which check or model said what. */
const TELLING_WORDS = /probab|threshold|score|model|liveness|FAIL_ON|PASS/i;

/** Asserts that an answer tells the device nothing to climb: no number, no digit, no telling word. */
function assertTellsNothing(res: Response): void {
  const text = JSON.stringify(res.body);
  assert.doesNotMatch(text, /\d/, `a digit in ${text}`);
  assert.doesNotMatch(text, TELLING_WORDS, `a telling word in ${text}`);
  for (const [name, value] of Object.entries(res.headers)) {
    assert.doesNotMatch(`${name}: ${String(value)}`, TELLING_WORDS, `header ${name}`);
    assert.doesNotMatch(String(value), /^\s*(0|1)?\.\d+\s*$/, `header ${name} holds a number between 0 and 1`);
  }
}

interface Clock {
  time: number;
}

async function startAttempt(app: Express): Promise<string> {
  const res = await request(app).post('/attempts').expect(201);
  return (res.body as { attempt_id: string }).attempt_id;
}

/** Sends a selfie as JSON {"image": base64, ...extra}, and checks that the answer tells nothing. */
async function sendSelfie(app: Express, attemptId: string, image: Buffer, extra: Record<string, unknown> = {}): Promise<Response> {
  const res = await request(app).post(`/attempts/${attemptId}/selfie`).send({ image: image.toString('base64'), ...extra });
  assertTellsNothing(res);
  return res;
}

/** Sends a selfie as a multipart file part named image, with text fields `fields`. */
async function uploadSelfie(app: Express, attemptId: string, image: Buffer, fields: Record<string, string> = {}): Promise<Response> {
  let upload = request(app).post(`/attempts/${attemptId}/selfie`).attach('image', image, 'selfie.jpg');
  for (const [name, value] of Object.entries(fields)) upload = upload.field(name, value);
  const res = await upload;
  assertTellsNothing(res);
  return res;
}

function checkedResult(backend: KycBackend, attemptId: string, index: number): CheckResult {
  const facelive = backend.cases.get(attemptId)?.selfies[index]?.facelive;
  assert.ok(facelive !== undefined && 'data' in facelive, `selfie ${index} of the case holds facelive's answer`);
  return facelive as CheckResult;
}

describe('examples/kyc-backend', function () {
  this.timeout(120_000);
  let engine: Engine;
  /** The frontal selfie shown on a screen and photographed again: a presentation attack. */
  let screenReplay: Buffer;
  let clock: Clock;
  let backend: KycBackend;
  let app: Express;

  before(async function () {
    engine = await createEngine({ limits: { allowUrlImages: false } });
    screenReplay = await recapture(await selfieJpeg('frontal'));
  });

  after(async function () {
    await engine?.dispose();
  });

  /** A fresh backend (its own attempts and recent images) with the test's clock. */
  beforeEach(async function () {
    clock = { time: Date.parse('2026-03-02T10:00:00Z') };
    backend = await createKycBackend({ engine, now: () => clock.time });
    app = backend.app;
  });

  afterEach(async function () {
    await backend.close();
  });

  describe('POST /attempts', function () {
    it('starts an attempt with a random single-use id, valid 2 minutes', async function () {
      const first = await request(app).post('/attempts').expect(201);
      const second = await request(app).post('/attempts').expect(201);
      const ids = [first.body.attempt_id, second.body.attempt_id] as string[];
      for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/, '16 random bytes in base64url');
      assert.notEqual(ids[0], ids[1]);
      assert.equal(first.body.expires_in_s, 120);
      assert.equal(first.headers['cache-control'], 'no-store');
    });
  });

  describe('the answer to a selfie', function () {
    it('is "continue" for a good selfie, and the case keeps facelive\'s whole answer, checked with the server\'s flags', async function () {
      const id = await startAttempt(app);
      const res = await sendSelfie(app, id, await selfieJpeg('frontal'));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { result: 'continue' });
      const kept = checkedResult(backend, id, 0);
      assert.equal(typeof kept.data.liveness?.probability, 'number', 'the score stays on the server');
      assert.deepEqual(kept.data.options, SERVER_CHECKS);
      assert.equal(backend.cases.get(id)?.decision, 'continue');
    });

    it('takes the selfie as a multipart upload as well', async function () {
      const id = await startAttempt(app);
      const res = await uploadSelfie(app, id, await selfieJpeg('frontal'));
      assert.deepEqual(res.body, { result: 'continue' });
    });

    it('is "retake", asking for one face, when two faces are in the picture (validate_nface, set by the server)', async function () {
      const id = await startAttempt(app);
      const res = await sendSelfie(app, id, await twoFaces());
      assert.equal(res.body.result, 'retake');
      assert.match(res.body.advice, /only your face/i);
      assert.equal(backend.cases.get(id)?.decision, undefined, 'a retake leaves the attempt open');
    });

    it('is "retake", asking for light, for a dark selfie (validate_quality, set by the server)', async function () {
      const id = await startAttempt(app);
      const res = await sendSelfie(app, id, await darkenedSelfie());
      assert.equal(res.body.result, 'retake');
      assert.match(res.body.advice, /light/i);
    });

    it('is "retake", asking to hold still, for a blurred selfie', async function () {
      const id = await startAttempt(app);
      const res = await sendSelfie(app, id, await blurredSelfie());
      assert.equal(res.body.result, 'retake');
      assert.match(res.body.advice, /still/i);
    });

    it('is "retake", asking to come closer, for a face far from the camera (face_size)', async function () {
      const id = await startAttempt(app);
      const res = await sendSelfie(app, id, await distantSelfie());
      assert.equal(res.body.result, 'retake');
      assert.match(res.body.advice, /closer/i);
    });

    it('is "retake", asking to hold the phone further away, for a face that fills the picture (framing)', async function () {
      const id = await startAttempt(app);
      const res = await sendSelfie(app, id, await selfieJpeg('right'));
      assert.equal(res.body.result, 'retake');
      assert.match(res.body.advice, /further away/i);
      assert.equal(checkedResult(backend, id, 0).data.quality?.framing.pass, false);
    });

    it('is "retake" when facelive finds no face (FACE_NOT_DETECTED), and the case keeps the code', async function () {
      const id = await startAttempt(app);
      const res = await sendSelfie(app, id, await landscapeJpeg());
      assert.equal(res.status, 200);
      assert.equal(res.body.result, 'retake');
      assert.match(res.body.advice, /face/i);
      assert.equal(backend.cases.get(id)?.selfies[0]?.facelive.error_code, 'FACE_NOT_DETECTED');
    });

    it('is "refused" after a liveness failure (a screen replay of the selfie), deciding the attempt', async function () {
      const id = await startAttempt(app);
      const res = await sendSelfie(app, id, screenReplay);
      assert.deepEqual(res.body, { result: 'refused' });
      assert.deepEqual(checkedResult(backend, id, 0).data.validations.failed, ['liveness']);
      assert.equal(backend.cases.get(id)?.decision, 'refused');
    });

    it('never tells a number, a score, a threshold or which check said what, whatever the outcome', async function () {
      const outcomes: Response[] = [];
      for (const image of [await selfieJpeg('frontal'), await twoFaces(), await landscapeJpeg(), await darkenedSelfie(), screenReplay]) {
        outcomes.push(await sendSelfie(app, await startAttempt(app), image));
      }
      assert.deepEqual(outcomes.map((res) => res.body.result), ['continue', 'retake', 'retake', 'retake', 'refused']);
      for (const res of outcomes) {
        assert.deepEqual(Object.keys(res.body).filter((key) => key !== 'result' && key !== 'advice'), [], 'result and advice only');
        if (res.body.advice !== undefined) assert.equal(typeof res.body.advice, 'string');
      }
    });
  });

  describe('the checks the server decides', function () {
    it('runs liveness on a selfie sent with the image alone (facelive\'s own default is no validation)', async function () {
      const res = await sendSelfie(app, await startAttempt(app), screenReplay);
      assert.equal(res.body.result, 'refused');
    });

    it('refuses a JSON body that turns a check off, so that the device cannot decide the checks', async function () {
      const id = await startAttempt(app);
      for (const flags of [{ validate_liveness: false }, { is_liveness: false, validate_liveness: false }, { validate_nface: false }]) {
        const res = await sendSelfie(app, id, screenReplay, flags);
        assert.equal(res.status, 400, JSON.stringify(flags));
        assert.equal(res.body.error, 'invalid_request');
      }
      assert.equal(backend.cases.get(id)?.decision, undefined, 'no check ran with the device\'s flags');
    });

    it('refuses a multipart upload that turns a check off', async function () {
      const res = await uploadSelfie(app, await startAttempt(app), screenReplay, { validate_liveness: 'false' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
    });

    it('refuses an image given as a URL without fetching it, and an engine that would fetch one', async function () {
      let fetched = 0;
      const imageServer = http.createServer((_req, res) => {
        fetched++;
        res.end();
      });
      await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
      // Engine options that would fetch from loopback: the backend turns URL images off all the same.
      const own = await createKycBackend({ engineOptions: { limits: { allowUrlImages: true, allowPrivateNetwork: true }, warmUp: false } });
      try {
        const url = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}/selfie.jpg`;
        const res = await sendSelfie(own.app, await startAttempt(own.app), Buffer.alloc(0), { image: url });
        assert.equal(res.status, 400);
        assert.equal(res.body.error, 'invalid_selfie');
        assert.equal(fetched, 0);
      } finally {
        await own.close();
        imageServer.close();
      }
      const fetching = { ...engine, limits: { ...engine.limits, allowUrlImages: true } } as Engine;
      await assert.rejects(createKycBackend({ engine: fetching }), /allowUrlImages: false/);
    });
  });

  describe('refusals', function () {
    it('refuses an unknown attempt id (404)', async function () {
      const res = await sendSelfie(app, 'AAAAAAAAAAAAAAAAAAAAAA', await selfieJpeg('frontal'));
      assert.equal(res.status, 404);
      assert.equal(res.body.error, 'unknown_attempt');
    });

    it('refuses an attempt past its 2 minutes (410), before any check', async function () {
      const id = await startAttempt(app);
      clock.time += ATTEMPT_TTL_MS - 1;
      assert.equal((await sendSelfie(app, id, await twoFaces())).body.result, 'retake', 'still valid just before');
      clock.time += 1;
      const res = await sendSelfie(app, id, await selfieJpeg('frontal'));
      assert.equal(res.status, 410);
      assert.equal(res.body.error, 'attempt_expired');
      assert.equal(backend.cases.get(id)?.selfies.length, 1);
    });

    it('refuses a selfie for an attempt already decided (409), "continue" or "refused"', async function () {
      const id = await startAttempt(app);
      await sendSelfie(app, id, await selfieJpeg('frontal'));
      const afterContinue = await sendSelfie(app, id, await selfieJpeg('downward'));
      assert.equal(afterContinue.status, 409);
      assert.equal(afterContinue.body.error, 'attempt_decided');
      const refused = await startAttempt(app);
      assert.equal((await sendSelfie(app, refused, screenReplay)).body.result, 'refused');
      const afterRefused = await sendSelfie(app, refused, await selfieJpeg('downward'));
      assert.equal(afterRefused.status, 409);
      assert.equal(afterRefused.body.error, 'attempt_decided');
    });

    it(`refuses selfie ${MAX_SELFIES_PER_ATTEMPT + 1} of one attempt (429), before any check`, async function () {
      const id = await startAttempt(app);
      for (const image of [await twoFaces(), await landscapeJpeg(), await darkenedSelfie()]) {
        assert.equal((await sendSelfie(app, id, image)).body.result, 'retake');
      }
      const res = await sendSelfie(app, id, await selfieJpeg('frontal'));
      assert.equal(res.status, 429);
      assert.equal(res.body.error, 'too_many_selfies');
      assert.equal(backend.cases.get(id)?.selfies.length, MAX_SELFIES_PER_ATTEMPT);
    });

    it('refuses the same image bytes sent again within the attempt window (409), as JSON or multipart, and forgets them after it', async function () {
      const image = await selfieJpeg('frontal');
      assert.equal((await sendSelfie(app, await startAttempt(app), image)).body.result, 'continue');
      const again = await uploadSelfie(app, await startAttempt(app), image);
      assert.equal(again.status, 409);
      assert.equal(again.body.error, 'repeated_image');
      const asDataUri = await sendSelfie(app, await startAttempt(app), Buffer.alloc(0), { image: `data:image/jpeg;base64,${image.toString('base64')}` });
      assert.equal(asDataUri.body.error, 'repeated_image');
      clock.time += ATTEMPT_TTL_MS;
      assert.equal((await sendSelfie(app, await startAttempt(app), image)).body.result, 'continue', 'the digest is kept for the window only');
    });

    it('refuses a second selfie while the attempt\'s first is still on its way or being checked (409)', async function () {
      const id = await startAttempt(app);
      const server = http.createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        // The first selfie's body is held half sent, so that it is certainly still in progress.
        const body = Buffer.from(JSON.stringify({ image: (await twoFaces()).toString('base64') }));
        const first = http.request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', path: `/attempts/${id}/selfie`, headers: { 'content-type': 'application/json', 'content-length': body.length } });
        const firstAnswer = new Promise<{ status: number | undefined; text: string }>((resolve, reject) => {
          first.on('response', (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode, text }));
          });
          first.on('error', reject);
        });
        first.write(body.subarray(0, 1000));
        await new Promise((resolve) => setTimeout(resolve, 300));
        const second = await sendSelfie(app, id, await darkenedSelfie());
        assert.equal(second.status, 409);
        assert.equal(second.body.error, 'selfie_in_progress');
        first.end(body.subarray(1000));
        const answer = await firstAnswer;
        assert.equal(answer.status, 200);
        assert.equal((JSON.parse(answer.text) as { result: string }).result, 'retake');
        assert.equal((await sendSelfie(app, id, await darkenedSelfie())).body.result, 'retake', 'free again once answered');
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });
  });

  describe('as a program', function () {
    it('listens on PORT, answers, and stops on SIGTERM', async function () {
      const child = spawn(process.execPath, [EXAMPLE_JS], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let text = '';
          child.stderr.on('data', (chunk: Buffer) => {
            text += chunk.toString();
            const match = /listening on (http:\/\/\S+)/.exec(text);
            if (match) resolve(match[1]!);
          });
          child.once('exit', (code) => reject(new Error(`exited ${code}: ${text}`)));
        });
        const started = await fetch(`${url}/attempts`, { method: 'POST' });
        const { attempt_id: id } = (await started.json()) as { attempt_id: string };
        const answer = await fetch(`${url}/attempts/${id}/selfie`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ image: (await selfieJpeg('frontal')).toString('base64') }),
        });
        assert.deepEqual(await answer.json(), { result: 'continue' });
        const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  });
});
