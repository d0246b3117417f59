// Back-pressure: at most `maxInFlight` checks run at once and at most `maxQueue` wait for a slot.
// Beyond that a request is refused at once (SERVICE_UNAVAILABLE with Retry-After) instead of
// waiting; a queued request that waits longer than `queueTimeoutMs` is refused the same way.
// Requests fetching a URL image do so before they ask for a slot (a slow image server must not hold
// one): at most `maxInFlight + maxQueue` at once, each holding a fetch ticket.
// drain() refuses everything new, answers the queued requests and waits for the running checks and
// for the fetches under way, whose requests still get their check.

import { FaceliveError, SHUTDOWN_RETRY_AFTER_S } from '../core/errors';

export interface AdmissionOptions {
  readonly maxInFlight: number;
  readonly maxQueue: number;
  readonly queueTimeoutMs: number;
}

/** Releases a slot; calling it more than once has no further effect. */
export type Release = () => void;

interface Waiter {
  readonly grant: (release: Release) => void;
  readonly refuse: (err: FaceliveError) => void;
  readonly timer: NodeJS.Timeout;
}

/** Seconds a client is told to wait when the server is at capacity (SHUTDOWN_RETRY_AFTER_S: shutting down). */
export const CAPACITY_RETRY_AFTER_S = 1;

/** The 503s of a full queue (logged in summary, not one line each: under overload logging would add load). */
const capacityErrors = new WeakSet<FaceliveError>();

export function atCapacity(message = 'The server is at capacity; retry shortly.'): FaceliveError {
  const err = new FaceliveError('SERVICE_UNAVAILABLE', message, { retryAfterS: CAPACITY_RETRY_AFTER_S });
  capacityErrors.add(err);
  return err;
}

/** True for the 503 of a full queue or a queue wait that ran out. */
export function isCapacityError(err: unknown): boolean {
  return err instanceof FaceliveError && capacityErrors.has(err);
}

export function shuttingDown(): FaceliveError {
  return new FaceliveError('SERVICE_UNAVAILABLE', 'The server is shutting down; retry on another instance.', { retryAfterS: SHUTDOWN_RETRY_AFTER_S });
}

/** A request fetching its image before it asks for a slot; release() once its slot is granted or refused. */
export interface FetchTicket {
  readonly release: Release;
}

export class Admission {
  private running = 0;
  private fetching = 0;
  private readonly queue: Waiter[] = [];
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: AdmissionOptions) {}

  /** Checks running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Requests waiting for a slot now. */
  get queued(): number {
    return this.queue.length;
  }

  /** Requests fetching a URL image now (before asking for a slot). */
  get fetches(): number {
    return this.fetching;
  }

  /** True once drain() was called. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** True when a request arriving now would be refused (draining, or every slot and queue place taken). */
  get full(): boolean {
    return this.draining || (this.running >= this.options.maxInFlight && this.queue.length >= this.options.maxQueue);
  }

  /**
   * A ticket for fetching a URL image outside the check slots.
   * @throws FaceliveError SERVICE_UNAVAILABLE when draining or when `maxInFlight + maxQueue` fetches are under way.
   */
  beginFetch(): FetchTicket {
    if (this.draining) throw shuttingDown();
    if (this.fetching >= this.options.maxInFlight + this.options.maxQueue) {
      throw atCapacity('Too many image URLs are being fetched; retry shortly.');
    }
    this.fetching += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.fetching -= 1;
        this.wakeIfIdle();
      },
    };
  }

  /**
   * A slot, now or after waiting in the queue. With a fetch ticket (a request admitted before a
   * drain began), the slot is granted during the drain too.
   * @throws FaceliveError SERVICE_UNAVAILABLE when the queue is full, the wait passes queueTimeoutMs, or draining.
   */
  acquire(ticket?: FetchTicket): Promise<Release> {
    if (this.draining && ticket === undefined) return Promise.reject(shuttingDown());
    if (this.running < this.options.maxInFlight) return Promise.resolve(this.take());
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(atCapacity());
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: resolve,
        refuse: reject,
        timer: setTimeout(() => {
          this.remove(waiter);
          reject(atCapacity('No check slot became free in time; retry shortly.'));
          this.wakeIfIdle();
        }, this.options.queueTimeoutMs),
      };
      this.queue.push(waiter);
    });
  }

  /**
   * Refuses new requests and the queued ones (SERVICE_UNAVAILABLE), then resolves once the running
   * checks and the fetches under way (and their checks) have finished or `timeoutMs` has passed,
   * with the number of checks and fetches still under way.
   */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    for (const waiter of this.queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.refuse(shuttingDown());
    }
    if (this.idle) return 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.running + this.fetching + this.queue.length;
  }

  /** Nothing running, fetching or waiting. */
  private get idle(): boolean {
    return this.running === 0 && this.fetching === 0 && this.queue.length === 0;
  }

  private wakeIfIdle(): void {
    if (!this.idle) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private take(): Release {
    this.running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      this.next();
    };
  }

  private next(): void {
    const waiter = this.queue.shift();
    if (waiter !== undefined) {
      clearTimeout(waiter.timer);
      waiter.grant(this.take());
      return;
    }
    this.wakeIfIdle();
  }

  private remove(waiter: Waiter): void {
    const index = this.queue.indexOf(waiter);
    if (index >= 0) this.queue.splice(index, 1);
  }
}
