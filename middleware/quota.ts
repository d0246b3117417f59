// Quota stores: the QuotaStore interface (atomic reserve, refund) and the in-memory default.

/**
 * Per-App-ID usage counters for testing-mode credentials. Implement it to keep counts elsewhere;
 * each method may return a value or a Promise.
 *
 * The middleware reserves one unit before the work and refunds it unless the answer is 200, so a
 * credential with quota q gets at most q answers of 200 under any concurrency, provided
 * `reserve` is atomic (check and increment as one step).
 */
export interface QuotaStore {
  /**
   * Takes one unit for `appId` if fewer than `limit` are used; true when it was taken. Must be atomic.
   * `ticket` is unique per request: a store that can lose answers (a network store) uses it so that a
   * reservation and its refund each count once, however often they are retried. A store that cannot
   * reach its backend throws a FaceliveError SERVICE_UNAVAILABLE (answered 503 with Retry-After).
   */
  reserve(appId: string, limit: number, ticket?: string): boolean | Promise<boolean>;
  /** Gives back the unit taken by `reserve` with the same ticket (the answer was not a 200). Never goes below zero. */
  refund(appId: string, ticket?: string): void | Promise<void>;
  /** Whether the store can serve reservations now (for readiness probes). Optional; absent means always. */
  available?(): boolean | Promise<boolean>;
  /** Units used so far by `appId`. Optional; used by tests and dashboards. */
  used?(appId: string): number | Promise<number>;
  /** Forgets the usage of `appId`, or of every App-ID when omitted. Optional. */
  reset?(appId?: string): void | Promise<void>;
}

/** Counts in this process's memory. Atomic because reserve never yields; not shared between processes. */
export class MemoryQuotaStore implements QuotaStore {
  private readonly counts = new Map<string, number>();

  reserve(appId: string, limit: number): boolean {
    const used = this.counts.get(appId) ?? 0;
    if (used >= limit) return false;
    this.counts.set(appId, used + 1);
    return true;
  }

  refund(appId: string): void {
    const used = this.counts.get(appId) ?? 0;
    if (used <= 1) this.counts.delete(appId);
    else this.counts.set(appId, used - 1);
  }

  used(appId: string): number {
    return this.counts.get(appId) ?? 0;
  }

  reset(appId?: string): void {
    if (appId === undefined) this.counts.clear();
    else this.counts.delete(appId);
  }
}

/** Throws a TypeError unless `store` has the QuotaStore methods. */
export function assertQuotaStore(store: unknown, name = 'quota'): asserts store is QuotaStore {
  const candidate = store as Partial<Record<keyof QuotaStore, unknown>> | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.reserve !== 'function' || typeof candidate.refund !== 'function') {
    throw new TypeError(`Expected a quota store with reserve(appId, limit) and refund(appId) methods for ${name}, such as new MemoryQuotaStore().`);
  }
}
