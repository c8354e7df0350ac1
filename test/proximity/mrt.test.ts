// Both rules on real routes: five minutes of RIPE RIS updates (many peers, IPv4 and IPv6) loaded into a RIB,
// decisions checked against a brute-force reading of the same routes.
import test from 'ava';
import { existsSync } from 'node:fs';
import { Afi } from '../../src/bgp/index.js';
import { Proximity, RULE_NAMES } from '../../src/proximity/index.js';
import { loadMrtIntoRib } from '../../src/replay/index.js';
import { createRib, formatAddress } from '../../src/rib/index.js';
import { seededRandom } from '../../src/util/index.js';
import { inCi, mrtFile } from '../mrt/helpers.js';
import { pop, setup } from './helpers.js';

const FILE = 'updates.20160811.1600.gz';

interface Route {
  afi: Afi;
  words: number[];
  length: number;
  attributes: number;
  neighbor: string;
  best: boolean;
}

async function load() {
  const { writer, reader } = createRib();
  const loaded = await loadMrtIntoRib(mrtFile(FILE), writer, { addPathFallback: true });
  // The dump's peers as live sessions (a POP with tagged neighbors is down while they all are).
  for (const n of loaded.neighbors.values()) writer.setSessionUp(n.id, true);
  const routes: Route[] = [];
  for (const afi of [Afi.IPv4, Afi.IPv6]) {
    reader.forEachRoute(afi, (r) => routes.push({ afi, words: [r.a, r.b, r.c, r.d], length: r.length, attributes: r.attributes, neighbor: r.neighbor, best: r.best }));
  }
  return { reader, routes, neighbors: [...loaded.neighbors.values()] };
}

/** Whether a prefix (words, length) contains an address (words). */
function contains(prefix: number[], length: number, address: number[]): boolean {
  for (let w = 0, left = length; left > 0; w++, left -= 32) {
    const bits = Math.min(32, left);
    const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
    if (((prefix[w]! ^ address[w]!) & mask) >>> 0 !== 0) return false;
  }
  return true;
}

/** The routes of the longest prefix covering the address among `routes` (brute force). */
function longestMatch(routes: Route[], afi: Afi, address: number[]): Route[] {
  let best: Route[] = [];
  for (const r of routes) {
    if (r.afi !== afi || !contains(r.words, r.length, address)) continue;
    if (best.length === 0 || r.length > best[0]!.length) best = [r];
    else if (r.length === best[0]!.length) best.push(r);
  }
  return best;
}

/** Client addresses: one inside each of `count` routed prefixes (a random host), and some random ones. */
function sampleAddresses(routes: Route[], count: number, seed: number): { afi: Afi; words: number[] }[] {
  const rand = seededRandom(seed);
  const out: { afi: Afi; words: number[] }[] = [];
  for (let i = 0; i < count; i++) {
    const r = routes[Math.floor(rand() * routes.length)]!;
    const words = r.words.map((w, k) => {
      const fixed = Math.max(0, Math.min(32, r.length - k * 32));
      const host = fixed === 32 ? 0 : Math.floor(rand() * 2 ** (32 - fixed));
      return (w | host) >>> 0;
    });
    out.push({ afi: r.afi, words: r.afi === Afi.IPv4 ? [words[0]!, 0, 0, 0] : words });
  }
  for (let i = 0; i < count / 10; i++) out.push({ afi: Afi.IPv4, words: [Math.floor(rand() * 2 ** 32), 0, 0, 0] });
  return out;
}

const available = existsSync(mrtFile(FILE));
const maybe = available || inCi ? test : test.skip;
if (!available) console.log(`skipping the RIS proximity tests: ${mrtFile(FILE)} is not there${inCi ? ' (a failure under CI)' : ''}`);

maybe('classic on RIS data: the POP of the Loc-RIB best path’s first AS, else self — checked against a brute-force longest match', async (t) => {
  const { reader, routes } = await load();
  const p = new Proximity(reader, setup([pop('x', 8218), pop('y', 24482), pop('z', 25091)], 'classic', 'x'));
  const best = routes.filter((r) => r.best);
  const out = p.newDecision();
  const seen = new Map<string, number>();
  for (const c of sampleAddresses(best, 1500, 21)) {
    const [a, b, cc, d] = c.words as [number, number, number, number];
    p.decide(c.afi, a, b, cc, d, out);
    const match = longestMatch(best, c.afi, c.words);
    const firstAs = match.length > 0 ? reader.firstAs(match[0]!.attributes) : 0;
    const expected = firstAs === 8218 ? 'x' : firstAs === 24482 ? 'y' : firstAs === 25091 ? 'z' : 'x';
    const name = p.pops[out.pop]!.config.name;
    const where = formatAddress(c.afi, a, b, cc, d);
    t.is(name, expected, `${where}: first AS ${firstAs}`);
    t.is(out.route.length, match.length > 0 ? match[0]!.length : -1, `${where}: matched length`);
    seen.set(`${name} ${RULE_NAMES[out.rule]}`, (seen.get(`${name} ${RULE_NAMES[out.rule]}`) ?? 0) + 1);
  }
  t.log([...seen].map(([k, v]) => `${k}: ${v}`).join(', '));
  t.true((seen.get('y first-as') ?? 0) > 0 && (seen.get('x self') ?? 0) > 0, 'both a POP by its AS and self were answered');
});

maybe('multi-view on RIS data: each POP’s view is its peers’ routes; the winner’s route is never beaten on length or origin', async (t) => {
  const { reader, routes, neighbors } = await load();
  const tags = (as: number, name: string) => neighbors.filter((n) => n.as === as).map((n) => ({ address: n.address, pop: name }));
  const pops = [pop('x', 8218), pop('y', 24482), pop('z', 25091), pop('w', 12779)];
  const neighborPops = [...tags(8218, 'x'), ...tags(24482, 'y'), ...tags(25091, 'z'), ...tags(12779, 'w')];
  const p = new Proximity(reader, setup(pops, 'multi-view', 'x', neighborPops));
  const viewRoutes = new Map(pops.map((q) => [q.name, routes.filter((r) => neighborPops.some((n) => n.pop === q.name && n.address === r.neighbor))]));
  const out = p.newDecision();
  let decidedByRoute = 0;
  let ties = 0;
  for (const c of sampleAddresses(routes, 800, 22)) {
    const [a, b, cc, d] = c.words as [number, number, number, number];
    p.decide(c.afi, a, b, cc, d, out);
    const where = formatAddress(c.afi, a, b, cc, d);
    // Per POP, (AS path length, origin) of the best route among its view's longest-match routes.
    const key = (name: string): [number, number] | null => {
      const m = longestMatch(viewRoutes.get(name)!, c.afi, c.words);
      if (m.length === 0) return null;
      return m.map((r) => [reader.pathLength(r.attributes), reader.origin(r.attributes)] as [number, number]).sort((u, v) => u[0] - v[0] || u[1] - v[1])[0]!;
    };
    const keys = new Map(pops.map((q) => [q.name, key(q.name)]));
    const ranking = Array.from(out.ranking.subarray(0, out.ranked), (i) => p.pops[i]!.config.name);
    t.is(ranking.length, 4, where);
    // Ranked in order: POPs with a route first, by (length, origin) never decreasing; routeless ones after.
    for (let i = 1; i < ranking.length; i++) {
      const prev = keys.get(ranking[i - 1]!)!;
      const cur = keys.get(ranking[i]!)!;
      if (prev === null) t.true(cur === null, `${where}: a POP without a route before one with`);
      else if (cur !== null) t.true(prev[0] < cur[0] || (prev[0] === cur[0] && prev[1] <= cur[1]), `${where}: ${ranking.join(' ')} ${JSON.stringify([...keys])}`);
    }
    const rule = RULE_NAMES[out.rule];
    if (rule === 'route') decidedByRoute++;
    if (rule === 'hash') ties++;
    t.is(out.scope >= (out.route.found ? out.route.length : 0), true, `${where}: scope ${out.scope} covers the match`);
  }
  t.log(`decided by route ${decidedByRoute}, by hash ${ties} of 880`);
  t.true(decidedByRoute > 50 && ties > 10, 'real tables give both clear winners and ties');
  // Draining a POP moves its clients, and only its clients, to the others.
  const yIndex = p.indexOf('y');
  let movedFromY = 0;
  const samples = sampleAddresses(routes, 300, 23);
  const before = samples.map((c) => p.decide(c.afi, c.words[0]!, c.words[1]!, c.words[2]!, c.words[3]!, out));
  p.setDrained('y', true);
  samples.forEach((c, i) => {
    const now = p.decide(c.afi, c.words[0]!, c.words[1]!, c.words[2]!, c.words[3]!, out);
    t.not(now, yIndex);
    if (before[i] === yIndex) movedFromY++;
    else t.is(now, before[i], 'only y’s clients move');
  });
  t.true(movedFromY > 0);
});

test('the brute force’s containment test (the reference must be right too)', (t) => {
  t.true(contains([0x0a000000, 0, 0, 0], 8, [0x0a0a0a0a, 0, 0, 0]));
  t.false(contains([0x0a000000, 0, 0, 0], 16, [0x0a0a0a0a, 0, 0, 0]));
  t.true(contains([0x20010db8, 0, 0, 0], 32, [0x20010db8, 5, 0, 1]));
  t.true(contains([0x20010db8, 0x10000, 0, 0], 48, [0x20010db8, 0x1ffff, 0, 1]));
  t.false(contains([0x20010db8, 0x10000, 0, 0], 48, [0x20010db8, 0x20000, 0, 1]));
});
