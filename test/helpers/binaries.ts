// What the tests do when a server binary they start for real (redis-server, chromium) cannot be had:
// on a developer's machine the suite reports itself pending, saying why and the one command that
// enables it; under CI=true (as .ci/run runs) the same absence fails loudly instead.

import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Why a binary is not available, and the one command that makes it available. */
export interface Unavailable {
  readonly reason: string;
  readonly enable: string;
}

/** True where missing test binaries must fail the run (CI sets CI=true). */
export function binariesRequired(): boolean {
  return /^(1|true)$/i.test(process.env.CI ?? '');
}

const announced = new Set<string>();

/**
 * Marks the calling suite pending (from a before hook) with the reason printed, or throws under CI.
 * `what` names the tests, e.g. "Redis quota store tests".
 */
export function pendingUnlessAvailable(context: Mocha.Context, what: string, missing: Unavailable): never {
  const message = `${what}: ${missing.reason}. Enable them with: ${missing.enable}`;
  if (binariesRequired()) throw new Error(`${message} (CI=true: nothing may be pending for a missing binary)`);
  if (!announced.has(message)) process.stdout.write(`      pending - ${message}\n`);
  announced.add(message);
  context.skip();
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable named `name` on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}
