// faceLiveness(): the Express adapter. A Router whose POST / serves the contract (respond mode) or
// annotates req.faceLiveness (annotate mode). In respond mode it answers OPTIONS on that path itself
// (200 with Allow: POST, OPTIONS) and any other method with 405 and that Allow; every answer it writes
// is marked not to be stored by caches (no-store.ts). Annotate mode leaves other methods, and the
// answer, to the app's own routes. Everything is resolved at construction.
//
// Order of checks in one request: request id, a method other than POST (405, respond mode only;
// no credentials needed, no body parsed), shutting down (503), the failed-authentication
// cool-down of the client address (429: before the key is checked, or it would not stop guessing),
// auth (401), the credential's rate limit (429), a query string naming a field of the body (400),
// a body declared (Content-Length) larger than the limit by a client that asks before sending it
// (400, unsent), quota reservation (403; 503 when the quota store
// is unreachable; a full queue answers 503 just before it), then the body (parse errors are 400s),
// a check slot (503 when the queue is full or the wait runs out),
// and the engine, whose 400s follow the contract's table order. Auth and quota come first so that
// unauthenticated or exhausted callers cannot make the server parse large bodies, fetch URLs or run
// models (a body already on its way is only read and dropped, within the limit, for the refusal to
// reach the client). The whole request runs under a deadline (requestTimeoutMs, then 503).

import { randomUUID } from 'node:crypto';
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { createEngine } from '../core';
import type { Engine, LoadedRequest } from '../core/engine-types';
import { isUrlImage } from '../core/image/source';
import { FaceliveError, summariseError } from '../core/errors';
import type { CheckResult } from '../core/types';
import { Admission, atCapacity, isCapacityError, type Release, shuttingDown } from './admission';
import type { Principal } from './auth';
import { guardBodyPieces } from './body-pieces';
import { discardOrClose } from './discard-body';
import { disposeAtClose } from './dispose-at-close';
import { BODY_TOO_LARGE_MESSAGE, describeError, isBodyTooLarge, NOT_A_JSON_OBJECT_MESSAGE, sendError, toContractError } from './errors';
import { type FaceLivenessOptions, type LogEntry, resolveOptions } from './options';
import { APP_ID_LOCAL, AuthFailureGuard, credentialRateLimiter } from './rate-limit';
import { watchClientClose } from './client-closed';
import { deadline } from './deadline';
import { continueIfDeferred } from './expect-continue';
import { MAX_JSON_DEPTH, nestsDeeperThan, opensObjectOrArray } from './json-depth';
import { decodedAsUtf8, jsonAsUtf8 } from './json-charset';
import { repeatedField, repeatedFieldMessage } from './json-repeated-fields';
import { formBody, formParser, isMultipart } from './multipart';
import { markNotStored } from './no-store';
import { refuseFieldsInQuery } from './query-fields';
import { withServerFlags } from './server-flags';
import { BODY_READ_BEFORE_MESSAGE, declaredTooLarge, readByAnotherParser } from './other-body-parsers';
import { requestIdOf } from './request-id';
import { summaryLog } from './summary-log';

// Added to Express's global Request (which @types/express's Request extends) rather than to the
// module express-serve-static-core: that module is not one of this package's dependencies, and a
// strict layout (Yarn Plug'n'Play) does not resolve it from here, so the augmentation was lost.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by faceLiveness() in annotate mode: the contract's 200 body (PASS or FAIL_ON_n). */
      faceLiveness?: CheckResult;
    }
  }
}

/** What the middleware is doing now (for readiness probes and dashboards). */
export interface LivenessLoad {
  readonly inFlight: number;
  readonly queued: number;
  /** Requests fetching a URL image before they ask for a slot (at most maxInFlight + maxQueue). */
  readonly fetching: number;
  readonly maxInFlight: number;
  readonly maxQueue: number;
  /** True once close() was called: every new request is answered 503. */
  readonly draining: boolean;
}

export interface FaceLivenessRouter extends Router {
  /** Resolves with the engine once it is loaded (rejects if it failed to load). */
  ready(): Promise<Engine>;
  /** Checks in flight, queued, and whether the middleware is shutting down. */
  load(): LivenessLoad;
  /**
   * Graceful stop: answers new and queued requests 503 SERVICE_UNAVAILABLE, waits for the running
   * checks and for the requests fetching a URL image (they still get their check; at most
   * `timeoutMs`, default 10000), then disposes of the engine if this middleware
   * created it (a given engine is left alone); an engine still loading is waited for within the
   * same `timeoutMs`, then disposed of once it has loaded. Never rejects, also when the engine
   * failed to load.
   */
  close(options?: { readonly timeoutMs?: number | undefined }): Promise<void>;
}

/** The methods the liveness path answers in respond mode (its Allow header). */
const ALLOWED_METHODS = 'POST, OPTIONS';

const MISUSE_MESSAGE = "faceLiveness must be called to build the middleware: write app.use('/v1/face/liveness', faceLiveness({ auth: ... })), not app.use(faceLiveness).";

function looksLikeRequest(value: unknown): boolean {
  const candidate = value as { method?: unknown; headers?: unknown; url?: unknown } | null;
  return candidate !== null && typeof candidate === 'object' && typeof candidate.method === 'string' && typeof candidate.headers === 'object' && typeof candidate.url === 'string';
}

/** Runs a connect-style middleware as a promise. */
function run(middleware: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
  });
}

/** Whether a request body's image is a URL to fetch (anything else is loaded without waiting on a server). */
function hasUrlImage(body: unknown): boolean {
  return typeof body === 'object' && body !== null && isUrlImage((body as { image?: unknown }).image);
}

/**
 * Builds the middleware. Mount it with `app.use('/v1/face/liveness', faceLiveness({ auth, ... }))`;
 * it answers POST / under that path (in respond mode also OPTIONS, and any other method there with 405).
 * @throws TypeError naming the first bad option, or when used as `app.use(faceLiveness)`.
 */
export function faceLiveness(options: FaceLivenessOptions): FaceLivenessRouter {
  // eslint-disable-next-line prefer-rest-params
  if (arguments.length === 3 && typeof arguments[2] === 'function') {
    // Used as `app.use(faceLiveness)`: Express called the factory with (req, res, next). Hand the
    // reason on as the error's message, so that the answer (and errorHandler's body) says what to fix.
    (arguments[2] as NextFunction)(new FaceliveError('INTERNAL_SERVER_ERROR', MISUSE_MESSAGE));
    return undefined as never;
  }
  if (looksLikeRequest(options)) throw new TypeError(MISUSE_MESSAGE);
  const config = resolveOptions(options, createEngine);
  const { log, metrics, quota } = config;
  const capacityLog = summaryLog(log, 1000, { msg: 'liveness requests refused at capacity', error_code: 'SERVICE_UNAVAILABLE', status: 503 });
  const unauthorizedLog = summaryLog(log, 1000, { msg: 'liveness requests refused: unknown App-ID or wrong API-Key', error_code: 'UNAUTHORIZED', status: 401 });
  const tooManyLog = summaryLog(log, 1000, { msg: 'liveness requests refused: too many requests', error_code: 'TOO_MANY_REQUESTS', status: 429 });
  const wrongMethodLog = summaryLog(log, 1000, { msg: 'liveness requests refused: a method other than POST', error_code: 'METHOD_NOT_ALLOWED', status: 405 });
  const anonymousAbandonedLog = summaryLog(log, 1000, { msg: 'liveness requests abandoned by unauthenticated clients: the connection closed before the answer' });
  let warnedBodyReadBefore = false;
  const admission = new Admission({ maxInFlight: config.maxInFlight, maxQueue: config.maxQueue, queueTimeoutMs: config.queueTimeoutMs });
  const authFailures = config.authenticate !== null && config.authFailures !== null ? new AuthFailureGuard(config.authFailures, config.rateLimitStore?.('auth'), log) : null;
  const rateLimit = config.authenticate !== null && config.rateLimit !== null ? credentialRateLimiter(config.rateLimit, config.rateLimitStore?.('rate'), log) : null;

  // JSON for every content type but multipart (a missing Content-Type still parses as JSON).
  // body-parser turns an empty body into {}; the contract calls that a missing body (INVALID_PAYLOAD).
  const emptyBodies = new WeakSet<object>();
  const json = jsonAsUtf8(express.json({
    limit: config.jsonBodyLimit,
    strict: true,
    type: (req) => !/^multipart\//i.test(String(req.headers['content-type'] ?? '')),
    verify: (req, _res, buf, encoding) => {
      if (buf.length === 0) emptyBodies.add(req);
      // The scan reads UTF-8 bytes; a body in another charset body-parser accepts (UTF-16) is decoded first.
      const utf8 = typeof encoding !== 'string' || /^utf-?8$/i.test(encoding) ? buf : decodedAsUtf8(buf, encoding);
      // Not JSON at all (image bytes posted as the body, a bare null): say so, before any scan.
      // (An empty body is answered later, as a missing one.)
      if (buf.length > 0 && !opensObjectOrArray(utf8)) throw new FaceliveError('INVALID_PAYLOAD', NOT_A_JSON_OBJECT_MESSAGE);
      if (nestsDeeperThan(utf8, MAX_JSON_DEPTH)) {
        throw new FaceliveError('INVALID_PAYLOAD', `The request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels.`);
      }
      const repeated = repeatedField(utf8);
      if (repeated !== undefined) throw new FaceliveError('INVALID_PAYLOAD', repeatedFieldMessage(repeated));
    },
  }));
  const upload = formParser(config.jsonBodyLimit);

  /** Runs a body parser, refusing a body that comes in too many tiny pieces (body-pieces.ts). */
  async function parseWithGuard(parser: RequestHandler, req: Request, res: Response): Promise<void> {
    const reading = run(parser, req, res);
    // Counted beside the parser, which has started reading: the answer's Connection: close then ends
    // the socket, and with it the parser's read (its late error is dropped here).
    const guard = guardBodyPieces(req);
    try {
      await Promise.race([reading, guard.refused]);
    } catch (err) {
      reading.catch(() => undefined);
      throw err;
    } finally {
      guard.stop();
    }
  }

  async function readBody(req: Request, res: Response): Promise<unknown> {
    if (!isMultipart(req)) {
      if (!warnedBodyReadBefore && readByAnotherParser(req)) {
        warnedBodyReadBefore = true;
        // A misconfiguration the integrator must see: without a logger, on stderr as Node's warnings are.
        if (options.logger === undefined) process.emitWarning(BODY_READ_BEFORE_MESSAGE, { code: 'FACELIVE_BODY_READ_BEFORE' });
        else log({ level: 'warn', msg: BODY_READ_BEFORE_MESSAGE });
      }
      try {
        await parseWithGuard(json, req, res);
      } catch (err) {
        // This router's own limit: the image size the service accepts.
        if (isBodyTooLarge(err)) throw new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', BODY_TOO_LARGE_MESSAGE, { cause: summariseError(err) });
        throw err;
      }
      return emptyBodies.has(req) ? undefined : req.body;
    }
    try {
      await parseWithGuard(upload, req, res);
    } catch (err) {
      const mapped = toContractError(err);
      // busboy's own parse errors are not MulterErrors: a malformed form is the caller's fault.
      if (mapped.code === 'INTERNAL_SERVER_ERROR') throw new FaceliveError('INVALID_PAYLOAD', 'The multipart form could not be parsed.', { cause: summariseError(err) });
      throw mapped;
    }
    return formBody(req);
  }

  async function refund(principal: Principal, ticket: string, requestId: string): Promise<void> {
    try {
      await quota.refund(principal.appId, ticket);
    } catch (err) {
      log({ level: 'error', msg: 'quota refund failed', request_id: requestId, app_id: principal.appId, cause: (err as Error)?.name });
    }
  }

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req, res);
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    let principal: Principal | undefined;
    /**
     * A client that left before its answer: a line with its App-ID, or, never authenticated (or
     * auth: false), a count in the summary line, since anyone can send those in bulk.
     */
    const logAbandoned = (when: string): void => {
      if (principal === undefined) anonymousAbandonedLog.count();
      else log({ level: 'info', msg: `liveness request abandoned: the client closed the connection ${when}`, request_id: requestId, app_id: principal.appId, duration_ms: Math.round(seconds() * 1000) });
    };
    let reserved = false;
    let reservation: Promise<boolean> | undefined;
    let reservationSettled = false;
    let bodyAskedFor = false;
    const ticket = randomUUID();
    let result: CheckResult;
    const timeout = deadline(config.requestTimeoutMs);
    // Every answer of respond mode; in annotate mode the app's route answers, and decides.
    if (config.mode === 'respond') markNotStored(res);
    try {
      if (req.method !== 'POST') {
        res.setHeader('Allow', ALLOWED_METHODS);
        throw new FaceliveError('METHOD_NOT_ALLOWED');
      }
      if (admission.isDraining) throw shuttingDown();
      if (authFailures !== null) await Promise.race([authFailures.check(req), timeout.expired]);
      if (config.authenticate !== null) {
        const authenticate = config.authenticate;
        principal = await Promise.race([
          authenticate(req).catch(async (err: unknown) => {
            if (authFailures !== null && (err as FaceliveError)?.code === 'UNAUTHORIZED') await authFailures.recordFailure(req);
            throw err;
          }),
          timeout.expired,
        ]);
      }
      if (principal !== undefined) res.locals[APP_ID_LOCAL] = principal.appId;
      if (rateLimit !== null) await Promise.race([run(rateLimit, req, res), timeout.expired]);
      refuseFieldsInQuery(req);
      // JSON and multipart share the limit (multipart counts it while it streams). Before the queue
      // and the quota: no retry makes this body fit, and nothing is reserved to give back.
      if (declaredTooLarge(req, config.jsonBodyLimit)) throw new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', BODY_TOO_LARGE_MESSAGE);
      // Refuse before reserving quota or reading the body when no place is free now.
      if (admission.full) throw admission.isDraining ? shuttingDown() : atCapacity();
      if (principal?.mode === 'testing') {
        const holder = principal;
        reservation = Promise.resolve(quota.reserve(holder.appId, holder.quota ?? 0, ticket));
        reservation.then(
          () => (reservationSettled = true),
          () => (reservationSettled = true),
        );
        reserved = await Promise.race([reservation, timeout.expired]);
        if (!reserved) throw new FaceliveError('INSUFFICIENT_QUOTA_LIVENESS');
      }
      // Admitted: a client that asked before sending its body (Expect: 100-continue) may send it now.
      continueIfDeferred(req, res);
      bodyAskedFor = true;
      const body = withServerFlags(await Promise.race([readBody(req, res), timeout.expired]), config.flags);
      const engine = await Promise.race([config.engine, timeout.expired]);
      // The image is loaded before a check slot is asked for: a URL image server that answers slowly
      // holds a fetch ticket (bounded apart from the slots), not a slot that base64 images need.
      // An engine without loadRequest (one written before it) loads inside checkRequest(), as before.
      const loadRequest = engine.loadRequest?.bind(engine);
      const fetchTicket = loadRequest !== undefined && hasUrlImage(body) ? admission.beginFetch() : undefined;
      // A client that closes its connection meanwhile aborts the fetch: its ticket comes back at once.
      const client = watchClientClose(req, res);
      // Called through a promise, so that a synchronous throw still hands the ticket back.
      const loading = Promise.resolve().then(() => loadRequest?.(body, { signal: client.signal }));
      let loaded: LoadedRequest | undefined;
      try {
        loaded = await Promise.race([loading, timeout.expired]);
      } catch (err) {
        // Past the deadline or refused: the ticket is handed back once the fetch itself has ended.
        if (fetchTicket !== undefined) loading.then(fetchTicket.release, fetchTicket.release);
        throw err;
      } finally {
        client.stop();
      }
      const slot = admission.acquire(fetchTicket);
      // Handed back once the slot is granted (the check then counts as running) or refused.
      if (fetchTicket !== undefined) slot.then(fetchTicket.release, fetchTicket.release);
      let release: Release;
      try {
        release = await Promise.race([slot, timeout.expired]);
      } catch (err) {
        // Past the deadline while queued: hand the slot back as soon as it comes.
        slot.then((late) => late(), () => undefined);
        throw err;
      }
      if (req.socket.destroyed) {
        // The client left while the request was queued: no one to answer, no work to do.
        release();
        throw new FaceliveError('SERVICE_UNAVAILABLE', 'The client closed the connection before a check slot was free.');
      }
      // The slot is held until the engine is done, even when the deadline answers first.
      const context = { requestId, livenessThreshold: principal?.livenessThreshold, livenessThresholdPack: principal?.livenessThresholdPack };
      const work = loaded ? engine.check(loaded.image, loaded.options, context) : engine.checkRequest(body, context);
      work.then(release, release);
      result = await Promise.race([work, timeout.expired]);
    } catch (err) {
      const error = toContractError(err);
      if (reserved && principal !== undefined) await refund(principal, ticket, requestId);
      else if (reservation !== undefined && !reservationSettled && principal !== undefined) {
        // The deadline came first: a unit the store takes later is given back then.
        const holder = principal;
        reservation.then((taken) => (taken ? refund(holder, ticket, requestId) : undefined), () => undefined);
      }
      // A client that closed its connection gets no answer, while sending the body or while its
      // request waited for a check slot or its URL image: not a bad request nor a 503 (the metrics
      // and the logs would count network drops as malformed JSON, and clients giving up under load
      // as capacity refusals), just a line saying so.
      // A wrong key or a cooling-down address is that refusal whether or not the client stayed for
      // the answer (the store or an async auth function may answer after it hung up): counted in the
      // metrics and the summary lines, never a line each. Any other request abandoned before it was
      // authenticated is counted in a summary line too: anyone can send those in bulk.
      const sending = (err as { type?: unknown } | null)?.type === 'request.aborted' || (!req.complete && req.socket.destroyed);
      const clientLeft = sending || (req.socket.destroyed && !res.headersSent);
      const refusedUnheard = error.code === 'UNAUTHORIZED' || error.code === 'TOO_MANY_REQUESTS';
      if (clientLeft && !refusedUnheard) {
        logAbandoned(sending ? 'while sending its body' : 'before its check ran');
        return;
      }
      metrics?.observe('error', error.code, seconds());
      if (isCapacityError(error)) capacityLog.count();
      else if (error.code === 'UNAUTHORIZED') unauthorizedLog.count();
      else if (error.code === 'TOO_MANY_REQUESTS') tooManyLog.count();
      else if (error.code === 'METHOD_NOT_ALLOWED') wrongMethodLog.count();
      else log({
        level: error.code === 'SERVICE_UNAVAILABLE' ? 'warn' : error.status >= 500 ? 'error' : 'info',
        msg: 'liveness request refused',
        request_id: requestId,
        app_id: principal?.appId,
        status: error.status,
        duration_ms: Math.round(seconds() * 1000),
        ...describeError(error),
      });
      if (clientLeft) return; // refused, and no one left to answer
      // A refusal before the body (401, 403, 405, 429, 503) reads and drops the rest of a body already on
      // its way, within the body limit and the deadline, then answers: closing the connection under
      // it reached Node's fetch as EPIPE, without the answer (discard-body.ts). Any other body not
      // (wholly) read ends the connection with the answer: one the client has not sent (it asked
      // first), one declared or grown over the limit, one past the deadline or sent in tiny pieces,
      // a body whose reading failed. Node would otherwise read and discard the rest, however long it
      // takes to come (a refused client's endless body at 1 byte a chunk kept a core busy for 5 minutes).
      if (!bodyAskedFor) await discardOrClose(req, res, config.jsonBodyLimit, timeout.expired);
      else if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
      if (config.mode === 'annotate') next(error);
      else if (res.headersSent) next(error);
      else sendError(res, error, requestId);
      return;
    } finally {
      timeout.cancel();
    }
    if (req.socket.destroyed || !req.socket.writable) {
      // The client left while its check ran: the answer reaches no one, so it is not charged (quota
      // is charged only for answers of 200) nor counted or logged as one.
      if (reserved && principal !== undefined) await refund(principal, ticket, requestId);
      logAbandoned('during its check');
      return;
    }
    const code = result.error_code ?? 'PASS';
    metrics?.observe(result.error_code === null ? 'pass' : 'fail', code, seconds());
    metrics?.observeCheck(principal?.appId ?? '', result.data);
    log({
      level: 'info',
      msg: 'liveness checked',
      request_id: requestId,
      app_id: principal?.appId,
      status: 200,
      verdict: result.data.status,
      code,
      nface: result.data.nface,
      duration_ms: Math.round(seconds() * 1000),
    });
    if (config.mode === 'annotate') {
      req.faceLiveness = result;
      next();
    } else {
      res.status(200).json(result);
    }
  }

  /** Runs handle(); an unexpected failure leaves the router as a FaceliveError, which errorHandler() answers. */
  const serve: RequestHandler = (req, res, next) => {
    handle(req, res, next).catch((err: unknown) => next(toContractError(err)));
  };

  /**
   * OPTIONS: 200 with Allow, nothing asked for. A body sent with it is read and dropped first, within
   * the body limit and the deadline, or the answer closes the connection, as for the refusals: left
   * to Express, an endless body sent with OPTIONS was read for as long as the client sent it.
   */
  async function answerOptions(req: Request, res: Response): Promise<void> {
    requestIdOf(req, res);
    markNotStored(res);
    res.setHeader('Allow', ALLOWED_METHODS);
    const timeout = deadline(config.requestTimeoutMs);
    try {
      await discardOrClose(req, res, config.jsonBodyLimit, timeout.expired);
    } finally {
      timeout.cancel();
    }
    if (req.socket.destroyed || res.headersSent) return;
    res.status(200).end();
  }

  const router = Router();
  router.post('/', serve);
  if (config.mode === 'respond') {
    // The path is the contract's: a wrong method is refused in its JSON (405), not left to Express's
    // HTML 404. A CORS middleware mounted before the router answers preflights itself.
    router.options('/', (req, res, next) => {
      answerOptions(req, res).catch((err: unknown) => next(toContractError(err)));
    });
    router.all('/', serve);
  }

  let closing: Promise<void> | undefined;
  async function close(timeoutMs: number): Promise<void> {
    const started = Date.now();
    const stillRunning = await admission.drain(timeoutMs);
    if (stillRunning > 0) log({ level: 'warn', msg: 'checks still running at shutdown', in_flight: stillRunning });
    if (!config.ownsEngine) return;
    // An engine that failed to load has nothing to dispose of (the failure was logged at load); one
    // still loading is waited for within what is left of timeoutMs, then disposed of once loaded.
    const disposed = await disposeAtClose(config.engine, timeoutMs - (Date.now() - started));
    if (!disposed) log({ level: 'warn', msg: 'engine still loading at shutdown; disposed of once loaded' });
  }

  return Object.assign(router, {
    ready: () => config.engine,
    load: (): LivenessLoad => ({
      inFlight: admission.inFlight,
      queued: admission.queued,
      fetching: admission.fetches,
      maxInFlight: config.maxInFlight,
      maxQueue: config.maxQueue,
      draining: admission.isDraining,
    }),
    close: (closeOptions: { readonly timeoutMs?: number | undefined } = {}) => {
      closing ??= close(closeOptions.timeoutMs ?? 10_000);
      return closing;
    },
  }) as FaceLivenessRouter;
}

export { errorHandler, toContractError, errorBody, type ErrorBody, type ErrorHandlerOptions } from './errors';
export { deferContinue } from './expect-continue';
export { closeSilentConnections } from './silent-connections';
export { metricsRouter, FaceliveMetrics, defaultMetrics, type Outcome } from './metrics';
export { MemoryQuotaStore, type QuotaStore } from './quota';
export { RedisQuotaStore, type RedisQuotaStoreOptions, type RedisState } from './redis-quota';
export { redisRateLimitStores, type AuthFailureLimit, type CredentialRateLimit, type RateLimitStoreFactory } from './rate-limit';
export { defaultMaxInFlight } from './options';
export { REQUEST_ID_HEADER, sanitizeRequestId } from './request-id';
export type { AuthFunction, AuthOption, AuthResult, Credential, CredentialMode, DigestCredential, ListedCredential } from './auth';
export type { FaceLivenessOptions, LogEntry, Logger, Mode } from './options';
export type { ServerFlags } from './server-flags';
export { FaceliveError } from '../core/errors';
