// RedisQuotaStore: quota counters in Redis (ioredis), atomic through Lua scripts, shared by instances.

import Redis, { type RedisOptions } from 'ioredis';
import type { QuotaStore } from './quota';

/** Takes one unit when used < limit. KEYS[1] counter; ARGV[1] limit. Returns 1 when taken. */
const RESERVE = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
return 1
`;

/** Gives one unit back, never below zero. KEYS[1] counter. Returns the new count. */
const REFUND = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used <= 0 then return 0 end
return redis.call('DECR', KEYS[1])
`;

export interface RedisQuotaStoreOptions {
  /** An ioredis client to use (not closed by close()). Give this or `url`. */
  readonly client?: Redis;
  /** A redis:// URL to connect to (the connection is closed by close()). Defaults to redis://127.0.0.1:6379. */
  readonly url?: string;
  /** Extra ioredis options when connecting by URL. */
  readonly redisOptions?: RedisOptions;
  /** Key prefix for the counters. Defaults to 'facelive:quota:'. */
  readonly prefix?: string;
}

type ScriptedRedis = Redis & {
  faceliveReserve(key: string, limit: number): Promise<number>;
  faceliveRefund(key: string): Promise<number>;
};

export class RedisQuotaStore implements QuotaStore {
  private readonly redis: ScriptedRedis;
  private readonly prefix: string;
  private readonly ownsClient: boolean;

  constructor(options: RedisQuotaStoreOptions = {}) {
    if (options.client !== undefined && options.url !== undefined) {
      throw new TypeError('RedisQuotaStore takes either client or url, not both.');
    }
    if (options.prefix !== undefined && (typeof options.prefix !== 'string' || options.prefix.length === 0)) {
      throw new TypeError(`Expected a non-empty string for prefix but received ${String(options.prefix)}.`);
    }
    this.prefix = options.prefix ?? 'facelive:quota:';
    this.ownsClient = options.client === undefined;
    const redis = options.client ?? new Redis(options.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2, ...options.redisOptions });
    redis.defineCommand('faceliveReserve', { numberOfKeys: 1, lua: RESERVE });
    redis.defineCommand('faceliveRefund', { numberOfKeys: 1, lua: REFUND });
    this.redis = redis as ScriptedRedis;
  }

  private key(appId: string): string {
    return this.prefix + appId;
  }

  async reserve(appId: string, limit: number): Promise<boolean> {
    return (await this.redis.faceliveReserve(this.key(appId), limit)) === 1;
  }

  async refund(appId: string): Promise<void> {
    await this.redis.faceliveRefund(this.key(appId));
  }

  async used(appId: string): Promise<number> {
    return Number((await this.redis.get(this.key(appId))) ?? 0);
  }

  async reset(appId?: string): Promise<void> {
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

  /** Closes the connection when this store opened it. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.redis.quit();
  }
}
