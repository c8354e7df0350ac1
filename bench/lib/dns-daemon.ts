// `supersparrow serve` as the DNS benchmark runs it: pinned to one core (taskset), BGP neighbors tagged with their
// POP (one built-in router peer per POP), the multi-view rule, and the DNS responder; asked over its control
// socket in-process (no CLI process per request).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { controlRequest } from '../../src/cli/control-client.js';
import type { NeighborJson, QueryJson } from '../../src/control/index.js';
import { ManagedProcess, makeTempDir, readLog, removeDir } from '../../test/helpers/peers/process.js';
import { trackDir, untrackDir } from './cleanup.js';
import { rssMiB } from './receivers.js';

export interface DaemonNeighbor {
  address: string;
  as: number;
  pop: string;
}

export interface DnsDaemonOptions {
  repoRoot: string;
  /** `taskset -c` CPU list. */
  cpus: string;
  bgp: { address: string; port: number; localAs: number };
  neighbors: DaemonNeighbor[];
  /** The rest of the configuration (pops, proximity, dns), written as it is. */
  config: Record<string, unknown>;
}

export class DnsDaemon {
  private dir = '';
  private proc: ManagedProcess | undefined;

  constructor(private readonly o: DnsDaemonOptions) {}

  get pid(): number {
    if (this.proc?.pid === undefined) throw new Error('supersparrow serve is not running');
    return this.proc.pid;
  }

  get controlSocket(): string {
    return path.join(this.dir, 'control.sock');
  }

  private get log(): string {
    return path.join(this.dir, 'stdout.log');
  }

  /** The configuration file as written (for the report). */
  configText = '';

  async start(): Promise<void> {
    this.dir = await makeTempDir('bench-dns-supersparrow');
    trackDir(this.dir);
    const o = this.o;
    const config = {
      bgp: { 'local-as': o.bgp.localAs, 'router-id': o.bgp.address, listen: { address: o.bgp.address, port: o.bgp.port }, 'hold-time': 240 },
      neighbors: o.neighbors.map((n) => ({ address: n.address, 'remote-as': n.as, passive: true, 'hold-time': 240, pop: n.pop })),
      ...o.config,
      control: { socket: this.controlSocket },
      log: { level: 'error', file: path.join(this.dir, 'supersparrow.log') },
    };
    const file = path.join(this.dir, 'supersparrow.yaml');
    this.configText = stringify(config);
    await writeFile(file, this.configText);
    // taskset execs node: the process's pid is the daemon's (its threads, the responder's too, counted together).
    this.proc = new ManagedProcess('supersparrow', 'taskset', ['-c', o.cpus, process.execPath, path.join(o.repoRoot, 'bin', 'supersparrow.js'), 'serve', '--config', file], {
      cwd: o.repoRoot,
      logFile: this.log,
    });
    await this.proc.waitReady('supersparrow control socket', async () => (await this.neighbors()).length >= 0, () => this.logs(), 20_000, 50);
  }

  /** stdout/stderr and the daemon's own log. */
  async logs(): Promise<string> {
    return `${await readLog(this.log)}${await readLog(path.join(this.dir, 'supersparrow.log'))}`;
  }

  neighbors(): Promise<NeighborJson[]> {
    return controlRequest(this.controlSocket, { command: 'neighbors' }, 5_000);
  }

  /** Prefixes installed from one neighbor, IPv4 + IPv6. */
  async installed(address: string): Promise<number> {
    const n = (await this.neighbors()).find((x) => x.address === address);
    return n ? n.prefixes.ipv4 + n.prefixes.ipv6 : 0;
  }

  /** The daemon's decision for each address (the control socket's `query`, as `supersparrow query --json`). */
  query(addresses: string[]): Promise<QueryJson[]> {
    return controlRequest(this.controlSocket, { command: 'query', addresses }, 30_000);
  }

  rssMiB(): Promise<number> {
    return rssMiB(this.proc?.pid);
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    if (this.dir) {
      await removeDir(this.dir);
      untrackDir(this.dir);
    }
  }
}
