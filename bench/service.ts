// Starts the service behind `npm start` (dist/examples/server.js) as a child process on a free
// loopback port with a temporary FACELIVE_CONFIG, for the fuzz and soak harnesses. Also reads the
// child's resident memory and open file descriptors from /proc (Linux). The temporary folder (its
// config holds the harness's API keys) goes with the service: on stop(), and when the harness exits
// or crashes, or is stopped by SIGINT or SIGTERM.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Service {
  readonly base: string;
  readonly child: ChildProcess;
  /** Everything the service printed (stdout and stderr). */
  output(): string;
  /** True while the process runs. */
  alive(): boolean;
  /** SIGTERM, then the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

const SERVER = path.join(__dirname, '..', 'examples', 'server.js');

export async function startService(config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<Service> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-harness-'));
  const file = path.join(dir, 'config.json');
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', FACELIVE_CONFIG: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  // A harness that exits, however (a crash too), leaves neither its service nor its keys behind.
  process.once('exit', () => {
    if (running()) child.kill('SIGKILL');
    removeDir();
  });
  // A signal stops the service as stop() does, then the harness with the signal's conventional status.
  const onSignal = (signal: NodeJS.Signals): void => {
    const exit = (): never => process.exit(128 + os.constants.signals[signal]);
    if (!running()) exit();
    child.once('exit', exit);
    child.kill('SIGTERM');
    setTimeout(exit, 10_000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let out = '';
  // Keep only the tail: a long run logs a line per request.
  const append = (chunk: Buffer): void => {
    out += chunk.toString();
    if (out.length > 400_000) out = out.slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start: ${out}`)), 120_000);
    const onData = (): void => {
      const match = /"msg":"facelive listening","port":(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the service exited with ${String(code)}: ${out}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    const ready = await fetch(`${base}/healthz/ready`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) break;
    if (i > 1200) throw new Error('the service did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.removeAllListeners('exit');
  return {
    base,
    child,
    output: () => out,
    alive: running,
    stop: () =>
      new Promise((resolve) => {
        const done = (code: number | null): void => {
          removeDir();
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(code);
        };
        if (!running()) {
          done(child.exitCode);
          return;
        }
        child.once('exit', (code) => done(code));
        child.kill('SIGTERM');
      }),
  };
}

/** Resident set size of a process in bytes (Linux /proc), or NaN elsewhere. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Open file descriptors of a process (Linux /proc), or NaN elsewhere. */
export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}
