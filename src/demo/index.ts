// `supersparrow demo`: the whole service on loopback in one process. A built-in router peer (our own replaying
// BGP speaker) connects to a running supersparrow daemon and sends it a full-size table; the demo then asks the
// daemon what any operator would, through the same control socket and CLI commands.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type bunyanType from 'bunyan';
import { loadConfigFile } from '../config/index.js';
import { startDaemon, type Daemon } from '../daemon/index.js';
import {
  BgpFeeder,
  generateSyntheticTable,
  packMrtPeerTable,
  packTable,
  pickMrtPeer,
  syntheticRouteGroups,
  type PackedTable,
} from '../replay/index.js';

// A CommonJS package: require(), not import (RSS; see src/config/load.ts).
const bunyan = createRequire(import.meta.url)('bunyan') as typeof bunyanType;

export interface DemoOptions {
  /** Stop after the queries instead of serving until Ctrl-C. */
  once: boolean;
  /** Addresses to look up once the table is loaded. */
  queries: string[];
  /** Runs a CLI command in-process (so the demo shows exactly what `supersparrow neighbors/routes` print). */
  cli: (argv: string[]) => Promise<number>;
  /** Where the narration goes. */
  out: NodeJS.WritableStream;
  /**
   * Replay one peer's real table out of this MRT file (RIB dump or update file) instead of the synthetic one;
   * `peer` picks it by address (default: the peer with the most routes).
   */
  mrt?: { file: string; peer?: string };
}

/** Well-known resolvers and root servers, both families: every user knows what they should route to. */
export const DEFAULT_DEMO_QUERIES = ['8.8.8.8', '1.1.1.1', '9.9.9.9', '193.0.14.129', '2001:4860:4860::8888', '2606:4700:4700::1111'];

const DAEMON_ADDRESS = '127.0.0.10';
const ROUTER_ADDRESS = '127.0.0.11';
const LOCAL_AS = 65010;
const ROUTER_AS = 64500;
/** 127.0.0.11: the router peer's address, for routes of a table dump that keep no IPv4 NEXT_HOP. */
const ROUTER_NEXT_HOP = 0x7f00000b;

export async function runDemo(options: DemoOptions): Promise<number> {
  const say = (line = ''): void => {
    options.out.write(line + '\n');
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'supersparrow-demo-'));
  const socket = path.join(dir, 'supersparrow.sock');
  const configFile = path.join(dir, 'supersparrow.yaml');
  let daemon: Daemon | null = null;
  let router: BgpFeeder | null = null;
  try {
    say(`# supersparrow demo: a BGP listener and a built-in router peer on loopback`);
    const started = performance.now();
    const table = options.mrt ? await packMrtTable(options.mrt.file, options.mrt.peer) : packSyntheticTable();
    const routerAs = table.routerAs;
    say(`# table: ${table.description}; ${table.packed.messages} UPDATEs, ${(table.packed.bytes / 2 ** 20).toFixed(1)} MiB, built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    writeFileSync(configFile, demoConfig(socket, routerAs));
    say(`# configuration (${configFile}):`);
    for (const line of demoConfig(socket, routerAs).trimEnd().split('\n')) say(`#   ${line}`);

    const config = loadConfigFile(configFile);
    // The narration says what matters; the daemon's own log (JSON) only speaks up for problems.
    const log = bunyan.createLogger({ name: 'supersparrow', level: 'error', streams: [{ stream: process.stderr, level: 'error' }] });
    daemon = await startDaemon(config, socket, log);
    const port = daemon.speaker.listenPort;
    if (port === null) throw new Error('the demo daemon is not listening');
    say(`# supersparrow listens on ${DAEMON_ADDRESS}:${port}; the router peer ${ROUTER_ADDRESS} (AS${routerAs}) connects`);

    router = await BgpFeeder.connect({
      host: DAEMON_ADDRESS,
      port,
      localAddress: ROUTER_ADDRESS,
      localAs: routerAs,
      remoteAs: LOCAL_AS,
      routerId: ROUTER_ADDRESS,
      holdTime: 90,
    });
    const establishedAt = performance.now();
    await router.send(table.packed.chunks, table.packed.messages);
    await router.sendEndOfRib();
    const want = table.packed.ipv4 + table.packed.ipv6;
    const loaded = await waitForPrefixes(daemon, want, 120_000);
    const seconds = (performance.now() - establishedAt) / 1000;
    const ribMiB = daemon.rib.memory().total / 2 ** 20;
    say(`# loaded ${loaded.toLocaleString('en-US')} prefixes in ${seconds.toFixed(2)} s from Established (${Math.round(loaded / seconds).toLocaleString('en-US')} prefixes/s); RIB ${ribMiB.toFixed(0)} MiB, ${daemon.rib.attributeSetCount.toLocaleString('en-US')} attribute sets`);
    if (loaded < want) throw new Error(`only ${loaded} of ${want} prefixes arrived (the daemon's log on stderr says why)`);

    say();
    say(`$ supersparrow neighbors --socket ${socket}`);
    await options.cli(['neighbors', '--socket', socket]);
    for (const q of options.queries) {
      say();
      say(`$ supersparrow routes --socket ${socket} ${q}`);
      await options.cli(['routes', '--socket', socket, q]);
    }
    say();
    say(`$ supersparrow memory --socket ${socket}`);
    await options.cli(['memory', '--socket', socket]);
    say('# (the demo process also holds the router peer and the table it replays: `npm run bench:ingest` measures `serve` alone)');
    if (options.once) return 0;
    say();
    say(`# the daemon keeps running; in another terminal try:`);
    say(`#   node bin/supersparrow.js routes --socket ${socket} --json 203.0.113.7`);
    say(`#   node bin/supersparrow.js neighbors --socket ${socket} --json`);
    say(`#   node bin/supersparrow.js memory --socket ${socket}`);
    say(`# Ctrl-C stops it.`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return 0;
  } finally {
    await router?.stop('demo finished');
    if (daemon !== null) await daemon.stop('demo finished');
    rmSync(dir, { recursive: true, force: true });
  }
}

function demoConfig(socket: string, routerAs: number): string {
  return [
    `bgp:`,
    `  local-as: ${LOCAL_AS}`,
    `  router-id: ${DAEMON_ADDRESS}`,
    `  listen: { address: ${DAEMON_ADDRESS}, port: 0 }   # 0: any free port`,
    `neighbors:`,
    `  - address: ${ROUTER_ADDRESS}`,
    `    remote-as: ${routerAs}`,
    `    passive: true`,
    `    description: built-in router peer replaying a table`,
    `control:`,
    `  socket: ${socket}`,
    `log:`,
    `  level: error`,
    ``,
  ].join('\n');
}

interface DemoTable {
  packed: PackedTable;
  description: string;
  /** The AS the router peer speaks as: the first AS of every path it sends. */
  routerAs: number;
}

function packSyntheticTable(): DemoTable {
  const synthetic = generateSyntheticTable({ peerAs: ROUTER_AS, nextHop: ROUTER_NEXT_HOP });
  return {
    routerAs: ROUTER_AS,
    packed: packTable(syntheticRouteGroups(synthetic)),
    description:
      `${synthetic.ipv4Prefixes.toLocaleString('en-US')} IPv4 + ${synthetic.ipv6Prefixes.toLocaleString('en-US')} IPv6 prefixes ` +
      `(real address ranges and origin ASes from @ip-location-db/asn, synthetic AS paths), ${synthetic.attributeSets.toLocaleString('en-US')} attribute sets`,
  };
}

/** One peer's table out of an MRT file: the peer asked for, or the one with the most routes. */
async function packMrtTable(file: string, peerAddress?: string): Promise<DemoTable> {
  const { peer, peers } = await pickMrtPeer(file, peerAddress);
  if (peer.as === LOCAL_AS) throw new Error(`peer ${peer.address} is in AS${LOCAL_AS}, the demo daemon's own AS: pick another with --peer`);
  const { packed, loaded } = await packMrtPeerTable(file, peer, ROUTER_NEXT_HOP);
  const what = loaded.entries > 0 ? `its RIB entries` : `its ${loaded.updates.toLocaleString('en-US')} UPDATEs replayed in order`;
  return {
    routerAs: peer.as,
    packed,
    description:
      `${path.basename(file)}, peer ${peer.address} AS${peer.as} (${peers} peer${peers === 1 ? '' : 's'} in the file), ${what}: ` +
      `${packed.ipv4.toLocaleString('en-US')} IPv4 + ${packed.ipv6.toLocaleString('en-US')} IPv6 prefixes with their real attributes, ` +
      `${packed.attributeSets.toLocaleString('en-US')} attribute sets${loaded.errors > 0 ? `; ${loaded.errors} refused by the codec` : ''}`,
  };
}

/** Waits until `want` prefixes are installed, or until the count has not moved for 3 s (what arrived is all). */
async function waitForPrefixes(daemon: Daemon, want: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let have = -1;
  let changedAt = performance.now();
  for (;;) {
    let now = 0;
    for (const n of daemon.speaker.status()) now += n.prefixes.ipv4 + n.prefixes.ipv6;
    if (now !== have) {
      have = now;
      changedAt = performance.now();
    }
    if (have >= want || performance.now() > deadline || performance.now() - changedAt > 3000) return have;
    await new Promise((r) => setTimeout(r, 10));
  }
}
