// faceLiveness(): the Express adapter. A Router whose POST / serves the contract (respond mode) or
// annotates req.faceLiveness (annotate mode). Everything is resolved at construction.
//
// Order of checks in one request: request id, auth (401), quota reservation (403), then the body
// (parse errors are 400s) and the engine, whose 400s follow the contract's table order. Auth and
// quota come first so that unauthenticated or exhausted callers cannot make the server read large
// bodies, fetch URLs or run models; the contract's "table order" governs the 400s among themselves.

import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { createEngine } from '../core';
import type { Engine } from '../core/engine-types';
import { FaceliveError } from '../core/errors';
import { OPTION_NAMES } from '../core/options';
import type { CheckResult } from '../core/types';
import type { Principal } from './auth';
import { BODY_TOO_LARGE_MESSAGE, describeError, sendError, toContractError } from './errors';
import { type FaceLivenessOptions, resolveOptions } from './options';
import { requestIdOf } from './request-id';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by faceLiveness() in annotate mode: the contract's 200 body (PASS or FAIL_ON_n). */
    faceLiveness?: CheckResult;
  }
}

export interface FaceLivenessRouter extends Router {
  /** Resolves with the engine once it is loaded (rejects if it failed to load). */
  ready(): Promise<Engine>;
  /** Disposes of the engine if this middleware created it; a given engine is left alone. */
  close(): Promise<void>;
}

function looksLikeRequest(value: unknown): boolean {
  const candidate = value as { method?: unknown; headers?: unknown; url?: unknown } | null;
  return candidate !== null && typeof candidate === 'object' && typeof candidate.method === 'string' && typeof candidate.headers === 'object' && typeof candidate.url === 'string';
}

function isMultipart(req: Request): boolean {
  return /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '');
}

/** Runs a connect-style middleware as a promise. */
function run(middleware: RequestHandler, req: Request, res: Response): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    middleware(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
  });
}

/** A multipart form as a contract body: the `image` file part as bytes, 'true'/'false' text flags as booleans. */
function formBody(req: Request): Record<string, unknown> {
  const fields = (req.body ?? {}) as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const isFlag = (OPTION_NAMES as readonly string[]).includes(key);
    body[key] = isFlag && value === 'true' ? true : isFlag && value === 'false' ? false : value;
  }
  if (req.file !== undefined) {
    if (body.image !== undefined) throw new FaceliveError('INVALID_PAYLOAD', 'Send the image either as a file part or as a text field, not both.');
    body.image = req.file.buffer;
  }
  return body;
}

/**
 * Builds the middleware. Mount it with `app.use('/v1/face/liveness', faceLiveness({ auth, ... }))`;
 * it answers POST / under that path.
 * @throws TypeError naming the first bad option, or when used as `app.use(faceLiveness)`.
 */
export function faceLiveness(options: FaceLivenessOptions): FaceLivenessRouter {
  // eslint-disable-next-line prefer-rest-params
  if (arguments.length === 3 || looksLikeRequest(options)) {
    throw new TypeError("faceLiveness must be called to build the middleware: write app.use('/v1/face/liveness', faceLiveness({ auth: ... })), not app.use(faceLiveness).");
  }
  const config = resolveOptions(options, createEngine);
  const { log, metrics, quota } = config;

  // JSON for every content type but multipart (a missing Content-Type still parses as JSON).
  // body-parser turns an empty body into {}; the contract calls that a missing body (INVALID_PAYLOAD).
  const emptyBodies = new WeakSet<object>();
  const json = express.json({
    limit: config.jsonBodyLimit,
    strict: true,
    type: (req) => !/^multipart\//i.test(String(req.headers['content-type'] ?? '')),
    verify: (req, _res, buf) => {
      if (buf.length === 0) emptyBodies.add(req);
    },
  });
  // A multipart body may be no larger than a JSON body: busboy's limits are per field, so without
  // this count every text field could hold as much as the whole JSON limit.
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: config.limits.maxImageBytes, files: 1, fields: OPTION_NAMES.length + 1, parts: OPTION_NAMES.length + 2, fieldSize: config.jsonBodyLimit },
    streamHandler: (req: Request, busboy: NodeJS.WritableStream & { destroy(err?: Error): void }) => {
      let received = 0;
      const count = (chunk: Buffer): void => {
        received += chunk.length;
        if (received > config.jsonBodyLimit) {
          req.off('data', count);
          busboy.destroy(new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', BODY_TOO_LARGE_MESSAGE));
        }
      };
      req.on('data', count);
      req.pipe(busboy);
    },
  } as multer.Options).single('image');

  async function readBody(req: Request, res: Response): Promise<unknown> {
    if (!isMultipart(req)) {
      await run(json, req, res);
      return emptyBodies.has(req) ? undefined : req.body;
    }
    try {
      await run(upload, req, res);
    } catch (err) {
      const mapped = toContractError(err);
      // busboy's own parse errors are not MulterErrors: a malformed form is the caller's fault.
      if (mapped.code === 'INTERNAL_SERVER_ERROR') throw new FaceliveError('INVALID_PAYLOAD', 'The multipart form could not be parsed.', { cause: err });
      throw mapped;
    }
    return formBody(req);
  }

  async function refund(principal: Principal, requestId: string): Promise<void> {
    try {
      await quota.refund(principal.appId);
    } catch (err) {
      log({ level: 'error', msg: 'quota refund failed', request_id: requestId, app_id: principal.appId, cause: (err as Error)?.name });
    }
  }

  async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req, res);
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    let principal: Principal | undefined;
    let reserved = false;
    let result: CheckResult;
    try {
      if (config.authenticate !== null) principal = await config.authenticate(req);
      if (principal?.mode === 'testing') {
        reserved = await quota.reserve(principal.appId, principal.quota ?? 0);
        if (!reserved) throw new FaceliveError('INSUFFICIENT_QUOTA_LIVENESS');
      }
      const body = await readBody(req, res);
      const engine = await config.engine;
      result = await engine.checkRequest(body, { requestId });
    } catch (err) {
      const error = toContractError(err);
      if (reserved && principal !== undefined) await refund(principal, requestId);
      metrics?.observe('error', error.code, seconds());
      log({
        level: error.status >= 500 ? 'error' : 'info',
        msg: 'liveness request refused',
        request_id: requestId,
        app_id: principal?.appId,
        status: error.status,
        duration_ms: Math.round(seconds() * 1000),
        ...describeError(error),
      });
      if (config.mode === 'annotate') next(error);
      else if (res.headersSent) next(error);
      else sendError(res, error, requestId);
      return;
    }
    const code = result.error_code ?? 'PASS';
    metrics?.observe(result.error_code === null ? 'pass' : 'fail', code, seconds());
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

  const router = Router();
  router.post('/', (req, res, next) => {
    handle(req, res, next).catch(next);
  });

  return Object.assign(router, {
    ready: () => config.engine,
    close: async () => {
      if (config.ownsEngine) await (await config.engine).dispose();
    },
  }) as FaceLivenessRouter;
}

export { errorHandler, toContractError, errorBody, type ErrorBody } from './errors';
export { metricsRouter, FaceliveMetrics, defaultMetrics, type Outcome } from './metrics';
export { MemoryQuotaStore, type QuotaStore } from './quota';
export { RedisQuotaStore, type RedisQuotaStoreOptions } from './redis-quota';
export { REQUEST_ID_HEADER, sanitizeRequestId } from './request-id';
export type { AuthFunction, AuthOption, AuthResult, Credential, CredentialMode } from './auth';
export type { FaceLivenessOptions, LogEntry, Logger, Mode } from './options';
export { FaceliveError } from '../core/errors';
