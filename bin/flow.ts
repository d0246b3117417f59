// npm run flow: a local Node-RED (the node-red devDependency) with a temporary user directory,
// this package linked into it, and the KYC example flow deployed at POST /v1/face/liveness.
// PORT (default 1880; 0 for any free port) and HOST (default 127.0.0.1, a loopback address unless
// FACELIVE_FLOW_ALLOW_REMOTE_ADMIN=1) choose where it listens. Offline: no npm calls.

import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { portFromEnv } from '../examples/port';
import { remoteAdminRefusal } from './flow-host';

/** The slice of node-red's embedding API used here (node-red ships no types). */
interface NodeRed {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: http.RequestListener & ((req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void) => void);
  httpNode: (req: http.IncomingMessage, res: http.ServerResponse, next: (err?: unknown) => void) => void;
  events: { once(event: 'flows:started', listener: () => void): void };
}

/** Ends a request that a layer failed: the error's 4xx/5xx status (500 if none) and its status text. */
function endWithError(res: http.ServerResponse, err: unknown): void {
  const status = (err as { status?: unknown } | null)?.status;
  res.statusCode = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(http.STATUS_CODES[res.statusCode] ?? 'Error');
}

/** Resolves once the runtime has started the deployed flows (RED.start() resolves before that). */
function flowsStarted(RED: NodeRed, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the flows did not start within ${timeoutMs / 1000} s (missing node types?)`)), timeoutMs);
    RED.events.once('flows:started', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const root = path.resolve(__dirname, '..', '..');
const host = process.env.HOST ?? '127.0.0.1';
let port: number;
try {
  port = portFromEnv(process.env.PORT, 1880);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const refusal = remoteAdminRefusal(host, process.env);
if (refusal !== undefined) {
  console.error(refusal);
  process.exit(2);
}

/** A fresh user directory: this package linked as an installed module, the example as the flow file. */
function prepareUserDir(): string {
  const userDir = mkdtempSync(path.join(os.tmpdir(), 'facelive-flow-'));
  mkdirSync(path.join(userDir, 'node_modules'));
  symlinkSync(root, path.join(userDir, 'node_modules', 'facelive'), 'dir');
  copyFileSync(path.join(root, 'examples', 'kyc-endpoint.json'), path.join(userDir, 'flows.json'));
  return userDir;
}

async function main(): Promise<void> {
  const userDir = prepareUserDir();
  const RED = require('node-red') as NodeRed;
  // The editor and admin API first, then the flows' http in endpoints, as node-red's own CLI mounts them.
  // An error of either layer (the admin layer's body parser refusing broken JSON or a body over
  // apiMaxLength) ends the request with its status, as Express's final handler does there; it is
  // never passed on to the flows as a request without a body.
  const server = http.createServer((req, res) => {
    RED.httpAdmin(req, res, (adminError) => {
      if (adminError !== undefined) return endWithError(res, adminError);
      RED.httpNode(req, res, (nodeError) => {
        if (nodeError !== undefined) return endWithError(res, nodeError);
        res.statusCode = 404;
        res.end();
      });
    });
  });
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    uiPort: port,
    uiHost: host,
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    apiMaxLength: '8mb', // a 5 MiB image as base64 inside the JSON body
    credentialSecret: false,
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false },
    logging: { console: { level: process.env.LOG_LEVEL ?? 'info' } },
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping Node-RED`);
    server.close();
    RED.stop().catch(() => undefined).finally(() => process.exit(0));
  };
  // Removed at exit, after the runtime's last asynchronous writes into it can no longer land.
  process.on('exit', () => rmSync(userDir, { recursive: true, force: true, maxRetries: 3 }));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const started = flowsStarted(RED, 60_000);
  await RED.start();
  await started;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const actual = address && typeof address === 'object' ? address.port : port;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  console.log(`Node-RED editor: ${base}/`);
  console.log(`KYC endpoint:    POST ${base}/v1/face/liveness  (JSON body {"image": "<base64 or URL>", ...})`);
  console.log(`User directory:  ${userDir} (removed on exit)`);
}

main().catch((err: unknown) => {
  console.error('Node-RED could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
