// One real Engine (the built-in pack) shared by the test files of a run, created on first use.

import { createEngine, type Engine } from '../../core';

let shared: Promise<Engine> | undefined;

export function sharedEngine(): Promise<Engine> {
  shared ??= createEngine();
  return shared;
}
