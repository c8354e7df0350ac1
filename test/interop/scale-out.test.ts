// Scale-out as an operator runs it: one supersparrow per POP, each a separate `supersparrow serve` process peering
// with its own POP router (a BIRD 2 per instance, iBGP), every router fed the same routes, every instance
// authoritative for the same zone with the same POP table and overrides. Nothing is shared between the instances
// but the routing system, so for any client every instance must give the same answer: the same records, the same
// TTL and the same ECS scope (a resolver may ask any of the zone's name servers, or reach any of them by anycast),
// and the same `supersparrow query --json` decision.
//
// The clients (>= 50, IPv4 and IPv6) are spread over the routes: the first, last and a seeded random address of
// every prefix and override, and unrouted ones, each with an ECS source of its full length or shorter. Each
// instance is asked with `dig @INSTANCE +subnet=ADDR/LEN`; the answers are compared across the instances and
// against the decision (`query --json` of the subnet's address: POP and scope). Every wait polls with a generous
// deadline; nothing asserts on timing.
import type { ExecutionContext } from 'ava';
import {
  createPeer, freePort, loopbackAddress, missingReason, peerTest, queryWith, Supersparrow, waitFor,
  type DnsReply, type PeerDaemon, type RouteSpec,
} from '../helpers/peers/index.js';
import type { QueryAnswer, SupersparrowPop } from '../helpers/peers/supersparrow.js';

/** This file's loopback block (the brief of this test: 96). */
const BLOCK = 96;
const OUR_AS = 65010;
const HOLD = 6;
const SESSION_UP_MS = 40_000;
const CONVERGE_MS = 40_000;
const INSTANCES = 3;

const X_AS = 65751;
const Y_AS = 64750;
const Z_AS = 4_200_000_096;
const POPS: Record<string, SupersparrowPop> = {
  x: { as: X_AS, ipv4: '192.0.2.11', ipv6: '2001:db8::11', host: 'x.example.test' },
  y: { as: Y_AS, ipv4: '192.0.2.22', ipv6: '2001:db8::22', host: 'y.example.test' },
  z: { as: Z_AS, ipv4: '192.0.2.33', ipv6: '2001:db8::33', host: 'z.example.test' },
};

/** The routes every POP router carries; several POP ASes in some paths (the first decides, classic rule). */
const ROUTES: RouteSpec[] = [
  { prefix: '10.96.0.0/16', nextHop: '192.0.2.196', asPath: [Y_AS, 64500] },
  { prefix: '10.96.5.0/24', nextHop: '192.0.2.196', asPath: [X_AS, 64501] },
  { prefix: '10.96.128.0/18', nextHop: '192.0.2.196', asPath: [Z_AS, Y_AS, 64502] },
  { prefix: '10.97.0.0/16', nextHop: '192.0.2.197', asPath: [64999, Y_AS, 64503] },
  { prefix: '10.98.0.0/15', nextHop: '192.0.2.198', asPath: [Z_AS, 64504] },
  { prefix: '10.98.7.0/24', nextHop: '192.0.2.198', asPath: [Y_AS, Y_AS, 64505] },
  { prefix: '172.16.0.0/12', nextHop: '192.0.2.199', asPath: [X_AS, Z_AS, 64506] },
  // Holds the instances' own loopback addresses: a query without ECS is decided for the resolver (127.96.x.x).
  { prefix: '64.0.0.0/2', nextHop: '192.0.2.199', asPath: [Z_AS, 64507] },
  { prefix: '2001:db8:96::/48', nextHop: '2001:db8:ff::96', asPath: [Y_AS, 64510] },
  { prefix: '2001:db8:96:8000::/49', nextHop: '2001:db8:ff::96', asPath: [X_AS, Y_AS, 64511] },
  { prefix: '2001:db8:96:ff00::/56', nextHop: '2001:db8:ff::96', asPath: [Z_AS] },
  { prefix: '2001:db8:97::/48', nextHop: '2001:db8:ff::97', asPath: [64999, X_AS] },
  { prefix: '2001:db8:a0::/44', nextHop: '2001:db8:ff::a0', asPath: [Z_AS, 64512] },
  { prefix: '2001:db8:a5::/48', nextHop: '2001:db8:ff::a5', asPath: [] },
];
/** The same static overrides on every instance: inside routes, inside a more-specific, and in unrouted space. */
const OVERRIDES: Record<string, string> = {
  '10.96.64.0/20': 'z',
  '10.98.7.128/25': 'x',
  '2001:db8:96:ff00::/64': 'y',
  '198.51.100.0/24': 'y',
};
const ZONE = 'example.test';
const TTL = 25;
const DNS_NAMES = { www: {}, two: { answers: 2, ttl: 35 } };

const missing = (await Promise.all((['bird', 'dig'] as const).map((n) => missingReason(n)))).filter((m): m is string => m !== null);

// ------------------------------------------------------------------------------------------------ addresses

/** mulberry32: seeded, so that the clients are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function parseAddress(text: string): { v6: boolean; value: bigint } {
  if (!text.includes(':')) return { v6: false, value: text.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n) };
  const [head, tail] = text.split('::') as [string, string | undefined];
  const words = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const h = words(head);
  const tl = words(tail);
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
  return { v6: true, value: all.reduce((acc, w) => (acc << 16n) | BigInt(parseInt(w, 16)), 0n) };
}

function formatAddress(v6: boolean, value: bigint): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const words = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // The longest run of zero words becomes "::" (as Node and dig print them).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return words.join(':');
  return `${words.slice(0, best.at).join(':')}::${words.slice(best.at + best.len).join(':')}`;
}

/** The address with the bits past `len` zero. */
function mask(v6: boolean, value: bigint, len: number): bigint {
  const bits = v6 ? 128 : 32;
  return (value >> BigInt(bits - len)) << BigInt(bits - len);
}

interface Client {
  /** The ECS source address as sent (host bits past `source` zero) and the source length. */
  address: string;
  source: number;
}

/** First, last and a random address of every prefix given, and a few unrouted ones; ECS sources of several lengths. */
function clientsFor(prefixes: string[]): Client[] {
  const rnd = random(96);
  const out: Client[] = [];
  const add = (v6: boolean, value: bigint, k: number): void => {
    // Full length, or the usual resolver truncations (/24; /56 and /48).
    const source = v6 ? [128, 56, 48][k % 3]! : [32, 24][k % 2]!;
    out.push({ address: formatAddress(v6, mask(v6, value, source)), source });
  };
  prefixes.forEach((p, i) => {
    const [net, lenText] = p.split('/') as [string, string];
    const { v6, value } = parseAddress(net);
    const bits = v6 ? 128 : 32;
    const size = 1n << BigInt(bits - Number(lenText));
    const offset = BigInt(Math.floor(rnd() * 2 ** 30)) % size;
    add(v6, value, i);
    add(v6, value + size - 1n, i + 1);
    add(v6, value + offset, i + 2);
  });
  for (const [k, text] of ['203.0.113.9', '11.1.2.3', '192.0.2.200', '2001:db8:ffff::1', '2001:db8:96::', '2a00:1450::1'].entries()) {
    const { v6, value } = parseAddress(text);
    add(v6, value, k);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ the test

interface Instance {
  ss: Supersparrow;
  routerAddress: string;
  router: PeerDaemon | null;
  dnsAddress: string;
  dnsPort: number;
}

/** What a dig reply says, in the terms compared across instances. */
interface Reply {
  status: string;
  aa: boolean;
  answer: string[];
  ecs: string | null;
}

function reply(r: DnsReply): Reply {
  return {
    status: r.status,
    aa: r.flags.includes('aa'),
    answer: r.answer.map((rec) => `${rec.name} ${rec.ttl} ${rec.class} ${rec.type} ${rec.data}`),
    ecs: r.ecs ? `${r.ecs.address}/${r.ecs.source}/${r.ecs.scope}` : null,
  };
}

/** fn over items, `size` at a time (each spawns a dig: not all at once on a busy machine); results in order. */
async function inBatches<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, size = 6): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

async function startRouter(inst: Instance, started: PeerDaemon[]): Promise<PeerDaemon> {
  // BIRD gives a protocol up for good when another process took its listening port between freePort() and its
  // bind ("No listening socket"): then it is started again on another port (3 attempts).
  for (let attempt = 1; ; attempt++) {
    const bird = createPeer('bird', {
      address: inst.routerAddress,
      as: OUR_AS,
      neighbor: { address: inst.ss.options.address, as: OUR_AS, port: inst.ss.options.listenPort },
      mode: 'active',
      listenPort: await freePort(inst.routerAddress),
      holdTime: HOLD,
      connectRetry: 1,
      routes: ROUTES,
      // `graceful restart` on: BIRD sends End-of-RIB, which ends the responder's startup state.
      gracefulRestart: { restartTime: 30 },
    });
    started.push(bird);
    await bird.start();
    const view = await waitFor('BIRD\'s protocol to start', async () => {
      const v = await bird.view();
      return v.state === 'Idle' && v.lastError === '' ? undefined : v;
    }, 10_000, 100).catch(() => bird.view());
    if (!/No listening socket/.test(view.lastError)) return bird;
    await bird.stop();
    if (attempt === 3) throw new Error(`BIRD at ${inst.routerAddress} could not open a listening socket in ${attempt} attempts`);
  }
}

async function diagnostics(instances: Instance[]): Promise<string> {
  const parts: string[] = [];
  for (const [i, inst] of instances.entries()) {
    try {
      parts.push(`instance ${i} neighbors: ${JSON.stringify(await inst.ss.neighbors())}`);
    } catch (err) {
      parts.push(`instance ${i} CLI failed: ${(err as Error).message}`);
    }
    parts.push(`instance ${i} log (tail):\n${(await inst.ss.log()).split('\n').slice(-25).join('\n')}`);
    if (inst.router) parts.push(`router ${i}: ${(await inst.router.view().catch((e: Error) => ({ raw: e.message }))).raw}`);
  }
  return parts.join('\n');
}

peerTest(missing, 'scale-out: three instances, one per POP, each with its own BIRD router, give identical DNS answers, ECS scopes and decisions', async (t: ExecutionContext) => {
  const instances: Instance[] = [];
  const routers: PeerDaemon[] = [];
  t.teardown(async () => {
    if (!t.passed) t.log(await diagnostics(instances));
    await Promise.allSettled([...routers.map((r) => r.stop()), ...instances.map((i) => i.ss.stop())]);
  });
  for (let i = 0; i < INSTANCES; i++) {
    const address = loopbackAddress(BLOCK);
    const routerAddress = loopbackAddress(BLOCK);
    const ss = new Supersparrow({
      localAs: OUR_AS,
      address,
      listenPort: await freePort(address),
      holdTime: HOLD,
      connectRetry: 1,
      // Each instance's one neighbor is its own POP's router; it connects to us.
      neighbors: [{ address: routerAddress, remoteAs: OUR_AS, port: 179, passive: true, gracefulRestart: false }],
      pops: POPS,
      proximity: { rule: 'classic', self: 'x' },
      overrides: OVERRIDES,
      dns: {
        listen: [`${address}:0`],
        zone: ZONE,
        ttl: TTL,
        names: DNS_NAMES,
        ns: { [`ns1.${ZONE}`]: ['192.0.2.53'], [`ns2.${ZONE}`]: ['192.0.2.54'], [`ns3.${ZONE}`]: ['192.0.2.55'] },
        soa: { serial: 2026120101 },
        startup: { ttl: 5, timeout: 300 },
      },
      logLevel: 'info',
    });
    instances.push({ ss, routerAddress, router: null, dnsAddress: address, dnsPort: 0 });
  }
  // Separate processes, started side by side as separate POPs would be.
  await Promise.all(instances.map(async (inst) => {
    await inst.ss.start();
    const listening = await inst.ss.dnsListening();
    inst.dnsPort = listening.find((l) => l.address === inst.dnsAddress)?.port ?? 0;
    if (inst.dnsPort === 0) throw new Error(`DNS responder listening on ${JSON.stringify(listening)}`);
  }));
  for (const inst of instances) inst.router = await startRouter(inst, routers);
  const v4Count = ROUTES.filter((r) => !r.prefix.includes(':')).length;
  const v6Count = ROUTES.length - v4Count;
  await Promise.all(instances.map(async (inst, i) => {
    await inst.ss.waitEstablished(inst.routerAddress, SESSION_UP_MS);
    await waitFor(`instance ${i} to hold every route`, async () => {
      const n = await inst.ss.neighbor(inst.routerAddress);
      if (n.prefixes.ipv4 === v4Count && n.prefixes.ipv6 === v6Count) return true;
      throw new Error(`prefixes ${JSON.stringify(n.prefixes)}`);
    }, CONVERGE_MS, 200);
    // End-of-RIB ends the startup state (self with the startup TTL): from then on the decision answers.
    await waitFor(`instance ${i}'s responder to answer from the decision`, async () =>
      (await inst.ss.logRecords()).some((r) => typeof r['msg'] === 'string' && r['msg'].startsWith('DNS: answering from the decision')) || undefined, CONVERGE_MS, 200);
  }));

  const clients = clientsFor([...ROUTES.map((r) => r.prefix), ...Object.keys(OVERRIDES)]);
  t.true(clients.length >= 50, `${clients.length} clients`);
  t.true(clients.some((c) => c.address.includes(':')) && clients.some((c) => !c.address.includes(':')), 'both families');

  // The decision of every instance for every client's subnet address: identical, whole.
  const decisions = await Promise.all(instances.map((inst) => inst.ss.query(clients.map((c) => c.address))));
  for (let i = 1; i < INSTANCES; i++) t.deepEqual(decisions[i], decisions[0], `query --json of instance ${i} and instance 0`);

  // dig at each instance: `www A` for every client, `two AAAA` (the two closest POPs) for every third.
  const questions = clients.flatMap((c, k) => [
    { client: c, k, name: `www.${ZONE}`, type: 'A' },
    ...(k % 3 === 0 ? [{ client: c, k, name: `two.${ZONE}`, type: 'AAAA' }] : []),
  ]);
  const replies: Reply[][] = [];
  for (const inst of instances) {
    replies.push(await inBatches(questions, async (q) => {
      const r = await queryWith('dig', [`@${inst.dnsAddress}`, '-p', String(inst.dnsPort), '+time=5', '+tries=2', '+norecurse',
        q.name, q.type, `+subnet=${q.client.address}/${q.client.source}`]);
      if (r.status === '') throw new Error(`no answer from ${inst.dnsAddress}:${inst.dnsPort}\n${r.raw}`);
      return reply(r);
    }));
  }
  // Identical across the instances, question by question.
  const differ = questions.flatMap((q, j) =>
    instances.slice(1).flatMap((_, i) => (JSON.stringify(replies[i + 1]![j]) === JSON.stringify(replies[0]![j])
      ? [] : [{ question: `${q.name} ${q.type} ${q.client.address}/${q.client.source}`, instance0: replies[0]![j], [`instance${i + 1}`]: replies[i + 1]![j] }])));
  t.deepEqual(differ, [], 'every instance answers every question alike (records, TTL, ECS scope)');

  // And each answer is the decision: the ranked POPs' addresses, the name's TTL, the decision's scope.
  const wrong: unknown[] = [];
  questions.forEach((q, j) => {
    const d: QueryAnswer = decisions[0]![q.k]!;
    const ttl = q.name.startsWith('two.') ? 35 : TTL;
    const pops = q.name.startsWith('two.') ? d.ranking.slice(0, 2) : [d.pop!];
    const want: Reply = {
      status: 'NOERROR',
      aa: true,
      answer: pops.map((p) => `${q.name}. ${ttl} IN ${q.type} ${q.type === 'A' ? POPS[p]!.ipv4 : POPS[p]!.ipv6}`),
      ecs: `${q.client.address}/${q.client.source}/${d.scope}`,
    };
    if (JSON.stringify(replies[0]![j]) !== JSON.stringify(want)) wrong.push({ question: `${q.name} ${q.type} ${q.client.address}/${q.client.source}`, got: replies[0]![j], want });
  });
  t.deepEqual(wrong, [], 'the DNS answers are the decision with its scope');

  // Not vacuous: every POP is answered somewhere, by route and by override, under several scopes.
  const popsSeen = new Set(decisions[0]!.map((d) => d.pop));
  for (const p of Object.keys(POPS)) t.true(popsSeen.has(p), `some client gets POP ${p}`);
  const rules = new Set(decisions[0]!.map((d) => d.rule));
  for (const r of ['first-as', 'self', 'override']) t.true(rules.has(r), `some client is decided by rule ${r} (rules seen: ${[...rules].join(', ')})`);
  const scopes = new Set(decisions[0]!.map((d) => d.scope));
  t.true(scopes.size >= 5, `several ECS scopes (${[...scopes].sort((a, b) => a - b).join(', ')})`);
  t.log(`${clients.length} clients (${clients.filter((c) => c.address.includes(':')).length} IPv6), ${questions.length} questions to each of ${INSTANCES} instances; POPs ${[...popsSeen].join(', ')}; scopes ${[...scopes].sort((a, b) => a - b).join(', ')}`);
});
