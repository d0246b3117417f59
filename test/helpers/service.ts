// `facelive serve` started as a user starts it, on a config file written for the test: its URL once it
// listens, or its exit status and output if it stops first.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const FACELIVE_JS = path.join(__dirname, '..', '..', 'bin', 'facelive.js');

export interface StartedService {
  /** The service's origin, when it listens. */
  readonly base?: string;
  /** Its exit status, when it stopped before listening. */
  readonly code?: number | null;
  /** Its standard output so far. */
  readonly stdout: string;
  /** Its standard error so far. */
  readonly stderr: string;
  /** SIGTERM, then its exit. */
  stop(): Promise<void>;
}

/** Starts `facelive serve` on `config`, written as a JSON file into `dir`, on a free port of 127.0.0.1. */
export function serveWithConfig(dir: string, config: unknown): Promise<StartedService> {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [FACELIVE_JS, 'serve'], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', FACELIVE_CONFIG: file }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // Its output so far, read when asked (lines logged after it listens arrive later).
  const started = (fields: { base?: string; code?: number | null }): StartedService => ({
    ...fields,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    stop,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`neither listening nor stopped: ${stdout}${stderr}`));
    }, 60_000);
    const check = (): void => {
      const match = /"msg":"facelive listening","port":(\d+)/.exec(stdout);
      if (match !== null && stderr.includes('API:')) {
        clearTimeout(timer);
        resolve(started({ base: `http://127.0.0.1:${match[1]}` }));
      }
    };
    child.stdout.on('data', (chunk: Buffer) => ((stdout += chunk.toString()), check()));
    child.stderr.on('data', (chunk: Buffer) => ((stderr += chunk.toString()), check()));
    void exited.then((code) => {
      clearTimeout(timer);
      resolve(started({ code }));
    });
  });
}
