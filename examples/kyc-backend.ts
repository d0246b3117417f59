// A worked example of the deployment docs/security.md recommends ("What your deployment adds"), as
// an integrator's own Express backend (from a package: `facelive` and `facelive/middleware`):
//
//   POST /attempts             a random, single-use attempt id, valid 2 minutes;
//   POST /attempts/:id/selfie  the selfie (JSON {"image": base64}, or a multipart file named image),
//                              answered {"result": "continue" | "retake" | "refused", "advice"?}.
//
// The server decides the checks (quality, liveness and face count validated: the middleware's flags
// option); a body that turns one off is refused. The device never sees a score; facelive's whole answer is kept for the review queue.
// Attempts, cases and image digests live in this process's memory, for the example only: a real
// deployment keeps attempts in its own session store and cases in its own database. The device needs
// no API key here; the integrator's own user authentication goes before both routes (marked below).

import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler, type Response } from 'express';
import { type CheckOptions, type CheckResult, createEngine, type Engine, type EngineOptions, FaceliveError } from '../core';
import { faceLiveness, type FaceLivenessRouter } from '../middleware';
import { portFromEnv } from './port';

/** How long an attempt may take, from its creation to its last selfie. */
export const ATTEMPT_TTL_MS = 2 * 60_000;
/** Selfies one attempt may send (retakes included); the next is refused. */
export const MAX_SELFIES_PER_ATTEMPT = 3;
/** How long an expired attempt is still known as expired (410) rather than unknown (404). */
const EXPIRED_KEPT_MS = 10 * 60_000;

/**
 * The checks run on every selfie, whatever the device sends. Attributes are computed for the
 * people who look at the case (sunglasses, a mask), not a reason to refuse here.
 */
export const SERVER_CHECKS: Readonly<CheckOptions> = Object.freeze({
  is_quality: true,
  is_attribute: true,
  is_liveness: true,
  validate_quality: true,
  validate_attribute: false,
  validate_liveness: true,
  validate_nface: true,
});

/** What the device is told about a selfie. */
export type SelfieResult = 'continue' | 'retake' | 'refused';
export interface SelfieAnswer {
  readonly result: SelfieResult;
  readonly advice?: string;
}

/** What the device is told when a request is refused (4xx) or fails (5xx). */
export interface Refusal {
  readonly error: string;
  readonly message: string;
}

/** One selfie as kept for the review queue: facelive's whole answer, or its error. */
export interface SelfieRecord {
  readonly receivedAt: string;
  readonly answer: SelfieAnswer | Refusal;
  readonly facelive: CheckResult | { readonly error_code: string; readonly message: string };
}

/** A capture attempt as the people who look at KYC cases see it. */
export interface KycCase {
  readonly attemptId: string;
  readonly createdAt: string;
  decision: 'continue' | 'refused' | undefined;
  readonly selfies: SelfieRecord[];
}

interface Attempt {
  readonly expiresAt: number;
  selfies: number;
  checking: boolean;
  readonly record: KycCase;
}

export interface KycBackendOptions {
  /** A loaded engine to share; it must refuse URL images (limits.allowUrlImages: false). */
  readonly engine?: Engine | undefined;
  /** Options of an engine the backend creates (URL images are turned off) and disposes of in close(). */
  readonly engineOptions?: EngineOptions | undefined;
  /** The clock, in ms since the epoch (tests move it). Defaults to Date.now. */
  readonly now?: (() => number) | undefined;
}

export interface KycBackend {
  readonly app: Express;
  /** The review queue: every attempt's selfies with facelive's whole answers, by attempt id. */
  readonly cases: ReadonlyMap<string, KycCase>;
  /** Waits for running checks, then disposes of the engine if the backend created it. */
  close(): Promise<void>;
}

/**
 * A short hint for the person holding the phone, or undefined when the image needs no retake. Face
 * size and framing are not validations; they are asked about here because liveness errs most on
 * tiny faces and on face crops (README, "Accuracy").
 */
function retakeAdvice(result: CheckResult): string | undefined {
  const { validations, quality } = result.data;
  if (validations.failed.includes('nface')) return 'Make sure only your face is in the picture.';
  if (quality !== undefined) {
    if (!quality.dark.pass) return 'Find more light, facing a window or a lamp.';
    if (!quality.blur.pass) return 'Hold the phone still and let the camera focus.';
    if (!quality.grayscale.pass) return 'Use the camera in colour, with no filter.';
    if (!quality.face_size.pass) return 'Come closer to the camera.';
    if (!quality.framing.pass) return 'Hold the phone a little further away, with your whole face in the picture.';
  }
  if (validations.failed.includes('quality')) return 'Take the photo again in good light, holding the phone still.';
  return undefined;
}

/**
 * What the device is told about a checked selfie. Image problems come first: a liveness score on a
 * dark, blurred or badly framed image is not to be trusted either way, so they ask for a retake
 * rather than a refusal (docs/security.md, "Use liveness as one signal").
 */
export function answerFor(result: CheckResult): SelfieAnswer {
  const advice = retakeAdvice(result);
  if (advice !== undefined) return { result: 'retake', advice };
  if (result.data.validations.failed.includes('liveness')) return { result: 'refused' };
  if (result.error_code !== null) return { result: 'retake', advice: 'Take the photo again.' };
  return { result: 'continue' };
}

/** The decoded bytes of the image facelive was sent, as a SHA-256 hex digest, or undefined. */
function imageDigest(req: Request): string | undefined {
  const image: unknown = req.file?.buffer ?? (req.body as { image?: unknown } | undefined)?.image;
  if (Buffer.isBuffer(image)) return createHash('sha256').update(image).digest('hex');
  if (typeof image !== 'string') return undefined;
  const base64 = image.startsWith('data:') ? image.slice(image.indexOf(',') + 1) : image;
  return createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex');
}

function refuse(res: Response, status: number, error: string, message: string): Refusal {
  const body: Refusal = { error, message };
  res.status(status).json(body);
  return body;
}

/**
 * Builds the backend. Give an engine (shared; it must refuse URL images) or engine options (the
 * backend creates the engine with URL images turned off, and disposes of it in close()).
 */
export async function createKycBackend(options: KycBackendOptions = {}): Promise<KycBackend> {
  if (options.engine !== undefined && options.engineOptions !== undefined) throw new TypeError('Give engine or engineOptions, not both.');
  if (options.engine !== undefined && options.engine.limits.allowUrlImages) {
    // The device sends the image itself: a URL would have this server fetch whatever the device names.
    throw new TypeError('The engine must refuse URL images: create it with limits: { allowUrlImages: false }.');
  }
  const engineOptions = options.engineOptions ?? {};
  const engine = options.engine ?? (await createEngine({ ...engineOptions, limits: { ...engineOptions.limits, allowUrlImages: false } }));
  const now = options.now ?? Date.now;
  const attempts = new Map<string, Attempt>();
  const cases = new Map<string, KycCase>();
  // Digests of the images checked lately, each until the attempt window has passed since it came.
  // A privacy trade-off: a SHA-256 of a selfie is not the selfie and cannot be turned back into
  // it, but it does say "this exact file was sent" to whoever holds it; kept for the attempt window
  // only, in memory, it stops a replay of the same file within that window and no longer.
  const recentImages = new Map<string, number>();
  // The server decides the checks: a body that gives one of these flags another value is refused.
  const liveness = faceLiveness({ mode: 'annotate', auth: false, engine, metrics: false, flags: SERVER_CHECKS });

  /** Forgets digests past the window and attempts long expired. */
  function forgetOld(): void {
    const time = now();
    for (const [digest, until] of recentImages) if (until <= time) recentImages.delete(digest);
    for (const [id, attempt] of attempts) if (attempt.expiresAt + EXPIRED_KEPT_MS <= time) attempts.delete(id);
  }

  /** Whether the image of `req` was seen within the window; remembers it either way. */
  function isRepeatedImage(req: Request): boolean {
    const digest = imageDigest(req);
    if (digest === undefined) return false;
    const repeated = (recentImages.get(digest) ?? 0) > now();
    recentImages.set(digest, now() + ATTEMPT_TTL_MS);
    return repeated;
  }

  function keep(attempt: Attempt, answer: SelfieAnswer | Refusal, facelive: SelfieRecord['facelive']): void {
    attempt.record.selfies.push({ receivedAt: new Date(now()).toISOString(), answer, facelive });
  }

  const startAttempt: RequestHandler = (_req, res) => {
    forgetOld();
    const attemptId = randomBytes(16).toString('base64url');
    const createdAt = now();
    const record: KycCase = { attemptId, createdAt: new Date(createdAt).toISOString(), decision: undefined, selfies: [] };
    attempts.set(attemptId, { expiresAt: createdAt + ATTEMPT_TTL_MS, selfies: 0, checking: false, record });
    cases.set(attemptId, record);
    res.status(201).json({ attempt_id: attemptId, expires_in_s: ATTEMPT_TTL_MS / 1000 });
  };

  /** Before facelive reads the body: the attempt must be live, undecided, idle and not used up. */
  const admitSelfie: RequestHandler = (req, res, next) => {
    forgetOld();
    const attempt = attempts.get(String(req.params.id));
    if (attempt === undefined) return void refuse(res, 404, 'unknown_attempt', 'There is no such attempt: start a new one.');
    if (attempt.record.decision !== undefined) return void refuse(res, 409, 'attempt_decided', 'This attempt is already decided: start a new one.');
    if (attempt.expiresAt <= now()) return void refuse(res, 410, 'attempt_expired', 'This attempt has expired: start a new one.');
    if (attempt.checking) return void refuse(res, 409, 'selfie_in_progress', 'A selfie of this attempt is being checked: wait for its answer.');
    if (attempt.selfies >= MAX_SELFIES_PER_ATTEMPT) return void refuse(res, 429, 'too_many_selfies', 'This attempt has had all the selfies it allows: start a new one.');
    // Every selfie received counts, whatever its answer.
    attempt.selfies += 1;
    attempt.checking = true;
    res.on('close', () => (attempt.checking = false));
    res.locals.attempt = attempt;
    next();
  };

  /** After facelive: the device's answer from req.faceLiveness; the whole answer kept for the case. */
  const answerSelfie: RequestHandler = (req, res) => {
    const attempt = res.locals.attempt as Attempt;
    const result = req.faceLiveness;
    if (result === undefined) {
      // The middleware was not mounted in front of this route: never answer without a check.
      return void refuse(res, 500, 'not_checked', 'The selfie could not be checked.');
    }
    if (isRepeatedImage(req)) return void keep(attempt, refuse(res, 409, 'repeated_image', 'This photo was already sent: take a new one.'), result);
    const answer = answerFor(result);
    if (answer.result !== 'retake') attempt.record.decision = answer.result;
    keep(attempt, answer, result);
    res.json(answer);
  };

  /** facelive's refusals, told to the device in its own words (never facelive's numbers or codes). */
  const answerSelfieError: ErrorRequestHandler = (err, req, res, next) => {
    const attempt = res.locals.attempt as Attempt | undefined;
    if (attempt === undefined || !(err instanceof FaceliveError)) return void next(err);
    const facelive = { error_code: err.code, message: err.message };
    if (err.code === 'FACE_NOT_DETECTED') {
      if (isRepeatedImage(req)) return void keep(attempt, refuse(res, 409, 'repeated_image', 'This photo was already sent: take a new one.'), facelive);
      const answer: SelfieAnswer = { result: 'retake', advice: 'Look straight at the camera, with your whole face in the picture.' };
      keep(attempt, answer, facelive);
      return void res.json(answer);
    }
    // The app sends only the image: a body facelive finds malformed, or one that gives a flag another
    // value than the server's (the middleware's flags option refuses it), comes from another client.
    if (err.code === 'INVALID_PAYLOAD') return void keep(attempt, refuse(res, 400, 'invalid_request', 'Send only the selfie: the server decides which checks run.'), facelive);
    if (err.status === 503 || err.status === 429) {
      res.setHeader('Retry-After', String(err.retryAfterS ?? 1));
      return void keep(attempt, refuse(res, 503, 'busy', 'The server is busy: send the selfie again in a moment.'), facelive);
    }
    if (err.status < 500) return void keep(attempt, refuse(res, 400, 'invalid_selfie', 'Send the selfie as a JPEG or PNG photo, in the JSON field image or as a multipart file named image.'), facelive);
    keep(attempt, refuse(res, 500, 'internal', 'The selfie could not be checked: try again later.'), facelive);
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Answers about a person's identity check: never stored by a cache on the way.
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // The integrator's user authentication goes here, before both routes: the customer's session or
  // token. An attempt then belongs to that customer, the selfie route checks that it is theirs, and
  // limits per customer and per device (attempts an hour) are counted here too.
  app.post('/attempts', startAttempt);
  const selfiePath = '/attempts/:id/selfie';
  app.post(selfiePath, admitSelfie);
  // Mounted with app.use on the selfie's path only: the router answers its POST / (docs/express.md).
  app.use(selfiePath, liveness);
  app.post(selfiePath, answerSelfie);
  app.use(selfiePath, answerSelfieError);

  return {
    app,
    cases,
    close: async () => {
      await (liveness as FaceLivenessRouter).close();
      if (options.engine === undefined) await engine.dispose();
    },
  };
}

/** Serves the backend on PORT (default 3001, beside the service's 3000) until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  const port = portFromEnv(process.env.PORT, 3001);
  const backend = await createKycBackend();
  const server: Server = backend.app.listen(port, '127.0.0.1', () => {
    process.stderr.write(`kyc-backend: listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  const stop = (): void => {
    server.close();
    backend.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`kyc-backend: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
