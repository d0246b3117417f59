// Starts a throwaway redis-server on a free loopback port for a test run, and stops it.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { pendingUnlessAvailable } from './binaries';
import { findRedisServer } from './redis-binary';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
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
 * Starts redis-server (see redis-binary.ts for where it is found) with no persistence on a free
 * port of 127.0.0.1 and waits until it accepts connections. Fails with a clear message when the
 * binary is missing.
 */
export async function startRedis(): Promise<RedisServer> {
  const binary = findRedisServer();
  if (!('path' in binary)) throw new Error(`${binary.reason}. Install it with: ${binary.enable}`);
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary.path,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'ENOENT' ? new Error(`${binary.path} could not be run: ${err.message}`) : err);
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
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * startRedis() for a test or hook: when no redis-server can be found the test is reported pending
 * with the reason (or, under CI=true, fails).
 */
export async function startRedisOrPending(context: Mocha.Context, what = 'the Redis tests'): Promise<RedisServer> {
  const binary = findRedisServer();
  if (!('path' in binary)) pendingUnlessAvailable(context, what, binary);
  return startRedis();
}
