// RedisQuotaStore: quota counters in Redis (ioredis), atomic through Lua scripts, shared by instances.
//
// Outages. Every command has a short timeout (commandTimeoutMs), commands are never queued while
// disconnected nor resent after a reconnect, so an unreachable or paused Redis turns a reservation
// into SERVICE_UNAVAILABLE (503, Retry-After) within that timeout. After a failure the store is
// "down": reservations fail at once without touching Redis, and a probe (PING) runs every
// probeIntervalMs until Redis answers. The state change is logged once each way.
//
// Exactness. Each reservation carries a ticket (unique per request), recorded in Redis with the
// unit. A refund releases the ticket's unit at most once. A reservation whose answer was lost (a
// timeout: the command may still run later, for example when a paused Redis resumes) is released
// the same way; a release that arrives before its reservation leaves a tombstone that makes the
// late reservation a no-op. Releases that cannot be sent are kept and sent by the probe before the
// store counts as up again, so counts are exact after recovery. A refund deletes its ticket; the
// tickets of charged answers and the tombstones expire after ticketTtlS.

import Redis, { type RedisOptions } from 'ioredis';
import { FaceliveError } from '../core/errors';
import { describeValue } from '../core/value-kind';
import { type Logger, resolveLogger, type LogFunction } from './options';
import type { QuotaStore } from './quota';

/** KEYS[1] counter, KEYS[2] ticket; ARGV[1] limit, ARGV[2] ticket ttl (s). Returns 1 when a unit was taken. */
const RESERVE = `
if KEYS[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
if KEYS[2] ~= '' then redis.call('SET', KEYS[2], 'reserved', 'EX', ARGV[2]) end
return 1
`;

/**
 * KEYS[1] counter, KEYS[2] ticket ('' for none); ARGV[1] ticket ttl (s). Gives the ticket's unit back
 * once. A settled reservation's ticket is deleted (its reservation ran and cannot run again, so
 * nothing is left behind: a refused request costs Redis no key); with no reservation yet, it leaves a
 * tombstone that makes the late reservation a no-op. Never below zero. Returns 1 when a unit was given back.
 */
const RELEASE = `
if KEYS[2] ~= '' then
  local state = redis.call('GET', KEYS[2])
  if state == 'released' then return 0 end
  if state ~= 'reserved' then
    redis.call('SET', KEYS[2], 'released', 'EX', ARGV[1])
    return 0
  end
  redis.call('DEL', KEYS[2])
end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used <= 0 then return 0 end
redis.call('DECR', KEYS[1])
return 1
`;

export interface RedisQuotaStoreOptions {
  /**
   * An ioredis client to use (not closed by close()). Give this or `url`. For fast 503s during an
   * outage, create it as the store would: enableOfflineQueue false, maxRetriesPerRequest 0,
   * autoResendUnfulfilledCommands false and a commandTimeout.
   */
  readonly client?: Redis | undefined;
  /** A redis:// URL to connect to (the connection is closed by close()). Defaults to redis://127.0.0.1:6379. */
  readonly url?: string | undefined;
  /** Extra ioredis options when connecting by URL. */
  readonly redisOptions?: RedisOptions | undefined;
  /** Key prefix for the counters. Defaults to 'facelive:quota:'. */
  readonly prefix?: string | undefined;
  /** How long one Redis command may take before the request gets 503. Defaults to 500 ms. */
  readonly commandTimeoutMs?: number | undefined;
  /** How often an unreachable Redis is probed. Defaults to 1000 ms. */
  readonly probeIntervalMs?: number | undefined;
  /** The Retry-After (s) of the 503 answered while Redis is unreachable. Defaults to 2. */
  readonly retryAfterS?: number | undefined;
  /** How long a reservation's ticket is kept (s). Defaults to 86400 (one day). */
  readonly ticketTtlS?: number | undefined;
  /** Where the store logs its state changes (reachable / unreachable). Defaults to one JSON line on stderr each. */
  readonly logger?: Logger | undefined;
}

type ScriptedRedis = Redis & {
  faceliveReserve(counter: string, ticket: string, limit: number, ttl: number): Promise<number>;
  faceliveRelease(counter: string, ticket: string, ttl: number): Promise<number>;
};

export type RedisState = 'up' | 'down';

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`Expected a positive number for ${name} but received ${describeValue(value)}.`);
  }
  return value;
}

function stderrLog(entry: object): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}

export class RedisQuotaStore implements QuotaStore {
  private readonly redis: ScriptedRedis;
  private readonly prefix: string;
  private readonly ownsClient: boolean;
  private readonly commandTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly retryAfterS: number;
  private readonly ticketTtlS: number;
  private readonly log: LogFunction;
  private state: RedisState = 'up';
  /** Releases that could not be sent: appId and ticket. */
  private readonly pending = new Map<string, string>();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private everReady = false;
  /** The wait for the first connection, while one is under way. */
  private firstConnection: Promise<void> | undefined;

  constructor(options: RedisQuotaStoreOptions = {}) {
    if (options.client !== undefined && options.url !== undefined) {
      throw new TypeError('RedisQuotaStore takes either client or url, not both.');
    }
    if (options.prefix !== undefined && (typeof options.prefix !== 'string' || options.prefix.length === 0)) {
      throw new TypeError(`Expected a non-empty string for prefix but received ${describeValue(options.prefix)}.`);
    }
    this.prefix = options.prefix ?? 'facelive:quota:';
    this.commandTimeoutMs = positive(options.commandTimeoutMs, 'commandTimeoutMs', 500);
    this.probeIntervalMs = positive(options.probeIntervalMs, 'probeIntervalMs', 1000);
    this.retryAfterS = positive(options.retryAfterS, 'retryAfterS', 2);
    this.ticketTtlS = Math.ceil(positive(options.ticketTtlS, 'ticketTtlS', 86_400));
    this.log = options.logger === undefined ? stderrLog : resolveLogger(options.logger);
    this.ownsClient = options.client === undefined;
    const redis =
      options.client ??
      new Redis(options.url ?? 'redis://127.0.0.1:6379', {
        // Fail fast instead of queueing or retrying: the caller answers 503 and the client retries later.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        commandTimeout: this.commandTimeoutMs,
        connectTimeout: Math.max(1000, this.commandTimeoutMs * 4),
        ...options.redisOptions,
      });
    redis.defineCommand('faceliveReserve', { numberOfKeys: 2, lua: RESERVE });
    redis.defineCommand('faceliveRelease', { numberOfKeys: 2, lua: RELEASE });
    // ioredis emits 'error' on every failed (re)connect; without a listener it prints each one.
    redis.on('error', (err: Error) => this.markDown(err));
    redis.on('ready', () => {
      this.everReady = true;
      this.probeSoon(0);
    });
    this.redis = redis as ScriptedRedis;
  }

  /** 'up' while Redis answers; 'down' after a failed command, until a probe succeeds. */
  get status(): RedisState {
    return this.state;
  }

  /** Releases waiting to be sent once Redis is back. */
  get pendingReleases(): number {
    return this.pending.size;
  }

  /**
   * Waits (at most the command timeout) for the first connection; afterwards a lost connection
   * fails commands at once (no offline queue) and the store goes down.
   */
  private async connected(): Promise<void> {
    const status = this.redis.status;
    if (status === 'ready' || this.everReady || status === 'end' || status === 'close') return;
    // One wait shared by every command that arrives meanwhile (one 'ready' listener, not one each:
    // a burst of requests while Redis is unreachable at start-up would otherwise pile them up).
    this.firstConnection ??= new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        this.firstConnection = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.commandTimeoutMs);
      this.redis.once('ready', done);
    });
    await this.firstConnection;
  }

  private key(appId: string): string {
    return this.prefix + appId;
  }

  private ticketKey(ticket: string | undefined): string {
    return ticket === undefined ? '' : `${this.prefix}ticket:${ticket}`;
  }

  private unavailable(cause?: unknown): FaceliveError {
    return new FaceliveError('SERVICE_UNAVAILABLE', 'The quota store is unreachable; retry shortly.', { cause, retryAfterS: this.retryAfterS });
  }

  private markDown(err: unknown): void {
    if (this.closed) return;
    if (this.state === 'up') {
      this.state = 'down';
      const error = err as { name?: string; code?: string; message?: string };
      this.log({ level: 'error', msg: 'quota store unreachable', store: 'redis', cause: error?.code ?? error?.name, error: error?.message });
    }
    this.probeSoon(this.probeIntervalMs);
  }

  private probeSoon(delayMs: number): void {
    if (this.closed || this.state === 'up' || this.probing) return;
    if (this.probeTimer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.probeTimer);
    }
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      void this.probe();
    }, delayMs);
    this.probeTimer.unref();
  }

  /** PING, then send the kept releases; up only when all went through. */
  private async probe(): Promise<void> {
    if (this.closed || this.state === 'up') return;
    this.probing = true;
    try {
      await this.redis.ping();
      await this.flushPending();
      if (this.closed) return;
      this.state = 'up';
      this.log({ level: 'info', msg: 'quota store reachable again', store: 'redis' });
    } catch {
      // Still down; the next probe tries again.
    } finally {
      this.probing = false;
      if (this.state === 'down') this.probeSoon(this.probeIntervalMs);
    }
  }

  private async flushPending(): Promise<void> {
    for (const [ticket, appId] of [...this.pending]) {
      await this.redis.faceliveRelease(this.key(appId), this.ticketKey(ticket), this.ticketTtlS);
      this.pending.delete(ticket);
    }
  }

  async reserve(appId: string, limit: number, ticket?: string): Promise<boolean> {
    if (this.state === 'down' || this.closed) throw this.unavailable();
    try {
      await this.connected();
      return (await this.redis.faceliveReserve(this.key(appId), this.ticketKey(ticket), limit, this.ticketTtlS)) === 1;
    } catch (err) {
      // The reservation may still happen (a lost answer): release its ticket once Redis is back.
      if (ticket !== undefined) this.pending.set(ticket, appId);
      this.markDown(err);
      throw this.unavailable(err);
    }
  }

  async refund(appId: string, ticket?: string): Promise<void> {
    if (ticket !== undefined && (this.state === 'down' || this.closed)) {
      this.pending.set(ticket, appId);
      return;
    }
    try {
      await this.connected();
      await this.redis.faceliveRelease(this.key(appId), this.ticketKey(ticket), this.ticketTtlS);
    } catch (err) {
      if (ticket === undefined) throw this.unavailable(err);
      this.pending.set(ticket, appId);
      this.markDown(err);
    }
  }

  /** True when Redis answers a PING within the command timeout. */
  async available(): Promise<boolean> {
    if (this.state === 'down' || this.closed) return false;
    try {
      await this.connected();
      await this.redis.ping();
      return true;
    } catch (err) {
      this.markDown(err);
      return false;
    }
  }

  /**
   * Sends one raw command (for rate-limit-redis's `sendCommand`). Fails at once while the store is
   * down, so rate limiting never waits on an unreachable Redis.
   */
  async sendCommand(...args: string[]): Promise<unknown> {
    if (this.state === 'down' || this.closed) throw this.unavailable();
    try {
      await this.connected();
      return await this.redis.call(args[0], ...args.slice(1));
    } catch (err) {
      if (!(err instanceof Error && /^(NOSCRIPT|ERR|WRONGTYPE)/.test(err.message))) this.markDown(err);
      throw err;
    }
  }

  async used(appId: string): Promise<number> {
    await this.connected();
    return Number((await this.redis.get(this.key(appId))) ?? 0);
  }

  async reset(appId?: string): Promise<void> {
    await this.connected();
    if (appId !== undefined) {
      await this.redis.del(this.key(appId));
      return;
    }
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 100);
      if (keys.length > 0) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  /**
   * Tries once to send the kept releases, stops probing, and closes the connection when this store
   * opened it. Never rejects: a Redis that is down is disconnected without waiting.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.size > 0 && this.state === 'up') await this.flushPending().catch(() => undefined);
    this.closed = true;
    if (this.probeTimer !== undefined) clearTimeout(this.probeTimer);
    if (!this.ownsClient) return;
    if (this.redis.status === 'ready') {
      try {
        await this.redis.quit();
        return;
      } catch {
        // Fall through to disconnect.
      }
    }
    this.redis.disconnect();
  }
}
