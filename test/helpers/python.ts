// Finds a Python that imports PyTorch (Debian's python3-torch) for the training smoke tests. Without
// one the tests are pending with the reason, except under CI=true, where a missing toolchain fails.

import { spawnSync } from 'node:child_process';

export const TORCH_PYTHON = process.env.FACELIVE_TEST_PYTHON ?? '/usr/bin/python3';
export const TORCH_INSTALL_HINT = 'apt-get install -y python3-torch python3-torchvision';

let found: boolean | undefined;

export function hasTorch(): boolean {
  found ??= spawnSync(TORCH_PYTHON, ['-c', 'import torch, PIL, numpy'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
  return found;
}

/** Call from a mocha before(): pends the suite without PyTorch, or fails it under CI. */
export function requireTorch(context: Mocha.Context): void {
  if (hasTorch()) return;
  const reason = `${TORCH_PYTHON} cannot import torch; to run this test: ${TORCH_INSTALL_HINT}`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  console.log(`      (pending: ${reason})`);
  context.skip();
}
