// Starts a throwaway redis-server on a free loopback port for a test run; stops, restarts, pauses and resumes it.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pendingUnlessAvailable } from './binaries';
import { findRedisServer } from './redis-binary';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** The running redis-server's process id (a new one after start()). */
  readonly pid: number;
  stop(): Promise<void>;
  /** Starts it again after stop(), on the same port (and, when persistent, with the same data). */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open and nothing answers, like a network partition. */
  pause(): void;
  /** Thaws a paused process (SIGCONT). */
  resume(): void;
  /** Stops it and removes its data directory. */
  destroy(): Promise<void>;
}

export interface StartRedisOptions {
  /** Keep the data across stop() and start(): an append-only file, fsync'd on every write, in a temp directory. */
  readonly persistent?: boolean;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server (see redis-binary.ts for where it is found) with no persistence (unless asked)
 * on a free port of 127.0.0.1 and waits until it accepts connections. Fails with a clear message when
 * the binary is missing.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  if (!('path' in binary)) throw new Error(`${binary.reason}. Install it with: ${binary.enable}`);
  const port = await freePort();
  const dir = options.persistent === true ? mkdtempSync(path.join(os.tmpdir(), 'facelive-redis-')) : undefined;
  const persistence = dir !== undefined ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] : ['--save', '', '--appendonly', 'no'];
  let child = await launch(binary.path, port, persistence);
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    });
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid ?? -1;
    },
    stop,
    start: async () => {
      child = await launch(binary.path, port, persistence);
    },
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
    destroy: async () => {
      await stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns redis-server on `port` and resolves once it answers PING. */
async function launch(binaryPath: string, port: number, persistence: readonly string[]): Promise<ChildProcess> {
  const child: ChildProcess = spawn(
    binaryPath,
    ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--protected-mode', 'yes', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'ENOENT' ? new Error(`${binaryPath} could not be run: ${err.message}`) : err);
    };
    child.once('error', onError);
    child.once('exit', (code) => reject(new Error(`redis-server exited with code ${String(code)}: ${output.slice(-500)}`)));
    const attempt = (): void => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.write('PING\r\n');
        socket.once('data', (data) => {
          socket.destroy();
          if (data.toString().startsWith('+PONG')) {
            child.removeAllListeners('exit');
            resolve();
          } else retry();
        });
      });
      socket.once('error', () => {
        socket.destroy();
        retry();
      });
    };
    const retry = (): void => {
      if (Date.now() > deadline) reject(new Error(`redis-server did not start on port ${port}: ${output.slice(-500)}`));
      else setTimeout(attempt, 50);
    };
    attempt();
  });
  return child;
}

/**
 * startRedis() for a test or hook: when no redis-server can be found the test is reported pending
 * with the reason (or, under CI=true, fails).
 */
export async function startRedisOrPending(context: Mocha.Context, what = 'the Redis tests', options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  if (!('path' in binary)) pendingUnlessAvailable(context, what, binary);
  return startRedis(options);
}
