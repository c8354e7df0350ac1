// The authoritative DNS responder end to end, as a resolver meets it: a spawned `supersparrow serve` with a
// `dns:` section (UDP and TCP on 127.0.0.1 and ::1), fed over iBGP by a real BIRD 2, asked by the real clients
// `dig` (bind9-dnsutils) and `kdig` (knot-dnsutils). What the issue asks to be shown:
//
//   - A, AAAA, SOA, NS (with glue), NXDOMAIN, NODATA, REFUSED; aa set on our zone's answers, ra never; NOTIMP;
//   - EDNS: the OPT record echoed (version 0, our UDP size, DO copied), BADVERS for version 1, FORMERR for a
//     malformed ECS option, the requester's UDP payload size honoured to the octet, TC and the clients' TCP retry;
//   - ECS: the answer is the POP `supersparrow query` gives for the subnet's address, with the scope of the rule
//     (below), for a covered more-specific, no match, IPv6, a source shorter than the scope, an override, an
//     IPv4-mapped subnet; source /0 is answered for the resolver with scope /0;
//   - `answers: 2`; the startup state (self with the startup TTL until BIRD's End-of-RIB); an answer and its scope
//     that move when BIRD withdraws a route;
//   - with the multi-view rule (a second supersparrow, two BIRDs), the scope over the union of the views' routes.
//
// The scope rule (RFC 7871 7.2.1 as the issue states it): with M the matched prefix, SCOPE = max(len(M), 1 + the
// longest common prefix of the client address with any more-specific route inside M); with no match, 1 + the
// longest common prefix with any route. Override prefixes count as routes. Every expected scope below is worked
// out by hand from ROUTES and OVERRIDES, and cross-checked with `supersparrow query --json`.
//
// All but the multi-view test share one supersparrow and one BIRD and run in order: the first starts supersparrow
// alone (the startup state), then BIRD; the route-change test comes after the others that read those routes. Every
// wait polls with a generous deadline; nothing asserts on timing.
import test, { type ExecutionContext } from 'ava';
import {
  createPeer, freePort, loopbackAddress, missingReason, peerTest, queryWith, Supersparrow, waitFor,
  type DnsClientName, type DnsReply, type PeerDaemon, type PeerOptions, type RouteSpec,
} from '../helpers/peers/index.js';
import type { QueryAnswer, SupersparrowPop } from '../helpers/peers/supersparrow.js';

/** This file's loopback block (not used elsewhere: interop 11..14, session and cli 41..53 and 60, proximity 61, pops 62). */
const BLOCK = 63;
/** supersparrow's AS; BIRD is in it too (iBGP: the AS paths arrive exactly as BIRD's export filter sets them). */
const OUR_AS = 65010;
const HOLD = 6;
/** Deadlines: generous, for a busy 2-core machine. */
const SESSION_UP_MS = 40_000;
const CONVERGE_MS = 40_000;

// ------------------------------------------------------------------------------------------------ the setup

const X_AS = 65751;
const Y_AS = 64750;
const Z_AS = 4_200_000_063;
/** 21 POPs with IPv6 addresses only, for a name answering 20 records (TC) and for NODATA on A. */
const MANY = Array.from({ length: 21 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
/** x is self; y and z are known by their ASes; p01..p21 by theirs, which no route carries. */
const POPS: Record<string, SupersparrowPop> = {
  x: { as: X_AS, ipv4: '192.0.2.11', ipv6: '2001:db8::11' },
  y: { as: Y_AS, ipv4: '192.0.2.22', ipv6: '2001:db8::22' },
  z: { as: Z_AS, ipv4: '192.0.2.33', ipv6: '2001:db8::33' },
  ...Object.fromEntries(MANY.map((name, i) => [name, { as: 65101 + i, ipv6: `2001:db8:100::${(i + 1).toString(16)}` }])),
};

const ZONE = 'example.test';
const TTL = 30;
const TWO_TTL = 45;
const NS_TTL = 3600;
/** The SOA's last field: NXDOMAIN and NODATA carry the SOA with min(ns-ttl, minimum) (RFC 2308 3). */
const SOA_MINIMUM = 60;
const STARTUP_TTL = 7;
const SOA = `ns1.${ZONE}. hostmaster.${ZONE}. 2026113001 86400 7200 3600000 ${SOA_MINIMUM}`;

const DNS = {
  // Port 0: a free port each (the two may differ); the helper reads them from the log.
  listen: ['127.0.0.1:0', '[::1]:0'],
  zone: ZONE,
  ttl: TTL,
  'ns-ttl': NS_TTL,
  names: {
    www: {},
    two: { pops: ['x', 'y', 'z'], answers: 2, ttl: TWO_TTL },
    many: { pops: MANY, answers: 20 },
  },
  ns: { [`ns1.${ZONE}`]: ['192.0.2.53', '2001:db8::53'], 'ns2.elsewhere.test': null },
  soa: { serial: 2026113001, minimum: SOA_MINIMUM },
  // Long enough never to pass during the test: only BIRD's End-of-RIB may end the startup state.
  startup: { ttl: STARTUP_TTL, timeout: 300 },
};

/**
 * What BIRD announces (the first AS decides the POP under the classic rule), and the override. The scopes the
 * tests expect follow from exactly these prefixes:
 *
 *   10.63.0.0/16   y      2001:db8:63::/48        y
 *   10.63.5.0/24   x      2001:db8:63:ff00::/56   z
 *   10.65.0.0/16   z      override 10.63.128.0/20 z
 *   64.0.0.0/2     z: the resolver's route. The clients query from 127.0.0.1, and BIRD refuses a route inside
 *                  127.0.0.0/8 ("bogus"), so the resolver is routed by the /2 that holds it. ::1 has no route.
 */
const ROUTES: RouteSpec[] = [
  { prefix: '10.63.0.0/16', nextHop: '192.0.2.163', asPath: [Y_AS, 64500] },
  { prefix: '10.63.5.0/24', nextHop: '192.0.2.163', asPath: [X_AS, 64501] },
  { prefix: '10.65.0.0/16', nextHop: '192.0.2.165', asPath: [Z_AS, 64502] },
  { prefix: '2001:db8:63::/48', nextHop: '2001:db8:ff::63', asPath: [Y_AS, 64504] },
  { prefix: '2001:db8:63:ff00::/56', nextHop: '2001:db8:ff::63', asPath: [Z_AS, 64505] },
  { prefix: '64.0.0.0/2', nextHop: '192.0.2.166', asPath: [Z_AS, 64503] },
];
const OVERRIDES = { '10.63.128.0/20': 'z' };

const A_OF = (pop: string): string => POPS[pop]!.ipv4!;
const AAAA_OF = (pop: string): string => POPS[pop]!.ipv6!;

const missing = (await Promise.all((['bird', 'dig', 'kdig'] as const).map((n) => missingReason(n)))).filter((m) => m !== null);

interface World {
  ss: Supersparrow;
  /** The responder's UDP/TCP ports on 127.0.0.1 and ::1. */
  v4: number;
  v6: number;
  birdAddress: string;
  /** The iBGP BIRD, once its session is up. */
  bird: PeerDaemon | null;
  /** Every BIRD started for the shared setup (stopped after the last test). */
  birds: PeerDaemon[];
}

let world: World | null = null;
let supersparrowUp: Promise<World> | null = null;
let bgpUp: Promise<World> | null = null;

/** supersparrow with the DNS responder, its BGP neighbor (BIRD) not started yet: the startup state. */
function startSupersparrow(): Promise<World> {
  supersparrowUp ??= (async () => {
    const ssAddress = loopbackAddress(BLOCK);
    const birdAddress = loopbackAddress(BLOCK);
    const ss = new Supersparrow({
      localAs: OUR_AS,
      address: ssAddress,
      listenPort: await freePort(ssAddress),
      holdTime: HOLD,
      connectRetry: 1,
      // supersparrow is passive: the port it would dial is never used.
      neighbors: [{ address: birdAddress, remoteAs: OUR_AS, port: 179, passive: true, gracefulRestart: false }],
      pops: POPS,
      proximity: { rule: 'classic', self: 'x' },
      overrides: OVERRIDES,
      dns: DNS,
    });
    world = { ss, v4: 0, v6: 0, birdAddress, bird: null, birds: [] };
    await ss.start();
    const listening = await ss.dnsListening();
    world.v4 = listening.find((l) => l.address === '127.0.0.1')?.port ?? 0;
    world.v6 = listening.find((l) => l.address === '::1')?.port ?? 0;
    if (world.v4 === 0 || world.v6 === 0) throw new Error(`DNS responder listening on ${JSON.stringify(listening)}`);
    return world;
  })();
  return supersparrowUp;
}

/**
 * Starts a BIRD (BirdPeer: static routes, an export filter per prefix) with the options `make` gives for its
 * listening port. BIRD gives a protocol up for good when another process took that port between freePort() and
 * its bind ("No listening socket"): then it is started again on another port (3 attempts). `started` collects
 * every BIRD started, for the caller's teardown.
 */
async function startBird(address: string, make: (listenPort: number) => PeerOptions, started: PeerDaemon[]): Promise<PeerDaemon> {
  for (let attempt = 1; ; attempt++) {
    const bird = createPeer('bird', make(await freePort(address)));
    started.push(bird);
    await bird.start();
    const view = await waitFor('BIRD\'s protocol to start', async () => {
      const v = await bird.view();
      return v.state === 'Idle' && v.lastError === '' ? undefined : v;
    }, 10_000, 100).catch(() => bird.view());
    if (!/No listening socket/.test(view.lastError)) return bird;
    await bird.stop();
    if (attempt === 3) throw new Error(`BIRD at ${address} could not open a listening socket in ${attempt} attempts`);
  }
}

/** BIRD started (iBGP, in our AS) and its session with supersparrow up. */
function startBgp(): Promise<World> {
  bgpUp ??= (async () => {
    const w = await startSupersparrow();
    const started: PeerDaemon[] = [];
    try {
      w.bird = await startBird(w.birdAddress, (listenPort) => ({
        address: w.birdAddress,
        as: OUR_AS,
        neighbor: { address: w.ss.options.address, as: OUR_AS, port: w.ss.options.listenPort },
        mode: 'active',
        listenPort,
        holdTime: HOLD,
        connectRetry: 1,
        routes: ROUTES,
        // BIRD sends no End-of-RIB with `graceful restart off` (which BirdPeer writes unless told otherwise); its
        // default (aware) and `on` send it. Without it the startup state would last the whole startup timeout.
        gracefulRestart: { restartTime: 30 },
      }), started);
    } finally {
      world!.birds.push(...started);
    }
    await w.ss.waitEstablished(w.birdAddress, SESSION_UP_MS);
    return w;
  })();
  return bgpUp;
}

test.after.always(async () => {
  await Promise.allSettled([...(world?.birds ?? []).map((b) => b.stop()), world?.ss.stop()]);
});

/** What a failed test leaves in its log: supersparrow's view and log, each BIRD's session and log. */
async function diagnostics(ss: Supersparrow | undefined, birds: PeerDaemon[]): Promise<string> {
  if (!ss) return 'nothing started';
  const parts: string[] = [];
  try {
    parts.push(`supersparrow neighbors: ${JSON.stringify(await ss.neighbors())}`);
  } catch (err) {
    parts.push(`supersparrow CLI failed: ${(err as Error).message}`);
  }
  parts.push(`supersparrow log (tail):\n${(await ss.log()).split('\n').slice(-40).join('\n')}`);
  for (const bird of birds) {
    parts.push(`bird ${bird.options.address}: ${(await bird.view().catch((e: Error) => ({ raw: e.message }))).raw}`);
    parts.push(`bird ${bird.options.address} log (tail):\n${(await bird.log()).split('\n').slice(-30).join('\n')}`);
  }
  return parts.join('\n');
}

/**
 * Locally a missing BIRD, dig or kdig is a visible skip; under CI=true it fails. A failed test logs the shared
 * setup's diagnostics unless `shared` is false (a test with its own supersparrow logs its own).
 */
function run(name: string, fn: (t: ExecutionContext) => Promise<void>, shared = true): void {
  peerTest(missing, `dns with dig and kdig: ${name}`, async (t) => {
    if (shared) {
      t.teardown(async () => {
        if (!t.passed) t.log(await diagnostics(world?.ss, world?.birds ?? []));
      });
    }
    await fn(t);
  });
}

// ------------------------------------------------------------------------------------------------ asking

interface Ask {
  /** Ask the responder's ::1 address (from ::1) instead of 127.0.0.1 (from 127.0.0.1). */
  v6?: boolean;
  /** Another responder's port on 127.0.0.1 (default: the shared supersparrow's). */
  port?: number;
}

/** Asks with `client`: the server, port and a retry policy, then the test's own arguments. */
function ask(client: DnsClientName, args: string[], o: Ask = {}): Promise<DnsReply> {
  const server = o.v6 ? ['@::1', '-p', String(world!.v6)] : ['@127.0.0.1', '-p', String(o.port ?? world!.v4)];
  const retries = client === 'dig' ? ['+time=5', '+tries=2'] : ['+time=5', '+retry=1'];
  return queryWith(client, [...server, ...retries, ...args]);
}

/** A reply in the terms the tests state: rcode, the flags that matter, records as text, the ECS echo. */
interface Summary {
  status: string;
  aa: boolean;
  tc: boolean;
  ra: boolean;
  answer: string[];
  authority: string[];
  additional: string[];
  /** "ADDRESS/SOURCE/SCOPE" as both clients print it; null when the reply has no ECS option. */
  ecs: string | null;
}

function summary(r: DnsReply): Summary {
  const text = (rec: DnsReply['answer'][number]): string => `${rec.name} ${rec.ttl} ${rec.class} ${rec.type} ${rec.data}`;
  return {
    status: r.status,
    aa: r.flags.includes('aa'),
    tc: r.flags.includes('tc'),
    ra: r.flags.includes('ra'),
    answer: r.answer.map(text),
    authority: r.authority.map(text),
    additional: r.additional.map(text),
    ecs: r.ecs ? `${r.ecs.address}/${r.ecs.source}/${r.ecs.scope}` : null,
  };
}

/** The summary of an authoritative NOERROR answer with these records. */
function answered(answer: string[], ecs: string | null = null, more: Partial<Summary> = {}): Summary {
  return { status: 'NOERROR', aa: true, tc: false, ra: false, answer, authority: [], additional: [], ecs, ...more };
}

const a = (name: string, pop: string, ttl = TTL): string => `${name}. ${ttl} IN A ${A_OF(pop)}`;
const aaaa = (name: string, pop: string, ttl = TTL): string => `${name}. ${ttl} IN AAAA ${AAAA_OF(pop)}`;
const soaNegative = `${ZONE}. ${Math.min(NS_TTL, SOA_MINIMUM)} IN SOA ${SOA}`;

function check(t: ExecutionContext, r: DnsReply, expected: Summary, what: string): void {
  t.deepEqual(summary(r), expected, `${what}\n${r.raw}`);
  // The header's counts agree with the records printed (ADDITIONAL also counts the OPT record).
  t.is(r.counts.answer, r.answer.length, `${what}: ANSWER count`);
  t.is(r.counts.authority, r.authority.length, `${what}: AUTHORITY count`);
  t.is(r.counts.additional, r.additional.length + (r.opt ? 1 : 0), `${what}: ADDITIONAL count`);
}

/** fn over items, a few at a time (each item spawns clients: not all at once on a busy machine); results in order. */
async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, size = 3): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/** `supersparrow query --json` for one address. */
async function decision(address: string): Promise<QueryAnswer> {
  const [answer] = await world!.ss.query([address]);
  return answer!;
}

// ------------------------------------------------------------------------------------------------ the tests

run('startup: before BIRD\'s End-of-RIB every decided name answers self with the startup TTL and scope /0; then the decision with the name\'s TTL', async (t) => {
  await startSupersparrow();
  // supersparrow is up, its only neighbor (BIRD) is not: nothing decided yet. Self (x) for every client, the
  // startup TTL, scope /0 (the answer is not tailored to the subnet); `two` gives self, then its POPs in the
  // configured order.
  const [wwwA, wwwAaaa, wwwEcs, two, kdigEcs] = await Promise.all([
    ask('dig', ['www.example.test', 'A']),
    ask('kdig', ['www.example.test', 'AAAA'], { v6: true }),
    ask('dig', ['www.example.test', 'A', '+subnet=10.63.200.0/24']),
    ask('dig', ['two.example.test', 'A', '+subnet=10.63.130.0/24']),
    ask('kdig', ['www.example.test', 'AAAA', '+subnet=2001:db8:63:ff42::/64']),
  ]);
  check(t, wwwA, answered([a('www.example.test', 'x', STARTUP_TTL)]), 'startup: www A');
  check(t, wwwAaaa, answered([aaaa('www.example.test', 'x', STARTUP_TTL)]), 'startup: www AAAA (kdig, ::1)');
  check(t, wwwEcs, answered([a('www.example.test', 'x', STARTUP_TTL)], '10.63.200.0/24/0'), 'startup: www A with ECS');
  check(t, two, answered([a('two.example.test', 'x', STARTUP_TTL), a('two.example.test', 'y', STARTUP_TTL)], '10.63.130.0/24/0'), 'startup: two A');
  check(t, kdigEcs, answered([aaaa('www.example.test', 'x', STARTUP_TTL)], '2001:db8:63:ff42::/64/0'), 'startup: www AAAA with ECS (kdig)');

  await startBgp();
  // BIRD's session is up; the answers switch once it has sent End-of-RIB. The first answer with the name's TTL
  // already rests on the whole table: y for 10.63.200.0/24, scope 18 (see the ECS test).
  const decided = await waitFor('the responder to answer from the decision', async () => {
    const r = await ask('dig', ['www.example.test', 'A', '+subnet=10.63.200.0/24']);
    return r.answer[0]?.ttl !== STARTUP_TTL ? r : undefined;
  }, CONVERGE_MS, 200);
  check(t, decided, answered([a('www.example.test', 'y')], '10.63.200.0/24/18'), 'first decided answer');
  const switched = (await world!.ss.logRecords()).find((r) => typeof r['msg'] === 'string' && r['msg'].startsWith('DNS: answering from the decision'));
  t.is(switched?.['why'], 'End-of-RIB from every neighbor', 'the switch came with End-of-RIB, not the startup timeout');
});

run('A, AAAA, SOA, NS with glue and the name servers\' own addresses, from dig and kdig over IPv4 and IPv6: aa set, ra clear', async (t) => {
  await startBgp();
  const cases: Array<{ client: DnsClientName; args: string[]; o?: Ask; expected: Summary; what: string }> = [
    // Without ECS the resolver decides: 127.0.0.1 lies in 64.0.0.0/2 (z's AS): z; ::1 has no route: self (x).
    { client: 'dig', args: ['www.example.test', 'A'], expected: answered([a('www.example.test', 'z')]), what: 'dig www A' },
    { client: 'kdig', args: ['www.example.test', 'A'], expected: answered([a('www.example.test', 'z')]), what: 'kdig www A' },
    { client: 'dig', args: ['www.example.test', 'AAAA'], expected: answered([aaaa('www.example.test', 'z')]), what: 'dig www AAAA' },
    { client: 'dig', args: ['www.example.test', 'AAAA'], o: { v6: true }, expected: answered([aaaa('www.example.test', 'x')]), what: 'dig www AAAA over ::1' },
    { client: 'kdig', args: ['www.example.test', 'AAAA'], o: { v6: true }, expected: answered([aaaa('www.example.test', 'x')]), what: 'kdig www AAAA over ::1' },
    { client: 'kdig', args: ['www.example.test', 'A'], o: { v6: true }, expected: answered([a('www.example.test', 'x')]), what: 'kdig www A over ::1' },
    // Names are matched without regard to case; the answer's owner is the question as asked.
    { client: 'dig', args: ['WwW.ExAmPlE.TeSt', 'A'], expected: answered([a('WwW.ExAmPlE.TeSt', 'z')]), what: 'dig mixed case' },
    { client: 'dig', args: [ZONE, 'SOA'], expected: answered([`${ZONE}. ${NS_TTL} IN SOA ${SOA}`]), what: 'dig SOA' },
    { client: 'kdig', args: [ZONE, 'SOA'], o: { v6: true }, expected: answered([`${ZONE}. ${NS_TTL} IN SOA ${SOA}`]), what: 'kdig SOA over ::1' },
    ...(['dig', 'kdig'] as const).map((client) => ({
      client,
      args: [ZONE, 'NS'],
      expected: answered([`${ZONE}. ${NS_TTL} IN NS ns1.${ZONE}.`, `${ZONE}. ${NS_TTL} IN NS ns2.elsewhere.test.`], null, {
        // The in-zone name server's addresses as glue; the other one's are not ours to give.
        additional: [`ns1.${ZONE}. ${NS_TTL} IN A 192.0.2.53`, `ns1.${ZONE}. ${NS_TTL} IN AAAA 2001:db8::53`],
      }),
      what: `${client} NS`,
    })),
    { client: 'dig', args: [`ns1.${ZONE}`, 'A'], expected: answered([`ns1.${ZONE}. ${NS_TTL} IN A 192.0.2.53`]), what: 'dig ns1 A' },
    { client: 'kdig', args: [`ns1.${ZONE}`, 'AAAA'], expected: answered([`ns1.${ZONE}. ${NS_TTL} IN AAAA 2001:db8::53`]), what: 'kdig ns1 AAAA' },
  ];
  const replies = await Promise.all(cases.map((c) => ask(c.client, c.args, c.o)));
  replies.forEach((r, i) => check(t, r, cases[i]!.expected, cases[i]!.what));
  // kdig sends no OPT record unless asked to; dig does: both get what they sent (see the EDNS test).
  t.is(replies[1]!.opt, null, 'kdig without EDNS gets no OPT record');
  t.like(replies[0]!.opt, { version: 0, udp: 1232 }, 'dig with EDNS gets an OPT record');
  // The decisions the answers came from, as `supersparrow query` gives them.
  const [local, local6] = await world!.ss.query(['127.0.0.1', '::1']);
  t.like(local, { pop: 'z', answer: A_OF('z'), prefix: '64.0.0.0/2' });
  t.like(local6, { pop: 'x', answer: AAAA_OF('x'), prefix: null });
});

run('NXDOMAIN and NODATA carry the zone\'s SOA with the negative TTL; a name outside our zones is REFUSED without aa', async (t) => {
  await startBgp();
  const nxdomain: Summary = { ...answered([], null, { authority: [soaNegative] }), status: 'NXDOMAIN' };
  const nodata = answered([], null, { authority: [soaNegative] });
  const refused: Summary = { status: 'REFUSED', aa: false, tc: false, ra: false, answer: [], authority: [], additional: [], ecs: null };
  const cases: Array<{ client: DnsClientName; args: string[]; o?: Ask; expected: Summary }> = [
    { client: 'dig', args: [`nothere.${ZONE}`, 'A'], expected: nxdomain },
    { client: 'kdig', args: [`nothere.${ZONE}`, 'AAAA'], o: { v6: true }, expected: nxdomain },
    { client: 'dig', args: [`below.www.${ZONE}`, 'A'], expected: nxdomain },
    // The name exists, the type does not: TXT of a decided name; A of a name whose POPs have only IPv6.
    { client: 'dig', args: [`www.${ZONE}`, 'TXT'], expected: nodata },
    { client: 'kdig', args: [`www.${ZONE}`, 'TXT'], expected: nodata },
    { client: 'dig', args: [`many.${ZONE}`, 'A'], expected: nodata },
    { client: 'kdig', args: [`many.${ZONE}`, 'A'], o: { v6: true }, expected: nodata },
    { client: 'dig', args: [`www.${ZONE}`, 'MX'], o: { v6: true }, expected: nodata },
    // Not ours: another zone, the root, and CHAOS class (version.bind).
    { client: 'dig', args: ['www.elsewhere.test', 'A'], expected: refused },
    { client: 'kdig', args: ['www.elsewhere.test', 'A'], o: { v6: true }, expected: refused },
    { client: 'dig', args: ['.', 'SOA'], expected: refused },
    { client: 'dig', args: ['version.bind', 'TXT', 'CH'], expected: refused },
    { client: 'kdig', args: ['version.bind', 'TXT', 'CH'], expected: refused },
  ];
  const replies = await Promise.all(cases.map((c) => ask(c.client, c.args, c.o)));
  replies.forEach((r, i) => check(t, r, cases[i]!.expected, `${cases[i]!.client} ${cases[i]!.args.join(' ')}`));
});

run('an opcode other than QUERY gets NOTIMP with the opcode copied (RFC 1035 4.1.1)', async (t) => {
  await startBgp();
  // STATUS (2) and NOTIFY (4): dig takes an answer only when its opcode is the query's.
  const [status, notify] = await Promise.all([
    ask('dig', ['www.example.test', 'A', '+opcode=2']),
    ask('dig', ['www.example.test', 'SOA', '+opcode=4', '+noedns'], { v6: true }),
  ]);
  for (const [r, opcode] of [[status, 'STATUS'], [notify, 'NOTIFY']] as const) {
    t.is(r.opcode, opcode, `the answer's opcode\n${r.raw}`);
    t.is(r.status, 'NOTIMP', `+opcode ${opcode}\n${r.raw}`);
    t.false(r.flags.includes('aa'), 'aa clear');
    t.deepEqual(r.answer, []);
  }
});

run('EDNS: OPT echoed (version 0, our UDP size, DO copied), none without EDNS; version 1 gets BADVERS; a malformed ECS option gets FORMERR', async (t) => {
  await startBgp();
  const [plain, dnssec, noedns, kdigEdns, kdigDo, badvers, kdigBadvers] = await Promise.all([
    ask('dig', ['www.example.test', 'A']),
    ask('dig', ['www.example.test', 'A', '+dnssec']),
    ask('dig', ['www.example.test', 'A', '+noedns']),
    ask('kdig', ['www.example.test', 'A', '+edns', '+bufsize=4096']),
    ask('kdig', ['www.example.test', 'A', '+dnssec'], { v6: true }),
    // +noednsneg: dig would otherwise ask again with version 0 and print that answer.
    ask('dig', ['www.example.test', 'A', '+edns=1', '+noednsneg']),
    ask('kdig', ['www.example.test', 'A', '+edns=1'], { v6: true }),
  ]);
  const www = [a('www.example.test', 'z')];
  check(t, plain, answered(www), 'dig with EDNS');
  t.deepEqual(plain.opt, { version: 0, flags: [], udp: 1232 }, `dig: OPT\n${plain.raw}`);
  check(t, dnssec, answered(www), 'dig +dnssec');
  t.deepEqual(dnssec.opt, { version: 0, flags: ['do'], udp: 1232 }, `dig +dnssec: DO copied\n${dnssec.raw}`);
  check(t, noedns, answered(www), 'dig +noedns');
  t.is(noedns.opt, null, 'no OPT record in the answer to a query without one');
  // Our UDP size (1232) whatever the requester's: the OPT record says what we accept.
  check(t, kdigEdns, answered(www), 'kdig +edns');
  t.deepEqual(kdigEdns.opt, { version: 0, flags: [], udp: 1232 }, `kdig: OPT\n${kdigEdns.raw}`);
  check(t, kdigDo, answered([a('www.example.test', 'x')]), 'kdig +dnssec over ::1');
  t.deepEqual(kdigDo.opt, { version: 0, flags: ['do'], udp: 1232 }, `kdig +dnssec: DO copied\n${kdigDo.raw}`);
  // RFC 6891 6.1.3: BADVERS (extended RCODE 16), the OPT record saying version 0, no answer.
  for (const [r, what] of [[badvers, 'dig'], [kdigBadvers, 'kdig']] as const) {
    t.is(r.status, 'BADVERS', `${what} +edns=1\n${r.raw}`);
    t.deepEqual(r.answer, [], `${what} +edns=1: no answer`);
    t.like(r.opt, { version: 0 }, `${what} +edns=1: the OPT record says version 0\n${r.raw}`);
  }

  // ECS options written byte by byte (+ednsopt=8:HEX: FAMILY(2) SOURCE(1) SCOPE(1) ADDRESS): RFC 7871 6 and 7.1
  // want FORMERR for each of these, and the same option well formed is answered.
  const malformed = {
    'source /32 without address octets': '00012000',
    'address bits set beyond the source (/23, 10.63.5.0)': '000117000a3f05',
    'a non-zero scope in a query': '000118100a3f05',
    'more address octets than the source needs (/16 with 3)': '000110000a3f05',
    'unknown family 3': '000318000a3f05',
    'source /33 for IPv4': '000121000a3f0500ff',
  };
  const wellFormed = '000118000a3f05'; // 10.63.5.0/24
  const replies = await Promise.all([...Object.values(malformed), wellFormed].map((hex) => ask('dig', ['www.example.test', 'A', `+ednsopt=8:${hex}`])));
  Object.keys(malformed).forEach((why, i) => {
    const r = replies[i]!;
    t.is(r.status, 'FORMERR', `${why}\n${r.raw}`);
    t.deepEqual(r.answer, [], `${why}: no answer`);
    t.is(r.ecs, null, `${why}: the option is not echoed`);
  });
  check(t, replies.at(-1)!, answered([a('www.example.test', 'x')], '10.63.5.0/24/24'), 'the same option well formed');
});

/** One ECS case: the subnet sent, the echo the clients print, and the POP and scope worked out from the routes. */
interface EcsCase {
  subnet: string;
  /** ADDRESS/SOURCE/SCOPE as the reply's option reads (the client masks the address to the source length). */
  echo: string;
  pop: string;
  why: string;
  /**
   * The scope `supersparrow query` reports when it differs from the echoed one: for an IPv4-mapped subnet it
   * reports the client as the IPv4 address, with its IPv4 scope.
   */
  queryScope?: number;
}

const ECS_CASES: EcsCase[] = [
  { subnet: '10.63.5.0/24', echo: '10.63.5.0/24/24', pop: 'x', why: 'covered more-specific: 10.63.5.0/24 (inside 10.63.0.0/16) matches and holds no route: its own length' },
  { subnet: '10.63.4.0/24', echo: '10.63.4.0/24/24', pop: 'y', why: '10.63.0.0/16 matches; 10.63.4.0 shares 23 bits with the more-specific 10.63.5.0/24: 24' },
  { subnet: '10.63.200.0/24', echo: '10.63.200.0/24/18', pop: 'y', why: '10.63.0.0/16 matches; 10.63.5.0/24 shares 16 bits (17), the override 10.63.128.0/20 shares 17 (18): 18' },
  { subnet: '10.63.130.0/24', echo: '10.63.130.0/24/20', pop: 'z', why: 'the override 10.63.128.0/20 contains it (z) and holds nothing: 20' },
  { subnet: '10.99.0.0/16', echo: '10.99.0.0/16/11', pop: 'x', why: 'no match: 10.65.0.0/16 shares 10 bits (99 = 0110 0011, 65 = 0100 0001), 10.63.0.0/16 9: 11' },
  { subnet: '172.16.0.0/12', echo: '172.16.0.0/12/1', pop: 'x', why: 'no match: every route starts with a 0 bit, 172 with a 1: 1' },
  { subnet: '10.63.0.0/16', echo: '10.63.0.0/16/22', pop: 'y', why: 'source shorter than the scope: 10.63.0.0 shares 21 bits with 10.63.5.0/24: 22, answered anyway (RFC 7871 7.2.1)' },
  { subnet: '10.63.5.9/20', echo: '10.63.0.0/20/22', pop: 'y', why: 'a /20 is 10.63.0.0 whatever the host bits given: y and 22 as above, not the /24\'s x' },
  { subnet: '2001:db8:63:1::/64', echo: '2001:db8:63:1::/64/49', pop: 'y', why: 'IPv6: 2001:db8:63::/48 matches; its more-specific 2001:db8:63:ff00::/56 shares 48 bits: 49' },
  { subnet: '2001:db8:63::/48', echo: '2001:db8:63::/48/49', pop: 'y', why: 'IPv6, source shorter than the scope: 49 as above' },
  { subnet: '2001:db8:63:ff42::/64', echo: '2001:db8:63:ff42::/64/56', pop: 'z', why: 'IPv6 covered more-specific: 2001:db8:63:ff00::/56 matches and holds nothing: 56' },
  { subnet: '2001:db8:64::/48', echo: '2001:db8:64::/48/46', pop: 'x', why: 'IPv6 no match: 2001:db8:63:: shares 45 bits (0x64 = 0110 0100, 0x63 = 0110 0011): 46' },
  // An IPv4-mapped subnet (RFC 4291 2.5.5.2) is decided as its IPv4 address; its scope is an IPv6 length, the 96
  // bits of ::ffff:0:0/96 plus the IPv4 scope (a scope of 24 would claim the answer for all of ::/24).
  { subnet: '::ffff:10.63.5.0/120', echo: '::ffff:10.63.5.0/120/120', pop: 'x', queryScope: 24, why: 'IPv4-mapped: decided as 10.63.5.0 (x, IPv4 scope 24): 96 + 24' },
  { subnet: '::ffff:10.63.200.0/120', echo: '::ffff:10.63.200.0/120/114', pop: 'y', queryScope: 18, why: 'IPv4-mapped: decided as 10.63.200.0 (y, IPv4 scope 18): 96 + 18' },
];

run('ECS: the answer is the POP `supersparrow query` gives for the subnet, with the scope of the rule: covered more-specific, no match, IPv6, source shorter than the match, override, IPv4-mapped', async (t) => {
  await startBgp();
  // The decisions in one CLI call; then each subnet with both clients, both types (the subnet's family decides,
  // not the question's) and both listeners, a few clients at a time.
  const addresses = ECS_CASES.map((c) => c.echo.split('/')[0]!);
  const decisions = await world!.ss.query(addresses);
  const asked = await inBatches(ECS_CASES, (c) => Promise.all([
    ask('dig', ['www.example.test', 'A', `+subnet=${c.subnet}`]),
    ask('kdig', ['www.example.test', 'AAAA', `+subnet=${c.subnet}`]),
    ask('dig', ['www.example.test', 'AAAA', `+subnet=${c.subnet}`], { v6: true }),
    ask('kdig', ['www.example.test', 'A', `+subnet=${c.subnet}`], { v6: true }),
  ]));
  ECS_CASES.forEach((c, i) => {
    const q = decisions[i]!;
    const scope = Number(c.echo.split('/')[2]);
    const [digA, kdigAaaa, digAaaa6, kdigA6] = asked[i]!;
    t.like(q, { pop: c.pop, answer: q.addr.includes(':') ? AAAA_OF(c.pop) : A_OF(c.pop), scope: c.queryScope ?? scope }, `supersparrow query ${addresses[i]}: ${c.why}`);
    check(t, digA, answered([a('www.example.test', c.pop)], c.echo), `dig A +subnet=${c.subnet}: ${c.why}`);
    check(t, kdigAaaa, answered([aaaa('www.example.test', c.pop)], c.echo), `kdig AAAA +subnet=${c.subnet}: ${c.why}`);
    check(t, digAaaa6, answered([aaaa('www.example.test', c.pop)], c.echo), `dig AAAA +subnet=${c.subnet} over ::1`);
    check(t, kdigA6, answered([a('www.example.test', c.pop)], c.echo), `kdig A +subnet=${c.subnet} over ::1`);
  });
});

run('ECS source /0 (and no ECS): decided for the resolver\'s address, scope /0', async (t) => {
  await startBgp();
  // The resolver 127.0.0.1 lies in 64.0.0.0/2 (z); the address 0.0.0.0 has no route (x): a /0 source is answered
  // for the resolver, and its answer holds for every client (scope 0). ::1 has no route: x.
  t.like(await decision('127.0.0.1'), { pop: 'z' });
  t.like(await decision('0.0.0.0'), { pop: 'x' });
  const [digZero, kdigZero, digNone, kdigZero6] = await Promise.all([
    ask('dig', ['www.example.test', 'A', '+subnet=0.0.0.0/0']),
    ask('kdig', ['www.example.test', 'AAAA', '+subnet=0.0.0.0/0']),
    ask('dig', ['www.example.test', 'A']),
    ask('kdig', ['www.example.test', 'AAAA', '+subnet=::/0'], { v6: true }),
  ]);
  check(t, digZero, answered([a('www.example.test', 'z')], '0.0.0.0/0/0'), 'dig +subnet=0.0.0.0/0');
  check(t, kdigZero, answered([aaaa('www.example.test', 'z')], '0.0.0.0/0/0'), 'kdig +subnet=0.0.0.0/0');
  check(t, digNone, answered([a('www.example.test', 'z')]), 'dig without ECS');
  check(t, kdigZero6, answered([aaaa('www.example.test', 'x')], '::/0/0'), 'kdig +subnet=::/0 over ::1');
});

run('answers: 2 gives the two closest POPs of the name, closest first, as `supersparrow query` ranks them', async (t) => {
  await startBgp();
  // By hand: 10.63.200.0 -> y (first AS of 10.63.0.0/16), then self x; 10.63.130.0 -> the override's z, then y
  // (the route's first AS), then self. A client without a route: self, then the hash's pick among y and z.
  const cases: Array<{ subnet: string; address: string; expected?: string[] }> = [
    { subnet: '10.63.200.0/24', address: '10.63.200.0', expected: ['y', 'x'] },
    { subnet: '10.63.130.0/24', address: '10.63.130.0', expected: ['z', 'y'] },
    { subnet: '2001:db8:63:ff42::/64', address: '2001:db8:63:ff42::', expected: ['z', 'x'] },
    { subnet: '10.99.0.0/16', address: '10.99.0.0' },
  ];
  const decisions = await world!.ss.query(cases.map((c) => c.address));
  const asked = await inBatches(cases, (c) => Promise.all([
    ask('dig', ['two.example.test', 'A', `+subnet=${c.subnet}`]),
    ask('kdig', ['two.example.test', 'AAAA', `+subnet=${c.subnet}`], { v6: true }),
  ]));
  cases.forEach((c, i) => {
    const q = decisions[i]!;
    const best = q.ranking.filter((p) => ['x', 'y', 'z'].includes(p)).slice(0, 2);
    if (c.expected) t.deepEqual(best, c.expected, `supersparrow query ${c.address}: ranking ${q.ranking.join(' ')}`);
    else t.is(best[0], 'x', 'no route: self first');
    const [digA, kdigAaaa] = asked[i]!;
    check(t, digA, answered(best.map((p) => a('two.example.test', p, TWO_TTL)), `${c.subnet}/${q.scope}`), `dig two A +subnet=${c.subnet}`);
    check(t, kdigAaaa, answered(best.map((p) => aaaa('two.example.test', p, TWO_TTL)), `${c.subnet}/${q.scope}`), `kdig two AAAA +subnet=${c.subnet}`);
  });
});

run('TC: 20 AAAA records do not fit 512 octets: TC and no answer over UDP, all 20 after the clients\' TCP retry; the EDNS UDP size is honoured to the octet', async (t) => {
  await startBgp();
  // The 20 closest of p01..p21 (none has an AS on a route: the hash's order, keyed by the resolver's match).
  const twentyFor = async (resolver: string): Promise<Summary> => {
    const q = await decision(resolver);
    const twenty = q.ranking.filter((p) => MANY.includes(p)).slice(0, 20);
    t.is(twenty.length, 20);
    return answered(twenty.map((p) => aaaa('many.example.test', p)));
  };
  const all = await twentyFor('127.0.0.1');
  const all6 = await twentyFor('::1');
  const truncated = answered([], null, { tc: true });
  // The answer is 12 (header) + 23 (question: many.example.test AAAA IN) + 20 x 28 (AAAA records) = 595 octets,
  // and 606 with our OPT record: it fits 606 and not 605.
  const [ignored, retried, kdigIgnored, kdigRetried, size605, size606, kdig605, kdig606] = await Promise.all([
    ask('dig', ['many.example.test', 'AAAA', '+noedns', '+ignore']),
    ask('dig', ['many.example.test', 'AAAA', '+noedns']),
    ask('kdig', ['many.example.test', 'AAAA', '+ignore'], { v6: true }),
    ask('kdig', ['many.example.test', 'AAAA'], { v6: true }),
    ask('dig', ['many.example.test', 'AAAA', '+bufsize=605', '+ignore']),
    ask('dig', ['many.example.test', 'AAAA', '+bufsize=606', '+ignore']),
    ask('kdig', ['many.example.test', 'AAAA', '+bufsize=605', '+ignore']),
    ask('kdig', ['many.example.test', 'AAAA', '+bufsize=606', '+ignore']),
  ]);
  check(t, ignored, truncated, 'dig +noedns +ignore: TC');
  t.is(ignored.transport, 'UDP');
  check(t, retried, all, 'dig +noedns: retried over TCP');
  t.true(retried.retriedOverTcp, 'dig says it retried over TCP');
  t.is(retried.transport, 'TCP');
  check(t, kdigIgnored, truncated, 'kdig +ignore: TC');
  check(t, kdigRetried, all6, 'kdig over ::1: retried over TCP');
  t.true(kdigRetried.retriedOverTcp, 'kdig says it retried over TCP');
  t.is(kdigRetried.transport, 'TCP');
  for (const [r, what] of [[size605, 'dig'], [kdig605, 'kdig']] as const) {
    check(t, r, truncated, `${what} +bufsize=605: TC`);
    t.like(r.opt, { version: 0, udp: 1232 }, `${what} +bufsize=605: OPT in the truncated answer`);
  }
  for (const [r, what] of [[size606, 'dig'], [kdig606, 'kdig']] as const) {
    check(t, r, all, `${what} +bufsize=606: all 20 over UDP`);
    t.is(r.transport, 'UDP');
  }
  // Over TCP directly, and with EDNS's default size, all 20 at once.
  check(t, await ask('dig', ['many.example.test', 'AAAA', '+tcp']), all, 'dig +tcp');
  check(t, await ask('dig', ['many.example.test', 'AAAA']), all, 'dig with its default EDNS size (1232)');
});

run('a route BIRD withdraws moves both the answer and its ECS scope; announced again, they come back', async (t) => {
  const w = await startBgp();
  const bird = w.bird!;
  const probe = (): Promise<DnsReply> => ask('dig', ['www.example.test', 'A', '+subnet=10.63.5.0/24']);
  check(t, await probe(), answered([a('www.example.test', 'x')], '10.63.5.0/24/24'), 'before: the /24 via x');

  // Without 10.63.5.0/24, its clients fall to 10.63.0.0/16 (y); inside the /16 only the override 10.63.128.0/20
  // is left, sharing 16 bits with 10.63.5.0 and with 10.63.0.0: scope 17 for both.
  await bird.withdraw(['10.63.5.0/24']);
  const moved = await waitFor('the answer to move to y', async () => {
    const r = await probe();
    return r.answer[0]?.data === A_OF('y') ? r : undefined;
  }, CONVERGE_MS, 200);
  check(t, moved, answered([a('www.example.test', 'y')], '10.63.5.0/24/17'), 'withdrawn: y, scope 17');
  const [kdigMoved, shorter] = await Promise.all([
    ask('kdig', ['www.example.test', 'AAAA', '+subnet=10.63.5.0/24'], { v6: true }),
    ask('dig', ['www.example.test', 'A', '+subnet=10.63.0.0/16']),
  ]);
  check(t, kdigMoved, answered([aaaa('www.example.test', 'y')], '10.63.5.0/24/17'), 'withdrawn: kdig');
  check(t, shorter, answered([a('www.example.test', 'y')], '10.63.0.0/16/17'), 'withdrawn: 10.63.0.0/16 (was scope 22)');
  t.like(await decision('10.63.5.0'), { pop: 'y', scope: 17, prefix: '10.63.0.0/16' });

  await bird.announce(ROUTES.filter((r) => r.prefix === '10.63.5.0/24'));
  const back = await waitFor('the answer to come back to x', async () => {
    const r = await probe();
    return r.answer[0]?.data === A_OF('x') ? r : undefined;
  }, CONVERGE_MS, 200);
  check(t, back, answered([a('www.example.test', 'x')], '10.63.5.0/24/24'), 'announced again: x, scope 24');
  check(t, await ask('dig', ['www.example.test', 'A', '+subnet=10.63.0.0/16']), answered([a('www.example.test', 'y')], '10.63.0.0/16/22'), 'announced again: 10.63.0.0/16 scope 22');
});

// ------------------------------------------------------------------------------------------------ multi-view

run('multi-view: the ECS scope is over the union of the views\' routes, not the answering view\'s alone', async (t) => {
  // A supersparrow of its own: the multi-view rule, POPs x (self) and y, each with its router (a BIRD in the POP's
  // AS, eBGP: the path arrives as [POP's AS, ...]). Both export 10.64.0.0/16, y with the shorter path; only x's
  // router has the more-specific 10.64.77.0/24.
  const ssAddress = loopbackAddress(BLOCK);
  const routers = {
    x: { address: loopbackAddress(BLOCK), as: X_AS, routes: [
      { prefix: '10.64.0.0/16', nextHop: '192.0.2.171', asPath: [64510, 64511, 64500] },
      { prefix: '10.64.77.0/24', nextHop: '192.0.2.171', asPath: [64500] },
    ] },
    y: { address: loopbackAddress(BLOCK), as: Y_AS, routes: [{ prefix: '10.64.0.0/16', nextHop: '192.0.2.172', asPath: [64500] }] },
  };
  const ss = new Supersparrow({
    localAs: OUR_AS,
    address: ssAddress,
    listenPort: await freePort(ssAddress),
    holdTime: HOLD,
    connectRetry: 1,
    neighbors: (['x', 'y'] as const).map((pop) => ({ address: routers[pop].address, remoteAs: routers[pop].as, port: 179, passive: true, gracefulRestart: false, pop })),
    pops: { x: POPS['x']!, y: POPS['y']! },
    proximity: { rule: 'multi-view', self: 'x' },
    dns: { listen: ['127.0.0.1:0'], zone: ZONE, ttl: TTL, names: { www: {} }, ns: ['ns.elsewhere.test'], startup: { ttl: STARTUP_TTL, timeout: 300 } },
  });
  const birds: PeerDaemon[] = [];
  t.teardown(async () => {
    if (!t.passed) t.log(await diagnostics(ss, birds));
    await Promise.allSettled([...birds.map((b) => b.stop()), ss.stop()]);
  });
  await ss.start();
  const [listening] = await ss.dnsListening();
  const port = listening!.port;
  await Promise.all((['x', 'y'] as const).map((pop) => startBird(routers[pop].address, (listenPort) => ({
    address: routers[pop].address,
    as: routers[pop].as,
    neighbor: { address: ssAddress, as: OUR_AS, port: ss.options.listenPort },
    mode: 'active',
    listenPort,
    holdTime: HOLD,
    connectRetry: 1,
    routes: routers[pop].routes,
    gracefulRestart: { restartTime: 30 },
  }), birds)));
  for (const pop of ['x', 'y'] as const) await ss.waitEstablished(routers[pop].address, SESSION_UP_MS);

  // 10.64.1.0/24: both views match 10.64.0.0/16 and y's path is shorter: y. y's view holds nothing inside the /16,
  // but x's 10.64.77.0/24 shares 17 bits with 10.64.1.0 (1 = 0000 0001, 77 = 0100 1101): scope 18, not 16 (which
  // would let a resolver give y to 10.64.77.0/24's clients, whom x's more-specific route decides).
  // 10.64.200.0/24: 200 = 1100 1000 shares 16 bits with 77: scope 17. 10.64.77.0/24 itself: 24.
  const cases = [
    { subnet: '10.64.1.0/24', scope: 18, pop: 'y' },
    { subnet: '10.64.200.0/24', scope: 17, pop: 'y' },
    { subnet: '10.64.77.0/24', scope: 24 },
  ];
  const probe = (subnet: string, client: DnsClientName = 'dig'): Promise<DnsReply> => ask(client, ['www.example.test', 'A', `+subnet=${subnet}`], { port });
  await waitFor('the multi-view responder to answer from the decision', async () => {
    const r = await probe('10.64.1.0/24');
    return r.answer[0]?.ttl === TTL && r.answer[0]?.data === A_OF('y') ? r : undefined;
  }, CONVERGE_MS, 200);
  for (const c of cases) {
    const [q] = await ss.query([c.subnet.split('/')[0]!]);
    t.like(q, { scope: c.scope, ...(c.pop ? { pop: c.pop } : {}) }, `supersparrow query ${c.subnet}`);
    const [dig, kdig] = await Promise.all([probe(c.subnet), probe(c.subnet, 'kdig')]);
    const expected = answered([a('www.example.test', q!.pop!)], `${c.subnet}/${c.scope}`);
    check(t, dig, expected, `multi-view: dig +subnet=${c.subnet}`);
    check(t, kdig, expected, `multi-view: kdig +subnet=${c.subnet}`);
  }
}, false);
