// `npm run bench:dns`: the authoritative DNS responder under dnsperf, against gdnsd serving the same names
// statically, in the same run; then how long an answer takes to change after a route change arrives over BGP.
//
//   clients    BENCH_DNS_PREFIXES (50,000) addresses, each at random inside a real prefix of RIS MRT files
//              (seeded): 90% IPv4, each in a different prefix of the 2015 RIS table; 10% IPv6 in the few hundred
//              IPv6 prefixes of the 2016 and 2007 RIS update files (so several per prefix); sent as EDNS Client
//              Subnet, source /24 (IPv4) or /48 (IPv6), so that the decision and its scope are in the path;
//   queries    BENCH_DNS_QUERIES (100,000) in dnsperf's binary format under os.tmpdir(), each for a client drawn at
//              random: 80% `www A`, 10% `www AAAA`, 10% `ftp A` (the two closest POPs), EDNS0 UDP size 1232;
//   servers    `supersparrow serve` with the multi-view rule and three POPs x, y, z, each fed a full table by its own
//              built-in router peer over real BGP, and gdnsd 3 with a zone file; each pinned to CPU 0, dnsperf and
//              this process to CPU 1. ../shared/data/mrt holds no full RIB dump of several peers (its one full
//              table is one peer's, the 2015 file), so by default each POP's view is the synthetic full table
//              drawn with its own seed (lib/pop-views.ts); BENCH_DNS_VIEWS=mrt:FILE gives each POP the table of
//              one real peer of a multi-peer MRT file instead; BENCH_DNS_WORKERS (0) sets dns.workers (threads
//              with a replica each, on the same core: their memory and their answers are checked, not a speed-up);
//   checks     before timing: for 200 clients the `www A` answer must be the daemon's decision (control socket
//              `query`) and the ECS scope at least the matched prefix's length; 50 `www AAAA` and 50 `ftp A` the
//              same way; answers with the configured TTL (the startup TTL means the views are not all in);
//   timing     BENCH_DNS_ROUNDS (3) rounds, gdnsd then supersparrow in each: 2 s of warm-up, then dnsperf for
//              BENCH_DNS_SECONDS (10) with -c BENCH_DNS_SOCKETS -q BENCH_DNS_OUTSTANDING; qps, average and max
//              latency and lost queries from dnsperf, the server's CPU use from /proc/PID/stat (utime + stime of
//              all its threads over the steady part of the run); the run with each server's median qps per
//              core-second is reported and compared. -c 4 -q 200 keeps gdnsd busy whenever dnsperf has its core;
//              more (-c 8 -q 500) only made both servers drop queries on this 2-core machine;
//   update     BENCH_DNS_UPDATE_ROUNDS (20) rounds, the daemon loaded and otherwise idle: for a client answered x,
//              POP y's router announces the client's /24 with the AS path [y] (shorter than any of x's), and a
//              probe asks DNS, one query outstanding, until the answer is y; then y withdraws it and the probe asks
//              until the answer is x again. Time from just before the UPDATE is written to the answer that shows it.
// The last line is JSON.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Afi, AsPathSegment, AsPathSegmentType, DEFAULT_DECODE_OPTIONS, encodeUpdate, PathAttributes, type NlriPrefix } from '../src/bgp/index.js';
import type { QueryJson } from '../src/control/index.js';
import { BgpFeeder } from '../src/replay/index.js';
import { canonicalAddress, parsePrefix } from '../src/rib/index.js';
import { installCleanup, trackDir, untrackDir } from './lib/cleanup.js';
import { dnsQuery, makeClients, mrtPrefixes, subnetAddress, writeQueryFile, type Client } from './lib/dns-clients.js';
import { DnsDaemon } from './lib/dns-daemon.js';
import { DnsProbe, ecsOf, rcodeOf, type Response } from './lib/dns-probe.js';
import { runDnsperf, type DnsperfResult } from './lib/dnsperf.js';
import { feedTable } from './lib/feed.js';
import { Gdnsd, GDNSD_PATH } from './lib/gdnsd.js';
import { mrtViews, syntheticViews, type PopView } from './lib/pop-views.js';
import { pinSelf } from './lib/proc-cpu.js';
import { median, percentiles } from './lib/stats.js';
import { freePort, makeTempDir, removeDir, run, sleep } from '../test/helpers/peers/process.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const PREFIXES = env('BENCH_DNS_PREFIXES', 50_000);
const QUERIES = env('BENCH_DNS_QUERIES', 100_000);
const ROUNDS = env('BENCH_DNS_ROUNDS', 3);
const SECONDS = env('BENCH_DNS_SECONDS', 10);
const WARMUP_SECONDS = 2;
const SOCKETS = env('BENCH_DNS_SOCKETS', 4);
const OUTSTANDING = env('BENCH_DNS_OUTSTANDING', 200);
const UPDATE_ROUNDS = env('BENCH_DNS_UPDATE_ROUNDS', 20);
const VIEWS = process.env['BENCH_DNS_VIEWS'] ?? 'synthetic';
/** dns.workers of the daemon (threads answering beside it, each with a replica of the RIB; pinned to the same core). */
const WORKERS = env('BENCH_DNS_WORKERS', 0);
const CHECK_A = 200;
const CHECK_OTHER = 50;
const UPDATE_DEADLINE_MS = 5_000;

const TARGET_PER_CORE_RATIO = 0.6;
const TARGET_UPDATE_MS = 10;

/** The servers run on CPU 0; dnsperf, the router peers and the probe (this process) on CPU 1. */
const SERVER_CPUS = '0';
const CLIENT_CPUS = '1';

const ZONE = 'example.test';
const TTL = 20;
const STARTUP_TTL = 5;
const NS = { name: `ns1.${ZONE}`, address: '192.0.2.53' };
const DNS_ADDRESS = '127.0.0.1';
const DAEMON_ADDRESS = '127.79.0.2';
const DAEMON_AS = 65010;

interface PopSpec {
  name: string;
  as: number;
  seed: number;
  ipv4: string;
  ipv6: string;
  feeder: string;
  /** The feeder's address as a uint32 (the IPv4 NEXT_HOP it sends). */
  nextHop: number;
}
const POPS: PopSpec[] = [
  { name: 'x', as: 65101, seed: 1, ipv4: '192.0.2.1', ipv6: '2001:db8::1', feeder: '127.79.0.11', nextHop: 0x7f4f000b },
  { name: 'y', as: 65102, seed: 2, ipv4: '192.0.2.2', ipv6: '2001:db8::2', feeder: '127.79.0.12', nextHop: 0x7f4f000c },
  { name: 'z', as: 65103, seed: 3, ipv4: '192.0.2.3', ipv6: '2001:db8::3', feeder: '127.79.0.13', nextHop: 0x7f4f000d },
];

const say = (text: string): void => {
  process.stdout.write(text + '\n');
};
const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const thousands = (x: number): string => Math.round(x).toLocaleString('en-US');
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** ../shared/data/mrt beside the repository, or $SUPERSPARROW_SHARED_DIR/data/mrt. */
function mrtDir(): string {
  if (process.env['SUPERSPARROW_SHARED_DIR']) return path.resolve(process.env['SUPERSPARROW_SHARED_DIR'], 'data/mrt');
  return path.resolve(REPO_ROOT, '../shared/data/mrt');
}
const RIS_IPV4 = 'updates.et-header.2015.gz';
const RIS_IPV6 = ['updates.20160811.1600.gz', 'updates.20070211.0141.gz'];

async function checkTools(): Promise<void> {
  const missing: string[] = [];
  for (const [tool, pkg] of [['dnsperf', 'dnsperf'], ['taskset', 'util-linux'], ['stdbuf', 'coreutils']] as const) {
    if ((await run('sh', ['-c', `command -v ${tool}`], { allowFailure: true })).code !== 0) missing.push(`${tool} (Debian ${pkg})`);
  }
  if (!existsSync(GDNSD_PATH)) missing.push(`${GDNSD_PATH} (Debian gdnsd)`);
  if (missing.length > 0) throw new Error(`bench:dns needs ${missing.join(', ')}`);
  if (os.cpus().length < 2) throw new Error(`bench:dns pins the servers and dnsperf to different CPUs: it needs 2, this machine has ${os.cpus().length}`);
  const system = await run('pgrep', ['-a', 'gdnsd'], { allowFailure: true });
  if (system.stdout.trim()) say(`note: a gdnsd not started by this bench is running (left alone): ${system.stdout.trim().replace(/\n/g, '; ')}`);
}

// ---------------------------------------------------------------- answers

const popByIpv4 = new Map(POPS.map((p) => [p.ipv4, p]));
const popByIpv6 = new Map(POPS.map((p) => [canonicalAddress(p.ipv6), p]));

type AddressType = 'A' | 'AAAA';

const addressesOf = (r: Response, type: AddressType): string[] => r.answers.flatMap((a) => (a.type === type ? [a.data] : []));

/** The POP names a response's addresses stand for ('?' for an address that is no POP's). */
function popsOf(r: Response, type: AddressType): string[] {
  return addressesOf(r, type).map((a) => (type === 'A' ? popByIpv4.get(a) : popByIpv6.get(canonicalAddress(a)))?.name ?? `?${a}`);
}

const prefixLength = (prefix: string | null): number => (prefix === null ? 0 : parsePrefix(prefix, false).length);

/**
 * The responder against the daemon's own decision for the same (truncated) client addresses: `www A` for CHECK_A
 * clients, `www AAAA` and `ftp A` for CHECK_OTHER each. Throws on the first few mismatches; returns the rules
 * that decided the `www A` sample and how often the ECS scope equalled the decision's.
 */
async function checkAnswers(daemon: DnsDaemon, probe: DnsProbe, clients: Client[]): Promise<{ rules: Map<string, number>; pops: Map<string, number>; scopeEqual: number }> {
  const sample = clients.slice(0, CHECK_A);
  const decisions = await daemon.query(sample.map((c) => subnetAddress(c.subnet)));
  const wrong: string[] = [];
  const rules = new Map<string, number>();
  const pops = new Map<string, number>();
  let scopeEqual = 0;
  const count = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);
  const checkOne = async (i: number, name: string, type: AddressType): Promise<void> => {
    const c = sample[i]!;
    const d = decisions[i]!;
    const client = `${subnetAddress(c.subnet)}/${c.subnet.source}`;
    if (d.error || d.pop === null) {
      wrong.push(`${client}: the daemon gave no decision (${d.error ?? 'no POP'})`);
      return;
    }
    const r = await probe.ask(dnsQuery(name, type, c.subnet));
    const got = popsOf(r, type);
    const expected = name.startsWith('ftp.') ? d.ranking.slice(0, 2) : [d.pop];
    const problems: string[] = [];
    if (rcodeOf(r) !== 0 || !r.flag_aa) problems.push(`rcode ${rcodeOf(r)}, AA ${r.flag_aa}`);
    if ([...got].sort().join(',') !== [...expected].sort().join(',')) problems.push(`answered ${got.join(',') || 'nothing'}, the decision is ${expected.join(',')}`);
    const ttls = new Set(r.answers.map((a) => a.ttl));
    if (ttls.size !== 1 || !ttls.has(TTL)) problems.push(`TTL ${[...ttls].join(',')}, expected ${TTL}${ttls.has(STARTUP_TTL) ? ' (still the startup TTL)' : ''}`);
    const ecs = ecsOf(r);
    if (ecs === null) problems.push('no ECS option in the response');
    else {
      const matched = prefixLength(d.prefix);
      const scope = ecs.scopePrefixLength ?? 0;
      if (ecs.family !== (c.subnet.afi === Afi.IPv4 ? 1 : 2)) problems.push(`ECS family ${ecs.family}`);
      if (ecs.sourcePrefixLength !== c.subnet.source) problems.push(`ECS source ${ecs.sourcePrefixLength}, sent ${c.subnet.source}`);
      if (scope < matched) problems.push(`ECS scope ${scope} is shorter than the matched prefix ${d.prefix}`);
      if (type === 'A' && name.startsWith('www.') && scope === d.scope) scopeEqual++;
    }
    if (problems.length > 0) wrong.push(`${name} ${type} for ${client}: ${problems.join('; ')}`);
    if (type === 'A' && name.startsWith('www.')) {
      count(rules, d.rule);
      count(pops, d.pop);
    }
  };
  for (let i = 0; i < sample.length; i++) await checkOne(i, `www.${ZONE}`, 'A');
  for (let i = 0; i < Math.min(CHECK_OTHER, sample.length); i++) await checkOne(i, `www.${ZONE}`, 'AAAA');
  for (let i = 0; i < Math.min(CHECK_OTHER, sample.length); i++) await checkOne(i, `ftp.${ZONE}`, 'A');
  if (wrong.length > 0) {
    throw new Error(`the DNS answers are not the daemon's decisions (${wrong.length} of ${CHECK_A + 2 * CHECK_OTHER}):\n  ${wrong.slice(0, 10).join('\n  ')}`);
  }
  return { rules, pops, scopeEqual };
}

/** gdnsd's static answers, checked once so that both servers are known to answer what the query file asks. */
async function checkGdnsd(probe: DnsProbe, client: Client): Promise<void> {
  const expect = async (name: string, type: AddressType, want: string[]): Promise<void> => {
    const r = await probe.ask(dnsQuery(name, type, client.subnet));
    const got = popsOf(r, type).sort();
    if (rcodeOf(r) !== 0 || got.join(',') !== want.join(',')) throw new Error(`gdnsd: ${name} answered rcode ${rcodeOf(r)} ${got.join(',')}, expected ${want.join(',')}`);
  };
  await expect(`www.${ZONE}`, 'A', ['x']);
  await expect(`www.${ZONE}`, 'AAAA', ['x']);
  await expect(`ftp.${ZONE}`, 'A', ['x', 'y']);
}

// ---------------------------------------------------------------- load

interface Server {
  name: 'gdnsd' | 'supersparrow';
  pid: number;
  port: number;
}

interface Run {
  result: DnsperfResult;
  perCoreSecond: number;
}

const describeRun = (r: DnsperfResult): string =>
  `${thousands(r.qps)} qps, avg ${(r.avgLatencyS * 1000).toFixed(3)} ms (min ${(r.minLatencyS * 1000).toFixed(3)}, max ${(r.maxLatencyS * 1000).toFixed(2)}), ` +
  `lost ${r.lost} of ${thousands(r.sent)} (${r.socketDrops} dropped at the server's socket), server CPU ${r.serverCpu.toFixed(2)} cores, dnsperf CPU ${r.dnsperfCpu.toFixed(2)}; ` +
  `${thousands(r.qps / r.serverCpu)} qps per core-second [${r.rcodes}]`;

async function measure(server: Server, file: string, roundNo: number): Promise<Run> {
  const base = { server: DNS_ADDRESS, port: server.port, file, clients: SOCKETS, outstanding: OUTSTANDING, cpus: CLIENT_CPUS, serverPid: server.pid };
  await runDnsperf({ ...base, seconds: WARMUP_SECONDS });
  const result = await runDnsperf({ ...base, seconds: SECONDS });
  if (result.completed === 0) throw new Error(`${server.name}: dnsperf completed no query:\n${result.output}`);
  say(`round ${roundNo}/${ROUNDS} ${server.name}: ${describeRun(result)}`);
  return { result, perCoreSecond: result.qps / result.serverCpu };
}

/** The run with the median qps per core-second (the upper middle one for an even count). */
function medianRun(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.perCoreSecond - b.perCoreSecond);
  return sorted[sorted.length >> 1]!;
}

// ---------------------------------------------------------------- update to answer

const nlri = (prefix: string): NlriPrefix => {
  const p = parsePrefix(prefix, false);
  return { afi: p.afi, pathId: 0, a: p.a >>> 0, b: p.b >>> 0, c: p.c >>> 0, d: p.d >>> 0, length: p.length };
};

/** An UPDATE from POP `pop`'s router announcing `prefix` with the AS path [its AS]. */
function announceFrom(pop: PopSpec, prefix: string): Buffer {
  const attrs = new PathAttributes();
  attrs.origin = 0;
  attrs.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, [pop.as])];
  attrs.nextHop = pop.nextHop;
  return encodeUpdate({ attributes: attrs, announced: [nlri(prefix)] }, DEFAULT_DECODE_OPTIONS);
}

const withdrawal = (prefix: string): Buffer => encodeUpdate({ withdrawn: [nlri(prefix)] }, DEFAULT_DECODE_OPTIONS);

/** AS_PATH length as the decision counts it (an AS_SET counts one). */
const pathLength = (d: QueryJson): number => (d.asPath ?? []).length;

/**
 * Clients for the update probe: IPv4, answered x on a route of at least two ASes (so that y's one-AS path wins),
 * with no route in any view at /24 or longer around them (decision scope < 24: the /24 y announces is new to
 * every view and its withdrawal restores the table as it was).
 */
async function updateCandidates(daemon: DnsDaemon, clients: Client[], count: number): Promise<Array<{ client: Client; prefix: string }>> {
  const v4 = clients.filter((c) => c.subnet.afi === Afi.IPv4);
  const out: Array<{ client: Client; prefix: string }> = [];
  for (let from = 0; from < v4.length && out.length < count; from += 5_000) {
    const batch = v4.slice(from, from + 5_000);
    const decisions = await daemon.query(batch.map((c) => subnetAddress(c.subnet)));
    for (let i = 0; i < batch.length && out.length < count; i++) {
      const d = decisions[i]!;
      if (d.pop !== 'x' || d.prefix === null || d.scope >= 24 || pathLength(d) < 2) continue;
      out.push({ client: batch[i]!, prefix: `${subnetAddress(batch[i]!.subnet)}/24` });
    }
  }
  if (out.length < count) throw new Error(`only ${out.length} of ${count} clients answered x on a route shorter than /24 and with a path of 2+ ASes`);
  return out;
}

interface UpdateTimes {
  toY: number[];
  backToX: number[];
  queries: number[];
}

async function updateToAnswer(feeders: Map<string, BgpFeeder>, probe: DnsProbe, candidates: Array<{ client: Client; prefix: string }>): Promise<UpdateTimes> {
  const x = POPS[0]!;
  const y = POPS[1]!;
  const feeder = feeders.get(y.name)!;
  const times: UpdateTimes = { toY: [], backToX: [], queries: [] };
  const answers = (pop: PopSpec) => (r: Response): boolean => {
    const a = addressesOf(r, 'A');
    return a.length === 1 && a[0] === pop.ipv4;
  };
  for (const [i, { client, prefix }] of candidates.entries()) {
    const query = dnsQuery(`www.${ZONE}`, 'A', client.subnet);
    const before = await probe.ask(query);
    if (!answers(x)(before)) throw new Error(`update probe: ${prefix} is answered ${popsOf(before, 'A').join(',')} before the change, expected x`);
    for (const [message, target, list] of [
      [announceFrom(y, prefix), y, times.toY],
      [withdrawal(prefix), x, times.backToX],
    ] as const) {
      const t0 = process.hrtime.bigint();
      // The feeder writes the message before send() first awaits: t0 is just before the write.
      const sent = feeder.send([message]);
      let got;
      try {
        got = await probe.until(query, answers(target), t0 + BigInt(UPDATE_DEADLINE_MS) * 1_000_000n);
      } catch (err) {
        throw new Error(`update probe, round ${i + 1}: ${target === y ? `after y announced ${prefix}` : `after y withdrew ${prefix}`}, ${(err as Error).message} (${UPDATE_DEADLINE_MS} ms)`);
      }
      await sent;
      list.push(Number(got.at - t0) / 1e6);
      times.queries.push(got.queries);
      await sleep(50);
    }
  }
  return times;
}

const ms = (x: number): string => `${x.toFixed(2)} ms`;
function describeTimes(label: string, xs: number[]): string {
  const p = percentiles(Float64Array.from(xs));
  return `${label}: p50 ${ms(p.p50)}, p90 ${ms(p.p90)}, max ${ms(p.max)} (${xs.length} changes)`;
}

/**
 * Waits until the responder answers with the configured TTL: until every neighbor has sent End-of-RIB it answers
 * with the startup TTL (and self), which is not the decision under test.
 */
async function waitForConfiguredTtl(probe: DnsProbe, client: Client): Promise<void> {
  const query = dnsQuery(`www.${ZONE}`, 'A', client.subnet);
  const deadline = Date.now() + 35_000;
  for (;;) {
    const r = await probe.ask(query).catch(() => null);
    if (r !== null && r.answers.length > 0 && r.answers[0]!.ttl === TTL) return;
    if (Date.now() > deadline) throw new Error(`the responder still answers with TTL ${r?.answers[0]?.ttl ?? '(no answer)'} 35 s after the load (startup TTL ${STARTUP_TTL})`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  installCleanup();
  await checkTools();
  pinSelf(CLIENT_CPUS);
  const started = Date.now();
  const work = await makeTempDir('bench-dns');
  trackDir(work);
  const stops: Array<() => Promise<void>> = [];
  try {
    // Clients and queries.
    const v4 = await mrtPrefixes([path.join(mrtDir(), RIS_IPV4)], Afi.IPv4);
    const v6 = await mrtPrefixes(RIS_IPV6.map((f) => path.join(mrtDir(), f)), Afi.IPv6);
    const clients = makeClients({ v4, v6 }, PREFIXES, 0.1, 7);
    const queryFile = await writeQueryFile(path.join(work, 'queries.bin'), ZONE, clients, QUERIES, { wwwAaaa: 0.1, ftpA: 0.1 }, 8);
    const c = queryFile.counts;
    say(
      `clients: ${thousands(clients.length)} addresses, each in a different real prefix (${thousands(v4.length / 2)} IPv4 prefixes of ${RIS_IPV4}, ` +
        `${thousands(v6.length / 5)} IPv6 of ${RIS_IPV6.join(' and ')}; ECS /24 and /48); queries: ${thousands(QUERIES)} (www A ${c.wwwA}, www AAAA ${c.wwwAaaa}, ` +
        `ftp A ${c.ftpA}; ${c.v4Queries} with an IPv4 client, ${c.v6Queries} IPv6), ${(queryFile.bytes / 1048576).toFixed(1)} MiB (${seconds(started)})`,
    );

    // The POPs' views.
    const viewsStarted = Date.now();
    const views: PopView[] = VIEWS === 'synthetic'
      ? syntheticViews(POPS.map((p) => ({ pop: p.name, as: p.as, seed: p.seed })), (pop) => POPS.find((p) => p.name === pop)!.nextHop)
      : VIEWS.startsWith('mrt:')
        ? await mrtViews(path.resolve(mrtDir(), VIEWS.slice(4)), POPS.map((p) => p.name), (pop) => POPS.find((p) => p.name === pop)!.nextHop)
        : (() => {
            throw new Error(`BENCH_DNS_VIEWS: ${VIEWS} (synthetic or mrt:FILE)`);
          })();
    for (const v of views) {
      const spec = POPS.find((p) => p.name === v.pop)!;
      spec.as = v.as;
      say(`POP ${v.pop} (${spec.ipv4}, ${spec.ipv6}): ${v.source}: ${thousands(v.table.ipv4)} IPv4 + ${thousands(v.table.ipv6)} IPv6 prefixes, ${thousands(v.table.attributeSets)} attribute sets, ${thousands(v.table.messages)} UPDATEs`);
    }
    say(`views built in ${seconds(viewsStarted)}`);

    // gdnsd, the reference.
    const gdnsdPort = await freePort(DNS_ADDRESS);
    const records = [
      ...POPS.slice(0, 1).flatMap((p) => [`www A ${p.ipv4}`, `www AAAA ${p.ipv6}`]),
      ...POPS.slice(0, 2).map((p) => `ftp A ${p.ipv4}`),
    ];
    const gdnsd = new Gdnsd(DNS_ADDRESS, gdnsdPort, { zone: ZONE, ttl: TTL, records, ns: NS }, SERVER_CPUS);
    stops.push(() => gdnsd.stop());
    await gdnsd.start();
    const gdnsdProbe = await DnsProbe.open(DNS_ADDRESS, gdnsdPort);
    await checkGdnsd(gdnsdProbe, clients[0]!);
    gdnsdProbe.close();
    say(`gdnsd (pid ${gdnsd.pid}, CPU ${SERVER_CPUS}) answers on ${DNS_ADDRESS}:${gdnsdPort}`);

    // supersparrow, loaded by its three routers.
    const bgpPort = await freePort(DAEMON_ADDRESS);
    const dnsPort = await freePort(DNS_ADDRESS);
    const pops: Record<string, unknown> = {};
    for (const p of POPS) pops[p.name] = { as: p.as, ipv4: p.ipv4, ipv6: p.ipv6 };
    const daemon = new DnsDaemon({
      repoRoot: REPO_ROOT,
      cpus: SERVER_CPUS,
      bgp: { address: DAEMON_ADDRESS, port: bgpPort, localAs: DAEMON_AS },
      neighbors: POPS.map((p) => ({ address: p.feeder, as: p.as, pop: p.name })),
      config: {
        pops,
        proximity: { rule: 'multi-view' },
        dns: {
          listen: [`${DNS_ADDRESS}:${dnsPort}`],
          zone: ZONE,
          ttl: TTL,
          names: { [`www.${ZONE}`]: {}, [`ftp.${ZONE}`]: { answers: 2 } },
          ns: { [NS.name]: [NS.address] },
          startup: { ttl: STARTUP_TTL, timeout: 30 },
          workers: WORKERS,
        },
      },
    });
    stops.push(() => daemon.stop());
    await daemon.start();
    say(`supersparrow serve (pid ${daemon.pid}, CPU ${SERVER_CPUS}): idle ${(await daemon.rssMiB()).toFixed(1)} MiB RSS; DNS on ${DNS_ADDRESS}:${dnsPort}`);
    const feeders = new Map<string, BgpFeeder>();
    const loadStarted = Date.now();
    for (const v of views) {
      const p = POPS.find((s) => s.name === v.pop)!;
      const f = await feedTable({ name: `supersparrow (POP ${p.name})`, installed: () => daemon.installed(p.feeder) }, v.table, {
        host: DAEMON_ADDRESS,
        port: bgpPort,
        localAddress: p.feeder,
        feederAs: p.as,
        receiverAs: DAEMON_AS,
        timeoutMs: 300_000,
      });
      feeders.set(p.name, f.feeder);
      stops.push(() => f.feeder.stop('benchmark finished'));
      say(`POP ${p.name}'s router: ${thousands(v.table.ipv4 + v.table.ipv6)} prefixes installed in ${f.seconds.toFixed(2)} s`);
    }
    say(`all three views loaded in ${seconds(loadStarted)}; RSS ${(await daemon.rssMiB()).toFixed(1)} MiB`);

    // The answers, before any timing.
    const tally = (m: Map<string, number>): string => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
    const probe = await DnsProbe.open(DNS_ADDRESS, dnsPort);
    stops.push(async () => probe.close());
    await waitForConfiguredTtl(probe, clients[0]!);
    const checked = await checkAnswers(daemon, probe, clients);
    say(
      `checked: ${CHECK_A} www A, ${CHECK_OTHER} www AAAA and ${CHECK_OTHER} ftp A answers are the daemon's decisions, ECS scope >= the matched prefix; ` +
        `www A sample: POPs ${tally(checked.pops)}; rules ${tally(checked.rules)}; ECS scope = the decision's scope in ${checked.scopeEqual} of ${CHECK_A}`,
    );

    // Load, in rounds.
    say(`dnsperf 2.10 on CPU ${CLIENT_CPUS}: -B ${path.basename(queryFile.path)} -c ${SOCKETS} -q ${OUTSTANDING} -T 1, ${WARMUP_SECONDS} s warm-up then ${SECONDS} s measured; servers on CPU ${SERVER_CPUS}`);
    const servers: Server[] = [
      { name: 'gdnsd', pid: gdnsd.pid, port: gdnsdPort },
      { name: 'supersparrow', pid: daemon.pid, port: dnsPort },
    ];
    const runs: Record<Server['name'], Run[]> = { gdnsd: [], supersparrow: [] };
    for (let r = 1; r <= ROUNDS; r++) for (const s of servers) runs[s.name].push(await measure(s, queryFile.path, r));
    const gd = medianRun(runs.gdnsd);
    const ss = medianRun(runs.supersparrow);
    const ratio = ss.perCoreSecond / gd.perCoreSecond;

    // Update to answer.
    const candidates = await updateCandidates(daemon, clients, UPDATE_ROUNDS);
    const times = await updateToAnswer(feeders, probe, candidates);
    const all = [...times.toY, ...times.backToX];
    const p = percentiles(Float64Array.from(all));

    say('');
    say(`summary (${ROUNDS} rounds of ${SECONDS} s, the run with each server's median qps per core-second; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}):`);
    say(`  gdnsd:        ${describeRun(gd.result)}`);
    say(`  supersparrow: ${describeRun(ss.result)}`);
    say(
      `  qps per core-second, supersparrow / gdnsd: ${ratio.toFixed(2)} (rounds: ${runs.supersparrow.map((s, i) => (s.perCoreSecond / runs.gdnsd[i]!.perCoreSecond).toFixed(2)).join(', ')}); ` +
        `target >= ${TARGET_PER_CORE_RATIO}: ${ratio >= TARGET_PER_CORE_RATIO ? 'met' : 'NOT met'}`,
    );
    say(`  update to answer over BGP, ${UPDATE_ROUNDS} rounds, one DNS query outstanding (queries until the answer changed: median ${median(times.queries)}, max ${Math.max(...times.queries)}):`);
    say(`    ${describeTimes('y announces a /24, answer x -> y', times.toY)}`);
    say(`    ${describeTimes('y withdraws it, answer y -> x', times.backToX)}`);
    say(`    ${describeTimes('both', all)}; target p50 <= ${TARGET_UPDATE_MS} ms: ${p.p50 <= TARGET_UPDATE_MS ? 'met' : 'NOT met'}`);
    const out = {
      bench: 'dns',
      supersparrow_qps: Math.round(ss.result.qps),
      supersparrow_cpu: round(ss.result.serverCpu, 2),
      gdnsd_qps: Math.round(gd.result.qps),
      gdnsd_cpu: round(gd.result.serverCpu, 2),
      per_core_ratio: round(ratio, 2),
      avg_ms: round(ss.result.avgLatencyS * 1000, 3),
      max_ms: round(ss.result.maxLatencyS * 1000, 2),
      update_to_answer_ms: round(p.p50, 2),
      update_to_answer_p90_ms: round(p.p90, 2),
      update_to_answer_max_ms: round(p.max, 2),
      supersparrow_lost: ss.result.lost,
      gdnsd_lost: gd.result.lost,
      gdnsd_avg_ms: round(gd.result.avgLatencyS * 1000, 3),
      gdnsd_max_ms: round(gd.result.maxLatencyS * 1000, 2),
    };
    say(JSON.stringify(out));
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: Error) => process.stderr.write(`cleanup: ${err.message}\n`));
    await removeDir(work);
    untrackDir(work);
  }
}

main().catch((err) => {
  process.stderr.write(`bench:dns failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
