// The whole-request deadline (requestTimeoutMs): a promise that rejects with 503 when it passes.

import { FaceliveError } from '../core/errors';

/** Rejects with SERVICE_UNAVAILABLE when `ms` pass first; the timer never keeps the process alive. */
export function deadline(ms: number): { readonly expired: Promise<never>; readonly passed: boolean; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  let passed = false;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      passed = true;
      reject(new FaceliveError('SERVICE_UNAVAILABLE', 'The request did not finish within the server\'s deadline; retry shortly.', { retryAfterS: 1 }));
    }, ms);
    timer.unref();
  });
  expired.catch(() => undefined);
  return {
    expired,
    get passed() {
      return passed;
    },
    cancel: () => clearTimeout(timer),
  };
}
