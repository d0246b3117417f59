// Refuses a request body sent in a great many tiny pieces. Body parsers keep every piece until the
// body is whole, and each costs far more memory than its bytes: one 7 MB JSON body sent a byte at a
// time grew the process by 2.8 GB (inside the body size limit, and before any check slot is taken).
// Real clients send pieces of a network packet or more; a slow client sends few pieces.

import type { Request } from 'express';
import { FaceliveError } from '../core/errors';

/** Pieces a body may arrive in before their average size is looked at. */
export const MAX_SMALL_PIECES = 4096;
/** Below this average size (bytes), that many pieces are refused. */
export const SMALL_PIECE_BYTES = 256;

export interface PieceGuard {
  /** Rejects (INVALID_PAYLOAD) once the body has come in too many tiny pieces; never resolves. */
  readonly refused: Promise<never>;
  /** Stops counting (the body was read, or the request is over). */
  stop(): void;
}

/** Counts the pieces of `req`'s body beside the parser reading it. */
export function guardBodyPieces(req: Request): PieceGuard {
  let pieces = 0;
  let bytes = 0;
  let refuse!: (err: FaceliveError) => void;
  const refused = new Promise<never>((_resolve, reject) => {
    refuse = reject;
  });
  refused.catch(() => undefined); // raced by the caller; never an unhandled rejection
  const count = (chunk: Buffer): void => {
    pieces += 1;
    bytes += chunk.length;
    if (pieces > MAX_SMALL_PIECES && bytes / pieces < SMALL_PIECE_BYTES) {
      req.off('data', count);
      refuse(new FaceliveError('INVALID_PAYLOAD', `The request body came in more than ${MAX_SMALL_PIECES} pieces of under ${SMALL_PIECE_BYTES} bytes on average.`));
    }
  };
  req.on('data', count);
  return { refused, stop: () => req.off('data', count) };
}
