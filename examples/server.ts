// The service behind `npm start`: the middleware at POST /v1/face/liveness, GET /openapi.json,
// GET /healthz (liveness), GET /healthz/ready (readiness: engine, quota store, not shutting down)
// and the demo page at GET /; its other routes and its 404 take no body (bodiless-routes.ts).
// Configured from PORT and FACELIVE_CONFIG (a JSON file). Its log goes to
// standard output, its notes to standard error; either may close or fail without stopping it. SIGTERM or
// SIGINT stops it gracefully: no new connections, queued requests 503, running checks finish
// (at most shutdownTimeoutMs), then the engine and the Redis connection are closed and it exits 0.
// A second SIGTERM is ignored; a second SIGINT exits at once (130). Started with an IPC channel (PM2,
// a node:cluster worker), it sends the message 'ready' once its engine is ready (PM2's wait_ready).
// An engine that fails to load stops it with exit status 1 and the reason on stderr.
//
// Demo credentials: with no credentials configured, a development pair (live mode) is generated and
// printed once. The demo page has App-ID/API-Key fields; GET /demo-config.json fills them with the
// generated pair, but only for a browser on the same machine: the socket's peer is loopback, the
// request names a loopback host, and no proxy forwarded it (a reverse proxy on the same host makes
// every visitor's socket look like loopback). Anyone else, and everyone with configured
// credentials, gets {}: the page then asks for credentials.

import { exitOnStopSignals, exitOnStopSignalsDone } from './early-signals';
// Started as a program: a stop signal is handled from here on, before the rest of the service loads.
if (require.main === module) exitOnStopSignals();

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Engine } from '../core/engine-types';
import type { Limits } from '../core/limits';
import {
  closeSilentConnections,
  type Credential,
  deferContinue,
  errorHandler,
  faceLiveness,
  type FaceLivenessRouter,
  type Logger,
  MemoryQuotaStore,
  metricsRouter,
  type QuotaStore,
  RedisQuotaStore,
  redisRateLimitStores,
  toContractError,
} from '../middleware';
import { dropUnwantedBodies, notFound } from './bodiless-routes';
import { clusterNotes, isClusterWorker } from './cluster-notes';
import { sendReady } from './ready-message';
import { isLocalDemoCaller } from './demo-caller';
import { openApiDocument } from './openapi';
import { portFromEnv } from './port';
import { securityHeaders } from './security-headers';
import { loadConfig, type ServerConfig } from './service-config';
import { serviceOutput } from './service-output';
import { thresholdPackRefusal } from './threshold-packs';
import { listenForMetrics, metricsPortFor } from './metrics-listener';

export interface AppConfig extends ServerConfig {
  /** A ready engine to use instead of creating one from pack/limits/workerThreads. */
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
  /** The quota store in use (a RedisQuotaStore with quotaStore 'redis'). */
  readonly quota: QuotaStore;
  /**
   * Stops gracefully: queued and new requests get 503, running checks finish (at most
   * `timeoutMs`, default the config's shutdownTimeoutMs), then what createApp created (the engine
   * it loaded, the Redis connection) is closed. Never rejects, also when the engine failed to load.
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
}

/** How long a stopping service keeps idle keep-alive connections open, answering 503 on them. */
const IDLE_CONNECTION_GRACE_MS = 500;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Requests one keep-alive connection may carry before the service closes it (server.maxRequestsPerSocket). */
export const MAX_REQUESTS_PER_CONNECTION = 100;

/**
 * Static files of the demo page, in `demo/` at the package root: kept in the source tree (plain tsc
 * does not copy them) and out of `examples/`, which Node-RED lists under Import > Examples.
 */
export function publicDir(): string {
  return path.join(__dirname, '..', '..', 'demo');
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
    redisStore = new RedisQuotaStore({ url: config.redisUrl, commandTimeoutMs: config.redisCommandTimeoutMs, logger: config.logger });
    quota = redisStore;
  } else {
    quota = new MemoryQuotaStore();
  }

  const limits: Partial<Limits> = {
    ...config.limits,
    ...(config.allowPrivateNetwork !== undefined ? { allowPrivateNetwork: config.allowPrivateNetwork } : {}),
  };
  const common = {
    auth: { credentials },
    quota,
    logger: config.logger,
    maxInFlight: config.maxInFlight,
    maxQueue: config.maxQueue,
    queueTimeoutMs: config.queueTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    authFailures: config.authFailures,
    rateLimit: config.rateLimit,
    flags: config.flags,
    rateLimitStore: redisStore !== undefined ? redisRateLimitStores(redisStore) : undefined,
  };
  let liveness: FaceLivenessRouter;
  try {
    liveness =
      config.engine !== undefined
        ? faceLiveness({ ...common, engine: config.engine })
        : faceLiveness({ ...common, engineOptions: { pack: config.pack, workerThreads: config.workerThreads }, limits });
  } catch (err) {
    redisStore?.close().catch(() => undefined);
    throw err;
  }

  const app = express();
  app.disable('x-powered-by');
  // Security headers on every answer: above all, no other site may frame the demo page, which holds
  // an API key (a see-through frame could make a visitor spend a credential's quota).
  app.use(securityHeaders());
  if (config.trustProxy !== undefined && config.trustProxy > 0) app.set('trust proxy', config.trustProxy);
  app.use('/v1/face/liveness', liveness);
  // Every other route takes no body: one sent anyway is dropped, or the answer ends the connection.
  app.use(dropUnwantedBodies());
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  let loadState: 'loading' | 'ready' | 'failed' = 'loading';
  let loaded: Engine | undefined;
  liveness.ready().then(
    (engine) => {
      loadState = 'ready';
      loaded = engine;
    },
    () => {
      loadState = 'failed';
    },
  );
  /** The engine's state now: a loaded engine whose model worker has exited has failed too. */
  const engineState = (): { state: 'loading' | 'ready' | 'failed'; reason?: string } => {
    const failure = loaded?.failure();
    return failure ? { state: 'failed', reason: failure } : { state: loadState };
  };
  const packOf = (engine: Engine | undefined): { name: string; version: string } | undefined => engine && { name: engine.pack.name, version: engine.pack.version };
  // Liveness: the process answers; 503 only when the engine failed to load (startServer then exits)
  // or can no longer run a model (a restart is the cure).
  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const { state, reason } = engineState();
    res.status(state === 'failed' ? 503 : 200).json({ status: state === 'failed' ? 'failed' : 'ok', engine: state, ...(reason ? { reason } : {}), pack: packOf(loaded) });
  });
  // Readiness: send traffic here only when the engine is loaded, the quota store answers and no shutdown is under way.
  app.get('/healthz/ready', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    let storeAvailable = true;
    try {
      storeAvailable = quota.available === undefined ? true : await quota.available();
    } catch {
      storeAvailable = false;
    }
    const load = liveness.load();
    const { state } = engineState();
    const ready = state === 'ready' && storeAvailable && !load.draining;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not ready',
      engine: state,
      quota_store: { kind: redisStore !== undefined ? 'redis' : 'memory', available: storeAvailable },
      draining: load.draining,
      in_flight: load.inFlight,
      queued: load.queued,
      fetching: load.fetching,
      pack: packOf(loaded),
    });
  });
  app.get('/demo-config.json', (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    // Nothing to share is an empty object, not a 404: the page asks for every load, and browsers log
    // a failed load as a console error (with configured credentials: on every visit).
    if (devCredential === undefined || !isLocalDemoCaller(req)) {
      res.json({});
      return;
    }
    res.json({ appId: devCredential.appId, apiKey: devCredential.apiKey });
  });
  // On a port of its own when metricsPort is given (listenAndServe starts it).
  if (config.metrics === true && config.metricsPort === undefined) app.use('/metrics', metricsRouter());
  app.use(express.static(publicDir(), { index: 'index.html' }));
  app.use(notFound());
  // Every route here is the service's own: any error they hand on gets the contract's body too
  // (errorHandler() alone answers facelive's errors only and hands the rest on).
  app.use(((err, _req, _res, next) => next(toContractError(err))) as ErrorRequestHandler);
  app.use(errorHandler({ logger: config.logger }));

  let closing: Promise<void> | undefined;
  const closeAll = async (timeoutMs: number): Promise<void> => {
    try {
      await liveness.close({ timeoutMs });
    } finally {
      await redisStore?.close().catch(() => undefined);
    }
  };
  return {
    app,
    liveness,
    devCredential,
    quota,
    close: (options = {}) => {
      closing ??= closeAll(options.timeoutMs ?? config.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
      return closing;
    },
  };
}

/** Writes a log entry to standard output; a closed or failing standard output drops it (service-output.ts). */
function stdoutLogger(entry: object): void {
  serviceOutput().log.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}

/**
 * Starts the service on PORT (default 3000) and HOST (default every interface; loopback only while it
 * runs on a generated development pair) with FACELIVE_CONFIG; resolves once it listens.
 */
export async function startServer(env: NodeJS.ProcessEnv = process.env): Promise<{ server: Server; handle: FaceliveApp }> {
  // Until the graceful shutdown is in place, a stop signal ends the start-up at once.
  exitOnStopSignals();
  try {
    return await listenAndServe(env);
  } finally {
    exitOnStopSignalsDone();
  }
}

async function listenAndServe(env: NodeJS.ProcessEnv): Promise<{ server: Server; handle: FaceliveApp }> {
  const port = portFromEnv(env.PORT, 3000);
  const { notes } = serviceOutput();
  const loadedConfig = loadConfig(env);
  const handle = createApp({ ...loadedConfig, logger: stdoutLogger });
  // Standard output carries the log, one JSON entry a line; what is written for the person who started
  // the service (a generated pair, where it listens, its URLs) goes to standard error.
  if (handle.devCredential !== undefined) {
    notes.write(
      `facelive: no credentials configured; generated a development pair for this run:\n` +
        `  App-ID:  ${handle.devCredential.appId}\n  API-Key: ${handle.devCredential.apiKey}\n` +
        `Set FACELIVE_CONFIG to a JSON file with "credentials" before exposing this server.\n`,
    );
  }
  // One of several workers behind one port: a generated pair and per-process counts do not add up.
  const { pairNote, limitsWarning, metricsWarning } = clusterNotes({ ...loadedConfig, isWorker: isClusterWorker(), generatedPair: handle.devCredential !== undefined });
  if (pairNote !== undefined) notes.write(pairNote);
  if (limitsWarning !== undefined) stdoutLogger({ level: 'warn', msg: limitsWarning });
  if (metricsWarning !== undefined) stdoutLogger({ level: 'warn', msg: metricsWarning });
  // A development pair is for this machine: without a HOST of its own choosing the service then
  // listens on loopback only, so that no one else can reach it (nor /demo-config.json through a
  // forwarder or proxy that adds no forwarding header).
  const chosenHost = env.HOST === undefined || env.HOST === '' ? undefined : env.HOST;
  const host = chosenHost ?? (handle.devCredential !== undefined ? '127.0.0.1' : undefined);
  if (chosenHost === undefined && host !== undefined) {
    notes.write(`facelive: listening on ${host} only while it runs on the development pair (set HOST to choose).\n`);
  }
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      // Express 5 calls back with the server's 'error' too (a port in use, a host that does not resolve).
      const onListen = (err?: Error): void => (err ? reject(err) : resolve(listening));
      const listening = host === undefined ? handle.app.listen(port, onListen) : handle.app.listen(port, host, onListen);
    });
  } catch (err) {
    await handle.close({ timeoutMs: 0 });
    throw new Error(`cannot listen on ${host ?? 'every interface'} port ${port}: ${(err as Error).message}`);
  }
  // A client that sends requests back to back on one connection and never reads the answers makes
  // Node keep every answer in memory (50 such connections: +2 GB). Past this many requests a
  // connection is closed after its answer (and answers 503 to requests already sent on it).
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_CONNECTION;
  // "100 Continue" only once a request is admitted: a refused client never uploads its image.
  deferContinue(server);
  // A connection that never sends a whole request is closed after the header timeout (Node left it open).
  closeSilentConnections(server);
  const address = server.address();
  const shownPort = typeof address === 'object' && address !== null ? address.port : port;
  stdoutLogger({ level: 'info', msg: 'facelive listening', port: shownPort });
  if (loadedConfig.metricsPort !== undefined) {
    let metricsServer: Server;
    try {
      metricsServer = await listenForMetrics(metricsPortFor(loadedConfig.metricsPort, env), host);
    } catch (err) {
      server.close();
      await handle.close({ timeoutMs: 0 });
      throw err;
    }
    const metricsAddress = metricsServer.address();
    stdoutLogger({ level: 'info', msg: 'facelive metrics listening', port: typeof metricsAddress === 'object' && metricsAddress !== null ? metricsAddress.port : undefined });
  }
  const base = `http://localhost:${shownPort}`;
  notes.write(
    `facelive: listening on ${base}\n` +
      `  demo page:        ${base}/\n` +
      `  OpenAPI document: ${base}/openapi.json\n` +
      `  API:              POST ${base}/v1/face/liveness\n`,
  );
  const config = loadedConfig;
  let stopping = false;
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
  });
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    stdoutLogger({ level: 'info', msg: 'facelive shutting down', signal });
    // No new connections. http.Server's close() would also close the idle keep-alive connections at
    // once, meeting requests their clients were sending on them right then (ECONNRESET, which clients
    // do not retry for a POST); net.Server's stops listening only. Kept a moment, such a request gets
    // 503 with Retry-After and Connection: close, and its client opens a new connection elsewhere.
    const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
    // Then keep-alive connections end after their current answer instead of carrying new requests.
    setTimeout(() => {
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 100).unref();
    }, IDLE_CONNECTION_GRACE_MS).unref();
    void handle
      .close({ timeoutMs: config.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS })
      .catch(() => undefined)
      // Answers already computed are written; then any connection left is cut.
      .then(() => Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]))
      .finally(() => {
        server.closeAllConnections();
        stdoutLogger({ level: 'info', msg: 'facelive stopped' });
        process.exit(0);
      });
  };
  // The handlers stay: with process.once a second signal met Node's default action and ended the
  // process in the middle of the drain. A second SIGTERM (a supervisor repeating itself) is ignored,
  // as the drain has its own bound; a second SIGINT (Ctrl-C twice) is a person asking again: exit
  // now. SIGHUP is left alone: it ends the process at once (Node's default), unless the service was
  // started with it ignored (nohup), which a listener here would undo.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stopping) {
      shutdown(signal);
    } else if (signal === 'SIGINT') {
      stdoutLogger({ level: 'warn', msg: 'facelive stopped at once on a second SIGINT, without waiting for running checks', signal });
      process.exit(130);
    } else {
      stdoutLogger({ level: 'info', msg: 'facelive already shutting down; signal ignored', signal });
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  exitOnStopSignalsDone();
  // An engine that cannot load (a model file missing or corrupt) left a service that answered every
  // check 500 and /healthz 503 until someone read its logs. It stops instead, with the reason on
  // stderr and exit status 1, where operators and restart policies see it, as a pack without a
  // manifest does before it listens.
  // Which models decide the checks from now on, in the log beside every answer's request ID: the
  // record a KYC team looks up when a decision is questioned later (every answer names its pack too).
  /** Stops before serving a check, with the reason on stderr and exit status 1. */
  const refuseToServe = (reason: string): void => {
    if (stopping) return;
    stopping = true;
    notes.write(`facelive: ${reason}\n`);
    server.close();
    server.closeAllConnections();
    void handle
      .close({ timeoutMs: 0 })
      .catch(() => undefined)
      .finally(() => process.exit(1));
  };
  handle.liveness.ready().then(
    (engine) => {
      stdoutLogger({ level: 'info', msg: 'facelive engine ready', pack: { name: engine.pack.name, version: engine.pack.version } });
      // A credential's threshold calibrated on another pack: every check of its App-ID would be refused.
      const mismatch = thresholdPackRefusal(config.credentials ?? [], engine);
      if (mismatch !== undefined) refuseToServe(mismatch);
      else sendReady();
    },
    (err: unknown) => refuseToServe(`the engine failed to load: ${(err as Error | undefined)?.message ?? String(err)}`),
  );
  return { server, handle };
}

if (require.main === module) {
  startServer().catch((err: unknown) => {
    process.stderr.write(`facelive: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
