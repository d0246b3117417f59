// faceLiveness() options: types, defaults, and their resolution (and checks) at construction.

import type { Engine, EngineOptions } from '../core/engine-types';
import { usableCpuCount } from '../core/cpu-count';
import { checkEngineOptions } from '../core/engine';
import { MAX_TIMER_MS, maxEncodedImageBytes, resolveLimits, type LimitOverrides, type Limits } from '../core/limits';
import type { CheckOptions } from '../core/options';
import { describeValue } from '../core/value-kind';
import { type AuthOption, type Authenticator, resolveAuth } from './auth';
import { defaultMetrics, FaceliveMetrics } from './metrics';
import { assertQuotaStore, MemoryQuotaStore, type QuotaStore } from './quota';
import type { AuthFailureLimit, CredentialRateLimit, RateLimitStoreFactory } from './rate-limit';
import { resolveServerFlags, type ServerFlags } from './server-flags';

export type Mode = 'respond' | 'annotate';

/** One structured log record. Never holds image data, request bodies or API keys. */
export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A function taking log entries, or a pino/bunyan-style object with info/warn/error(obj) methods. */
export type Logger =
  | ((entry: LogEntry) => void)
  | { info(entry: object): void; warn?(entry: object): void; error(entry: object): void };

export type LogFunction = (entry: LogEntry) => void;

export interface FaceLivenessOptions {
  /** A ready Engine (shared, not disposed by close()). Give this or `engineOptions`. */
  readonly engine?: Engine | undefined;
  /** Options for an Engine the middleware creates (and disposes of in close()). Defaults to {}. */
  readonly engineOptions?: EngineOptions | undefined;
  /** false, {credentials: [...]}, or a function (appId, apiKey, req). Required: the contract asks for auth unless turned off. */
  readonly auth: AuthOption;
  /** Quota store for testing-mode credentials. Defaults to a new MemoryQuotaStore. */
  readonly quota?: QuotaStore | undefined;
  /**
   * 'respond' answers with the contract's JSON (OPTIONS: 200 with Allow; a method other than POST or OPTIONS: 405 METHOD_NOT_ALLOWED);
   * 'annotate' sets req.faceLiveness and calls next(), leaving other methods to the app. Defaults to 'respond'.
   */
  readonly mode?: Mode | undefined;
  /** Input limits (merged into engineOptions.limits); not allowed with `engine`, whose limits apply. Defaults to the contract's. */
  readonly limits?: LimitOverrides | undefined;
  /**
   * Flags the server decides for every request (`{ validate_liveness: true }`): a body may leave them
   * out or give the same value; another value is refused (400 INVALID_PAYLOAD). A validation set true
   * sets its section (is_*) true too. Defaults to none: the body decides, as the contract has it.
   */
  readonly flags?: ServerFlags | undefined;
  /** Structured logs. Defaults to none. */
  readonly logger?: Logger | undefined;
  /** Where to record Prometheus metrics, or false for none. Defaults to defaultMetrics() (see metricsRouter()). */
  readonly metrics?: FaceliveMetrics | false | undefined;
  /** Checks that run at once; more wait in the queue. Defaults to the CPUs the process may use (a cgroup CPU quota counted). */
  readonly maxInFlight?: number | undefined;
  /** Requests that may wait for a slot; beyond it the answer is 503 SERVICE_UNAVAILABLE at once. Defaults to maxInFlight. */
  readonly maxQueue?: number | undefined;
  /** Longest wait in the queue before a 503 SERVICE_UNAVAILABLE, in ms. Defaults to 500. */
  readonly queueTimeoutMs?: number | undefined;
  /** Deadline of one request from arrival to answer, in ms; past it the answer is 503. Defaults to limits.urlTimeoutMs + 10000. */
  readonly requestTimeoutMs?: number | undefined;
  /** Cool-down for client addresses (req.ip) that fail authentication repeatedly (429), or false for none. Defaults to 10 failures a minute. */
  readonly authFailures?: AuthFailureLimit | false | undefined;
  /** Requests each App-ID may make per window (429 beyond), or false for no limit. Defaults to false. */
  readonly rateLimit?: CredentialRateLimit | false | undefined;
  /** Makes the stores of the two limiters (express-rate-limit Stores), for example redisRateLimitStores(redisQuota). Defaults to memory stores. */
  readonly rateLimitStore?: RateLimitStoreFactory | undefined;
}

/** Everything a request needs, decided once. */
export interface Configuration {
  /** The engine given, or the one being created. */
  readonly engine: Promise<Engine>;
  /** True when the middleware created the engine (and must dispose of it). */
  readonly ownsEngine: boolean;
  readonly authenticate: Authenticator | null;
  readonly quota: QuotaStore;
  readonly mode: Mode;
  readonly limits: Limits;
  /** The flags the server sets (empty: the body decides). */
  readonly flags: Readonly<Partial<CheckOptions>>;
  /** JSON body cap in bytes: base64 of limits.maxImageBytes plus room for line breaks, a data-URI prefix and the flags. */
  readonly jsonBodyLimit: number;
  readonly log: LogFunction;
  readonly metrics: FaceliveMetrics | null;
  readonly maxInFlight: number;
  readonly maxQueue: number;
  readonly queueTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly authFailures: Required<AuthFailureLimit> | null;
  readonly rateLimit: Required<CredentialRateLimit> | null;
  readonly rateLimitStore: RateLimitStoreFactory | null;
}

export const OPTION_KEYS: readonly (keyof FaceLivenessOptions)[] = [
  'engine',
  'engineOptions',
  'auth',
  'quota',
  'mode',
  'limits',
  'flags',
  'logger',
  'metrics',
  'maxInFlight',
  'maxQueue',
  'queueTimeoutMs',
  'requestTimeoutMs',
  'authFailures',
  'rateLimit',
  'rateLimitStore',
];

/** Defaults of the back-pressure and abuse options. */
// 500 ms: a request that waits longer for a slot is better refused at once (Retry-After), which keeps
// every answer under 2 s on a 2-core machine under 64 clients (docs/reliability.md).
export const DEFAULT_QUEUE_TIMEOUT_MS = 500;
export const DEFAULT_AUTH_FAILURES: Required<AuthFailureLimit> = Object.freeze({ limit: 10, windowMs: 60_000 });
export const DEFAULT_RATE_WINDOW_MS = 60_000;

/**
 * The default number of checks in flight: one per CPU the process may use, counting a cgroup CPU
 * quota (a 1-CPU container on a 16-core machine gets 1, not 16). Read when the options are resolved.
 */
export function defaultMaxInFlight(): number {
  return usableCpuCount();
}

function integerOption(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TypeError(`Expected an integer of at least ${min} for ${name} but received ${describeValue(value)}.`);
  }
  return value;
}

/** A duration in ms that a Node.js timer can wait: a longer one would fire at once (after 1 ms). */
function timerOption(value: unknown, name: string): number {
  const ms = integerOption(value, name, 1);
  if (ms > MAX_TIMER_MS) throw new TypeError(`Expected at most ${MAX_TIMER_MS} ms (about 24.8 days) for ${name} but received ${ms}.`);
  return ms;
}

function limitOption<T extends { limit?: number; windowMs?: number }>(value: unknown, name: string, defaults: { limit?: number; windowMs: number }): Required<T> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`Expected false or an object {limit, windowMs} for ${name} but received ${describeValue(value)}.`);
  }
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (key !== 'limit' && key !== 'windowMs') throw new TypeError(`Unknown key ${name}.${key}; ${name} takes {limit, windowMs}.`);
  }
  if (given.limit === undefined && defaults.limit === undefined) throw new TypeError(`${name} needs a limit (requests per window).`);
  return {
    limit: integerOption(given.limit ?? defaults.limit, `${name}.limit`, 1),
    windowMs: timerOption(given.windowMs ?? defaults.windowMs, `${name}.windowMs`),
  } as Required<T>;
}

const MODES: Readonly<Record<Mode, true>> = Object.freeze({ respond: true, annotate: true });

/** Edit distance, for "did you mean" hints on misspelt option names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function unknownKey(key: string): TypeError {
  const guess = OPTION_KEYS.map((name) => ({ name, d: distance(key, name) })).sort((x, y) => x.d - y.d)[0];
  const hint = guess !== undefined && guess.d <= 3 ? ` Did you mean "${guess.name}"?` : '';
  return new TypeError(`faceLiveness() got an unknown option "${key}".${hint} Known options: ${OPTION_KEYS.join(', ')}.`);
}

/** JSON body cap derived from the image byte cap: the image as base64 and the body's other fields (core's maxEncodedImageBytes). */
export function jsonBodyLimitFor(maxImageBytes: number): number {
  return maxEncodedImageBytes(maxImageBytes);
}

/** The logger option as one function; a throwing logger never breaks a request. */
export function resolveLogger(logger: unknown, name = 'logger'): LogFunction {
  if (logger === undefined) return () => undefined;
  let sink: LogFunction;
  if (typeof logger === 'function') {
    sink = logger as LogFunction;
  } else if (logger !== null && typeof logger === 'object' && typeof (logger as { info?: unknown }).info === 'function' && typeof (logger as { error?: unknown }).error === 'function') {
    const target = logger as { info(entry: object): void; warn?(entry: object): void; error(entry: object): void };
    // The method called is the level: the entry goes without its own `level`, which a pino-style
    // logger writes itself (pino's is a number: a second `level` key would replace it in the line).
    sink = ({ level, ...rest }) => {
      if (level === 'error') target.error(rest);
      else if (level === 'warn' && typeof target.warn === 'function') target.warn(rest);
      else target.info(rest);
    };
  } else {
    throw new TypeError(`Expected a function or an object with info() and error() methods for ${name} but received ${describeValue(logger)}.`);
  }
  return (entry) => {
    try {
      sink(entry);
    } catch {
      // Logging must never change an answer.
    }
  };
}

function isEngine(value: unknown): value is Engine {
  const candidate = value as Partial<Engine> | null;
  return candidate !== null && typeof candidate === 'object' && typeof candidate.checkRequest === 'function' && typeof candidate.limits === 'object';
}

/**
 * Checks every option and builds the Configuration. `createEngine` is injected so this module
 * does not load the models unless an engine has to be created.
 * @throws TypeError naming the first bad option.
 */
export function resolveOptions(options: unknown, createEngine: (options: EngineOptions) => Promise<Engine>): Configuration {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`Expected an options object for faceLiveness(options) but received ${describeValue(options)}.`);
  }
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<FaceLivenessOptions>;
  for (const key of Object.keys(given)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) throw unknownKey(key);
  }
  if (!('auth' in given)) {
    throw new TypeError('faceLiveness() needs the auth option: {credentials: [...]}, a function (appId, apiKey, req), or false to turn auth off.');
  }
  const authenticate = resolveAuth(given.auth);

  const mode = given.mode ?? 'respond';
  if (typeof mode !== 'string' || !Object.prototype.hasOwnProperty.call(MODES, mode)) {
    throw new TypeError(`Expected 'respond' or 'annotate' for mode but received ${describeValue(mode)}.`);
  }

  const flags = resolveServerFlags(given.flags);

  const quota = given.quota ?? new MemoryQuotaStore();
  assertQuotaStore(quota, 'quota');

  let metrics: FaceliveMetrics | null;
  if (given.metrics === false) metrics = null;
  else if (given.metrics === undefined) metrics = defaultMetrics();
  else if (given.metrics instanceof FaceliveMetrics) metrics = given.metrics;
  else throw new TypeError('Expected a FaceliveMetrics or false for metrics.');

  const log = resolveLogger(given.logger);

  // The engine is created last, once every option has been checked: a refused faceLiveness() must
  // not leave a loaded engine (its sessions and threads) behind that nothing can dispose of.
  let startEngine: () => Promise<Engine>;
  let limits: Limits;
  let ownsEngine = false;
  if (given.engine !== undefined) {
    if (!isEngine(given.engine)) throw new TypeError('Expected an Engine from createEngine() for engine.');
    if (given.engineOptions !== undefined) throw new TypeError('Give engine or engineOptions, not both.');
    if (given.limits !== undefined) throw new TypeError('limits cannot be given with engine: pass them to createEngine({limits}) instead.');
    limits = given.engine.limits;
    const ready = given.engine;
    startEngine = () => Promise.resolve(ready);
  } else {
    const engineOptions = given.engineOptions ?? {};
    if (engineOptions === null || typeof engineOptions !== 'object' || Array.isArray(engineOptions)) {
      throw new TypeError(`Expected an object for engineOptions but received ${describeValue(engineOptions)}.`);
    }
    if (given.limits !== undefined && (given.limits === null || typeof given.limits !== 'object' || Array.isArray(given.limits))) {
      throw new TypeError(`Expected an object for limits but received ${describeValue(given.limits)}.`);
    }
    limits = resolveLimits({ ...engineOptions.limits, ...given.limits });
    // Every engine option (the pack's manifest and the thresholds included) is checked now, not
    // when the engine loads: a bad one would otherwise answer every request 500.
    checkEngineOptions({ ...engineOptions, limits });
    ownsEngine = true;
    const engineLimits = limits;
    startEngine = () => {
      const created = createEngine({ ...engineOptions, limits: engineLimits });
      // A failed engine is reported per request (500) and logged once here; never an unhandled rejection.
      created.catch((err: unknown) => log({ level: 'error', msg: 'engine failed to load', cause: (err as Error)?.name, error: (err as Error)?.message }));
      return created;
    };
  }

  const maxInFlight = given.maxInFlight === undefined ? defaultMaxInFlight() : integerOption(given.maxInFlight, 'maxInFlight', 1);
  const maxQueue = given.maxQueue === undefined ? maxInFlight : integerOption(given.maxQueue, 'maxQueue', 0);
  const queueTimeoutMs = given.queueTimeoutMs === undefined ? DEFAULT_QUEUE_TIMEOUT_MS : timerOption(given.queueTimeoutMs, 'queueTimeoutMs');
  const requestTimeoutMs =
    given.requestTimeoutMs === undefined ? Math.min(limits.urlTimeoutMs + 10_000, MAX_TIMER_MS) : timerOption(given.requestTimeoutMs, 'requestTimeoutMs');
  const authFailures =
    given.authFailures === false ? null : limitOption<AuthFailureLimit>(given.authFailures === undefined ? {} : given.authFailures, 'authFailures', DEFAULT_AUTH_FAILURES);
  const rateLimit =
    given.rateLimit === undefined || given.rateLimit === false ? null : limitOption<CredentialRateLimit>(given.rateLimit, 'rateLimit', { windowMs: DEFAULT_RATE_WINDOW_MS });
  if (rateLimit !== null && given.auth === false) throw new TypeError('rateLimit counts requests per credential, so it needs auth (auth is false).');
  if (given.rateLimitStore !== undefined && typeof given.rateLimitStore !== 'function') {
    throw new TypeError('Expected a function (name) => Store for rateLimitStore, such as redisRateLimitStores(redisQuota).');
  }

  return Object.freeze({
    engine: startEngine(),
    ownsEngine,
    authenticate,
    quota,
    mode,
    limits,
    flags,
    jsonBodyLimit: jsonBodyLimitFor(limits.maxImageBytes),
    log,
    metrics,
    maxInFlight,
    maxQueue,
    queueTimeoutMs,
    requestTimeoutMs,
    authFailures,
    rateLimit,
    rateLimitStore: given.rateLimitStore ?? null,
  });
}
