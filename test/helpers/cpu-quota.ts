// Runs test code as if the process's cgroup had a CPU quota: reads of cgroup v2's cpu.max under
// /sys/fs/cgroup answer with the text given (the kernel's format, "100000 100000" for one CPU);
// every other file reads as it is.

import fs from 'node:fs';

export async function withCpuQuota<T>(cpuMax: string, work: () => T | Promise<T>): Promise<T> {
  const real = fs.readFileSync;
  const quota = (file: unknown, ...rest: unknown[]): unknown =>
    typeof file === 'string' && file.startsWith('/sys/fs/cgroup/') && file.endsWith('/cpu.max')
      ? cpuMax
      : (real as (...args: unknown[]) => unknown)(file, ...rest);
  (fs as { readFileSync: unknown }).readFileSync = quota;
  try {
    return await work();
  } finally {
    fs.readFileSync = real;
  }
}
