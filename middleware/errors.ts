// Errors -> the contract's error body. Maps FaceliveErrors, body-parser and multer errors; hides the rest.
// errorHandler() answers facelive's own errors only and hands every other error on unchanged.

import type { ErrorRequestHandler, Response } from 'express';
import { type ErrorCode, FaceliveError, isErrorCode, summariseError } from '../core/errors';
import { quote } from '../core/quote';
import { describeValue } from '../core/value-kind';
import { markNotStored } from './no-store';
import { type LogFunction, resolveLogger, type Logger } from './options';
import { requestIdOf } from './request-id';

/** The contract's error body, with the request id. */
export interface ErrorBody {
  readonly message: string;
  readonly error_code: ErrorCode;
  readonly request_id: string;
}

/** body-parser's error types (the `type` property of its http-errors). */
const BODY_PARSER_TYPES = new Set([
  'entity.too.large',
  'entity.parse.failed',
  'entity.verify.failed',
  'encoding.unsupported',
  'charset.unsupported',
  'request.aborted',
  'request.size.invalid',
  'stream.encoding.set',
  'stream.not.readable',
  'parameters.too.many',
]);

/** A body parsed as JSON (any Content-Type but multipart) that is not an object or array at all. */
export const NOT_A_JSON_OBJECT_MESSAGE =
  'Expected the request body to be a JSON object (Content-Type application/json), or a multipart/form-data form with the image as a file.';

/** What a request body over the limit answers (with INVALID_PAYLOAD_IMAGE_SIZE), JSON or multipart. */
export const BODY_TOO_LARGE_MESSAGE = 'The request body is larger than the limit for the largest image this service accepts (limits.maxImageBytes, 5 MiB by default).';

/** The longest header value an error message quotes whole. */
const QUOTED_HEADER_MAX = 40;

/** A client's header value for a message: quoted, at most QUOTED_HEADER_MAX characters. */
function quoteHeader(value: unknown): string {
  return quote(String(value), QUOTED_HEADER_MAX);
}

/** What a JSON body in a charset this server cannot decode answers (INVALID_PAYLOAD). */
export function unsupportedCharsetMessage(charset: unknown): string {
  return `The request body's charset ${quoteHeader(charset)} is not supported; send JSON in UTF-8.`;
}

/** What body-parser's refusals other than a body too large say, by their type: the parse failures say the JSON is not valid. */
function bodyParserMessage(record: { type?: unknown; encoding?: unknown; charset?: unknown }): string {
  if (record.type === 'encoding.unsupported') {
    return `The request body's Content-Encoding ${quoteHeader(record.encoding)} is not supported; send it uncompressed, or compressed with gzip, deflate or br.`;
  }
  if (record.type === 'charset.unsupported') return unsupportedCharsetMessage(record.charset);
  return 'The request body is not valid JSON.';
}

/** multer's codes that mean "too big". */
const MULTER_SIZE_CODES = new Set(['LIMIT_FILE_SIZE', 'LIMIT_FIELD_VALUE']);

/**
 * Any error as a FaceliveError: FaceliveErrors pass (also from another copy of the package);
 * body-parser's 413 is INVALID_PAYLOAD_IMAGE_SIZE and its other errors INVALID_PAYLOAD (also the zlib
 * or brotli error it passes on without a type: a compressed body that does not decompress); multer's size limits are
 * INVALID_PAYLOAD_IMAGE_SIZE and its other errors INVALID_PAYLOAD; anything else is
 * INTERNAL_SERVER_ERROR with the generic message (the original is kept as `cause`, never sent).
 */
export function toContractError(err: unknown): FaceliveError {
  if (err instanceof FaceliveError && !carriesExtras(err)) return err;
  if (err === null || typeof err !== 'object') return new FaceliveError('INTERNAL_SERVER_ERROR', undefined, { cause: err });
  const record = err as { name?: unknown; code?: unknown; type?: unknown; status?: unknown; expose?: unknown; message?: unknown; cause?: unknown };
  if (isFaceliveError(err) && isErrorCode(record.code)) {
    // Built anew, so that what body-parser attached to one thrown in its `verify` (`body`: the whole
    // request body, the selfie) is not handed on to the app's error handlers and loggers.
    const retryAfterS = (err as { retryAfterS?: unknown }).retryAfterS;
    return new FaceliveError(record.code, typeof record.message === 'string' ? record.message : undefined, {
      cause: err instanceof FaceliveError || carriesExtras(err) ? record.cause : err,
      retryAfterS: typeof retryAfterS === 'number' ? retryAfterS : undefined,
    });
  }
  if (typeof record.type === 'string' && BODY_PARSER_TYPES.has(record.type)) {
    if (isBodyTooLarge(err)) {
      // Not facelive's own parser (readBody answers its own limit): an app-wide one that ran before it.
      const limit = (err as { limit?: unknown }).limit;
      const message = typeof limit === 'number' ? `The request body is larger than this server's limit for request bodies (${limit} bytes).` : BODY_TOO_LARGE_MESSAGE;
      return new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', message, { cause: summariseError(err) });
    }
    return new FaceliveError('INVALID_PAYLOAD', bodyParserMessage(err as { type?: unknown; encoding?: unknown; charset?: unknown }), { cause: summariseError(err) });
  }
  if (isDecompressionError(record)) {
    // body-parser hands on a body that fails to decompress (gzip, deflate, br) as http-errors' 400
    // around zlib's error, with no `type`: the request's fault, not the server's.
    return new FaceliveError('INVALID_PAYLOAD', 'The request body could not be read (a compressed body that does not decompress?).', { cause: summariseError(err) });
  }
  if (record.name === 'MulterError' && typeof record.code === 'string') {
    if (MULTER_SIZE_CODES.has(record.code)) {
      return new FaceliveError('INVALID_PAYLOAD_IMAGE_SIZE', 'The uploaded image is larger than the size limit.', { cause: summariseError(err) });
    }
    return new FaceliveError('INVALID_PAYLOAD', `The multipart form is not acceptable (${record.code}); send one file part named image.`, { cause: summariseError(err) });
  }
  return new FaceliveError('INTERNAL_SERVER_ERROR', undefined, { cause: err });
}

/** A FaceliveError's own properties; any other was attached after it was thrown. */
const FACELIVE_ERROR_KEYS = new Set(['name', 'code', 'status', 'retryAfterS']);

/**
 * Whether an error has properties a FaceliveError is not built with: body-parser adds `body` (the
 * request body as read: image bytes or base64), `type`, `status` and `expose` to an error thrown in
 * its `verify`.
 */
function carriesExtras(err: object): boolean {
  return Object.keys(err).some((key) => !FACELIVE_ERROR_KEYS.has(key));
}

/** Whether a body parser refused the body as larger than its limit. */
export function isBodyTooLarge(err: unknown): boolean {
  const record = err as { type?: unknown; status?: unknown } | null;
  return typeof record === 'object' && record !== null && (record.type === 'entity.too.large' || (typeof record.type === 'string' && record.status === 413));
}

/**
 * Whether an error is a body parser's refusal of the request's body (body-parser's, a body that does not
 * decompress, multer's): on facelive's path, from an app parser mounted before the router.
 */
export function isBodyParserError(err: unknown): boolean {
  if (err === null || typeof err !== 'object' || err instanceof FaceliveError) return false;
  const record = err as { name?: unknown; type?: unknown; status?: unknown; expose?: unknown; code?: unknown };
  return (typeof record.type === 'string' && BODY_PARSER_TYPES.has(record.type)) || isDecompressionError(record)
    || (record.name === 'MulterError' && typeof record.code === 'string');
}

/** body-parser's 400 around a zlib or brotli error (no `type`): a body that does not decompress. */
function isDecompressionError(record: { status?: unknown; expose?: unknown; code?: unknown }): boolean {
  return record.status === 400 && record.expose === true && typeof record.code === 'string' && /^(Z_|ERR__ERROR|ERR_BROTLI|ERR_ZLIB)/.test(record.code);
}

/** The contract body for an error. */
export function errorBody(err: FaceliveError, requestId: string): ErrorBody {
  return { ...err.toJSON(), request_id: requestId };
}

/** Sends the contract's error answer (status from the table; `Retry-After` for 429 and 503; not to be stored by caches). */
export function sendError(res: Response, err: FaceliveError, requestId: string): void {
  markNotStored(res);
  if (err.retryAfterS !== undefined) res.setHeader('Retry-After', String(err.retryAfterS));
  res.status(err.status).json(errorBody(err, requestId));
}

/**
 * What a log entry says about an error, without its message unless it is one of ours: any code but
 * INTERNAL_SERVER_ERROR, or an INTERNAL_SERVER_ERROR facelive raised itself with a sentence of its
 * own (a misconfiguration it names), which has no cause.
 */
export function describeError(err: FaceliveError): Record<string, unknown> {
  if (err.code !== 'INTERNAL_SERVER_ERROR' || err.cause === undefined) return { error_code: err.code, error: err.message };
  const cause = err.cause as { name?: unknown; code?: unknown; stack?: unknown } | undefined;
  // The stack starts with the cause's message, which may quote input and span lines (base64 wrapped
  // at 60 or 76 characters): keep the frames only, the lines that start with "at".
  const frames = typeof cause?.stack === 'string' ? cause.stack.split('\n').filter((line) => /^\s+at /.test(line)).slice(0, 7).map((line) => line.trim()) : undefined;
  return { error_code: err.code, cause: { name: cause?.name, code: cause?.code, frames } };
}

/**
 * Whether an error is facelive's: a FaceliveError (also from another copy of the package). Every
 * error that leaves facelive's routers is one (they convert their body parsers' errors and any
 * unexpected failure before handing them on).
 */
export function isFaceliveError(err: unknown): boolean {
  if (err instanceof FaceliveError) return true;
  const record = err as { name?: unknown; code?: unknown } | null;
  return typeof record === 'object' && record !== null && record.name === 'FaceliveError' && isErrorCode(record.code);
}

export interface ErrorHandlerOptions {
  /** Where the 500s it answers are logged (as faceLiveness's logger). */
  readonly logger?: Logger | undefined;
  /**
   * Also answer body parsers' refusals (body-parser's, multer's) with the contract's body. For an
   * errorHandler() mounted on facelive's path only, after the router, where an app-wide parser runs
   * before it: app.use('/v1/face/liveness', errorHandler({ bodyParserErrors: true })). Default false.
   */
  readonly bodyParserErrors?: boolean | undefined;
}

/**
 * An Express error handler that answers facelive's errors (isFaceliveError) with the contract's body:
 * `{ message, error_code, request_id }` and the table's status. Mount it after the routes. Any other
 * error (the app's own: its routes, its body parsers) goes on unchanged to the next error handler,
 * as does any error once the answer has started.
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  if (options === null || typeof options !== 'object') throw new TypeError('Expected an options object for errorHandler(options).');
  if (options.bodyParserErrors !== undefined && typeof options.bodyParserErrors !== 'boolean') {
    throw new TypeError(`Expected a boolean for errorHandler's bodyParserErrors but received ${describeValue(options.bodyParserErrors)}.`);
  }
  const log: LogFunction = resolveLogger(options.logger, 'errorHandler logger');
  const answersBodyParsers = options.bodyParserErrors === true;
  return (err, req, res, next) => {
    if (res.headersSent || !(isFaceliveError(err) || (answersBodyParsers && isBodyParserError(err)))) {
      next(err);
      return;
    }
    const error = toContractError(err);
    const requestId = requestIdOf(req, res);
    if (error.status >= 500) log({ level: 'error', msg: 'request failed', request_id: requestId, status: error.status, ...describeError(error) });
    if (!req.complete) res.setHeader('Connection', 'close');
    sendError(res, error, requestId);
  };
}
