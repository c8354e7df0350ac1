// What every daemon driver does the same way: one temp dir per peer, one managed process, the routes it originates,
// crash/restart/pause/resume/stop, its log file. A driver (bird.ts, frr.ts, ...) adds only how its daemon is
// configured, launched, changed and queried.
import path from 'node:path';
import { ManagedProcess, makeTempDir, removeDir, readLog, isExecutable } from './process.js';
import type { DaemonName, PeerDaemon, PeerOptions, PeerSessionView, RouteSpec } from './types.js';

/** How long a daemon may take to answer its first query after being spawned. */
const READY_TIMEOUT_MS = 10_000;
const READY_POLL_MS = 100;

export abstract class DaemonPeer implements PeerDaemon {
  abstract readonly name: DaemonName;
  /** The file in the peer's dir that log() returns. */
  protected abstract readonly logFileName: string;
  /** The peer's own temp dir; '' until start(). */
  protected dir = '';
  protected proc: ManagedProcess | undefined;
  /** The routes the daemon originates, by prefix, in the order they were first given. */
  protected readonly routes = new Map<string, RouteSpec>();

  constructor(readonly options: PeerOptions) {
    this.setRoutes(options.routes);
  }

  get pid(): number | undefined {
    return this.proc?.isRunning ? this.proc.pid : undefined;
  }

  /** A file in the peer's temp dir. */
  protected file(name: string): string {
    return path.join(this.dir, name);
  }

  async start(): Promise<void> {
    if (!this.dir) {
      this.dir = await makeTempDir(this.name);
      await this.prepareDir();
    }
    await this.launch(false);
  }

  /** Runs once, after the temp dir is made (FIFOs, scripts the daemon needs beside its config). */
  protected async prepareDir(): Promise<void> {}

  /**
   * Writes the config and spawns the daemon, then waits until it answers. `restarting`: after crash(), as a
   * graceful restart (drivers whose daemon needs a flag for that pass it).
   */
  protected abstract launch(restarting: boolean): Promise<void>;

  /** Spawns the daemon in the peer's dir, its stdout/stderr going to `logFileName` there. */
  protected spawn(label: string, command: string, args: string[], opts: { env?: NodeJS.ProcessEnv; logFileName: string }): void {
    this.proc = new ManagedProcess(label, command, args, { cwd: this.dir, env: opts.env, logFile: this.file(opts.logFileName) });
  }

  /** Polls `ready` until it is true; should the daemon exit instead, the timeout error carries its log. */
  protected async waitReady(what: string, ready: () => Promise<boolean>): Promise<void> {
    if (!this.proc) throw new Error(`${this.name}: waitReady before spawn`);
    await this.proc.waitReady(what, ready, () => this.log(), READY_TIMEOUT_MS, READY_POLL_MS);
  }

  /** Replaces the set of routes the daemon originates. */
  protected setRoutes(routes: RouteSpec[]): void {
    this.routes.clear();
    for (const r of routes) this.routes.set(r.prefix, r);
  }

  abstract announce(routes: RouteSpec[]): Promise<void>;
  abstract withdraw(prefixes: string[]): Promise<void>;
  abstract view(): Promise<PeerSessionView>;

  async crash(): Promise<void> {
    await this.proc?.kill();
  }

  async restart(routes?: RouteSpec[]): Promise<void> {
    if (this.proc?.isRunning) await this.proc.kill();
    if (routes) this.setRoutes(routes);
    await this.launch(true);
  }

  pause(): void {
    this.proc?.signal('SIGSTOP');
  }

  resume(): void {
    this.proc?.signal('SIGCONT');
  }

  log(): Promise<string> {
    return readLog(this.file(this.logFileName));
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    if (this.dir) await removeDir(this.dir);
  }
}

/** True when every one of the daemon's binaries is there and executable. */
export async function allExecutable(binaries: readonly string[]): Promise<boolean> {
  for (const b of binaries) if (!(await isExecutable(b))) return false;
  return true;
}
