// The number of CPUs this process may use: the CPUs it may run on (os.availableParallelism()), or
// fewer under a cgroup CPU quota (docker --cpus, a Kubernetes CPU limit), which Node does not count:
// a 1-CPU container on a 16-core machine sees 16. The quota is read from cgroup v2's cpu.max or
// cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us, in the process's own cgroup and each one above
// it; a file that is missing or cannot be parsed means no quota.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the cgroup files are read from. */
export interface CgroupFiles {
  /** The cgroup filesystem's mount point. Defaults to /sys/fs/cgroup. */
  readonly root?: string;
  /** The file listing the process's cgroups, one `id:controllers:path` a line. Defaults to /proc/self/cgroup. */
  readonly membership?: string;
}

/** cgroup v1 mounts the cpu controller under one of these names, depending on the distribution. */
const V1_CPU_MOUNTS = ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'];

/** The file's text, or undefined when it cannot be read. */
function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A whole number above 0 written in decimal digits, or undefined. */
function positiveInteger(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** CPUs a quota allows: quota/period rounded up (1.5 CPUs lets 2 checks share the time). */
function cpusOf(quota: number | undefined, period: number | undefined): number | undefined {
  return quota === undefined || period === undefined ? undefined : Math.ceil(quota / period);
}

/** cgroup v2's cpu.max: "max 100000" (no quota) or "50000 100000" (quota and period, in µs). */
function cpusFromCpuMax(text: string | undefined): number | undefined {
  const fields = text?.trim().split(/\s+/);
  if (fields?.length !== 2) return undefined;
  return cpusOf(positiveInteger(fields[0]!), positiveInteger(fields[1]!));
}

/** cgroup v1's cpu.cfs_quota_us ("-1": no quota) and cpu.cfs_period_us. */
function cpusFromCfs(quota: string | undefined, period: string | undefined): number | undefined {
  if (quota === undefined || period === undefined) return undefined;
  return cpusOf(positiveInteger(quota.trim()), positiveInteger(period.trim()));
}

/** The cgroup path and each one above it, up to "/". */
function selfAndAncestors(cgroup: string): string[] {
  const paths: string[] = [];
  for (let dir = path.posix.normalize(`/${cgroup}`); ; dir = path.posix.dirname(dir)) {
    paths.push(dir);
    if (dir === '/') return paths;
  }
}

/**
 * The process's cgroup path for the v2 hierarchy (the "0::" line) and for v1's cpu controller;
 * "/" where the file has none (the root of the mount, as inside a container with its own cgroup namespace).
 */
function cgroupPaths(membership: string | undefined): { v2: string; v1: string } {
  let v2 = '/';
  let v1 = '/';
  for (const line of (membership ?? '').split('\n')) {
    const match = /^(\d+):([^:]*):(.+)$/.exec(line.trim());
    if (!match) continue;
    if (match[1] === '0' && match[2] === '') v2 = match[3]!;
    else if (match[2]!.split(',').includes('cpu')) v1 = match[3]!;
  }
  return { v2, v1 };
}

/** The CPUs each quota found allows (empty when there is none). */
function quotaCpus(root: string, membership: string | undefined): number[] {
  const paths = cgroupPaths(membership);
  const found: (number | undefined)[] = [];
  for (const dir of selfAndAncestors(paths.v2)) found.push(cpusFromCpuMax(readText(path.join(root, dir, 'cpu.max'))));
  for (const mount of V1_CPU_MOUNTS) {
    for (const dir of selfAndAncestors(paths.v1)) {
      const at = path.join(root, mount, dir);
      found.push(cpusFromCfs(readText(path.join(at, 'cpu.cfs_quota_us')), readText(path.join(at, 'cpu.cfs_period_us'))));
    }
  }
  return found.filter((cpus): cpus is number => cpus !== undefined);
}

/**
 * The CPUs this process may use: min(os.availableParallelism(), ceil(quota / period)) over the CPU
 * quotas of its cgroups, at least 1. Reads a few small files: call it once at start-up, not per request.
 */
export function usableCpuCount(files: CgroupFiles = {}): number {
  const quotas = quotaCpus(files.root ?? '/sys/fs/cgroup', readText(files.membership ?? '/proc/self/cgroup'));
  return Math.max(1, Math.min(os.availableParallelism(), ...quotas));
}
