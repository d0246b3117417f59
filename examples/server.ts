// The service behind `npm start`: the middleware at POST /v1/face/liveness, GET /openapi.json,
// GET /healthz and the demo page at GET /. Configured from PORT and FACELIVE_CONFIG (a JSON file).
//
// Demo credentials: with no credentials configured, a development pair (live mode) is generated and
// printed once. The demo page has App-ID/API-Key fields; GET /demo-config.json fills them with the
// generated pair, but only for a browser on the same machine: the socket's peer is loopback, the
// request names a loopback host, and no proxy forwarded it (a reverse proxy on the same host makes
// every visitor's socket look like loopback). With configured credentials it answers 404.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import express, { type Express } from 'express';
import type { Engine } from '../core/engine-types';
import type { Limits } from '../core/limits';
import {
  type Credential,
  errorHandler,
  faceLiveness,
  type FaceLivenessRouter,
  type Logger,
  MemoryQuotaStore,
  metricsRouter,
  type QuotaStore,
  RedisQuotaStore,
} from '../middleware';
import { openApiDocument } from './openapi';

/** The FACELIVE_CONFIG file's shape. */
export interface ServerConfig {
  /** Credentials; when absent or empty a development pair is generated. */
  readonly credentials?: readonly Credential[];
  /** Input limits over the contract's defaults. */
  readonly limits?: Partial<Limits>;
  /** Where testing-mode quota is counted. Defaults to 'memory'. */
  readonly quotaStore?: 'memory' | 'redis';
  /** Redis URL for quotaStore 'redis'. Defaults to redis://127.0.0.1:6379. */
  readonly redisUrl?: string;
  /** Model pack directory. Defaults to the built-in pack. */
  readonly pack?: string;
  /** Allow URL images on non-public addresses. Defaults to false. */
  readonly allowPrivateNetwork?: boolean;
  /** Serve Prometheus metrics at GET /metrics. Defaults to false. */
  readonly metrics?: boolean;
}

/** createApp's input: the file's config plus what a program (or a test) may inject. */
export interface AppConfig extends ServerConfig {
  /** A ready engine to use instead of creating one from pack/limits. */
  readonly engine?: Engine;
  /** Structured log sink. Defaults to none (startServer logs JSON lines to stdout). */
  readonly logger?: Logger;
}

export interface FaceliveApp {
  readonly app: Express;
  /** The liveness router (ready() resolves once the engine is loaded). */
  readonly liveness: FaceLivenessRouter;
  /** The generated development credential, when none was configured. */
  readonly devCredential?: Credential;
  /** Disposes of what createApp created (the engine it loaded, a Redis connection). */
  close(): Promise<void>;
}

const CONFIG_KEYS: readonly string[] = ['credentials', 'limits', 'quotaStore', 'redisUrl', 'pack', 'allowPrivateNetwork', 'metrics'];

/** Static files of the demo page: kept in the source tree (plain tsc does not copy them). */
export function publicDir(): string {
  const candidates = [path.join(__dirname, '..', '..', 'examples', 'public'), path.join(__dirname, 'public')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0];
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/** Headers a proxy adds when it forwards a request: their presence means the peer is not the client. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'];

/** The Host header names this machine's loopback (guards against DNS rebinding from a web page). */
function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name === '127.0.0.1' || name === '[::1]';
}

/**
 * True when a request may receive the generated demo credentials: from loopback, addressed to a
 * loopback host, and not forwarded by a proxy.
 */
export function isLocalDemoCaller(req: { socket: { remoteAddress?: string }; headers: Record<string, unknown> }): boolean {
  if (!isLoopback(req.socket.remoteAddress)) return false;
  if (FORWARDING_HEADERS.some((name) => req.headers[name] !== undefined)) return false;
  return isLoopbackHost(typeof req.headers.host === 'string' ? req.headers.host : undefined);
}

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
  if (config.redisUrl !== undefined && typeof config.redisUrl !== 'string') throw new TypeError(`${source}.redisUrl must be a string.`);
  if (config.pack !== undefined && typeof config.pack !== 'string') throw new TypeError(`${source}.pack must be a string.`);
  if (config.allowPrivateNetwork !== undefined && typeof config.allowPrivateNetwork !== 'boolean') throw new TypeError(`${source}.allowPrivateNetwork must be a boolean.`);
  if (config.metrics !== undefined && typeof config.metrics !== 'boolean') throw new TypeError(`${source}.metrics must be a boolean.`);
  return config as ServerConfig;
}

/** Reads FACELIVE_CONFIG (a JSON file path) from the environment; {} when unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const file = env.FACELIVE_CONFIG;
  if (file === undefined || file === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`FACELIVE_CONFIG: cannot read ${file} as JSON (${(err as Error).message}).`);
  }
  return checkConfig(parsed, 'FACELIVE_CONFIG');
}

/** Builds the Express app. Throws (TypeError) on a bad config, before anything listens. */
export function createApp(config: AppConfig = {}): FaceliveApp {
  const configured = config.credentials ?? [];
  const devCredential: Credential | undefined =
    configured.length === 0 ? { appId: `dev-${randomBytes(4).toString('hex')}`, apiKey: randomBytes(24).toString('base64url'), mode: 'live' } : undefined;
  const credentials = devCredential !== undefined ? [devCredential] : configured;

  let redisStore: RedisQuotaStore | undefined;
  let quota: QuotaStore;
  if (config.quotaStore === 'redis') {
    redisStore = new RedisQuotaStore({ url: config.redisUrl });
    quota = redisStore;
  } else {
    quota = new MemoryQuotaStore();
  }

  const limits: Partial<Limits> = {
    ...config.limits,
    ...(config.allowPrivateNetwork !== undefined ? { allowPrivateNetwork: config.allowPrivateNetwork } : {}),
  };
  const liveness =
    config.engine !== undefined
      ? faceLiveness({ engine: config.engine, auth: { credentials }, quota, logger: config.logger })
      : faceLiveness({ engineOptions: { pack: config.pack }, limits, auth: { credentials }, quota, logger: config.logger });

  const app = express();
  app.disable('x-powered-by');
  app.use('/v1/face/liveness', liveness);
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  let engineState: 'loading' | 'ready' | 'failed' = 'loading';
  let pack: { name: string; version: string } | undefined;
  liveness.ready().then(
    (engine) => {
      engineState = 'ready';
      pack = { name: engine.pack.name, version: engine.pack.version };
    },
    () => {
      engineState = 'failed';
    },
  );
  app.get('/healthz', (_req, res) => {
    res.status(engineState === 'ready' ? 200 : 503).json({ status: engineState === 'ready' ? 'ok' : engineState, pack });
  });
  app.get('/demo-config.json', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (devCredential === undefined || !isLocalDemoCaller(req)) {
      res.status(404).json({ message: 'No development credentials to share.' });
      return;
    }
    res.json({ appId: devCredential.appId, apiKey: devCredential.apiKey });
  });
  if (config.metrics === true) app.use('/metrics', metricsRouter());
  app.use(express.static(publicDir(), { index: 'index.html' }));
  app.use(errorHandler({ logger: config.logger }));

  return {
    app,
    liveness,
    devCredential,
    close: async () => {
      await liveness.close();
      await redisStore?.close();
    },
  };
}

function stdoutLogger(entry: object): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}

/** Starts the service on PORT (default 3000) with FACELIVE_CONFIG; resolves once it listens. */
export async function startServer(env: NodeJS.ProcessEnv = process.env): Promise<{ server: Server; handle: FaceliveApp }> {
  const port = env.PORT === undefined || env.PORT === '' ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`PORT must be a port number, not ${String(env.PORT)}.`);
  const handle = createApp({ ...loadConfig(env), logger: stdoutLogger });
  if (handle.devCredential !== undefined) {
    process.stdout.write(
      `facelive: no credentials configured; generated a development pair for this run:\n` +
        `  App-ID:  ${handle.devCredential.appId}\n  API-Key: ${handle.devCredential.apiKey}\n` +
        `Set FACELIVE_CONFIG to a JSON file with "credentials" before exposing this server.\n`,
    );
  }
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = handle.app.listen(port, () => resolve(listening));
    listening.once('error', reject);
  });
  const address = server.address();
  const shownPort = typeof address === 'object' && address !== null ? address.port : port;
  stdoutLogger({ level: 'info', msg: 'facelive listening', port: shownPort });
  const shutdown = (): void => {
    server.close(() => {
      handle.close().finally(() => process.exit(0));
    });
    server.closeIdleConnections();
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return { server, handle };
}

if (require.main === module) {
  startServer().catch((err: unknown) => {
    process.stderr.write(`facelive: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
