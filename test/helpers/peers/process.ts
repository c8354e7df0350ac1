// Child-process plumbing shared by the daemon drivers: temp dirs, free ports, waiting, and killing only what we
// started. Every daemon runs in its own process group (detached) so that a signal reaches its helpers too
// (ExaBGP's API relay) and nothing else.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, access, readFile, constants as fsConstants } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openSync, closeSync } from 'node:fs';

/** Processes started by this worker that are still alive; killed on exit so that a crashed test leaks nothing. */
const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const p of live) p.signal('SIGKILL');
  };
  process.once('exit', killAll);
  // A signal would end this process without 'exit': kill the children first, then die of the same signal.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private running = true;

  constructor(
    readonly label: string,
    command: string,
    args: string[],
    opts: { cwd?: string; env?: NodeJS.ProcessEnv; logFile: string },
  ) {
    installExitHook();
    const out = openSync(opts.logFile, 'a');
    this.child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', out, out],
      detached: true,
    });
    closeSync(out);
    live.add(this);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.running = false;
        live.delete(this);
        resolve({ code, signal });
      });
      this.child.once('error', () => {
        this.running = false;
        live.delete(this);
        resolve({ code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Signals the whole process group we created (the daemon and any helper it forked). */
  signal(sig: NodeJS.Signals): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, sig);
    } catch {
      try {
        this.child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once the process has exited. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.running) return;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills at once without letting the daemon say goodbye (no NOTIFICATION): a crash, as graceful restart expects. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.signal('SIGKILL');
    await this.exited;
  }

  /**
   * waitFor(what, probe, ...) for a process that has just been started: once it has exited, the timeout error says
   * so and carries `log()` (its log so far) instead of the probe's last failure.
   */
  waitReady<T>(
    what: string,
    probe: () => Promise<T | undefined | false>,
    log: () => Promise<string>,
    timeoutMs: number,
    intervalMs: number,
  ): Promise<T> {
    return waitFor(what, async () => {
      if (!this.running) throw new Error(`${this.label} exited: ${await log()}`);
      return probe();
    }, timeoutMs, intervalMs);
  }
}

export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `ss-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A log file's text, or '' when it has not been written (yet). */
export async function readLog(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/** A port that was free on `address` a moment ago (the daemon binds it next). */
export async function freePort(address = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ host: address, port: 0, exclusive: true }, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

let nextHost = 1;
/**
 * A fresh loopback address 127.B.C.D for this worker. `block` (1..254) separates test files that run at the same
 * time (each interop file uses its own), the rest counts up, so every speaker of a test has its own address.
 */
export function loopbackAddress(block: number): string {
  const n = nextHost++;
  const pidPart = process.pid % 64;
  return `127.${block}.${pidPart * 4 + Math.floor(n / 250) % 4}.${(n % 250) + 1}`;
}

export function run(
  command: string,
  args: string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; allowFailure?: boolean } = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: opts.timeoutMs ?? 10_000, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        if (err && !opts.allowFailure) {
          reject(new Error(`${command} ${args.join(' ')} failed (${code}): ${stderr || stdout || err.message}`));
          return;
        }
        resolve({ stdout: String(stdout), stderr: String(stderr), code });
      },
    );
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined/false, or throws after timeoutMs with the last state. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}
