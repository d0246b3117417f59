// Finds a Python that imports PyTorch and ONNX (Debian's python3-torch, python3-onnx) for the training smoke tests. Without
// one the tests are pending with the reason, except under CI=true, where a missing toolchain fails
// (the same rule as the server binaries, binaries.ts).

import { spawnSync } from 'node:child_process';
import { pendingUnlessAvailable } from './binaries';

export const TORCH_PYTHON = process.env.FACELIVE_TEST_PYTHON ?? '/usr/bin/python3';

let found: boolean | undefined;

export function hasTorch(): boolean {
  found ??= spawnSync(TORCH_PYTHON, ['-c', 'import torch, PIL, numpy, onnx'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
  return found;
}

/** Call from a mocha before(): pends the suite without PyTorch, or fails it under CI. */
export function requireTorch(context: Mocha.Context, what = 'the training smoke tests'): void {
  if (hasTorch()) return;
  pendingUnlessAvailable(context, what, {
    reason: `${TORCH_PYTHON} cannot import torch and onnx`,
    enable: 'sudo apt-get install -y python3-torch python3-torchvision python3-onnx',
  });
}
