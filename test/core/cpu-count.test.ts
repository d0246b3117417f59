// usableCpuCount(): the CPUs a process may use, read from cgroup files written in a temporary
// directory in the kernel's formats (v2 cpu.max, v1 cpu.cfs_quota_us and cpu.cfs_period_us).

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { usableCpuCount } from '../../core/cpu-count';

describe('usableCpuCount', () => {
  let dir: string;
  let realParallelism: typeof os.availableParallelism;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'facelive-cgroup-'));
    // As on a 16-core machine, so that every quota below is the smaller number.
    realParallelism = os.availableParallelism;
    os.availableParallelism = () => 16;
  });

  afterEach(() => {
    os.availableParallelism = realParallelism;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `files` (paths relative to a new cgroup root) and a membership file; returns the count. */
  function countWith(files: Record<string, string>, membership = '0::/\n'): number {
    const machine = mkdtempSync(path.join(dir, 'machine-'));
    const root = path.join(machine, 'cgroup');
    mkdirSync(root);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      writeFileSync(path.join(root, name), text);
    }
    writeFileSync(path.join(machine, 'membership'), membership);
    return usableCpuCount({ root, membership: path.join(machine, 'membership') });
  }

  it('cgroup v2: a quota of half a CPU or one CPU is 1, 1.5 CPUs is 2, "max" is every CPU', () => {
    assert.equal(countWith({ 'cpu.max': '50000 100000\n' }), 1);
    assert.equal(countWith({ 'cpu.max': '100000 100000\n' }), 1);
    assert.equal(countWith({ 'cpu.max': '150000 100000\n' }), 2);
    assert.equal(countWith({ 'cpu.max': '400000 100000\n' }), 4);
    assert.equal(countWith({ 'cpu.max': 'max 100000\n' }), 16);
  });

  it('never more than the CPUs the process may run on', () => {
    assert.equal(countWith({ 'cpu.max': '3200000 100000\n' }), 16);
  });

  it('cgroup v2: reads the process\'s own cgroup and those above it, the smallest quota winning', () => {
    const membership = '0::/kubepods.slice/pod1/container2\n';
    assert.equal(countWith({ 'kubepods.slice/pod1/container2/cpu.max': '200000 100000\n' }, membership), 2);
    assert.equal(countWith({ 'kubepods.slice/pod1/container2/cpu.max': 'max 100000\n', 'kubepods.slice/pod1/cpu.max': '100000 100000\n' }, membership), 1);
    // Its own directory absent (a mount of its cgroup alone): the mount's root file.
    assert.equal(countWith({ 'cpu.max': '300000 100000\n' }, membership), 3);
  });

  it('cgroup v1: cpu.cfs_quota_us over cpu.cfs_period_us, -1 for none, under cpu/ or cpu,cpuacct/', () => {
    const membership = '4:memory:/x\n2:cpu,cpuacct:/\n0::/\n';
    assert.equal(countWith({ 'cpu/cpu.cfs_quota_us': '100000\n', 'cpu/cpu.cfs_period_us': '100000\n' }, membership), 1);
    assert.equal(countWith({ 'cpu,cpuacct/cpu.cfs_quota_us': '250000\n', 'cpu,cpuacct/cpu.cfs_period_us': '100000\n' }, membership), 3);
    assert.equal(countWith({ 'cpu/cpu.cfs_quota_us': '-1\n', 'cpu/cpu.cfs_period_us': '100000\n' }, membership), 16);
    assert.equal(countWith({ 'cpu/docker/abc/cpu.cfs_quota_us': '50000\n', 'cpu/docker/abc/cpu.cfs_period_us': '100000\n' }, '3:cpu:/docker/abc\n'), 1);
  });

  it('no quota where the files are missing, unreadable as numbers, or the membership file is absent', () => {
    assert.equal(countWith({}), 16);
    assert.equal(countWith({ 'cpu.max': 'garbage\n' }), 16);
    assert.equal(countWith({ 'cpu.max': '50000 0\n' }), 16);
    assert.equal(countWith({ 'cpu.max': '-50000 100000\n' }), 16);
    assert.equal(countWith({ 'cpu.max': '50000 100000 7\n' }), 16);
    assert.equal(countWith({ 'cpu/cpu.cfs_quota_us': '50000\n' }, '1:cpu:/\n'), 16, 'a quota without its period');
    assert.equal(countWith({ 'cpu/cpu.cfs_quota_us': 'x\n', 'cpu/cpu.cfs_period_us': '100000\n' }, '1:cpu:/\n'), 16);
    assert.equal(usableCpuCount({ root: path.join(dir, 'nothing'), membership: path.join(dir, 'nothing', 'cgroup') }), 16);
    // A directory where a file should be: read fails, no quota.
    mkdirSync(path.join(dir, 'dir-root', 'cpu.max'), { recursive: true });
    assert.equal(usableCpuCount({ root: path.join(dir, 'dir-root') }), 16);
  });

  it('at least 1', () => {
    os.availableParallelism = () => 0;
    assert.equal(countWith({}), 1);
  });
});
