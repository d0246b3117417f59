// The one table of error codes: code -> HTTP status and human message. Adapters only look codes up.

/** The table and its rows frozen: a caller cannot change what a code means for everyone else. */
function deepFreeze<T extends Record<string, object>>(table: T): T {
  for (const row of Object.values(table)) Object.freeze(row);
  return Object.freeze(table);
}

export const ERROR_TABLE = deepFreeze({
  INVALID_PAYLOAD: { status: 400, message: 'The request body is missing, is not a JSON object, or has a field of the wrong type.' },
  MISSING_PAYLOAD_IMAGE: { status: 400, message: 'The request has no image field.' },
  INVALID_PAYLOAD_IMAGE_MISSING: { status: 400, message: 'The image field is empty, or is neither valid base64 nor an http(s) URL.' },
  INVALID_PAYLOAD_QUALITY_VALIDATION_DEPENDENCY: { status: 400, message: 'validate_quality needs is_quality to be true.' },
  INVALID_PAYLOAD_ATTRIBUTE_VALIDATION_DEPENDENCY: { status: 400, message: 'validate_attribute needs is_attribute to be true.' },
  INVALID_PAYLOAD_LIVENESS_VALIDATION_DEPENDENCY: { status: 400, message: 'validate_liveness needs is_liveness to be true.' },
  INVALID_PAYLOAD_IMAGE_SIZE: { status: 400, message: 'The image is larger than the size or pixel limit.' },
  INVALID_PAYLOAD_IMAGE_TIMEOUT: { status: 400, message: 'Fetching the image URL took longer than the time budget.' },
  INVALID_PAYLOAD_IMAGE_FORMAT: { status: 400, message: 'The image is not a decodable JPEG, PNG or WebP.' },
  FACE_NOT_DETECTED: { status: 400, message: 'No face was found in the image.' },
  UNAUTHORIZED: { status: 401, message: 'App-ID or API-Key is missing or wrong.' },
  INSUFFICIENT_QUOTA_LIVENESS: { status: 403, message: 'The testing quota of this credential is used up.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This path answers POST only; send the request with POST (see the Allow header).' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests; retry after the time given in the Retry-After header.' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'An unexpected error occurred.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is at capacity or a store it needs is unreachable; retry after the time given in the Retry-After header.' },
} as const satisfies Record<string, { status: number; message: string }>);

/** Every documented error code, in the contract's check order. */
export type ErrorCode = keyof typeof ERROR_TABLE;
export const ERROR_CODES: readonly ErrorCode[] = Object.freeze(Object.keys(ERROR_TABLE) as ErrorCode[]);

/** Seconds a client is told to wait when the server is shutting down (a disposed engine included). */
export const SHUTDOWN_RETRY_AFTER_S = 5;

/** Codes whose answers tell the client when to retry (HTTP `Retry-After`). */
const RETRY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['TOO_MANY_REQUESTS', 'SERVICE_UNAVAILABLE']);

/** The only error `engine.check` rejects with. `status` is the HTTP status of `code`. */
export class FaceliveError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /**
   * Seconds after which a retry may succeed, for TOO_MANY_REQUESTS and SERVICE_UNAVAILABLE (sent as
   * `Retry-After`); undefined for every other code. Defaults to 1 for those two codes.
   */
  readonly retryAfterS?: number | undefined;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; retryAfterS?: number | undefined }) {
    super(message ?? ERROR_TABLE[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FaceliveError';
    this.code = code;
    this.status = ERROR_TABLE[code].status;
    if (RETRY_CODES.has(code)) this.retryAfterS = Math.max(1, Math.ceil(options?.retryAfterS ?? 1));
  }

  /** The contract's error body: `{ message, error_code }`. */
  toJSON(): { message: string; error_code: ErrorCode } {
    return { message: this.message, error_code: this.code };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TABLE, value);
}

/** Wraps anything thrown into a FaceliveError; unknown errors become INTERNAL_SERVER_ERROR without their text. */
export function toFaceliveError(err: unknown): FaceliveError {
  if (err instanceof FaceliveError) return err;
  return new FaceliveError('INTERNAL_SERVER_ERROR', undefined, { cause: err });
}

/** What an error that may carry the caller's data is kept as, for a cause: its identifying fields only. */
export interface ErrorSummary {
  readonly name?: string;
  readonly code?: string;
  readonly type?: string;
  readonly status?: number;
}

/**
 * An error cut to its name, code, type and status (strings cut to 100 characters), to keep as a
 * cause where the error itself may hold the image: body parsers attach the request body (`body`),
 * Node's HTTP parser what the server sent (`rawPacket`), and their messages may quote either.
 */
export function summariseError(err: unknown): ErrorSummary {
  const record = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const text = (key: string): Record<string, string> => (typeof record[key] === 'string' ? { [key]: (record[key] as string).slice(0, 100) } : {});
  return { ...text('name'), ...text('code'), ...text('type'), ...(typeof record.status === 'number' ? { status: record.status } : {}) };
}
