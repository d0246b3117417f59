// The service's config file (FACELIVE_CONFIG, a JSON file): its shape, and the checks that refuse a
// bad key by name before anything starts. Errors never quote the file's text, which may hold secrets.

import { readFileSync } from 'node:fs';
import { MAX_TIMER_MS } from '../core/limits';
import type { ListedCredential } from '../middleware';
import type { FaceLivenessOptions } from '../middleware/options';
import { jsonErrorOffset } from './json-error-offset';

/** The middleware options the service's config file passes through as they are (documented there). */
type PassedThrough = 'limits' | 'flags' | 'maxInFlight' | 'maxQueue' | 'queueTimeoutMs' | 'requestTimeoutMs' | 'authFailures' | 'rateLimit';

/** The FACELIVE_CONFIG file's shape. */
export interface ServerConfig extends Pick<FaceLivenessOptions, PassedThrough> {
  /** Credentials; when absent or empty a development pair is generated. */
  readonly credentials?: readonly ListedCredential[];
  /** Where testing-mode quota is counted. Defaults to 'memory'. */
  readonly quotaStore?: 'memory' | 'redis';
  /** Redis URL for quotaStore 'redis'. Defaults to redis://127.0.0.1:6379. */
  readonly redisUrl?: string;
  /** Model pack directory. Defaults to the built-in pack. */
  readonly pack?: string;
  /** Run the liveness and pose models in worker threads (the engine option). Defaults to true, false where the process may use one CPU. */
  readonly workerThreads?: boolean;
  /** Allow URL images on non-public addresses. Defaults to false. */
  readonly allowPrivateNetwork?: boolean;
  /** Serve Prometheus metrics at GET /metrics. Defaults to false. */
  readonly metrics?: boolean;
  /** Serve GET /metrics on this port (plus NODE_APP_INSTANCE) instead of the API's; 0 for any free port. Defaults to the API's port. */
  readonly metricsPort?: number;
  /** Timeout of one Redis command, in ms, before the request gets 503. Defaults to 500. */
  readonly redisCommandTimeoutMs?: number;
  /** How long a graceful shutdown waits for running checks, in ms. Defaults to 10000. */
  readonly shutdownTimeoutMs?: number;
  /** Honour X-Forwarded-For from this many proxy hops (Express 'trust proxy'), so the cool-down sees client addresses. Defaults to 0. */
  readonly trustProxy?: number;
}

const CONFIG_KEYS: readonly string[] = [
  'credentials',
  'limits',
  'flags',
  'quotaStore',
  'redisUrl',
  'pack',
  'workerThreads',
  'allowPrivateNetwork',
  'metrics',
  'metricsPort',
  'maxInFlight',
  'maxQueue',
  'queueTimeoutMs',
  'requestTimeoutMs',
  'authFailures',
  'rateLimit',
  'redisCommandTimeoutMs',
  'shutdownTimeoutMs',
  'trustProxy',
];
const NUMBER_KEYS: readonly string[] = ['metricsPort', 'maxInFlight', 'maxQueue', 'queueTimeoutMs', 'requestTimeoutMs', 'redisCommandTimeoutMs', 'shutdownTimeoutMs', 'trustProxy'];

/** Checks a parsed config file; a bad key is an Error naming it. */
export function checkConfig(value: unknown, source = 'config'): ServerConfig {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`${source} must be a JSON object.`);
  const config = value as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.includes(key)) throw new TypeError(`${source} has an unknown key "${key}"; known keys: ${CONFIG_KEYS.join(', ')}.`);
  }
  if (config.credentials !== undefined && !Array.isArray(config.credentials)) throw new TypeError(`${source}.credentials must be an array.`);
  if (config.quotaStore !== undefined && config.quotaStore !== 'memory' && config.quotaStore !== 'redis') {
    throw new TypeError(`${source}.quotaStore must be "memory" or "redis".`);
  }
  if (config.redisUrl !== undefined && (typeof config.redisUrl !== 'string' || !/^(rediss?:\/\/|\/)/.test(config.redisUrl))) {
    throw new TypeError(`${source}.redisUrl must be a redis:// or rediss:// URL (or the absolute path of a Unix socket).`);
  }
  if (config.pack !== undefined && typeof config.pack !== 'string') throw new TypeError(`${source}.pack must be a string.`);
  if (config.workerThreads !== undefined && typeof config.workerThreads !== 'boolean') throw new TypeError(`${source}.workerThreads must be a boolean.`);
  if (config.allowPrivateNetwork !== undefined && typeof config.allowPrivateNetwork !== 'boolean') throw new TypeError(`${source}.allowPrivateNetwork must be a boolean.`);
  if (config.metrics !== undefined && typeof config.metrics !== 'boolean') throw new TypeError(`${source}.metrics must be a boolean.`);
  for (const key of NUMBER_KEYS) {
    const value = config[key];
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) throw new TypeError(`${source}.${key} must be a non-negative integer.`);
  }
  if (typeof config.metricsPort === 'number' && config.metricsPort > 65535) throw new TypeError(`${source}.metricsPort must be a port number, 0 to 65535.`);
  if (config.metricsPort !== undefined && config.metrics === false) throw new TypeError(`${source}.metricsPort serves the metrics that ${source}.metrics false turns off; give one.`);
  if (config.redisCommandTimeoutMs === 0) throw new TypeError(`${source}.redisCommandTimeoutMs must be at least 1.`);
  for (const key of ['redisCommandTimeoutMs', 'shutdownTimeoutMs']) {
    const value = config[key];
    if (typeof value === 'number' && value > MAX_TIMER_MS) throw new TypeError(`${source}.${key} must be at most ${MAX_TIMER_MS} (a longer Node.js timer fires at once).`);
  }
  if (config.limits !== undefined && (config.limits === null || typeof config.limits !== 'object' || Array.isArray(config.limits))) {
    throw new TypeError(`${source}.limits must be an object.`);
  }
  if (config.redisUrl !== undefined && config.quotaStore !== 'redis') throw new TypeError(`${source}.redisUrl is used only with quotaStore "redis".`);
  const limitsAllow = (config.limits as Record<string, unknown> | undefined)?.allowPrivateNetwork;
  if (config.allowPrivateNetwork !== undefined && limitsAllow !== undefined && limitsAllow !== config.allowPrivateNetwork) {
    throw new TypeError(`${source}.allowPrivateNetwork and ${source}.limits.allowPrivateNetwork disagree; give one.`);
  }
  for (const key of ['authFailures', 'rateLimit']) {
    const value = config[key];
    if (value !== undefined && value !== false && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new TypeError(`${source}.${key} must be false or an object {limit, windowMs}.`);
    }
  }
  return config as ServerConfig;
}

/** Reads FACELIVE_CONFIG (a JSON file path) from the environment; {} when unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const file = env.FACELIVE_CONFIG;
  if (file === undefined || file === '') return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`FACELIVE_CONFIG: cannot read ${file} (${(err as Error).message}).`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Only where: the parser's message quotes the file's text, which may be a secret.
    const offset = jsonErrorOffset(text);
    if (offset === undefined) throw new Error(`FACELIVE_CONFIG: ${file} is not valid JSON.`);
    const line = text.slice(0, offset).split('\n').length;
    const column = offset - text.lastIndexOf('\n', offset - 1);
    const where = offset >= text.length ? `it ends too soon, at line ${line}, column ${column}` : `at line ${line}, column ${column}`;
    throw new Error(`FACELIVE_CONFIG: ${file} is not valid JSON (${where}).`);
  }
  return checkConfig(parsed, 'FACELIVE_CONFIG');
}
