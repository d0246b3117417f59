// Abuse limits, built on express-rate-limit and its stores: a cool-down for client addresses that
// fail authentication repeatedly, and an optional per-credential request rate. Both answer
// TOO_MANY_REQUESTS (429) with Retry-After. Counters live in express-rate-limit's MemoryStore, or
// in any of its stores (rate-limit-redis through RedisQuotaStore.rateLimitStore, for several instances).
//
// A store error never blocks a request (passOnStoreError): when Redis is unreachable, live-mode
// traffic keeps flowing unthrottled rather than failing.

import type { Request, RequestHandler, Response } from 'express';
import { type ClientRateLimitInfo, ipKeyGenerator, MemoryStore, type Options, rateLimit, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import ipaddr from 'ipaddr.js';
import { FaceliveError } from '../core/errors';
import type { LogFunction } from './options';
import type { RedisQuotaStore } from './redis-quota';

export interface AuthFailureLimit {
  /** Failed authentications (401) one client address may make per window. Defaults to 10. */
  readonly limit?: number | undefined;
  /** The window, and so the longest cool-down, in ms. Defaults to 60000 (one minute). */
  readonly windowMs?: number | undefined;
}

export interface CredentialRateLimit {
  /** Requests one App-ID may make per window. Required. */
  readonly limit: number;
  /** The window in ms. Defaults to 60000, so `limit` is requests per minute. */
  readonly windowMs?: number | undefined;
}


/**
 * The client's address for a log line. With trust proxy set higher than the real number of proxy
 * hops, req.ip is whatever the client wrote in X-Forwarded-For: anything but an address is not logged.
 */
function loggableAddress(req: Request): string {
  const address = req.ip ?? req.socket.remoteAddress ?? '';
  return ipaddr.isValid(address) ? address : '(not an IP address: X-Forwarded-For from an untrusted hop? check trustProxy)';
}

/** Makes an express-rate-limit Store for one limiter; `name` tells the limiters apart ('auth', 'rate'). */
export type RateLimitStoreFactory = (name: string) => Store;

/** The IPv6 prefix length one client is counted by in the failed-authentication cool-down. */
const IPV6_CLIENT_PREFIX = 64;

/** res.locals key holding the authenticated App-ID, for the per-credential limiter's key. */
export const APP_ID_LOCAL = 'faceliveAppId';

function tooMany(message: string, req: Request): FaceliveError {
  // express-rate-limit sets req.rateLimit before calling the handler.
  const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
  const retryAfterS = info?.resetTime !== undefined ? Math.ceil((info.resetTime.getTime() - Date.now()) / 1000) : 60;
  return new FaceliveError('TOO_MANY_REQUESTS', message, { retryAfterS });
}

/** express-rate-limit's logger: its warnings go to ours; store errors are the store's to report (once per outage). */
function limiterLogger(log: LogFunction): { warn(...args: unknown[]): void; error(...args: unknown[]): void } {
  const forward = (level: 'warn' | 'error') => (err: unknown, context?: unknown) => {
    if (typeof context === 'string' && context.includes('from store')) return;
    log({ level, msg: 'rate limiter', error: (err as Error)?.message ?? String(err) });
  };
  return { warn: forward('warn'), error: forward('error') };
}

/**
 * The failed-authentication cool-down. Only answers of 401 count (recorded after they happen, so a
 * burst of good requests from one address is never blocked); once an address has `limit` of them
 * in a window, its requests get 429 before their keys are checked, until the window ends. Counts
 * live in an express-rate-limit Store (MemoryStore by default). A store error lets the request pass.
 */
export class AuthFailureGuard {
  private readonly store: Store;
  private readonly ready: Promise<void>;

  constructor(
    private readonly options: Required<AuthFailureLimit>,
    store: Store | undefined,
    private readonly log: LogFunction,
  ) {
    this.store = store ?? new MemoryStore();
    this.ready = Promise.resolve()
      .then(() => this.store.init?.({ windowMs: options.windowMs } as Options))
      .catch(() => undefined);
  }

  /**
   * IPv4 addresses count one by one; IPv6 addresses by their /64, the network one subscriber is
   * given: a full address would let one client rotate through its /64 (2^64 addresses), and
   * express-rate-limit's default /56 would cool down the neighbours it shares a /56 with.
   */
  private key(req: Request): string {
    return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown', IPV6_CLIENT_PREFIX);
  }

  /** @throws FaceliveError TOO_MANY_REQUESTS while the address is cooling down. */
  async check(req: Request): Promise<void> {
    await this.ready;
    let info: ClientRateLimitInfo | undefined;
    try {
      info = await this.store.get?.(this.key(req));
    } catch {
      return;
    }
    if (info === undefined || info.totalHits < this.options.limit) return;
    const resetMs = info.resetTime !== undefined ? info.resetTime.getTime() - Date.now() : this.options.windowMs;
    if (resetMs <= 0) return;
    throw new FaceliveError('TOO_MANY_REQUESTS', 'Too many failed authentications from this address; retry after the time given in the Retry-After header.', {
      retryAfterS: Math.ceil(resetMs / 1000),
    });
  }

  /**
   * Counts one failed authentication of the request's address.
   * @throws FaceliveError TOO_MANY_REQUESTS when this failure is past the limit: requests that all
   * passed check() at once (a concurrent burst of guesses) get 401 for the first `limit` of them
   * only, since the store counts atomically, and 429 for the rest.
   */
  async recordFailure(req: Request): Promise<void> {
    await this.ready;
    let info: ClientRateLimitInfo;
    try {
      info = await this.store.increment(this.key(req));
    } catch {
      return; // the store reports its own outage; the cool-down is best effort while it lasts
    }
    if (info.totalHits === this.options.limit) {
      this.log({ level: 'warn', msg: 'client address cooling down after failed authentications', client: loggableAddress(req), failures: info.totalHits });
    }
    if (info.totalHits > this.options.limit) {
      const resetMs = info.resetTime !== undefined ? info.resetTime.getTime() - Date.now() : this.options.windowMs;
      throw new FaceliveError('TOO_MANY_REQUESTS', 'Too many failed authentications from this address; retry after the time given in the Retry-After header.', {
        retryAfterS: Math.max(1, Math.ceil(resetMs / 1000)),
      });
    }
  }
}

/** Allows each App-ID `limit` requests per window. Runs after authentication. */
export function credentialRateLimiter(options: Required<CredentialRateLimit>, store: Store | undefined, log: LogFunction): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    keyGenerator: (_req: Request, res: Response) => String(res.locals[APP_ID_LOCAL]),
    skip: (_req: Request, res: Response) => typeof res.locals[APP_ID_LOCAL] !== 'string',
    legacyHeaders: false,
    standardHeaders: false,
    passOnStoreError: true,
    logger: limiterLogger(log),
    ...(store !== undefined ? { store } : {}),
    handler: (req, _res, next) => next(tooMany('This credential sent more requests than its rate limit allows; retry after the time given in the Retry-After header.', req)),
  });
}

/**
 * rate-limit-redis with two repairs for outages: a failed script load at start-up is retried on the
 * next request instead of failing forever, and a rejected load is never left unhandled.
 */
class RecoveringRedisStore extends RedisStore {
  override async init(options: Parameters<RedisStore['init']>[0]): Promise<void> {
    this.windowMs = options.windowMs;
    this.incrementScriptSha = this.loadIncrementScript();
    this.getScriptSha = this.loadGetScript();
    this.incrementScriptSha.catch(() => undefined);
    this.getScriptSha.catch(() => undefined);
  }

  private async reloadIfFailed(): Promise<void> {
    try {
      await this.incrementScriptSha;
    } catch {
      // get() awaits only the other script: a second failed load of this one must not go unhandled.
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => undefined);
    }
    try {
      await this.getScriptSha;
    } catch {
      this.getScriptSha = this.loadGetScript();
      this.getScriptSha.catch(() => undefined);
    }
  }

  override async increment(key: string): ReturnType<RedisStore['increment']> {
    await this.reloadIfFailed();
    return super.increment(key);
  }

  override async get(key: string): ReturnType<RedisStore['get']> {
    await this.reloadIfFailed();
    return super.get(key);
  }
}

/** A rate-limit-redis store factory over a RedisQuotaStore's connection (keys under `prefix`). */
export function redisRateLimitStores(quota: RedisQuotaStore, prefix = 'facelive:rl:'): RateLimitStoreFactory {
  return (name) =>
    new RecoveringRedisStore({
      prefix: `${prefix}${name}:`,
      sendCommand: (...args: string[]) => quota.sendCommand(...args) as Promise<never>,
    });
}
