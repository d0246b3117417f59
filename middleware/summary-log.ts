// Refusals that anyone can provoke cheaply and in bulk, logged as one summary line per interval.

import type { LogEntry } from './options';

/**
 * Counts refusals of one kind and logs them as one line per interval instead of one per request:
 * those that anyone can provoke cheaply and in bulk (a full queue, wrong keys, an address cooling
 * down), so that a flood of them cannot flood the logs too.
 */
export function summaryLog(log: (entry: LogEntry) => void, intervalMs: number, kind: { msg: string; error_code?: string; status?: number }): { count(): void } {
  let refused = 0;
  let timer: NodeJS.Timeout | undefined;
  return {
    count: () => {
      refused += 1;
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        log({ level: 'warn', ...kind, count: refused, interval_ms: intervalMs });
        refused = 0;
      }, intervalMs);
      timer.unref();
    },
  };
}
