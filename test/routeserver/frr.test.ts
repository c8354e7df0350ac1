// The route-server fallback against a real FRR bgpd console (Debian frr) on loopback, password-protected, fed
// routes over BGP by BIRD (iBGP, so each AS path arrives exactly as written):
//
//   1. the original invocation with `--route_server frr` answers as the same invocation does over a running
//      daemon that BIRD feeds the same routes (IPv4 and IPv6, one address at a time and in batch mode), and
//      `--verbose` shows the console exchange, never the password;
//   2. a wrong password, and a console nobody listens on: a clear error, and self is answered;
//   3. the daemon with `route-server:` and no BGP session Established answers queries and DNS from the console;
//      a killed bgpd leaves it answering self, a restarted one is used again; once a BGP session is Established
//      the table answers and the console stands by.
//
// Locally a missing FRR or BIRD skips these tests visibly; under CI=true they fail. Deadlines are generous (a busy
// 2-core machine) and nothing asserts on durations.
import test, { type ExecutionContext } from 'ava';
import dnsPacket from 'dns-packet';
import {
  createPeer, freePort, FrrRouteServer, loopbackAddress, missingReason, peerTest, Supersparrow, waitFor,
  type BirdFeeder, type PeerDaemon, type RouteSpec,
} from '../helpers/peers/index.js';
import type { QueryAnswer, SupersparrowPop } from '../helpers/peers/supersparrow.js';
import { udpQuery } from '../dns/helpers.js';

/** Loopback blocks of this file: 86 the route server and its BIRD, 87 the daemons and their BIRDs. */
const RS_BLOCK = 86;
const SS_BLOCK = 87;
const OUR_AS = 65010;
const PASSWORD = 'frub';
const X_AS = 65751;
const Y_AS = 64750;
const Z_AS = 4_200_000_061;
const POPS: Record<string, SupersparrowPop> = {
  x: { as: X_AS, ipv4: '192.0.2.11', ipv6: '2001:db8::11' },
  y: { as: Y_AS, ipv4: '192.0.2.22', ipv6: '2001:db8::22' },
  z: { as: Z_AS, ipv4: '192.0.2.33', ipv6: '2001:db8::33' },
};
const PEERS = ['--peer', `${X_AS}=192.0.2.11,${Y_AS}=192.0.2.22,${Z_AS}=192.0.2.33`, '--self', '192.0.2.11'];

const ROUTES: RouteSpec[] = [
  { prefix: '10.61.0.0/16', nextHop: '192.0.2.161', asPath: [Y_AS, 64500], med: 5, communities: [[65010, 7]] },
  // A more-specific inside y's /16 whose path does not start with y's AS.
  { prefix: '10.61.1.0/24', nextHop: '192.0.2.161', asPath: [64500, Y_AS] },
  { prefix: '10.62.0.0/16', nextHop: '192.0.2.162', asPath: [X_AS, 64501] },
  { prefix: '10.63.0.0/16', nextHop: '192.0.2.163', asPath: [64999, Y_AS, 64502] },
  { prefix: '10.65.0.0/16', nextHop: '192.0.2.165', asPath: [Z_AS, 64504], largeCommunities: [[65010, 1, 2]] },
  // An empty AS path: the router's own AS, no first AS.
  { prefix: '10.66.0.0/16', nextHop: '192.0.2.166', asPath: [] },
  { prefix: '2001:db8:61::/48', nextHop: '2001:db8:ff::61', asPath: [Y_AS] },
  { prefix: '2001:db8:62::/48', nextHop: '2001:db8:ff::62', asPath: [64505] },
  { prefix: '2001:db8:65::/48', nextHop: '2001:db8:ff::65', asPath: [Z_AS] },
  // Asked for first over DNS (test 3), and only once the console has been away (test 3).
  { prefix: '10.68.0.0/16', nextHop: '192.0.2.168', asPath: [Z_AS, 64506] },
  { prefix: '10.67.0.0/16', nextHop: '192.0.2.167', asPath: [Y_AS] },
];

/** Address -> the POP the classic rule gives for ROUTES (x is self). */
const EXPECTED: Record<string, string> = {
  '10.61.2.9': 'y',
  '10.61.1.9': 'x',
  '10.62.3.4': 'x',
  '10.63.3.4': 'x',
  '10.65.255.254': 'z',
  '10.66.1.1': 'x',
  '10.99.0.1': 'x',
  '2001:db8:61::1': 'y',
  '2001:db8:62:ffff::1': 'x',
  '2001:db8:65::7': 'z',
  '2001:db8:99::1': 'x',
};

/** The original invocation answers a --peer's text as given, whatever the client's family. */
function answerOf(pop: string): string {
  return POPS[pop]!.ipv4!;
}

const missing = (await Promise.all((['frr', 'bird'] as const).map((n) => missingReason(n)))).filter((m): m is string => m !== null);
function run(name: string, fn: (t: ExecutionContext) => Promise<void>): void {
  peerTest(missing, `route server (real FRR): ${name}`, fn);
}

/** The route server (FRR, its vty password-protected) with BIRD feeding it ROUTES; started once for the file. */
let shared: { rs: FrrRouteServer; feeder: BirdFeeder } | null = null;
async function routeServer(): Promise<FrrRouteServer> {
  if (shared) return shared.rs;
  const rs = new FrrRouteServer({ block: RS_BLOCK, as: OUR_AS, password: PASSWORD, hostname: 'jasmine' });
  const feeder = rs.feeder({ as: OUR_AS, routes: ROUTES });
  shared = { rs, feeder };
  await rs.start();
  await feeder.start(40_000);
  await rs.waitForPrefixes(ROUTES.length, { timeoutMs: 40_000 });
  return rs;
}
test.after.always(async () => {
  if (!shared) return;
  await shared.feeder.stop().catch(() => undefined);
  await shared.rs.stop().catch(() => undefined);
});

/** A daemon with the classic POPs; `neighbor`: a BIRD that will connect to it (iBGP, passive on our side). */
function daemon(neighbor: string, extra: Partial<ConstructorParameters<typeof Supersparrow>[0]> = {}, listenPort = 0): Supersparrow {
  return new Supersparrow({
    localAs: OUR_AS,
    address: loopbackAddress(SS_BLOCK),
    listenPort,
    holdTime: 6,
    connectRetry: 1,
    neighbors: [{ address: neighbor, remoteAs: OUR_AS, port: 179, passive: true, gracefulRestart: false }],
    pops: POPS,
    proximity: { rule: 'classic', self: 'x' },
    ...extra,
  });
}

/** A BIRD announcing `routes` over iBGP to the daemon at ss (address, port). */
async function birdFor(address: string, ss: Supersparrow, routes: RouteSpec[]): Promise<PeerDaemon> {
  const peer = createPeer('bird', {
    address,
    as: OUR_AS,
    neighbor: { address: ss.options.address, as: OUR_AS, port: ss.options.listenPort },
    mode: 'active',
    listenPort: await freePort(address),
    holdTime: 6,
    connectRetry: 1,
    routes,
  });
  await peer.start();
  return peer;
}

function consoleArgs(rs: FrrRouteServer, password = PASSWORD): string[] {
  return ['--route_server', 'frr', '--host', rs.address, '--port', String(rs.vtyPort), '--password', password];
}

run('the original invocation answers from the console as from a daemon fed the same routes (IPv4, IPv6, batch)', async (t) => {
  const rs = await routeServer();
  const birdAddress = loopbackAddress(SS_BLOCK);
  const ssAddress = loopbackAddress(SS_BLOCK);
  const ss = daemon(birdAddress, { address: ssAddress }, await freePort(ssAddress));
  let bird: PeerDaemon | null = null;
  t.teardown(async () => {
    if (!t.passed) t.log(`supersparrow log:\n${(await ss.log().catch(() => '')).split('\n').slice(-30).join('\n')}`);
    await Promise.allSettled([bird?.stop(), ss.stop()]);
  });
  await ss.start();
  bird = await birdFor(birdAddress, ss, ROUTES);
  await ss.waitEstablished(birdAddress, 40_000);
  await waitFor('the daemon to hold every route', async () => {
    const a = await ss.query(['10.66.1.1', '2001:db8:65::7']);
    if (a[0]!.prefix === '10.66.0.0/16' && a[1]!.prefix === '2001:db8:65::/48') return true;
    throw new Error(JSON.stringify(a));
  }, 40_000, 200);

  for (const [address, pop] of Object.entries(EXPECTED)) {
    const fromConsole = await ss.exec([...PEERS, ...consoleArgs(rs), '--source', address]);
    const fromDaemon = await ss.exec([...PEERS, '--socket', ss.socket, '--source', address]);
    t.is(fromConsole.code, 0, `${address}: ${fromConsole.stderr}`);
    t.is(fromConsole.stdout, `${answerOf(pop)}\n`, `${address} from the console`);
    t.is(fromConsole.stdout, fromDaemon.stdout, `${address}: console and daemon agree`);
    t.is(fromConsole.stderr, '', `${address}: no warning`);
  }

  // Batch mode: one console connection, answers in order; the daemon's batch answers are the same.
  const lines = [...Object.keys(EXPECTED), 'not-an-address', '10.61.2.10', '10.61.1.200'];
  const batchConsole = await ss.exec([...PEERS, ...consoleArgs(rs), '--batch'], lines.join('\n') + '\n');
  const batchDaemon = await ss.exec([...PEERS, '--socket', ss.socket, '--batch'], lines.join('\n') + '\n');
  t.is(batchConsole.code, 0, batchConsole.stderr);
  t.deepEqual(batchConsole.stdout.split('\n').slice(0, -1), [
    ...Object.values(EXPECTED).map((pop) => answerOf(pop)), '192.0.2.11', '192.0.2.22', '192.0.2.11',
  ]);
  t.is(batchConsole.stdout, batchDaemon.stdout);

  // --verbose: the exchange with the console as the original printed it, then PEERS and ASPATH; no password.
  const verbose = await ss.exec([...PEERS, ...consoleArgs(rs), '--source', '10.61.2.9', '--verbose']);
  t.is(verbose.code, 0, verbose.stderr);
  t.regex(verbose.stdout, /Hello, this is FRRouting \(version [\d.]+\)/);
  t.regex(verbose.stdout, /User Access Verification/);
  t.regex(verbose.stdout, /jasmine> show bgp ipv4 unicast 10\.61\.2\.9 json/);
  t.regex(verbose.stdout, /"prefix": ?"10\.61\.0\.0\/16"/);
  t.true(verbose.stdout.endsWith(`PEERS: ${X_AS}=192.0.2.11 ${Y_AS}=192.0.2.22 ${Z_AS}=192.0.2.33\nASPATH: ${Y_AS} 64500\n192.0.2.22\n`), verbose.stdout.slice(-200));
  t.false(verbose.stdout.includes(PASSWORD), 'the password is never shown');

  // The daemon's own decision (its POPs, the classic rule) gives the same POPs as the console did.
  const own = await ss.query(Object.keys(EXPECTED));
  t.deepEqual(own.map((a) => a.pop), Object.values(EXPECTED));
});

run('a wrong password and a console nobody answers: a clear error, and self is answered', async (t) => {
  const rs = await routeServer();
  const ss = daemon(loopbackAddress(SS_BLOCK));
  const wrong = await ss.exec([...PEERS, ...consoleArgs(rs, 'not-the-password'), '--source', '10.61.2.9']);
  t.is(wrong.code, 0);
  t.is(wrong.stdout, '192.0.2.11\n', 'self');
  t.regex(wrong.stderr, /password/i);
  t.regex(wrong.stderr, /answering self/);
  t.false(wrong.stderr.includes('not-the-password'));
  const deadAddress = loopbackAddress(SS_BLOCK);
  const dead = await ss.exec([...PEERS, '--route_server', 'frr', '--host', deadAddress, '--port', String(await freePort(deadAddress)), '--source', '2001:db8:61::1']);
  t.is(dead.stdout, '192.0.2.11\n', 'self');
  t.regex(dead.stderr, /cannot connect to .* ECONNREFUSED; answering self/);
  // In batch mode every line still gets an answer.
  const batch = await ss.exec([...PEERS, ...consoleArgs(rs, 'wrong'), '--batch'], '10.61.2.9\n10.65.0.1\n');
  t.is(batch.stdout, '192.0.2.11\n192.0.2.11\n');
});

/** The answer records of a reply as [address, TTL]. */
function records(p: dnsPacket.Packet): Array<[string, number]> {
  return ((p.answers ?? []) as unknown as Array<{ data: string; ttl: number }>).map((a) => [a.data, a.ttl]);
}

/** An ECS query for `name` from `subnet`/24. */
function ecsQuery(name: string, subnet: string): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: 4711,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, options: [{ code: 'CLIENT_SUBNET', family: 1, sourcePrefixLength: 24, scopePrefixLength: 0, ip: subnet }] } as unknown as dnsPacket.Answer],
  });
}

run('the daemon answers from the console while no BGP session is Established, survives a killed bgpd, and stands by once one is', async (t) => {
  const rs = await routeServer();
  const birdAddress = loopbackAddress(SS_BLOCK);
  const ssAddress = loopbackAddress(SS_BLOCK);
  const ss = daemon(birdAddress, {
    address: ssAddress,
    // Listing each prefix's more-specifics: a whole /16 then answers from the cache (checked over DNS below).
    routeServer: { type: 'frr', host: rs.address, port: rs.vtyPort, password: PASSWORD, timeout: 5, 'cache-timeout': 60, 'list-more-specifics': true },
    dns: {
      listen: [`${ssAddress}:0`],
      zone: 'example.test',
      ttl: 30,
      names: { www: {} },
      ns: ['ns.example.net'],
      startup: { ttl: 3, timeout: 600 },
    },
  }, await freePort(ssAddress));
  let bird: PeerDaemon | null = null;
  t.teardown(async () => {
    if (!t.passed) t.log(`supersparrow log:\n${(await ss.log().catch(() => '')).split('\n').slice(-40).join('\n')}`);
    await Promise.allSettled([bird?.stop(), ss.stop()]);
    // The shared console is needed by nobody after this test; a crashed one is restarted for safety.
    if (!rs.running) await rs.restart().catch(() => undefined);
  });
  await ss.start();

  // No BGP session: the control socket's decisions come from the console.
  const check = (answers: QueryAnswer[], addresses: string[], when: string) => {
    addresses.forEach((a, i) => t.is(answers[i]!.pop, EXPECTED[a], `${when}: ${a} (${JSON.stringify(answers[i])})`));
  };
  const addresses = Object.keys(EXPECTED);
  const answers = await ss.query(addresses);
  check(answers, addresses, 'from the console');
  t.is(answers[0]!.prefix, '10.61.0.0/16');
  t.deepEqual(answers[0]!.asPath, [Y_AS, 64500]);
  const status = JSON.parse((await ss.cli(['route-server', '--json'])).stdout) as { active: boolean; connected: boolean; dialect: string; commands: number };
  t.true(status.active);
  t.true(status.connected);
  t.is(status.dialect, 'frr-json');

  // DNS: the first query for a new network answers self (TTL 3) while the console is asked; the next one the POP.
  const [dns] = await ss.dnsListening();
  const first = await udpQuery(dns!.address, dns!.port, ecsQuery('www.example.test', '10.68.7.0'));
  t.deepEqual(records(first), [['192.0.2.11', 3]], 'self while the console is asked');
  const scopeOf = (r: dnsPacket.Packet): number => (r.additionals![0] as unknown as { options: Array<{ scopePrefixLength: number }> }).options[0]!.scopePrefixLength;
  // The POP at once; the scope of the whole /16 once the listing of its more-specifics (none) is in.
  const later = await waitFor('the DNS answer from the console', async () => {
    const r = await udpQuery(dns!.address, dns!.port, ecsQuery('www.example.test', '10.68.7.0'));
    if (records(r)[0]?.[0] === '192.0.2.33' && scopeOf(r) === 16) return r;
    throw new Error(`${JSON.stringify(r.answers)} scope ${scopeOf(r)}`);
  }, 20_000, 100);
  t.is(records(later)[0]![1], 30);
  // Another subnet of the same /16: from the cache, at once.
  const other = await udpQuery(dns!.address, dns!.port, ecsQuery('www.example.test', '10.68.200.0'));
  t.deepEqual(records(other), [['192.0.2.33', 30]]);

  // bgpd dies: a network not asked before (y's 10.67.0.0/16) answers self, as the console is away; nothing fails.
  const commandsBefore = (JSON.parse((await ss.cli(['route-server', '--json'])).stdout) as { commands: number }).commands;
  await rs.crash();
  const away = await ss.query(['10.67.1.1']);
  t.is(away[0]!.pop, 'x');
  t.is(away[0]!.rule, 'self');
  t.is(away[0]!.prefix, null);
  // What was asked before still answers from the cache.
  t.is((await ss.query(['10.61.77.1']))[0]!.pop, 'y');
  // bgpd is back: the adapter reconnects by itself at a later query.
  await rs.restart();
  await rs.waitForPrefixes(ROUTES.length, { timeoutMs: 60_000 });
  await waitFor('the console to answer again', async () => {
    const a = await ss.query(['10.67.1.1']);
    if (a[0]!.prefix === '10.67.0.0/16' && a[0]!.pop === 'y' && a[0]!.rule === 'first-as') return true;
    throw new Error(JSON.stringify(a));
  }, 60_000, 500);
  const recovered = JSON.parse((await ss.cli(['route-server', '--json'])).stdout) as { errors: number; connected: boolean; commands: number };
  t.true(recovered.connected);
  t.true(recovered.errors >= 1, 'the failure was counted');
  t.true(recovered.commands > commandsBefore);

  // A BGP session comes up with a table that lacks 10.65.0.0/16: the table answers now, not the console.
  bird = await birdFor(birdAddress, ss, ROUTES.filter((r) => r.prefix !== '10.65.0.0/16'));
  await ss.waitEstablished(birdAddress, 40_000);
  await waitFor('the table to answer', async () => {
    const a = await ss.query(['10.65.255.254', '10.61.2.9']);
    if (a[0]!.pop === 'x' && a[0]!.prefix === null && a[1]!.pop === 'y') return true;
    throw new Error(JSON.stringify(a));
  }, 40_000, 200);
  const standby = JSON.parse((await ss.cli(['route-server', '--json'])).stdout) as { active: boolean };
  t.false(standby.active);
});
