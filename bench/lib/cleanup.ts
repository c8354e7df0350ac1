// What a benchmark leaves behind if it is interrupted (Ctrl-C, SIGTERM) or dies: child processes it spawned
// itself (not through ManagedProcess, which kills its own) and temporary folders. Registered here, they are
// killed and removed synchronously on 'exit' and before the signal ends the process.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

function sweep(): void {
  for (const c of children) {
    try {
      // Spawned detached: the whole group (taskset execs the tool, stdbuf too; nothing else is in it).
      if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
    } catch {
      c.kill('SIGKILL');
    }
  }
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', sweep);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // First in line, once: ManagedProcess's own handler (if any) runs next and re-raises the signal; so do we.
    process.prependOnceListener(sig, () => {
      sweep();
      process.kill(process.pid, sig);
    });
  }
}

/** Kills the child (its process group) if the benchmark ends before it does. */
export function trackChild(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Removes the folder when the benchmark ends, however it ends (the normal path removes it itself). */
export function trackDir(dir: string): void {
  install();
  dirs.add(dir);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/** Installs the handlers now (before any ManagedProcess installs its own, so that ours run first). */
export function installCleanup(): void {
  install();
}
