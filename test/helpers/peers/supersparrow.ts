// Runs `supersparrow serve --config FILE` as a child process and queries it through the CLI, exactly as an
// operator would (`neighbors --json`, `routes --json`).
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ManagedProcess, makeTempDir, removeDir, readLog, run, waitFor } from './process.js';

/** The repository root (this file is compiled to dist/test/helpers/peers/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
export const SUPERSPARROW_BIN = path.join(REPO_ROOT, 'bin', 'supersparrow.js');

export interface SupersparrowNeighbor {
  address: string;
  remoteAs: number;
  port: number;
  passive: boolean;
  holdTime?: number;
  connectRetry?: number;
  gracefulRestart?: boolean;
  /** `pop: NAME`: the POP whose view this neighbor's routes are (multi-view) and whose availability it counts for. */
  pop?: string;
  /** `add-path: true`: receive several paths per prefix (RFC 7911). */
  addPath?: boolean;
}

/** One POP of the `pops:` section, as written in the YAML (see fixtures/supersparrow.yaml). */
export interface SupersparrowPop {
  as: number;
  ipv4?: string;
  ipv6?: string;
  host?: string;
  preference?: number;
  community?: string;
  'large-community'?: string;
  down?: boolean;
  check?: Record<string, unknown>;
}

export interface SupersparrowOptions {
  localAs: number;
  address: string;
  listenPort: number;
  holdTime?: number;
  connectRetry?: number;
  neighbors: SupersparrowNeighbor[];
  logLevel?: string;
  /** The `pops:` section, by POP name (omitted from the YAML when not given). */
  pops?: Record<string, SupersparrowPop>;
  /** The `proximity:` section. */
  proximity?: { rule: 'classic' | 'multi-view'; self?: string };
  /** The `overrides:` section: prefix -> POP name. */
  overrides?: Record<string, string>;
  /**
   * The `dns:` section exactly as the YAML gives it (see `dns:` in src/config/load.ts): `listen`, one zone inline
   * (`zone`, `ttl`, `ns-ttl`, `names`, `ns`, `soa`) or `zones`, `startup`, `udp-size`, `tcp`. A listen port 0
   * takes a free one: dnsListening() says which.
   */
  dns?: Record<string, unknown>;
  /** The `route-server:` section exactly as the YAML gives it (type, host, port, password, cache-timeout, ...). */
  routeServer?: Record<string, unknown>;
  /** More options of `serve`, e.g. ['--warm-start', FILE]. */
  serveArgs?: string[];
}

/** An address the DNS responder listens on (UDP and TCP) and the port it got. */
export interface DnsListening {
  address: string;
  port: number;
}

/** `query --json`: one object per address. */
export interface QueryAnswer {
  addr: string;
  pop: string | null;
  answer: string | null;
  rule: string;
  prefix: string | null;
  asPath: Array<number | number[]> | null;
  scope: number;
  ranking: string[];
  error?: string;
}

/** `pops --json` entry (the fields the tests read; more are present). */
export interface PopStatus {
  name: string;
  as: number;
  up: boolean;
  down: string[];
  self: boolean;
  neighbors: { address: string; up: boolean }[];
  [more: string]: unknown;
}

/** `neighbors --json` entry (the fields issue 5 promises; more may be present). */
export interface NeighborStatus {
  address: string;
  remoteAs: number;
  state: string;
  uptime: number | string | null;
  prefixes: { ipv4: number; ipv6: number };
  lastError: string | null | Record<string, unknown>;
  [more: string]: unknown;
}

/** `routes --json` answer. */
export interface RouteAnswer {
  prefix: string;
  asPath: Array<number | number[]>;
  nextHop: string;
  neighbor: string;
  localPref: number | null;
  med: number | null;
  communities: unknown[];
  [more: string]: unknown;
}

export class Supersparrow {
  private dir = '';
  private proc: ManagedProcess | undefined;

  constructor(readonly options: SupersparrowOptions) {}

  get socket(): string {
    return path.join(this.dir, 'control.sock');
  }

  get pid(): number | undefined {
    return this.proc?.isRunning ? this.proc.pid : undefined;
  }

  get configFile(): string {
    return path.join(this.dir, 'supersparrow.yaml');
  }

  config(): Record<string, unknown> {
    const o = this.options;
    return {
      bgp: {
        'local-as': o.localAs,
        'router-id': o.address,
        listen: { address: o.address, port: o.listenPort },
        'hold-time': o.holdTime ?? 6,
        'connect-retry': o.connectRetry ?? 1,
      },
      neighbors: o.neighbors.map((n) => ({
        address: n.address,
        'remote-as': n.remoteAs,
        port: n.port,
        passive: n.passive,
        'local-address': o.address,
        'hold-time': n.holdTime ?? o.holdTime ?? 6,
        'connect-retry': n.connectRetry ?? o.connectRetry ?? 1,
        'graceful-restart': n.gracefulRestart ?? true,
        ...(n.pop !== undefined ? { pop: n.pop } : {}),
        ...(n.addPath !== undefined ? { 'add-path': n.addPath } : {}),
      })),
      ...(o.pops !== undefined ? { pops: o.pops } : {}),
      ...(o.proximity !== undefined ? { proximity: o.proximity } : {}),
      ...(o.overrides !== undefined ? { overrides: o.overrides } : {}),
      ...(o.dns !== undefined ? { dns: o.dns } : {}),
      ...(o.routeServer !== undefined ? { 'route-server': o.routeServer } : {}),
      control: { socket: this.socket },
      log: { level: o.logLevel ?? 'debug', file: path.join(this.dir, 'supersparrow.log') },
    };
  }

  async start(): Promise<void> {
    this.dir = await makeTempDir('supersparrow');
    await writeFile(this.configFile, stringify(this.config()));
    this.proc = new ManagedProcess('supersparrow', process.execPath, [SUPERSPARROW_BIN, 'serve', '--config', this.configFile, ...(this.options.serveArgs ?? [])], {
      cwd: REPO_ROOT,
      logFile: path.join(this.dir, 'stdout.log'),
    });
    await this.proc.waitReady('supersparrow control socket', async () => (await this.cli(['neighbors', '--json'])).code === 0, () => this.log(), 15_000, 200);
  }

  cli(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    const [cmd, ...rest] = args;
    return run(process.execPath, [SUPERSPARROW_BIN, cmd!, '--socket', this.socket, ...rest], { allowFailure: true, timeoutMs: 10_000 });
  }

  /**
   * Runs `supersparrow ARGS...` exactly as given (no `--socket` added: the original invocation takes it among its
   * options), with `input` on stdin. Never rejects on a non-zero exit; kills the command after timeoutMs.
   */
  exec(args: string[], input = '', timeoutMs = 30_000): Promise<{ stdout: string; stderr: string; code: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [SUPERSPARROW_BIN, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ stdout, stderr: signal ? `${stderr}(killed by ${signal} after ${timeoutMs} ms)` : stderr, code: code ?? 99 });
      });
      child.stdin.on('error', () => undefined); // the command may exit before reading all of it: seen in its status
      child.stdin.end(input);
    });
  }

  /** `query --json ADDR...`: the daemon's POP decision for each address. */
  async query(addresses: string[]): Promise<QueryAnswer[]> {
    const r = await this.cli(['query', '--json', ...addresses]);
    if (r.code !== 0) throw new Error(`query --json exited ${r.code}: ${r.stderr}`);
    return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as QueryAnswer);
  }

  /** `pops --json`: every POP's state. */
  async pops(): Promise<PopStatus[]> {
    const r = await this.cli(['pops', '--json']);
    if (r.code !== 0) throw new Error(`pops --json exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as PopStatus[];
  }

  async neighbors(): Promise<NeighborStatus[]> {
    const r = await this.cli(['neighbors', '--json']);
    if (r.code !== 0) throw new Error(`neighbors --json exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as NeighborStatus[];
  }

  async neighbor(address: string): Promise<NeighborStatus> {
    const n = (await this.neighbors()).find((x) => x.address === address);
    if (!n) throw new Error(`neighbor ${address} missing from neighbors --json`);
    return n;
  }

  /** The best route for an address or prefix, or null (exit status 1) when nothing matches. */
  async route(query: string): Promise<RouteAnswer | null> {
    const r = await this.cli(['routes', '--json', query]);
    const text = r.stdout.trim();
    if (r.code !== 0 && r.code !== 1) throw new Error(`routes --json ${query} exited ${r.code}: ${r.stderr}`);
    const value = JSON.parse(text === '' ? 'null' : text) as RouteAnswer | RouteAnswer[] | null;
    if (r.code === 1 && value !== null) throw new Error(`routes --json ${query} exited 1 but printed ${text}`);
    return Array.isArray(value) ? (value[0] ?? null) : value;
  }

  async waitForState(address: string, pred: (state: string) => boolean, what: string, timeoutMs: number): Promise<NeighborStatus> {
    return waitFor(`supersparrow's neighbor ${address} ${what}`, async () => {
      const n = await this.neighbor(address);
      return pred(n.state) ? n : undefined;
    }, timeoutMs, 100);
  }

  async waitEstablished(address: string, timeoutMs = 20_000): Promise<NeighborStatus> {
    return this.waitForState(address, (s) => s === 'Established', 'to be Established', timeoutMs);
  }

  /**
   * Where the DNS responder listens, from its log line "DNS responder listening on ..." (the ports it bound, port 0
   * in the config picking free ones). The responder starts after the control socket: polled until it is there.
   */
  async dnsListening(timeoutMs = 15_000): Promise<DnsListening[]> {
    return waitFor('supersparrow\'s DNS responder to listen', async () => {
      const record = (await this.logRecords()).find((r) => typeof r['msg'] === 'string' && r['msg'].startsWith('DNS responder listening on'));
      return record ? (record['listen'] as DnsListening[]) : undefined;
    }, timeoutMs, 100);
  }

  /** The JSON records of the daemon's log file so far (lines that are not JSON are left out). */
  async logRecords(): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    for (const line of (await readLog(path.join(this.dir, 'supersparrow.log'))).split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line being written as we read
      }
    }
    return out;
  }

  async log(): Promise<string> {
    const parts = await Promise.all(['stdout.log', 'supersparrow.log'].map((f) => readLog(path.join(this.dir, f))));
    return parts.filter((p) => p !== '').join('\n');
  }

  signal(sig: NodeJS.Signals): void {
    this.proc?.signal(sig);
  }

  async stop(): Promise<void> {
    await this.proc?.stop(3000);
    if (this.dir) await removeDir(this.dir);
  }
}
