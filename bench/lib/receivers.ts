// The two receivers of the ingest benchmark, started fresh for each run, and a uniform way to read how many
// prefixes each has installed from the feeder: both over their unix control socket, in-process, polled at the
// same interval, so neither pays for spawning a CLI per poll.
import { createConnection } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { ManagedProcess, makeTempDir, removeDir, waitFor } from '../../test/helpers/peers/process.js';

export interface Receiver {
  readonly name: string;
  readonly pid: number | undefined;
  start(): Promise<void>;
  /** Prefixes installed from the feeder, IPv4 + IPv6. */
  installed(): Promise<number>;
  /** The AS_PATH of the receiver's route for exactly this prefix, or null when it has none. */
  asPathOf(prefix: string): Promise<number[] | null>;
  /** Resident set size of the receiver process, MiB. */
  rssMiB(): Promise<number>;
  /** The receiver's own account of its memory, one line (BIRD: `show memory`; supersparrow: `memory`). */
  memoryNote(): Promise<string>;
  stop(): Promise<void>;
}

export async function rssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** One request/response exchange with BIRD's control socket (lines "NNNN text", the last one code 0000 or an error). */
async function birdControl(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    let buf = '';
    let greeted = false;
    const timer = setTimeout(() => {
      c.destroy();
      reject(new Error(`BIRD control socket: no answer to "${command}"`));
    }, 5000);
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      buf += d;
      if (!greeted) {
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        greeted = true;
        buf = buf.slice(nl + 1);
        c.write(`${command}\n`);
      }
      // Continuation lines have "NNNN-" or a leading space; the reply's last line is "NNNN " (code, space).
      if (/(^|\n)\d{4} [^\n]*\n$/.test(buf)) {
        clearTimeout(timer);
        c.end();
        resolve(buf);
      }
    });
    c.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export class BirdReceiver implements Receiver {
  readonly name = 'bird';
  private dir = '';
  private proc: ManagedProcess | undefined;

  constructor(
    private readonly opts: { address: string; port: number; localAs: number; feederAddress: string; feederAs: number },
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private get socket(): string {
    return path.join(this.dir, 'bird.ctl');
  }

  /** BIRD's unix control socket (set once start() ran), for benchmarks that talk to it themselves. */
  get controlSocket(): string {
    return this.socket;
  }

  async start(): Promise<void> {
    this.dir = await makeTempDir('bench-bird');
    const o = this.opts;
    // Errors-only logging keeps logging out of the timing; import all, export none, passive.
    const conf = `log "${path.join(this.dir, 'bird.log')}" { error, fatal, bug };
router id ${o.address};
protocol device { scan time 60; }
protocol bgp feeder {
  local ${o.address} port ${o.port} as ${o.localAs};
  neighbor ${o.feederAddress} as ${o.feederAs};
  multihop 2;
  passive on;
  hold time 240;
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`;
    await writeFile(path.join(this.dir, 'bird.conf'), conf);
    this.proc = new ManagedProcess('bird', '/usr/sbin/bird', ['-f', '-c', path.join(this.dir, 'bird.conf'), '-s', this.socket, '-P', path.join(this.dir, 'bird.pid')], {
      cwd: this.dir,
      logFile: path.join(this.dir, 'stdout.log'),
    });
    await waitFor('BIRD control socket', async () => (await birdControl(this.socket, 'show status')).includes('Daemon is up'), 10_000, 50);
  }

  async installed(): Promise<number> {
    const out = await birdControl(this.socket, 'show protocols all feeder');
    let total = 0;
    for (const m of out.matchAll(/Routes:\s+(\d+) imported/g)) total += Number(m[1]);
    return total;
  }

  async asPathOf(prefix: string): Promise<number[] | null> {
    const out = await birdControl(this.socket, `show route ${prefix} all`);
    const m = /BGP\.as_path:([^\n]*)/.exec(out);
    return m ? m[1]!.trim().split(/\s+/).filter(Boolean).map(Number) : null;
  }

  rssMiB(): Promise<number> {
    return rssMiB(this.pid);
  }

  async memoryNote(): Promise<string> {
    const out = await birdControl(this.socket, 'show memory');
    const effective = (what: string): string => new RegExp(String.raw`${what}:\s+([\d.]+\s+\S+)`).exec(out)?.[1]?.replace(/\s+/, ' ') ?? '?';
    return `routing tables ${effective('Routing tables')}, route attributes ${effective('Route attributes')}, total ${effective('Total')} (effective, BIRD's show memory)`;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    if (this.dir) await removeDir(this.dir);
  }
}

/** Reads `neighbors` from supersparrow's control socket; supplied by the CLI's control client. */
export type NeighborsQuery = (socket: string) => Promise<Array<{ address: string; prefixes: { ipv4: number; ipv6: number } }>>;
/** Reads `memory` from supersparrow's control socket (the fields the benchmark prints). */
export type MemoryQuery = (socket: string) => Promise<{ rib: { total: number }; process: { heapUsed: number; heapTotal: number } }>;
/** Reads `routes PREFIX` from supersparrow's control socket. */
export type RouteQuery = (socket: string, target: string) => Promise<{ asPath: Array<number | number[]> } | null>;

export class SupersparrowReceiver implements Receiver {
  readonly name = 'supersparrow';
  private dir = '';
  private proc: ManagedProcess | undefined;

  constructor(
    private readonly opts: {
      address: string;
      port: number;
      localAs: number;
      feederAddress: string;
      feederAs: number;
      repoRoot: string;
      queryNeighbors: NeighborsQuery;
      queryRoute: RouteQuery;
      queryMemory: MemoryQuery;
      /** More top-level config sections (pops, proximity, ...) written into the daemon's YAML as they are. */
      extraConfig?: Record<string, unknown>;
    },
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private get socket(): string {
    return path.join(this.dir, 'control.sock');
  }

  /** The daemon's control socket (set once start() ran), for benchmarks that talk to it themselves. */
  get controlSocket(): string {
    return this.socket;
  }

  async start(): Promise<void> {
    this.dir = await makeTempDir('bench-supersparrow');
    const o = this.opts;
    const config = {
      bgp: { 'local-as': o.localAs, 'router-id': o.address, listen: { address: o.address, port: o.port }, 'hold-time': 240 },
      neighbors: [{ address: o.feederAddress, 'remote-as': o.feederAs, passive: true, 'hold-time': 240 }],
      control: { socket: this.socket },
      log: { level: 'error', file: path.join(this.dir, 'supersparrow.log') },
      ...o.extraConfig,
    };
    const file = path.join(this.dir, 'supersparrow.yaml');
    await writeFile(file, stringify(config));
    this.proc = new ManagedProcess('supersparrow', process.execPath, [path.join(o.repoRoot, 'bin', 'supersparrow.js'), 'serve', '--config', file], {
      cwd: o.repoRoot,
      logFile: path.join(this.dir, 'stdout.log'),
    });
    await waitFor('supersparrow control socket', async () => {
      if (!this.proc?.isRunning) throw new Error(`supersparrow serve exited: ${await readFile(path.join(this.dir, 'stdout.log'), 'utf8')}`);
      await this.opts.queryNeighbors(this.socket);
      return true;
    }, 15_000, 50);
  }

  async installed(): Promise<number> {
    const n = (await this.opts.queryNeighbors(this.socket)).find((x) => x.address === this.opts.feederAddress);
    return n ? n.prefixes.ipv4 + n.prefixes.ipv6 : 0;
  }

  async asPathOf(prefix: string): Promise<number[] | null> {
    const r = await this.opts.queryRoute(this.socket, prefix);
    return r ? r.asPath.flat() : null;
  }

  rssMiB(): Promise<number> {
    return rssMiB(this.pid);
  }

  async memoryNote(): Promise<string> {
    const m = await this.opts.queryMemory(this.socket);
    const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
    return `RIB typed arrays ${mib(m.rib.total)}, JS heap ${mib(m.process.heapUsed)} of ${mib(m.process.heapTotal)} (supersparrow memory)`;
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    if (this.dir) await removeDir(this.dir);
  }
}
