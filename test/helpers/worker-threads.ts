// Counts the worker threads started while some work runs: node:worker_threads' Worker is wrapped
// for that time, each thread constructed through it counted.

import workerThreads from 'node:worker_threads';

export async function workerThreadsStartedBy<T>(work: () => Promise<T>): Promise<{ result: T; started: number }> {
  let started = 0;
  const Original = workerThreads.Worker;
  class Counted extends Original {
    constructor(...args: ConstructorParameters<typeof Original>) {
      super(...args);
      started += 1;
    }
  }
  (workerThreads as { Worker: typeof Original }).Worker = Counted;
  try {
    const result = await work();
    return { result, started };
  } finally {
    (workerThreads as { Worker: typeof Original }).Worker = Original;
  }
}
