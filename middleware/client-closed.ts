// An AbortSignal that aborts when the client closes its connection before its answer is sent, so
// that work done only for that answer (a URL image's fetch) stops at once instead of at its budget.

import type { Request, Response } from 'express';

export interface ClientWatch {
  /** Aborted once the client's connection has closed before the answer was sent. */
  readonly signal: AbortSignal;
  /** Stops watching (the work is over). */
  stop(): void;
}

/** Watches `res` for its connection closing before the answer was sent (already closed: aborted at once). */
export function watchClientClose(req: Request, res: Response): ClientWatch {
  const controller = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) controller.abort();
  };
  if (req.socket.destroyed) controller.abort();
  else res.once('close', onClose);
  return { signal: controller.signal, stop: () => res.off('close', onClose) };
}
