// bench:fallback — answers per second from a real FRR bgpd console through the route-server adapter.
//
// FRR bgpd (Debian frr, no zebra) holds one RIS peer's full IPv4 table, fed over BGP by the built-in router peer;
// its telnet vty has a password. The adapter (one persistent console connection, the cache keyed by the matched
// prefix, more-specifics listed once per prefix) answers, with the classic decision over its cache:
//
//   cold: N addresses, one in each of N random prefixes of the table, none cached (a console lookup each);
//   warm: M more addresses of the same networks (other hosts of each cold address's /24, inside its prefix):
//         the cache answers.
// It also times what the optional listing of a prefix's more-specifics (`list-more-specifics`) costs FRR.
//
// The reference, in the same run: the original's way, one telnet session per question (connect, password,
// `show ip bgp ADDR`, parse, hang up), over the same console.
//
// Env: BENCH_FALLBACK_COLD (default 2000), BENCH_FALLBACK_WARM (20000), BENCH_FALLBACK_ORIGINAL (200),
// BENCH_FALLBACK_CONCURRENCY (queries in flight, default 16: a DNS server's misses arrive together).
// Last line: {"bench":"fallback","cold_answers_per_s":N,"warm_answers_per_s":N,...}
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Afi } from '../src/bgp/index.js';
import { Proximity, type PopConfig } from '../src/proximity/index.js';
import { loadMrtIntoRib, packMrtPeerTable, pickMrtPeer } from '../src/replay/index.js';
import { createRib, formatAddress, parseAddress } from '../src/rib/index.js';
import { RouteServer, VtyClient, parseShowBgp } from '../src/routeserver/index.js';
import { seededRandom } from '../src/util/index.js';
import { installCleanup } from './lib/cleanup.js';
import { feedTable } from './lib/feed.js';
import { FrrRouteServer } from '../test/helpers/peers/frr-vty.js';
import { loopbackAddress } from '../test/helpers/peers/process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RIS_FILE = path.join(ROOT, '..', 'shared', 'data', 'mrt', 'updates.et-header.2015.gz');
const COLD = Number(process.env['BENCH_FALLBACK_COLD'] ?? 2000);
const WARM = Number(process.env['BENCH_FALLBACK_WARM'] ?? 20_000);
const ORIGINAL = Number(process.env['BENCH_FALLBACK_ORIGINAL'] ?? 200);
const CONCURRENCY = Number(process.env['BENCH_FALLBACK_CONCURRENCY'] ?? 16);
const PASSWORD = 'bench-secret';
const RS_AS = 65079;
const FEEDER_NEXT_HOP = 0xc0000201;

function say(text: string): void {
  process.stdout.write(text + '\n');
}

/** Runs `work` over the items with `concurrency` in flight; returns the seconds taken. */
async function timed<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main(): Promise<void> {
  installCleanup();
  if (!(await FrrRouteServer.installed())) throw new Error('bench:fallback needs FRR (/usr/lib/frr/bgpd, vtysh): apt install frr');

  // The table: one RIS peer's full IPv4 table, as that peer would send it.
  const { peer } = await pickMrtPeer(RIS_FILE);
  const { packed } = await packMrtPeerTable(RIS_FILE, peer, FEEDER_NEXT_HOP);
  say(`table: ${path.basename(RIS_FILE)}, peer ${peer.address} AS${peer.as}: ${packed.ipv4} IPv4 + ${packed.ipv6} IPv6 prefixes`);
  // Its prefixes, to draw addresses from.
  const rib = createRib({ sizing: 'small' });
  await loadMrtIntoRib(RIS_FILE, rib.writer, { peer });
  const prefixes: Array<{ a: number; length: number }> = [];
  rib.reader.forEachRoute(Afi.IPv4, (r) => {
    if (r.length >= 8) prefixes.push({ a: r.a >>> 0, length: r.length });
  });
  const random = seededRandom(79);
  const hostIn = (p: { a: number; length: number }): string => {
    const host = p.length >= 32 ? 0 : Math.floor(random() * 2 ** (32 - p.length));
    return formatAddress(Afi.IPv4, (p.a + host) >>> 0, 0, 0, 0);
  };
  const chosen = new Set<number>();
  while (chosen.size < Math.min(COLD, prefixes.length)) chosen.add(Math.floor(random() * prefixes.length));
  const coldPrefixes = [...chosen].map((i) => prefixes[i]!);
  const cold = coldPrefixes.map(hostIn);
  // Another host of the same network: of the cold address's /24 (of its prefix when that is longer).
  const neighbourOf = (i: number): string => {
    const p = coldPrefixes[i]!;
    const length = Math.max(24, p.length);
    const base = parseAddress(cold[i]!).a >>> 0;
    const net = length >= 32 ? base : (base >>> (32 - length)) * 2 ** (32 - length);
    const host = length >= 32 ? 0 : Math.floor(random() * 2 ** (32 - length));
    return formatAddress(Afi.IPv4, (net + host) >>> 0, 0, 0, 0);
  };
  const warm = Array.from({ length: WARM }, () => neighbourOf(Math.floor(random() * coldPrefixes.length)));

  // FRR with the table, fed by the built-in router peer.
  const rs = new FrrRouteServer({ block: 79, as: RS_AS, password: PASSWORD, hostname: 'bench' });
  const feederAddress = loopbackAddress(79);
  await rs.addNeighbor({ address: feederAddress, as: peer.as });
  await rs.start();
  let feeder: Awaited<ReturnType<typeof feedTable>>['feeder'] | null = null;
  try {
    const fed = await feedTable(
      { name: 'frr', installed: async () => { const c = await rs.prefixCounts(); return c.ipv4 + c.ipv6; } },
      packed,
      { host: rs.address, port: rs.bgpPort, localAddress: feederAddress, feederAs: peer.as, receiverAs: RS_AS, pollMs: 500, timeoutMs: 600_000, mayRefuse: 100 },
    );
    feeder = fed.feeder;
    const held = await rs.prefixCounts();
    say(`FRR bgpd holds ${held.ipv4 + held.ipv6} prefixes (${fed.seconds.toFixed(1)} s to load; it refused ${packed.ipv4 + packed.ipv6 - held.ipv4 - held.ipv6} martians); ` +
      `its telnet vty is ${rs.address} port ${rs.vtyPort}, password-protected`);

    const pops: PopConfig[] = [peer.as, 3356, 174, 1299].map((as, i) => ({
      name: `pop${i}`, as, ipv4: `192.0.2.${i + 1}`, ipv6: null, host: null, preference: 100, community: null, largeCommunity: null, down: false, check: null,
    }));
    const adapter = new RouteServer({
      kind: 'frr', host: rs.address, port: rs.vtyPort, password: PASSWORD, timeoutMs: 10_000, cacheTimeoutMs: 600_000, cacheSize: 100_000,
    });
    const proximity = new Proximity(adapter.reader, { pops, proximity: { rule: 'classic', self: 'pop0' }, overrides: [], neighborPops: [] });
    const decision = proximity.newDecision();
    const answers = new Map<string, number>();
    let failures = 0;
    const answer = async (address: string): Promise<void> => {
      const p = parseAddress(address);
      try {
        await adapter.resolve(p);
      } catch {
        failures++;
      }
      answers.set(address, proximity.decide(p.afi, p.a, p.b, p.c, p.d, decision));
    };

    const coldSeconds = await timed(cold, CONCURRENCY, answer);
    const afterCold = adapter.status();
    const coldRate = cold.length / coldSeconds;
    say(`cold: ${cold.length} addresses in ${cold.length} prefixes: ${coldSeconds.toFixed(2)} s, ${Math.round(coldRate)} answers/s ` +
      `(${afterCold.commands} console commands; dialect ${afterCold.dialect})`);
    const beforeWarm = adapter.status();
    const warmSeconds = await timed(warm, CONCURRENCY, answer);
    const afterWarm = adapter.status();
    const warmRate = warm.length / warmSeconds;
    const warmMisses = afterWarm.misses - beforeWarm.misses;
    say(`warm: ${warm.length} other addresses of the same networks: ${warmSeconds.toFixed(3)} s, ${Math.round(warmRate)} answers/s ` +
      `(${warm.length - warmMisses} from the cache, ${warmMisses} asked; ${afterWarm.commands - beforeWarm.commands} console commands)`);

    // Every answer checked against a fresh question to the console (a sample), so the cache cannot be wrong fast.
    const check = new RouteServer({ kind: 'frr', host: rs.address, port: rs.vtyPort, password: PASSWORD, timeoutMs: 10_000, cacheTimeoutMs: 0, cacheSize: 10, listMoreSpecifics: false });
    const checkProximity = new Proximity(check.reader, { pops, proximity: { rule: 'classic', self: 'pop0' }, overrides: [], neighborPops: [] });
    let wrong = 0;
    const sample = warm.filter((_, i) => i % Math.max(1, Math.floor(warm.length / 300)) === 0);
    for (const address of sample) {
      const p = parseAddress(address);
      await check.resolve(p);
      if (checkProximity.decide(p.afi, p.a, p.b, p.c, p.d, checkProximity.newDecision()) !== answers.get(address)) wrong++;
    }
    check.close();
    say(`checked ${sample.length} warm answers against the console asked afresh: ${wrong} differ; ${failures} failed`);

    // What `list-more-specifics` would cost: FRR walks its whole table for each `longer-prefixes` listing.
    const vty = await VtyClient.connect({ host: rs.address, port: rs.vtyPort, password: PASSWORD, connectTimeoutMs: 10_000, commandTimeoutMs: 60_000 });
    const listed = coldPrefixes.slice(0, 20);
    const listSeconds = await timed(listed, 1, async (p) => {
      await vty.command(`show bgp ipv4 unicast ${formatAddress(Afi.IPv4, p.a, 0, 0, 0)}/${p.length} longer-prefixes json`);
    });
    vty.close();
    const listMs = (listSeconds * 1000) / listed.length;
    say(`a longer-prefixes listing (list-more-specifics: true) costs FRR ${listMs.toFixed(0)} ms each with this table (${listed.length} timed): off by default`);

    // The reference: one telnet session per question, as the original library asked.
    const originalSeconds = await timed(cold.slice(0, ORIGINAL), 1, async (address) => {
      const vty = await VtyClient.connect({ host: rs.address, port: rs.vtyPort, password: PASSWORD, connectTimeoutMs: 10_000, commandTimeoutMs: 10_000 });
      try {
        parseShowBgp(await vty.command(`show ip bgp ${address}`), 'frr-text');
      } finally {
        vty.close();
      }
    });
    const originalRate = ORIGINAL / originalSeconds;
    say(`the original's way (a telnet session per question, text output): ${ORIGINAL} in ${originalSeconds.toFixed(2)} s, ${Math.round(originalRate)} answers/s`);
    say(`cold / original: ${(coldRate / originalRate).toFixed(1)}x; warm / original: ${Math.round(warmRate / originalRate)}x; target warm >= 1000 answers/s: ${warmRate >= 1000 ? 'met' : 'NOT met'}`);
    adapter.close();
    proximity.close();
    checkProximity.close();
    say(JSON.stringify({
      bench: 'fallback',
      cold_answers_per_s: Math.round(coldRate),
      warm_answers_per_s: Math.round(warmRate),
      original_answers_per_s: Math.round(originalRate),
      cold_addresses: cold.length,
      warm_addresses: warm.length,
      warm_from_cache: warm.length - warmMisses,
      console_commands: afterWarm.commands,
      wrong_answers: wrong,
      failed: failures,
      listing_ms: Math.round(listMs),
      table_prefixes: held.ipv4 + held.ipv6,
    }));
  } finally {
    await feeder?.stop('bench done').catch(() => undefined);
    await rs.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:fallback: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
