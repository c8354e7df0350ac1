// `supersparrow demo`: the whole product on loopback. The demo writes a configuration with three POPs (multi-view
// rule, DNS zone example.test), starts `supersparrow serve --config` on it as a child process (exactly what an
// operator runs), and plays the three POP routers itself: built-in BGP speakers that replay a full-size table, each
// as its POP would see it. It shows the load from the daemon's own numbers, asks the daemon which addresses land on
// which POP, prints commands to paste, and keeps everything running until Ctrl-C, which stops it all.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIpv4 } from '../bgp/index.js';
import type { ControlRequest, MemoryJson, QueryJson } from '../control/index.js';
import {
  BgpFeeder,
  generateSyntheticTable,
  mrtPeerRouteGroups,
  packTable,
  pickMrtPeer,
  syntheticRouteGroups,
  viewRouteGroups,
  type MrtPeerCount,
  type PackedTable,
} from '../replay/index.js';
import type { NeighborStatus } from '../session/index.js';

export interface DemoOptions {
  /** Stop once the commands are printed instead of serving until Ctrl-C. */
  once: boolean;
  /** Addresses to look up once the table is loaded, besides the ones the demo picks for each POP. */
  queries: string[];
  /** Runs a CLI command in-process (so the demo shows exactly what `supersparrow neighbors/pops/query` print). */
  cli: (argv: string[]) => Promise<number>;
  /** One request over the daemon's control socket (the CLI's client). */
  request: (socket: string, request: ControlRequest) => Promise<unknown>;
  /** Where the narration goes. */
  out: NodeJS.WritableStream;
  /** A terminal: the load progress is a bar redrawn in place, else a log line a second. */
  tty: boolean;
  /** The DNS responder's port on 127.0.0.1. */
  dnsPort: number;
  /** The HTTP front end's port on 127.0.0.1 (metrics, API, status page). */
  httpPort: number;
  /** The control socket; default: in the demo's temporary folder. */
  socket?: string;
  /** The daemon's BGP address (it listens there on a free port). */
  address: string;
  /** The three POP routers' addresses (they connect from there). */
  routers: readonly string[];
  /**
   * Replay one peer's real table out of this MRT file (RIB dump or update file) instead of the synthetic one;
   * `peer` picks it by address (default: the peer with the most routes).
   */
  mrt?: { file: string; peer?: string };
}

export const DEFAULT_DEMO_ADDRESS = '127.0.0.10';
export const DEFAULT_DEMO_ROUTERS = ['127.0.0.11', '127.0.0.12', '127.0.0.13'] as const;
export const DEFAULT_DEMO_DNS_PORT = 5300;
export const DEFAULT_DEMO_HTTP_PORT = 9179;

const LOCAL_AS = 65010;
/** The content provider's AS: its three POP routers speak it, and the synthetic paths start with it. */
const PROVIDER_AS = 64500;
const ZONE = 'example.test';

/** The demo's POPs, one router each; answers from the documentation ranges (RFC 5737, RFC 3849). */
const POPS = [
  { name: 'ams', ipv4: '192.0.2.1', ipv6: '2001:db8:1::1' },
  { name: 'nyc', ipv4: '198.51.100.1', ipv6: '2001:db8:2::1' },
  { name: 'sin', ipv4: '203.0.113.1', ipv6: '2001:db8:3::1' },
] as const;

/** Well-known resolvers and root servers first: a reader knows them. The demo shows one per POP if it can. */
const WELL_KNOWN = ['8.8.8.8', '1.1.1.1', '9.9.9.9', '193.0.14.129', '208.67.222.222', '4.2.2.2', '64.6.64.6', '77.88.8.8', '94.140.14.14', '185.228.168.9'];
const WELL_KNOWN_IPV6 = ['2001:4860:4860::8888', '2606:4700:4700::1111', '2620:fe::fe', '2001:7fd::1'];

/** The launcher: the demo runs `node <this> serve`, whatever started the demo (dist/src/demo -> bin). */
const SUPERSPARROW_BIN = fileURLToPath(new URL('../../../bin/supersparrow.js', import.meta.url));
/** How long `serve` gets to stop after SIGTERM before SIGKILL. */
const SERVE_STOP_GRACE_MS = 10_000;

/** Why the demo ends before its time: a signal (exit 0) or the daemon's death (exit 1). */
type Ending = { signal: NodeJS.Signals; text?: undefined } | { signal?: undefined; text: string };

class DemoInterrupted extends Error {
  constructor(readonly ending: Ending) {
    super(ending.text ?? `interrupted by ${ending.signal}`);
  }
}

/** The end of the demo as a thing every wait races against. */
class DemoEnd {
  ending: Ending | null = null;
  private readonly waiters = new Set<(ending: Ending) => void>();

  end(ending: Ending): void {
    if (this.ending !== null) return;
    this.ending = ending;
    for (const w of this.waiters) w(ending);
    this.waiters.clear();
  }

  /** `p`, unless the demo ends first (then rejects with DemoInterrupted). */
  until<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.ending !== null) {
        reject(new DemoInterrupted(this.ending));
        p.catch(() => undefined);
        return;
      }
      const onEnd = (ending: Ending): void => reject(new DemoInterrupted(ending));
      this.waiters.add(onEnd);
      p.then(
        (v) => {
          this.waiters.delete(onEnd);
          resolve(v);
        },
        (err: unknown) => {
          this.waiters.delete(onEnd);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  check(): void {
    if (this.ending !== null) throw new DemoInterrupted(this.ending);
  }

  sleep(ms: number): Promise<void> {
    return this.until(new Promise((r) => setTimeout(r, ms)));
  }
}

/**
 * `supersparrow serve` as the demo's child: its own process group, its output in a log file, and a pipe on its
 * stdin that the demo holds and never writes (--exit-with-parent): should the demo die without stopping it (SIGKILL),
 * the kernel closes the pipe and the daemon stops as on SIGTERM instead of running on as an orphan.
 */
class ServeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running = true;

  constructor(
    configFile: string,
    readonly logFile: string,
  ) {
    const log = openSync(logFile, 'a');
    // detached: a Ctrl-C in the terminal reaches the demo alone, which stops the routers first and then the daemon.
    this.child = spawn(process.execPath, [SUPERSPARROW_BIN, 'serve', '--config', configFile, '--exit-with-parent'], { stdio: ['pipe', log, log], detached: true });
    closeSync(log);
    // Nothing is written to it; an error (the daemon gone) is the exit's business.
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.running = false;
        this.child.stdin!.destroy();
        resolve({ code, signal });
      });
      this.child.once('error', () => {
        this.running = false;
        this.child.stdin?.destroy();
        resolve({ code: null, signal: null });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** SIGTERM, SIGKILL after graceMs; resolves once it has exited, with whether it had to be killed. */
  async stop(graceMs: number): Promise<{ killed: boolean }> {
    if (!this.running) return { killed: false };
    this.child.kill('SIGTERM');
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      this.child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
    return { killed };
  }

  /** The JSON records of its log so far. */
  records(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.text().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a line being written
      }
    }
    return out;
  }

  /** The last `lines` lines of its log (stderr and stdout). */
  tail(lines: number): string {
    return this.text().trimEnd().split('\n').slice(-lines).join('\n');
  }

  private text(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }
}

/** One POP router: its view of the table, packed, and its session once connected. */
interface Router {
  pop: string;
  address: string;
  table: PackedTable;
  feeder: BgpFeeder | null;
}

export async function runDemo(o: DemoOptions): Promise<number> {
  if (o.routers.length !== POPS.length) throw new Error(`the demo needs ${POPS.length} router addresses, got ${o.routers.length}`);
  let outputClosed = false;
  const say = (line = ''): void => {
    if (!outputClosed) o.out.write(line + '\n');
  };
  // The MRT peer first: a wrong --peer is said before anything starts, and its AS goes into the configuration.
  const mrtPeer = o.mrt ? await pickMrtPeer(o.mrt.file, o.mrt.peer) : null;
  if (mrtPeer?.peer.as === LOCAL_AS) throw new Error(`peer ${mrtPeer.peer.address} is in AS${LOCAL_AS}, the demo daemon's own AS: pick another with --peer`);
  const routerAs = mrtPeer?.peer.as ?? PROVIDER_AS;
  const dir = mkdtempSync(path.join(tmpdir(), 'supersparrow-demo-'));
  const socket = o.socket ?? path.join(dir, 'supersparrow.sock');
  const configFile = path.join(dir, 'demo.yaml');
  const end = new DemoEnd();
  let serve: ServeProcess | null = null;
  const routers: Router[] = [];
  /** Until every router's table is in: a router's session closing then fails the demo. */
  let loading = true;
  /** The demo stops its routers itself from here on. */
  let finishing = false;
  // A second Ctrl-C does not wait for the clean stop.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      if (serve?.running) serve.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    }
    end.end({ signal });
  };
  const signalNames: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signalNames) process.on(s, onSignal);
  // Whatever happens to this process short of SIGKILL (an uncaught error, EPIPE on a closed stdout), the daemon
  // and the temporary folder do not outlive it.
  const onExit = (): void => {
    if (serve?.running) serve.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  // Output into a pipe that closed (`npm run demo | head`): stop as on a signal, and write nothing more. The
  // listener stays: every later write to it fails the same way.
  o.out.on('error', () => {
    outputClosed = true;
    end.end({ signal: 'SIGPIPE' });
  });
  const cmd = commandName();
  try {
    say(`# supersparrow demo: three POP routers replay a full-size table into \`supersparrow serve\`, all on loopback`);
    writeFileSync(configFile, demoConfig(o, socket, routerAs));
    serve = new ServeProcess(configFile, path.join(dir, 'serve.log'));
    const child = serve;
    void child.exited.then(({ code, signal }) => {
      end.end({ text: `supersparrow serve (pid ${child.pid}) exited ${signal ? `on ${signal}` : `with status ${code}`}; the end of its log:\n${child.tail(20)}` });
    });
    say(`# started supersparrow serve (pid ${serve.pid}): ${cmd} serve --config ${configFile}`);
    say(`#   its log: ${serve.logFile}`);

    say(`# building the routers' tables${o.mrt ? '' : ' (a full-size table and three views of it: 15-30 s)'}`);
    const started = performance.now();
    const tables = o.mrt && mrtPeer ? await mrtViews(o.mrt.file, mrtPeer, o.routers, say) : syntheticViews(o.routers, say);
    const first = tables.views[0]!;
    say(`# table: ${tables.description}`);
    say(
      `#   one view per POP router (same prefixes; each router prepends its AS 0-2 times by origin AS, so each POP is closest for ~1/3): ` +
        `${POPS.length} x ${first.messages.toLocaleString('en-US')} UPDATEs, ${POPS.length} x ${(first.bytes / 2 ** 20).toFixed(1)} MiB, built in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    end.check();
    for (let i = 0; i < POPS.length; i++) routers.push({ pop: POPS[i]!.name, address: o.routers[i]!, table: tables.views[i]!, feeder: null });

    const bgpPort = await end.until(waitForListening(serve, end));
    say(`# supersparrow listens for BGP on ${o.address}:${bgpPort}; the routers ${routers.map((r) => `${r.pop} ${r.address}`).join(', ')} (AS${routerAs}) connect`);
    await end.until(
      Promise.all(
        routers.map(async (r) => {
          const feeder = await BgpFeeder.connect({
            host: o.address,
            port: bgpPort,
            localAddress: r.address,
            localAs: routerAs,
            remoteAs: LOCAL_AS,
            routerId: r.address,
            holdTime: 90,
          });
          r.feeder = feeder;
          // The daemon closed a router's session (a NOTIFICATION, a reset): during the load, its routes are gone and
          // the load would never complete, so the demo ends; later (`supersparrow shutdown` from another terminal)
          // it is said. The daemon's death, when that is the cause, is the better reason: its exit comes a little later.
          feeder.once('closed', (reason) => {
            if (end.ending !== null || finishing) return;
            const text = `the session of router ${r.pop} (${r.address}) closed: ${reason}`;
            if (!loading) return say(`# ${text}`);
            void Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]).then(() => end.end({ text }));
          });
        }),
      ),
    );
    const establishedAt = performance.now();
    // All three at once, as three routers would; the progress comes from the daemon's own counts.
    const sending = Promise.all(
      routers.map(async (r) => {
        await r.feeder!.send(r.table.chunks, r.table.messages);
        await r.feeder!.sendEndOfRib();
      }),
    );
    sending.catch(() => undefined); // a failure is seen through until() below, or the daemon's death
    const loaded = await showProgress(o, socket, routers, end, establishedAt);
    await end.until(sending);
    loading = false;
    const seconds = (performance.now() - establishedAt) / 1000;
    const memory = (await end.until(o.request(socket, { command: 'memory' }))) as MemoryJson;
    say(
      `# loaded ${loaded.toLocaleString('en-US')} prefixes from ${routers.length} routers in ${seconds.toFixed(1)} s from Established ` +
        `(${Math.round(loaded / seconds).toLocaleString('en-US')} prefixes/s); RSS: supersparrow serve ${mib(memory.process.rss)}, ` +
        `the demo (routers and their tables) ${mib(process.memoryUsage().rss)}`,
    );
    const ready = await end.until(waitForReady(o.httpPort, serve, end));
    say(`# the daemon is ready: ${ready}`);

    say();
    say(`$ supersparrow neighbors`);
    await o.cli(['neighbors', '--socket', socket]);
    say();
    say(`$ supersparrow pops`);
    await o.cli(['pops', '--socket', socket]);
    const picked = await end.until(pickAddresses(o, socket));
    const queries = [...new Set([...picked.map((p) => p.addr), ...o.queries])];
    say();
    say(`$ supersparrow query ${queries.join(' ')}`);
    await o.cli(['query', '--socket', socket, ...queries]);
    end.check();

    say();
    say(`# ready: supersparrow serve (pid ${serve.pid}) answers DNS for ${ZONE} on 127.0.0.1:${o.dnsPort}, HTTP on http://127.0.0.1:${o.httpPort}/ and its control socket ${socket}.`);
    say(`# Try, in another terminal:`);
    const digs = picked.map((p) => {
      const pop = POPS.find((x) => x.name === p.pop)!;
      const v6 = p.addr.includes(':');
      const command = `dig @127.0.0.1 -p ${o.dnsPort} www.${ZONE} ${v6 ? 'AAAA ' : ''}+subnet=${p.addr}/${v6 ? 48 : 24}`;
      return { command, comment: `# -> ${p.pop} (${v6 ? pop.ipv6 : pop.ipv4}), via ${p.prefix}` };
    });
    const width = Math.max(0, ...digs.map((d) => d.command.length));
    for (const d of digs) say(`  ${d.command.padEnd(width)}   ${d.comment}`);
    const first3 = picked.filter((p) => !p.addr.includes(':')).map((p) => p.addr);
    say(`  ${cmd} query --socket ${socket} ${first3.join(' ')}`);
    say(`  ${cmd} explain --socket ${socket} ${first3[0] ?? '8.8.8.8'}`);
    say(`  ${cmd} neighbors --socket ${socket}`);
    say(`  ${cmd} routes --socket ${socket} ${first3[0] ?? '8.8.8.8'}`);
    say(`  curl -s http://127.0.0.1:${o.httpPort}/metrics | grep '^supersparrow_prefixes'`);
    say(`  curl -s 'http://127.0.0.1:${o.httpPort}/api/v1/query?addr=${first3[0] ?? '8.8.8.8'}'`);
    say(`# The status page: http://127.0.0.1:${o.httpPort}/`);
    if (o.once) {
      say(`# --once: stopping now (without --once, these work until Ctrl-C).`);
      return 0;
    }
    say(`# Ctrl-C stops everything.`);
    await end.until(new Promise<never>(() => undefined));
    return 0;
  } catch (err) {
    if (!(err instanceof DemoInterrupted)) {
      if (o.tty) say();
      process.stderr.write(`supersparrow demo: ${(err as Error).message}\n`);
      if (serve !== null) process.stderr.write(`the end of supersparrow serve's log:\n${serve.tail(10)}\n`);
      return 1;
    }
    if (err.ending.text !== undefined) {
      say(`# ${err.ending.text}`);
      return 1;
    }
    if (o.tty) say();
    say(`# ${err.ending.signal}: stopping`);
    return 0;
  } finally {
    finishing = true;
    await Promise.all(routers.map((r) => r.feeder?.stop('demo finished')));
    if (serve?.running) {
      say(`# stopping supersparrow serve (pid ${serve.pid})`);
      const { killed } = await serve.stop(SERVE_STOP_GRACE_MS);
      if (killed) say(`# supersparrow serve did not stop within ${SERVE_STOP_GRACE_MS / 1000} s of SIGTERM: killed`);
    }
    rmSync(dir, { recursive: true, force: true });
    for (const s of signalNames) process.off(s, onSignal);
    process.off('exit', onExit);
    say(`# stopped`);
  }
}

/** How to run the CLI from here: `node bin/supersparrow.js` from a checkout (relative when below the cwd). */
function commandName(): string {
  const relative = path.relative(process.cwd(), SUPERSPARROW_BIN);
  return `node ${relative.startsWith('..') || path.isAbsolute(relative) ? SUPERSPARROW_BIN : relative}`;
}

const seconds = (since: number): string => ((performance.now() - since) / 1000).toFixed(1);
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The daemon's configuration: three POPs, each fed by its own router (`pop:`), the multi-view rule, DNS. */
function demoConfig(o: DemoOptions, socket: string, routerAs: number): string {
  const lines = [
    `# Written by \`supersparrow demo\`: three POPs, each with its own router peer (the demo's), deciding by the`,
    `# multi-view rule: a client goes to the POP whose router has the best route to it.`,
    `bgp:`,
    `  local-as: ${LOCAL_AS}`,
    `  router-id: ${o.address}`,
    `  listen: { address: ${o.address}, port: 0 }   # 0: any free port (the demo reads it from the log)`,
    `neighbors:`,
  ];
  POPS.forEach((pop, i) => {
    lines.push(`  - address: ${o.routers[i]}`, `    remote-as: ${routerAs}`, `    passive: true`, `    pop: ${pop.name}`, `    description: ${pop.name} POP router (the demo's, replaying a table)`);
  });
  lines.push(`pops:`);
  for (const pop of POPS) lines.push(`  ${pop.name}: { as: ${routerAs}, ipv4: ${pop.ipv4}, ipv6: "${pop.ipv6}", host: ${pop.name}.${ZONE} }`);
  lines.push(
    `proximity:`,
    `  rule: multi-view`,
    `  self: ${POPS[0].name}`,
    `dns:`,
    `  listen: [ "127.0.0.1:${o.dnsPort}" ]`,
    `  zone: ${ZONE}`,
    `  names:`,
    `    www: { answers: 1 }`,
    `    "@": {}`,
    `  ns:`,
    `    ns1.${ZONE}: [ 127.0.0.1 ]`,
    `  startup: { ttl: 5, timeout: 600 }   # answer self until every router has sent End-of-RIB`,
    `http:                    # metrics, the JSON API and the status page`,
    `  listen: "127.0.0.1:${o.httpPort}"`,
    `control:`,
    `  socket: ${socket}`,
    `log:`,
    `  level: info`,
    ``,
  );
  return lines.join('\n');
}

interface DemoTables {
  /** Per router, its view, packed. */
  views: PackedTable[];
  description: string;
}

/** The synthetic full-size table, generated once, as each router sees it. */
function syntheticViews(routers: readonly string[], say: (line: string) => void): DemoTables {
  let started = performance.now();
  const synthetic = generateSyntheticTable({ peerAs: PROVIDER_AS, nextHop: parseIpv4(routers[0]!) });
  say(`#   generated in ${seconds(started)} s; packing each router's view into UPDATEs`);
  const distinct = { ipv4: synthetic.ipv4Prefixes, ipv6: synthetic.ipv6Prefixes };
  const views = routers.map((address, index) => {
    started = performance.now();
    const view = packTable(viewRouteGroups(syntheticRouteGroups(synthetic), { index, count: routers.length }, parseIpv4(address)), { distinct });
    say(`#   ${POPS[index]!.name}'s view packed in ${seconds(started)} s`);
    return view;
  });
  return {
    views,
    description:
      `${synthetic.ipv4Prefixes.toLocaleString('en-US')} IPv4 + ${synthetic.ipv6Prefixes.toLocaleString('en-US')} IPv6 prefixes ` +
      `(real address ranges and origin ASes from @ip-location-db/asn, synthetic AS paths), ${synthetic.attributeSets.toLocaleString('en-US')} attribute sets`,
  };
}

/** One peer's table out of an MRT file (the one asked for, or the one with the most routes), as each router sees it. */
async function mrtViews(file: string, picked: { peer: MrtPeerCount; peers: number }, routers: readonly string[], say: (line: string) => void): Promise<DemoTables> {
  const { peer, peers } = picked;
  const started = performance.now();
  const { groups, loaded, distinct } = await mrtPeerRouteGroups(file, peer, parseIpv4(routers[0]!));
  say(`#   read in ${seconds(started)} s; packing each router's view into UPDATEs`);
  const views = routers.map((_, index) => packTable(viewRouteGroups(groups, { index, count: routers.length }), { distinct }));
  const what = loaded.entries > 0 ? `its RIB entries` : `its ${loaded.updates.toLocaleString('en-US')} UPDATEs replayed in order`;
  return {
    views,
    description:
      `${path.basename(file)}, peer ${peer.address} AS${peer.as} (${peers} peer${peers === 1 ? '' : 's'} in the file), ${what}: ` +
      `${distinct.ipv4.toLocaleString('en-US')} IPv4 + ${distinct.ipv6.toLocaleString('en-US')} IPv6 prefixes with their real attributes, ` +
      `${views[0]!.attributeSets.toLocaleString('en-US')} attribute sets${loaded.errors > 0 ? `; ${loaded.errors} refused by the codec` : ''}`,
  };
}

/** The daemon's BGP port, from its log line once it listens (it binds port 0: a free one). */
async function waitForListening(serve: ServeProcess, end: DemoEnd): Promise<number> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const records = serve.records();
    const listening = records.find((r) => r['msg'] === 'listening for BGP connections');
    if (listening !== undefined && records.some((r) => r['msg'] === 'supersparrow started')) return Number(listening['port']);
    if (performance.now() > deadline) throw new Error(`supersparrow serve did not start within 60 s; the end of its log:\n${serve.tail(20)}`);
    await end.sleep(50);
  }
}

/**
 * Waits until the daemon is ready by its own account: GET /readyz answers 200 once every router has sent
 * End-of-RIB. Returns its reason.
 */
async function waitForReady(httpPort: number, serve: ServeProcess, end: DemoEnd): Promise<string> {
  const deadline = performance.now() + 120_000;
  let last = '';
  for (;;) {
    try {
      const response = await end.until(fetch(`http://127.0.0.1:${httpPort}/readyz`, { signal: AbortSignal.timeout(10_000) }));
      const body = await end.until(response.text());
      if (response.status === 200) return (JSON.parse(body) as { reason?: string }).reason ?? body;
      last = `${response.status} ${body}`;
    } catch (err) {
      if (err instanceof DemoInterrupted) throw err;
      last = (err as Error).message;
    }
    if (performance.now() > deadline) throw new Error(`/readyz did not answer 200 within 120 s of the load (${last}); the end of the daemon's log:\n${serve.tail(20)}`);
    await end.sleep(100);
  }
}

/**
 * Follows the load through the daemon's own counts (`neighbors` over the control socket) until every router's
 * prefixes are installed: a bar redrawn in place on a terminal, a line a second otherwise. Returns the count.
 */
async function showProgress(o: DemoOptions, socket: string, routers: Router[], end: DemoEnd, since: number): Promise<number> {
  const want = routers.map((r) => r.table.ipv4 + r.table.ipv6);
  const total = want.reduce((a, b) => a + b, 0);
  const deadline = performance.now() + 600_000;
  let lastLine = 0;
  for (;;) {
    const neighbors = (await end.until(o.request(socket, { command: 'neighbors' }))) as NeighborStatus[];
    const have = routers.map((r) => {
      const n = neighbors.find((x) => x.address === r.address);
      return n === undefined ? 0 : n.prefixes.ipv4 + n.prefixes.ipv6;
    });
    const sum = have.reduce((a, b) => a + b, 0);
    const seconds = (performance.now() - since) / 1000;
    const rate = seconds > 0 ? sum / seconds : 0;
    const eta = rate > 0 ? Math.ceil((total - sum) / rate) : null;
    const done = have.every((h, i) => h >= want[i]!);
    const parts = routers.map((r, i) => `${r.pop} ${Math.floor((100 * have[i]!) / want[i]!)}%`).join('  ');
    const counts = `${sum.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} prefixes`;
    const speed = `${Math.round(rate).toLocaleString('en-US')}/s`;
    if (o.tty) {
      const width = 30;
      const filled = Math.round((width * sum) / total);
      o.out.write(`\rloading [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${counts}  ${parts}  ${speed}${eta !== null && !done ? `  ETA ${eta} s` : ''}\x1b[K`);
      if (done) o.out.write('\n');
    } else if (done || performance.now() - lastLine >= 1000) {
      lastLine = performance.now();
      o.out.write(`# loading: ${counts} (${parts}), ${speed}${eta !== null && !done ? `, ETA ${eta} s` : ''}\n`);
    }
    if (done) return sum;
    if (performance.now() > deadline) throw new Error(`the table did not load within 600 s (${counts})`);
    await end.sleep(o.tty ? 200 : 250);
  }
}

/**
 * For each POP, an address the daemon sends there because that POP's router has the best route (asked, not
 * assumed): a well-known one where one lands there, else the first of a spread of /24s; and one IPv6 address.
 * Addresses are network addresses (x.y.z.0), so that `dig +subnet=x.y.z.0/24` asks about the same block.
 */
async function pickAddresses(o: DemoOptions, socket: string): Promise<QueryJson[]> {
  const block = (a: string): string => a.replace(/\.\d+$/, '.0');
  const candidates = [...WELL_KNOWN.map(block)];
  for (let n = 1; n < 224; n++) candidates.push(`${n}.${(n * 37) % 256}.${(n * 101) % 256}.0`);
  const answers = (await o.request(socket, { command: 'query', addresses: candidates })) as QueryJson[];
  const picked: QueryJson[] = [];
  for (const pop of POPS) {
    const a = answers.find((q) => q.pop === pop.name && q.rule === 'route');
    if (a !== undefined) picked.push(a);
  }
  const v6 = (await o.request(socket, { command: 'query', addresses: WELL_KNOWN_IPV6.map((a) => a.replace(/::[0-9a-f]*$/, '::')) })) as QueryJson[];
  const routed6 = v6.find((q) => q.rule === 'route' && q.prefix !== null);
  if (routed6 !== undefined) picked.push(routed6);
  return picked;
}
