// The error nodes hand to done(): Node-RED copies its `code` onto msg.error.code for Catch nodes,
// and its toString() (msg.error.message) is the contract's sentence without a class-name prefix.
// For an error that sentence hides (INTERNAL_SERVER_ERROR), what the log gets instead.

import { ERROR_TABLE, FaceliveError, toFaceliveError, type ErrorCode } from '../../core/errors';

export class NodeFaceliveError extends Error {
  /** The contract's error code. */
  readonly code: ErrorCode;
  /** The HTTP status the contract gives the code. */
  readonly status: number;

  constructor(code: ErrorCode, status: number, message: string) {
    super(message);
    this.name = 'FaceliveError';
    this.code = code;
    this.status = status;
  }

  override toString(): string {
    return this.message;
  }
}

/** Anything thrown -> the error a node reports; unexpected errors become INTERNAL_SERVER_ERROR. */
export function toNodeError(err: unknown): NodeFaceliveError {
  if (err instanceof NodeFaceliveError) return err;
  const facelive = toFaceliveError(err);
  return new NodeFaceliveError(facelive.code, facelive.status, facelive.message);
}

/** How much of an unexpected error's message is logged: enough to tell it, not a whole payload. */
const LOGGED_MESSAGE_CHARS = 200;
/** How much of the message the patterns below read: ten times what is logged, so that [data] runs shrink into it. */
const SCANNED_MESSAGE_CHARS = 2000;
/** Stack frames logged: Node's default stack depth. */
const LOGGED_FRAMES = 10;
/**
 * A run of base64 or base64url characters this long is data (an image), not words: it is never
 * logged. 32, not 64: base64 wrapped at 60 characters a line comes in runs of 60.
 */
const DATA_RUN = /[A-Za-z0-9+/=_-]{32,}/g;
/** A Buffer as util.inspect prints it, `<Buffer ff d8 ff e0 ... 19950 more bytes>`: the image's bytes in hex. */
const BUFFER_DUMP = /<Buffer(?: [0-9a-f]{2})*(?: \.\.\. \d+ more bytes?)?>?/g;
/**
 * Bytes read as text (a control character, or U+FFFD for bytes that are no UTF-8, which no sentence
 * holds): everything from the first word with one to the last, the printable bytes between included.
 */
const BINARY_SPAN = /\S*[\p{Cc}\uFFFD](?:[\s\S]*[\p{Cc}\uFFFD])?\S*/gu;

/**
 * The log line for an error that is answered as INTERNAL_SERVER_ERROR, whose sentence ("An
 * unexpected error occurred.") says nothing of its cause, and that a Catch node keeps out of
 * Node-RED's own log: the original error's name, its message cut short, and its stack frames; never
 * its other properties, nor image data from its message (a run of base64 or base64url, a Buffer's
 * dump, bytes read as text). Undefined when the answer already says what went wrong (a
 * FaceliveError with its own sentence and no cause).
 */
export function describeUnexpected(err: unknown): string | undefined {
  let original: unknown = err;
  if (err instanceof FaceliveError || err instanceof NodeFaceliveError) {
    if (err.cause !== undefined) original = err.cause;
    else if (err.message !== ERROR_TABLE.INTERNAL_SERVER_ERROR.message) return undefined;
  }
  const name = original instanceof Error ? original.name : typeof original;
  const whole = original instanceof Error ? original.message : String(original);
  // Bounded before the patterns run (BINARY_SPAN's \S* backtracks: quadratic on one long word, an
  // 80,000-character message took 10 s); the word cut there is dropped whole, not left as a short run of data.
  const text = whole.length > SCANNED_MESSAGE_CHARS ? whole.slice(0, SCANNED_MESSAGE_CHARS).replace(/\S*$/, '[data]') : whole;
  // White space first, so that line breaks and tabs do not count as binary; then one [data] for several.
  let message = text
    .replace(BUFFER_DUMP, '[data]')
    .replace(/\s+/g, ' ')
    .replace(BINARY_SPAN, '[data]')
    .replace(DATA_RUN, '[data]')
    .replace(/\[data\](?: ?\[data\])+/g, '[data]')
    .trim();
  if (message.length > LOGGED_MESSAGE_CHARS) message = `${message.slice(0, LOGGED_MESSAGE_CHARS)}...`;
  const stack = original instanceof Error && typeof original.stack === 'string' ? original.stack : '';
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line)).slice(0, LOGGED_FRAMES);
  return [`Unexpected error, answered as INTERNAL_SERVER_ERROR: ${name}: ${message}`, ...frames].join('\n');
}
