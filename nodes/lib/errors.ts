// The error nodes hand to done(): Node-RED copies its `code` onto msg.error.code for Catch nodes,
// and its toString() (msg.error.message) is the contract's sentence without a class-name prefix.

import { toFaceliveError, type ErrorCode } from '../../core/errors';

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
