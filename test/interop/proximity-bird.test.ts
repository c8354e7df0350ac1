// The proximity decision end to end against real BIRD 2 on loopback: BIRD announces, a spawned
// `supersparrow serve` learns the routes over BGP, and the CLI (`query --json`, `pops --json`, the original
// `--peer ... --batch` invocation) answers which POP is closest, as an operator would ask it.
//
//   1. classic: one BIRD, iBGP, static routes whose AS paths the export filter sets; the answer is the POP whose AS
//      is first on the best path, else self;
//   2. multi-view: two BIRDs (the routers of POPs x and y), each with a session from its own address in its own AS,
//      exporting the same prefixes with different AS path lengths; answers follow the shorter path, move to x when
//      y's session is disabled in BIRD, and come back when it is enabled;
//   3. classic batch against BIRD's own best paths: a BIRD "router" picks best paths among four upstream sessions
//      (a second BIRD) and passes them to supersparrow over iBGP; 200 lines through the original batch
//      invocation must each be answered as the classic rule applied to the router's own best path says.
//
// Every wait polls the CLI or BIRD with a generous deadline; nothing asserts on timing.
import type { ExecutionContext } from 'ava';
import { BirdRouter, type BirdBestRoute } from '../helpers/peers/bird.js';
import {
  createPeer, freePort, loopbackAddress, missingReason, peerTest, Supersparrow, waitFor,
  type PeerDaemon, type RouteSpec,
} from '../helpers/peers/index.js';
import type { QueryAnswer, SupersparrowPop } from '../helpers/peers/supersparrow.js';

/** This file's loopback block (not used elsewhere: interop 11..14, session and cli tests 41..53 and 60). */
const BLOCK = 61;
/** supersparrow's AS; BIRD is in it too where it talks iBGP. */
const OUR_AS = 65010;
const HOLD = 6;
/** Deadlines: generous, for a busy 2-core machine. */
const SESSION_UP_MS = 40_000;
const CONVERGE_MS = 40_000;

/** The POPs: x is self; y and z are known by their ASes (z's is a 4-octet AS). */
const X_AS = 65751;
const Y_AS = 64750;
const Z_AS = 4_200_000_061;
const POPS: Record<string, SupersparrowPop> = {
  x: { as: X_AS, ipv4: '192.0.2.11', ipv6: '2001:db8::11', host: 'x.example.test' },
  y: { as: Y_AS, ipv4: '192.0.2.22', ipv6: '2001:db8::22', host: 'y.example.test' },
  z: { as: Z_AS, ipv4: '192.0.2.33', ipv6: '2001:db8::33', host: 'z.example.test' },
};
const ANSWER_OF: Record<string, { v4: string; v6: string }> = {
  x: { v4: '192.0.2.11', v6: '2001:db8::11' },
  y: { v4: '192.0.2.22', v6: '2001:db8::22' },
  z: { v4: '192.0.2.33', v6: '2001:db8::33' },
};

const missing = await missingReason('bird');

/** Locally a missing BIRD is a visible skip; under CI=true it fails. */
function run(name: string, fn: (t: ExecutionContext) => Promise<void>): void {
  peerTest(missing === null ? [] : [missing], `bird proximity: ${name}`, fn);
}

/** What a failed test leaves in its log: the CLI's view, supersparrow's log and BIRD's. */
async function diagnostics(ss: Supersparrow, birds: Array<{ label: string; log: () => Promise<string>; birdc?: (a: string[], f?: boolean) => Promise<string> }>): Promise<string> {
  const parts: string[] = [];
  try {
    parts.push(`supersparrow neighbors: ${JSON.stringify(await ss.neighbors())}`);
    parts.push(`supersparrow pops: ${JSON.stringify(await ss.pops())}`);
  } catch (err) {
    parts.push(`supersparrow CLI failed: ${(err as Error).message}`);
  }
  parts.push(`supersparrow log (tail):\n${(await ss.log()).split('\n').slice(-40).join('\n')}`);
  for (const b of birds) {
    if (b.birdc) parts.push(`${b.label} protocols:\n${await b.birdc(['show', 'protocols', 'all'], true).catch((e: Error) => e.message)}`);
    parts.push(`${b.label} log (tail):\n${(await b.log()).split('\n').slice(-30).join('\n')}`);
  }
  return parts.join('\n');
}

/** The parts of a `query --json` answer a test pins (ranking and scope are checked where they matter). */
type Expected = Pick<QueryAnswer, 'pop' | 'answer' | 'rule' | 'prefix' | 'asPath'> & { ranking?: string[] };

function pick(a: QueryAnswer, e: Expected): Expected {
  const out: Expected = { pop: a.pop, answer: a.answer, rule: a.rule, prefix: a.prefix, asPath: a.asPath };
  if (e.ranking) out.ranking = a.ranking;
  return out;
}

/** Polls `query --json` until every address is answered as expected; the timeout error shows the differences. */
async function waitForAnswers(ss: Supersparrow, expected: Record<string, Expected>, what: string, timeoutMs = CONVERGE_MS): Promise<QueryAnswer[]> {
  const addrs = Object.keys(expected);
  return waitFor(what, async () => {
    const answers = await ss.query(addrs);
    const wrong = answers
      .map((a, i) => ({ addr: addrs[i]!, got: pick(a, expected[addrs[i]!]!), want: expected[addrs[i]!]! }))
      .filter((d) => JSON.stringify(d.got) !== JSON.stringify(d.want));
    if (wrong.length === 0) return answers;
    throw new Error(`still different: ${JSON.stringify(wrong)}`);
  }, timeoutMs, 250);
}

function assertAnswers(t: ExecutionContext, answers: QueryAnswer[], expected: Record<string, Expected>, when: string): void {
  const addrs = Object.keys(expected);
  t.is(answers.length, addrs.length, `${when}: one answer per address`);
  answers.forEach((a, i) => {
    const e = expected[addrs[i]!]!;
    t.deepEqual(pick(a, e), e, `${when}: ${addrs[i]}`);
  });
}

/**
 * Starts a BIRD after `pickPorts` chose its listening ports. BIRD gives a BGP protocol up for good when another
 * process took its port between freePort() and BIRD's bind ("No listening socket"; more likely on a machine
 * running other tests): then the BIRD is stopped, the ports picked again and BIRD started again (3 attempts).
 */
async function startBird(t: ExecutionContext, label: string, o: { pickPorts: () => Promise<void>; start: () => Promise<void>; listenFailures: () => Promise<string[]>; stop: () => Promise<void> }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await o.pickPorts();
    await o.start();
    const failed = await o.listenFailures();
    if (failed.length === 0) return;
    await o.stop();
    if (attempt === 3) throw new Error(`${label}: ${failed.join(', ')} could not open a listening socket in ${attempt} attempts`);
    t.log(`${label}: ${failed.join(', ')} found its listening port taken; picking other ports`);
  }
}

// ------------------------------------------------------------------------------------------------ 1. classic

/** supersparrow with the classic POP table, passive towards one iBGP router (BIRD) at `router`. */
function classicSupersparrow(address: string, listenPort: number, router: string): Supersparrow {
  return new Supersparrow({
    localAs: OUR_AS,
    address,
    listenPort,
    holdTime: HOLD,
    connectRetry: 1,
    // supersparrow is passive: the port it would dial is never used.
    neighbors: [{ address: router, remoteAs: OUR_AS, port: 179, passive: true, gracefulRestart: false }],
    pops: POPS,
    proximity: { rule: 'classic', self: 'x' },
  });
}

run('classic: the POP whose AS is first on the best path, else self (IPv4, IPv6, 4-octet AS, longest match, changes)', async (t) => {
  const ssAddress = loopbackAddress(BLOCK);
  const birdAddress = loopbackAddress(BLOCK);
  const ssPort = await freePort(ssAddress);
  // iBGP: BIRD sends each AS path exactly as its export filter builds it (no own AS prepended on iBGP), so the
  // first AS is the filter's choice. On eBGP every path would start with BIRD's own AS.
  const routes: RouteSpec[] = [
    { prefix: '10.61.0.0/16', nextHop: '192.0.2.161', asPath: [Y_AS, 64500] },
    // A more specific inside y's /16 whose path does not start with y's AS: longest match must pick it.
    { prefix: '10.61.1.0/24', nextHop: '192.0.2.161', asPath: [64500, Y_AS] },
    { prefix: '10.62.0.0/16', nextHop: '192.0.2.162', asPath: [X_AS, 64501] },
    { prefix: '10.63.0.0/16', nextHop: '192.0.2.163', asPath: [64999, Y_AS, 64502] },
    { prefix: '10.64.0.0/16', nextHop: '192.0.2.164', asPath: [Y_AS, Y_AS, Y_AS, 64503] },
    { prefix: '10.65.0.0/16', nextHop: '192.0.2.165', asPath: [Z_AS, 64504] },
    // An empty AS path (a route of the router's own AS): no first AS.
    { prefix: '10.66.0.0/16', nextHop: '192.0.2.166', asPath: [] },
    { prefix: '2001:db8:61::/48', nextHop: '2001:db8:ff::61', asPath: [Y_AS] },
    { prefix: '2001:db8:62::/48', nextHop: '2001:db8:ff::62', asPath: [64505] },
  ];
  // BIRD (the existing driver, test/helpers/peers/bird.ts) connects; it also listens, on a port picked per attempt.
  const started: PeerDaemon[] = [];
  let peer!: PeerDaemon;
  const ss = classicSupersparrow(ssAddress, ssPort, birdAddress);
  t.teardown(async () => {
    if (!t.passed && peer) t.log(await diagnostics(ss, [{ label: 'bird', log: () => peer.log() }]));
    await Promise.allSettled([...started.map((p) => p.stop()), ss.stop()]);
  });
  await ss.start();
  await startBird(t, 'bird', {
    pickPorts: async () => {
      peer = createPeer('bird', {
        address: birdAddress,
        as: OUR_AS,
        neighbor: { address: ssAddress, as: OUR_AS, port: ssPort },
        mode: 'active',
        listenPort: await freePort(birdAddress),
        holdTime: HOLD,
        connectRetry: 1,
        routes,
      });
      started.push(peer);
    },
    start: () => peer.start(),
    listenFailures: async () => {
      const v = await waitFor('BIRD\'s protocol to start', async () => {
        const view = await peer.view();
        return view.state === 'Idle' && view.lastError === '' ? undefined : view;
      }, 10_000, 100).catch(() => peer.view());
      return /No listening socket/.test(v.lastError) ? ['peer'] : [];
    },
    stop: () => peer.stop(),
  });
  await ss.waitEstablished(birdAddress, SESSION_UP_MS);

  const first = (pop: string, prefix: string, asPath: number[], v6 = false): Expected => ({ pop, answer: v6 ? ANSWER_OF[pop]!.v6 : ANSWER_OF[pop]!.v4, rule: 'first-as', prefix, asPath });
  const self = (prefix: string | null, asPath: number[] | null, v6 = false): Expected => ({ pop: 'x', answer: v6 ? ANSWER_OF['x']!.v6 : ANSWER_OF['x']!.v4, rule: 'self', prefix, asPath });
  const expected: Record<string, Expected> = {
    '10.61.2.9': { ...first('y', '10.61.0.0/16', [Y_AS, 64500]), ranking: ['y', 'x', 'z'] },
    '10.61.1.9': self('10.61.1.0/24', [64500, Y_AS]),
    '10.62.3.4': first('x', '10.62.0.0/16', [X_AS, 64501]),
    '10.63.3.4': self('10.63.0.0/16', [64999, Y_AS, 64502]),
    '10.64.0.1': first('y', '10.64.0.0/16', [Y_AS, Y_AS, Y_AS, 64503]),
    '10.65.255.254': first('z', '10.65.0.0/16', [Z_AS, 64504]),
    '10.66.1.1': self('10.66.0.0/16', []),
    '10.99.0.1': self(null, null),
    '2001:db8:61::1': first('y', '2001:db8:61::/48', [Y_AS], true),
    '2001:db8:62:ffff::1': self('2001:db8:62::/48', [64505], true),
    '2001:db8:99::1': self(null, null, true),
  };
  const answers = await waitForAnswers(ss, expected, 'the classic answers for BIRD\'s routes');
  assertAnswers(t, answers, expected, 'classic');
  // The ECS scope of an address under a prefix without more specifics is that prefix's length.
  t.is(answers[Object.keys(expected).indexOf('10.64.0.1')]!.scope, 16, 'scope of 10.64.0.1');

  // The plain output and the original invocation agree.
  const plain = await ss.cli(['query', '10.61.2.9', '10.61.1.9', '2001:db8:61::1']);
  t.is(plain.code, 0, plain.stderr);
  t.deepEqual(plain.stdout.trim().split('\n'), ['10.61.2.9 y 192.0.2.22', '10.61.1.9 x 192.0.2.11', '2001:db8:61::1 y 2001:db8::22']);
  const peers = ['--peer', `${X_AS}=192.0.2.11,${Y_AS}=192.0.2.22,${Z_AS}=192.0.2.33`, '--self', '192.0.2.11', '--socket', ss.socket];
  const verbose = await ss.exec([...peers, '--source', '10.61.2.9', '--verbose']);
  t.is(verbose.code, 0, verbose.stderr);
  t.is(verbose.stdout, `PEERS: ${X_AS}=192.0.2.11 ${Y_AS}=192.0.2.22 ${Z_AS}=192.0.2.33\nASPATH: ${Y_AS} 64500\n192.0.2.22\n`);
  t.is((await ss.exec([...peers, '--source', '10.65.0.1'])).stdout, '192.0.2.33\n', 'the 4-octet AS through the original invocation');

  // BIRD withdraws the more specific and changes a path: the answers follow.
  await peer.withdraw(['10.61.1.0/24']);
  await peer.announce([{ prefix: '10.63.0.0/16', nextHop: '192.0.2.163', asPath: [Y_AS, 64502] }]);
  const changed: Record<string, Expected> = {
    ...expected,
    '10.61.1.9': first('y', '10.61.0.0/16', [Y_AS, 64500]),
    '10.63.3.4': first('y', '10.63.0.0/16', [Y_AS, 64502]),
  };
  assertAnswers(t, await waitForAnswers(ss, changed, 'the answers after BIRD\'s changes'), changed, 'after the changes');
});

// ------------------------------------------------------------------------------------------------ 2. multi-view

/** A prefix both POP routers may export, with the AS path each adds after its own AS (absent: not exported). */
interface ViewRoute {
  prefix: string;
  x?: number[];
  y?: number[];
}

/** BIRD filter statements that make a route's AS path [own AS (added by BGP), ...tail] and set its next hop. */
function filterClause(prefix: string, tail: number[], nextHop: string): string {
  const prepends = [...tail].reverse().map((as) => `bgp_path.prepend(${as});`).join(' ');
  return `  if net = ${prefix} then { ${prepends} bgp_next_hop = ${nextHop}; accept; }`;
}

function staticProtocols(prefixes: string[]): string {
  const v4 = prefixes.filter((p) => !p.includes(':'));
  const v6 = prefixes.filter((p) => p.includes(':'));
  return `protocol static static4 {
  ipv4;
${v4.map((p) => `  route ${p} blackhole;`).join('\n')}
}
protocol static static6 {
  ipv6;
${v6.map((p) => `  route ${p} blackhole;`).join('\n')}
}`;
}

/** Session timers for the tests' BIRD sessions: short, and BIRD reconnects within a second or two. */
const BIRD_TIMERS = `hold time ${HOLD}; startup hold time ${HOLD}; keepalive time 2; connect retry time 1; connect delay time 1; error wait time 1, 2; graceful restart off;`;

run('multi-view: each prefix goes to the POP whose router has the shorter path; a disabled session moves its answers to the other POP and back', async (t) => {
  const ssAddress = loopbackAddress(BLOCK);
  const xAddress = loopbackAddress(BLOCK);
  const yAddress = loopbackAddress(BLOCK);
  const ssPort = await freePort(ssAddress);
  /** BIRD's listening ports, picked when each BIRD starts (see startBird). */
  const listenPort = { x: 0, y: 0 };
  const viewRoutes: ViewRoute[] = [
    { prefix: '10.71.0.0/16', x: [64500], y: [64600, 64601, 64500] },
    { prefix: '10.72.0.0/16', x: [64610, 64611, 64612, 64500], y: [64500] },
    // More specific inside 10.72.0.0/16, where x's path is the shorter.
    { prefix: '10.72.5.0/24', x: [64500], y: [64620, 64621, 64500] },
    { prefix: '10.73.0.0/16', x: [64500, 64501, 64502] },
    // The same length from both: the routes tie, y's higher preference decides.
    { prefix: '10.74.0.0/16', x: [64500], y: [64500] },
    { prefix: '10.76.0.0/16', y: [64500, 64501] },
    { prefix: '2001:db8:71::/48', x: [64500, 64501], y: [64500] },
    { prefix: '2001:db8:72::/48', x: [64500], y: [64501, 64502, 64500] },
  ];
  // Two BIRD instances, the routers of POPs x and y: each has one eBGP session (protocol popx or popy) from its own
  // address in its POP's AS, and exports the prefixes its POP has with its own path; BGP prepends the AS. (One BIRD
  // cannot hold both sessions: BIRD serializes BGP protocols with the same neighbor address and port through an
  // object lock, so the second would wait in Idle for as long as the first is up.)
  const popRouter = (pop: 'x' | 'y', address: string, as: number): BirdRouter => {
    const nextHop = (prefix: string): string => (prefix.includes(':') ? `2001:db8:ff::${pop === 'x' ? 'a' : 'b'}` : `192.0.2.${pop === 'x' ? 171 : 172}`);
    const mine = viewRoutes.filter((r) => r[pop]);
    return new BirdRouter(`pop-${pop}`, ({ log }) => `# generated by test/interop/proximity-bird.test.ts (multi-view, POP ${pop}'s router)
log "${log}" all;
router id ${address};
protocol device { scan time 60; }
${staticProtocols(mine.map((r) => r.prefix))}
filter to_ss {
${mine.map((r) => filterClause(r.prefix, r[pop]!, nextHop(r.prefix))).join('\n')}
  reject;
}
protocol bgp pop${pop} {
  local ${address} port ${listenPort[pop]} as ${as};
  neighbor ${ssAddress} port ${ssPort} as ${OUR_AS};
  multihop 2;
  ${BIRD_TIMERS}
  ipv4 { import none; export filter to_ss; };
  ipv6 { import none; export filter to_ss; };
}
`);
  };
  const birdX = popRouter('x', xAddress, X_AS);
  const birdY = popRouter('y', yAddress, Y_AS);
  const ss = new Supersparrow({
    localAs: OUR_AS,
    address: ssAddress,
    listenPort: ssPort,
    holdTime: HOLD,
    connectRetry: 1,
    neighbors: [
      // supersparrow is passive: the port it would dial is never used.
      { address: xAddress, remoteAs: X_AS, port: 179, passive: true, gracefulRestart: false, pop: 'x' },
      { address: yAddress, remoteAs: Y_AS, port: 179, passive: true, gracefulRestart: false, pop: 'y' },
    ],
    pops: { x: POPS['x']!, y: { ...POPS['y']!, preference: 150 } },
    proximity: { rule: 'multi-view', self: 'x' },
  });
  t.teardown(async () => {
    if (!t.passed) t.log(await diagnostics(ss, [birdX, birdY]));
    await Promise.allSettled([birdX.stop(), birdY.stop(), ss.stop()]);
  });
  await ss.start();
  await Promise.all((['x', 'y'] as const).map((pop) => {
    const bird = pop === 'x' ? birdX : birdY;
    const address = pop === 'x' ? xAddress : yAddress;
    return startBird(t, bird.label, {
      pickPorts: async () => {
        listenPort[pop] = await freePort(address);
      },
      start: () => bird.start(),
      listenFailures: () => bird.listenFailures(),
      stop: () => bird.stop(),
    });
  }));
  await ss.waitEstablished(xAddress, SESSION_UP_MS);
  await ss.waitEstablished(yAddress, SESSION_UP_MS);

  const routed = (pop: 'x' | 'y', rule: string, prefix: string, ranking: string[]): Expected => {
    const r = viewRoutes.find((v) => v.prefix === prefix)!;
    const v6 = prefix.includes(':');
    return { pop, answer: v6 ? ANSWER_OF[pop]!.v6 : ANSWER_OF[pop]!.v4, rule, prefix, asPath: [pop === 'x' ? X_AS : Y_AS, ...r[pop]!], ranking };
  };
  const bothUp: Record<string, Expected> = {
    '10.71.9.9': routed('x', 'route', '10.71.0.0/16', ['x', 'y']),
    '10.72.9.9': routed('y', 'route', '10.72.0.0/16', ['y', 'x']),
    '10.72.5.9': routed('x', 'route', '10.72.5.0/24', ['x', 'y']),
    '10.73.9.9': routed('x', 'route', '10.73.0.0/16', ['x', 'y']),
    '10.74.9.9': routed('y', 'preference', '10.74.0.0/16', ['y', 'x']),
    '10.76.9.9': routed('y', 'route', '10.76.0.0/16', ['y', 'x']),
    '2001:db8:71::9': routed('y', 'route', '2001:db8:71::/48', ['y', 'x']),
    '2001:db8:72::9': routed('x', 'route', '2001:db8:72::/48', ['x', 'y']),
    '10.99.0.1': { pop: 'x', answer: '192.0.2.11', rule: 'no-route', prefix: null, asPath: null, ranking: ['x', 'y'] },
  };
  assertAnswers(t, await waitForAnswers(ss, bothUp, 'the multi-view answers with both sessions up'), bothUp, 'both up');

  // y's router takes its session down (`birdc disable`: a Cease NOTIFICATION to supersparrow): y is not answered.
  t.regex(await birdY.birdc(['disable', 'popy']), /disabled/);
  const pops = await waitFor('pops --json to show y down', async () => {
    const p = await ss.pops();
    return p.find((x) => x.name === 'y')?.up === false ? p : undefined;
  }, CONVERGE_MS, 250);
  t.like(pops.find((p) => p.name === 'y'), { up: false, down: ['sessions down'], neighbors: [{ address: yAddress, up: false }] });
  t.like(pops.find((p) => p.name === 'x'), { up: true, down: [], self: true });
  const yDown: Record<string, Expected> = {
    '10.71.9.9': routed('x', 'route', '10.71.0.0/16', ['x']),
    '10.72.9.9': routed('x', 'route', '10.72.0.0/16', ['x']),
    '10.72.5.9': routed('x', 'route', '10.72.5.0/24', ['x']),
    '10.73.9.9': routed('x', 'route', '10.73.0.0/16', ['x']),
    '10.74.9.9': routed('x', 'route', '10.74.0.0/16', ['x']),
    // Only y's router had it: nothing in x's view, x answers as self.
    '10.76.9.9': { pop: 'x', answer: '192.0.2.11', rule: 'no-route', prefix: null, asPath: null, ranking: ['x'] },
    '2001:db8:71::9': routed('x', 'route', '2001:db8:71::/48', ['x']),
    '2001:db8:72::9': routed('x', 'route', '2001:db8:72::/48', ['x']),
    '10.99.0.1': { pop: 'x', answer: '192.0.2.11', rule: 'no-route', prefix: null, asPath: null, ranking: ['x'] },
  };
  assertAnswers(t, await waitForAnswers(ss, yDown, 'the answers to move to x'), yDown, 'y down');
  const n = await ss.neighbor(yAddress);
  t.not(n.state, 'Established', 'supersparrow sees y\'s session down');

  // Enabled again: BIRD reconnects, y's routes come back, and so do the answers.
  t.regex(await birdY.birdc(['enable', 'popy']), /enabled/);
  await ss.waitEstablished(yAddress, SESSION_UP_MS);
  assertAnswers(t, await waitForAnswers(ss, bothUp, 'the answers to come back after enable'), bothUp, 'y back');
  t.like((await ss.pops()).find((p) => p.name === 'y'), { up: true, down: [] });
});

// ------------------------------------------------------------------------------------------------ 3. batch vs BIRD

/** mulberry32: a small seeded generator, so that the route plan and addresses are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function ipv4Number(text: string): number {
  return text.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** Upstreams of the router: the AS each session of the feeder BIRD speaks as. */
const UPSTREAMS = [
  { name: 'u1', as: Y_AS }, // POP y's AS
  { name: 'u2', as: X_AS }, // POP x's AS (self's own)
  { name: 'u3', as: 64999 }, // no POP's AS: self
  { name: 'u4', as: Z_AS }, // POP z's 4-octet AS
] as const;

run('classic batch: 200 lines through `--peer ... --self ... --batch`, each answered from the router\'s own best path', async (t) => {
  const ssAddress = loopbackAddress(BLOCK);
  const routerAddress = loopbackAddress(BLOCK);
  const feederAddresses = UPSTREAMS.map(() => loopbackAddress(BLOCK));
  // The router's end of each upstream session has its own address: BIRD serializes BGP protocols with the same
  // neighbor address and port (an object lock), so the feeder's four sessions must not all aim at one.
  // Listening ports (every BGP protocol of BIRD listens) are picked when each BIRD starts (see startBird).
  const uplinks = UPSTREAMS.map(() => ({ address: loopbackAddress(BLOCK), port: 0 }));
  const feederPorts = UPSTREAMS.map(() => 0);
  const ssPort = await freePort(ssAddress);
  let routerPort = 0;

  // The route plan: nested IPv4 prefixes and a few IPv6 ones; each upstream exports a prefix or not, with 0..3
  // prepends of its own AS before the origin AS, so that the best path differs from prefix to prefix.
  const v4Prefixes = [
    '10.81.0.0/16', '10.81.128.0/17', '10.81.200.0/24', '10.82.0.0/16', '10.82.64.0/18', '10.83.0.0/16',
    '10.84.0.0/16', '10.84.16.0/20', '10.85.0.0/16', '10.86.0.0/15', '10.86.7.0/24', '10.88.0.0/16',
    '10.89.0.0/16', '10.90.0.0/16', '10.90.255.0/24',
  ];
  const v6Prefixes = ['2001:db8:81::/48', '2001:db8:81:80::/57', '2001:db8:82::/48', '2001:db8:83::/48', '2001:db8:84::/48'];
  const prefixes = [...v4Prefixes, ...v6Prefixes];
  const rnd = random(61);
  /** plan[prefix][upstream] = path after the upstream's AS, or null when it does not export the prefix. */
  const plan = new Map<string, (number[] | null)[]>();
  prefixes.forEach((prefix, i) => {
    const origin = 64512 + i;
    let paths = UPSTREAMS.map((u) => (rnd() < 0.3 ? null : [...Array<number>(Math.floor(rnd() * 4)).fill(u.as), origin]));
    if (paths.every((p) => p === null)) paths = UPSTREAMS.map((u, k) => (k === i % UPSTREAMS.length ? [origin] : null));
    plan.set(prefix, paths);
  });
  const exportCount = [...plan.values()].reduce((sum, ps) => sum + ps.filter((p) => p !== null).length, 0);

  // The feeder: one BIRD, one eBGP session per upstream, each from its own address in its own AS.
  const feeder = new BirdRouter('upstreams', ({ log }) => {
    const filters = UPSTREAMS.map((u, k) => {
      const nh = (p: string): string => (p.includes(':') ? `2001:db8:ff::${k + 1}` : `192.0.2.${k + 1}`);
      const clauses = prefixes.filter((p) => plan.get(p)![k] !== null).map((p) => filterClause(p, plan.get(p)![k]!, nh(p)));
      return `filter to_router_${u.name} {\n${clauses.join('\n')}\n  reject;\n}`;
    });
    const sessions = UPSTREAMS.map((u, k) => `protocol bgp ${u.name} {
  router id ${feederAddresses[k]};
  local ${feederAddresses[k]} port ${feederPorts[k]} as ${u.as};
  neighbor ${uplinks[k]!.address} port ${uplinks[k]!.port} as ${OUR_AS};
  multihop 2;
  ${BIRD_TIMERS}
  ipv4 { import none; export filter to_router_${u.name}; };
  ipv6 { import none; export filter to_router_${u.name}; };
}`);
    return `# generated by test/interop/proximity-bird.test.ts (upstreams of the router)
log "${log}" all;
router id ${feederAddresses[0]};
protocol device { scan time 60; }
${staticProtocols(prefixes)}
${filters.join('\n')}
${sessions.join('\n')}
`;
  });

  // The router: learns every upstream's paths, picks its best by BIRD's own rules (plus one local preference
  // policy: u3's paths inside 10.84.0.0/16 are preferred whatever their length), and passes its best BGP routes to
  // supersparrow over iBGP. iBGP does not prepend the router's AS and the export filter changes nothing, so the
  // AS path supersparrow receives is exactly the router's best path as `show route ... primary all` prints it.
  // The upstreams' next hops (192.0.2.N, 2001:db8:ff::N) resolve through device routes on lo.
  const router = new BirdRouter('router', ({ log }) => `# generated by test/interop/proximity-bird.test.ts (the router)
log "${log}" all;
router id ${routerAddress};
protocol device { scan time 60; }
protocol static nh4 { ipv4; route 192.0.2.0/24 via "lo"; }
protocol static nh6 { ipv6; route 2001:db8:ff::/48 via "lo"; }
filter from_u3 {
  if net ~ [ 10.84.0.0/16+ ] then bgp_local_pref = 200;
  accept;
}
template bgp upstream {
  multihop 2;
  passive on;
  ${BIRD_TIMERS}
}
${UPSTREAMS.map((u, k) => `protocol bgp f${k + 1} from upstream {
  local ${uplinks[k]!.address} port ${uplinks[k]!.port} as ${OUR_AS};
  neighbor ${feederAddresses[k]} as ${u.as};
  ipv4 { import ${u.name === 'u3' ? 'filter from_u3' : 'all'}; export none; };
  ipv6 { import ${u.name === 'u3' ? 'filter from_u3' : 'all'}; export none; };
}`).join('\n')}
protocol bgp ss {
  local ${routerAddress} port ${routerPort} as ${OUR_AS};
  neighbor ${ssAddress} port ${ssPort} as ${OUR_AS};
  multihop 2;
  ${BIRD_TIMERS}
  ipv4 { import none; export where source = RTS_BGP; };
  ipv6 { import none; export where source = RTS_BGP; };
}
`);
  const ss = classicSupersparrow(ssAddress, ssPort, routerAddress);
  t.teardown(async () => {
    if (!t.passed) t.log(await diagnostics(ss, [router, feeder]));
    await Promise.allSettled([feeder.stop(), router.stop(), ss.stop()]);
  });
  await ss.start();
  await startBird(t, router.label, {
    pickPorts: async () => {
      routerPort = await freePort(routerAddress);
      for (const u of uplinks) u.port = await freePort(u.address);
    },
    start: () => router.start(),
    listenFailures: () => router.listenFailures(),
    stop: () => router.stop(),
  });
  // Started after the router, so that its config names the router's final ports.
  await startBird(t, feeder.label, {
    pickPorts: async () => {
      for (let k = 0; k < feederPorts.length; k++) feederPorts[k] = await freePort(feederAddresses[k]);
    },
    start: () => feeder.start(),
    listenFailures: () => feeder.listenFailures(),
    stop: () => feeder.stop(),
  });
  await router.waitEstablished(['f1', 'f2', 'f3', 'f4', 'ss'], SESSION_UP_MS);
  await ss.waitEstablished(routerAddress, SESSION_UP_MS);

  // Converged: the router holds every upstream path, and supersparrow has the router's best path for every prefix.
  await waitFor(`the router to import all ${exportCount} upstream paths`, async () => {
    const counts = await Promise.all(['f1', 'f2', 'f3', 'f4'].map(async (p) => (await router.protocol(p)).imported));
    const sum = counts.reduce((a, b) => a + b, 0);
    if (sum === exportCount) return true;
    throw new Error(`imported ${counts.join('+')} = ${sum}`);
  }, CONVERGE_MS, 250);
  const networks = prefixes.map((p) => p.split('/')[0]!);
  await waitFor('supersparrow to hold the router\'s best path for every prefix', async () => {
    const [best, answers] = await Promise.all([router.bestRoutes(networks), ss.query(networks)]);
    const wrong = networks.filter((_, i) => answers[i]!.prefix !== best[i]?.prefix || JSON.stringify(answers[i]!.asPath) !== JSON.stringify(best[i]?.asPath));
    if (wrong.length === 0) return true;
    throw new Error(`differs for ${wrong.map((a) => `${a} (bird ${JSON.stringify(best[networks.indexOf(a)])}, ours ${JSON.stringify(answers[networks.indexOf(a)])})`).join('; ')}`);
  }, CONVERGE_MS, 500);

  // 200 lines: two addresses inside every prefix (for IPv4 its first and last), then random addresses in 10.80.0.0/12 and
  // 2001:db8:80::/44 (some routed, some not), and three lines that are not addresses.
  const lines: string[] = [];
  for (const p of v4Prefixes) {
    const [net, len] = p.split('/');
    const start = ipv4Number(net!);
    lines.push(ipv4(start), ipv4(start + 2 ** (32 - Number(len)) - 1));
  }
  for (const p of v6Prefixes) {
    const base = p.split('/')[0]!.replace(/::$/, '');
    lines.push(`${base}::1`, `${base}::ffff:ffff`);
  }
  const garbage = ['not-an-address', '10.81.1', '2001:db8::zz'];
  const addressCount = 200 - garbage.length;
  while (lines.length < addressCount) {
    if (rnd() < 0.8) lines.push(ipv4(ipv4Number('10.80.0.0') + Math.floor(rnd() * 2 ** 20)));
    else lines.push(`2001:db8:${(0x80 + Math.floor(rnd() * 16)).toString(16)}:${Math.floor(rnd() * 256).toString(16)}::${Math.floor(rnd() * 65536).toString(16)}`);
  }
  lines.splice(10, 0, garbage[0]!);
  lines.splice(100, 0, garbage[1]!);
  lines.splice(150, 0, garbage[2]!);
  t.is(lines.length, 200);

  // The expected answer of each line: the classic rule on the router's own best path (BIRD's longest match and
  // best route), with the --peer list below. A line that is not an address, or an address the router has no
  // BGP route for, gets self.
  const peerAnswer = new Map<number, string>([[X_AS, '192.0.2.11'], [Y_AS, '192.0.2.22'], [Z_AS, '192.0.2.33']]);
  const SELF = '192.0.2.11';
  const isAddress = (l: string): boolean => !garbage.includes(l);
  const addresses = lines.filter(isAddress);
  const birdBest = new Map<string, BirdBestRoute | null>();
  (await router.bestRoutes(addresses)).forEach((b, i) => birdBest.set(addresses[i]!, b));
  const expectedOf = (line: string): string => {
    const best = birdBest.get(line);
    if (!isAddress(line) || !best || !/^f\d$/.test(best.protocol)) return SELF;
    const firstAs = best.asPath[0];
    return typeof firstAs === 'number' ? (peerAnswer.get(firstAs) ?? SELF) : SELF;
  };
  const expected = lines.map(expectedOf);
  // Not vacuous: every kind of answer is there (y, x by its own AS, z, self by another AS, self without a route).
  const kinds = new Set(lines.map((l) => {
    const b = birdBest.get(l);
    if (!isAddress(l)) return 'garbage';
    if (!b) return 'no route';
    return String(b.asPath[0]);
  }));
  for (const k of [String(Y_AS), String(X_AS), String(Z_AS), '64999', 'no route', 'garbage']) t.true(kinds.has(k), `the 200 lines include a case of ${k}`);

  const peers = ['--peer', `${X_AS}=192.0.2.11,${Y_AS}=192.0.2.22`, '--peer', `${Z_AS}=192.0.2.33`, '--self', SELF, '--socket', ss.socket];
  const batch = await ss.exec([...peers, '--batch'], lines.join('\n') + '\n', 60_000);
  t.is(batch.code, 0, batch.stderr);
  t.is(batch.stderr, '', 'nothing on stderr');
  const out = batch.stdout.split('\n');
  t.is(out.pop(), '', 'the output ends with a newline');
  t.is(out.length, lines.length, 'exactly one output line per input line');
  const wrong = lines.map((l, i) => ({ line: i + 1, input: l, got: out[i], want: expected[i], bird: birdBest.get(l) ?? null })).filter((d) => d.got !== d.want);
  t.deepEqual(wrong, [], 'every answer is the classic rule on the router\'s best path');

  // The daemon's own view agrees with BIRD's for every address: same longest match, same AS path.
  const answers = await ss.query(addresses);
  const differ = addresses
    .map((a, i) => ({ addr: a, ours: { prefix: answers[i]!.prefix, asPath: answers[i]!.asPath }, bird: birdBest.get(a) }))
    .filter((d) => (d.bird && /^f\d$/.test(d.bird.protocol) ? JSON.stringify(d.ours) !== JSON.stringify({ prefix: d.bird.prefix, asPath: d.bird.asPath }) : d.ours.prefix !== null));
  t.deepEqual(differ, [], 'query --json matches BIRD\'s longest match and best path for every address');
  t.log(`200 lines: ${expected.filter((e) => e === '192.0.2.22').length} y, ${expected.filter((e) => e === '192.0.2.33').length} z, ${expected.filter((e) => e === SELF).length} self/x; ${exportCount} upstream paths for ${prefixes.length} prefixes`);
});
