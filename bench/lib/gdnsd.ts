// gdnsd 3 (Debian `gdnsd`) as the DNS benchmark's reference: the same names served statically from a zone file,
// one UDP and one TCP thread, on its own port and with its own run and state folders (a system gdnsd on port 53,
// if the package started one, is neither used nor touched). `gdnsd -c DIR start` runs in the foreground.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ManagedProcess, makeTempDir, readLog, removeDir } from '../../test/helpers/peers/process.js';
import { trackDir, untrackDir } from './cleanup.js';
import { dnsQuery } from './dns-clients.js';
import { DnsProbe } from './dns-probe.js';

export const GDNSD_PATH = '/usr/sbin/gdnsd';

export interface StaticZone {
  /** e.g. example.test */
  zone: string;
  ttl: number;
  /** Records as zone file lines relative to the origin, e.g. `www A 192.0.2.1`. */
  records: string[];
  ns: { name: string; address: string };
}

export class Gdnsd {
  private dir = '';
  private proc: ManagedProcess | undefined;

  constructor(
    readonly address: string,
    readonly port: number,
    private readonly zone: StaticZone,
    /** `taskset -c` CPU list. */
    private readonly cpus: string,
  ) {}

  get pid(): number {
    if (this.proc?.pid === undefined) throw new Error('gdnsd is not running');
    return this.proc.pid;
  }

  private get log(): string {
    return path.join(this.dir, 'gdnsd.log');
  }

  async start(): Promise<void> {
    this.dir = await makeTempDir('bench-gdnsd');
    trackDir(this.dir);
    const z = this.zone;
    await mkdir(path.join(this.dir, 'zones'));
    await mkdir(path.join(this.dir, 'run'));
    await mkdir(path.join(this.dir, 'state'));
    await writeFile(
      path.join(this.dir, 'config'),
      `options => {\n  listen => [ ${this.address}:${this.port} ]\n  udp_threads => 1\n  tcp_threads => 1\n` +
        `  run_dir => ${path.join(this.dir, 'run')}\n  state_dir => ${path.join(this.dir, 'state')}\n}\n`,
    );
    const nsLabel = z.ns.name.endsWith(`.${z.zone}`) ? z.ns.name.slice(0, -z.zone.length - 1) : `${z.ns.name}.`;
    await writeFile(
      path.join(this.dir, 'zones', z.zone),
      [`$TTL ${z.ttl}`, `@ SOA ${nsLabel} hostmaster 1 7200 1800 259200 900`, `@ NS ${nsLabel}`, `${nsLabel} A ${z.ns.address}`, ...z.records, ''].join('\n'),
    );
    // taskset execs gdnsd: the process's pid is gdnsd's (whose threads /proc/PID/stat counts together).
    this.proc = new ManagedProcess('gdnsd', 'taskset', ['-c', this.cpus, GDNSD_PATH, '-c', this.dir, 'start'], { cwd: this.dir, logFile: this.log });
    const probe = await DnsProbe.open(this.address, this.port);
    try {
      const q = dnsQuery(`www.${z.zone}`, 'A', null);
      await this.proc.waitReady('gdnsd to answer', async () => (await probe.ask(q, 200)).answers.length > 0, () => readLog(this.log), 10_000, 50);
    } finally {
      probe.close();
    }
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    if (this.dir) {
      await removeDir(this.dir);
      untrackDir(this.dir);
    }
  }
}
