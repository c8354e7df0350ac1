// CPU time of a process as the kernel counts it: utime + stime (fields 14 and 15 of /proc/PID/stat, in clock
// ticks), which for a multithreaded process covers all its threads. A server's CPU use over a window is the
// delta of that count divided by the window's wall time: 1.0 = one core busy all the time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond = 0;

/** `getconf CLK_TCK` (100 on Linux), read once. */
export function clockTicks(): number {
  if (ticksPerSecond === 0) ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** utime + stime of the process, in clock ticks. Throws when the process is gone. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field N is rest[N - 3].
  return Number(rest[14 - 3]) + Number(rest[15 - 3]);
}

/** A sample of a process's CPU count and the wall clock, to difference later. */
export interface CpuSample {
  ticks: number;
  ns: bigint;
}

export function sampleCpu(pid: number): CpuSample {
  return { ticks: cpuTicks(pid), ns: process.hrtime.bigint() };
}

/** Cores busy on average between two samples (CPU seconds per wall second). */
export function coresBusy(from: CpuSample, to: CpuSample): number {
  const wall = Number(to.ns - from.ns) / 1e9;
  return (to.ticks - from.ticks) / clockTicks() / wall;
}

/** Pins this process and all its threads to the given CPU list (taskset -a -p). */
export function pinSelf(cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}
