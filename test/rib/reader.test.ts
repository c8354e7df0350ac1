import test from 'ava';
import { getHeapSpaceStatistics } from 'node:v8';
import { Afi, AsPathSegment, AsPathSegmentType } from '../../src/bgp/index.js';
import { LookupResult, createRib, parseAddress, readAddress, type RibReader, type RibWriter } from '../../src/rib/index.js';
import { seededRandom } from '../../src/util/index.js';
import { announce, attrs, withdraw } from './helpers/routes.js';

// The RIB's reading face: what the front ends (decision, DNS, HTTP, control) read the table through.

function setup(): { writer: RibWriter; reader: RibReader; n1: number; n2: number } {
  const { writer, reader } = createRib({ sizing: 'small' });
  const n1 = writer.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 0x01010101 });
  const n2 = writer.addNeighbor({ address: '2001:db8::2', remoteAs: 65002, localAs: 65000, routerId: 0x02020202 });
  return { writer, reader, n1, n2 };
}

/** Looks an address up in the Loc-RIB (or a view) and returns what front ends use of the answer. */
function ask(reader: RibReader, address: string, view?: ReturnType<RibReader['view']>): { prefix: string | null; scope: number; neighbor: string; firstAs: number } {
  const out = new LookupResult();
  const a = parseAddress(address);
  if (view) reader.lookupInView(view, a.afi, a.a, a.b, a.c, a.d, out);
  else reader.lookup(a.afi, a.a, a.b, a.c, a.d, out);
  return { prefix: reader.prefixText(out), scope: out.scope, neighbor: out.neighbor, firstAs: out.found ? reader.firstAs(out.attributes) : -1 };
}

test('a lookup fills the caller’s result: matched prefix, best route, attribute set, neighbor by address and ECS scope', (t) => {
  const { writer, reader, n1, n2 } = setup();
  announce(writer, n1, '10.0.0.0/16', attrs([65001, 7]));
  announce(writer, n2, '10.0.128.0/24', attrs([65002]));
  announce(writer, n2, '2001:db8::/32', attrs([65002, 9]));
  announce(writer, n1, '2001:db8:1::/48', attrs([65001]));
  t.deepEqual(ask(reader, '10.0.5.1'), { prefix: '10.0.0.0/16', scope: 17, neighbor: '192.0.2.1', firstAs: 65001 });
  t.deepEqual(ask(reader, '10.0.128.9'), { prefix: '10.0.128.0/24', scope: 24, neighbor: '2001:db8::2', firstAs: 65002 });
  t.deepEqual(ask(reader, '2001:db8:2::1'), { prefix: '2001:db8::/32', scope: 47, neighbor: '2001:db8::2', firstAs: 65002 });
  t.deepEqual(ask(reader, '2001:db8:1:ffff::1'), { prefix: '2001:db8:1::/48', scope: 48, neighbor: '192.0.2.1', firstAs: 65001 });
  t.deepEqual(ask(reader, '11.0.0.1'), { prefix: null, scope: 8, neighbor: '', firstAs: -1 }, 'no match: 1 + the common bits with 10.0.0.0/16');
  const out = reader.lookupText('10.0.5.1');
  t.true(out.found);
  t.is(out.length, 16);
  t.false(out.stale);
});

/** Bytes in V8's young generation: what a function allocates shows here until the next scavenge. */
function youngBytes(): number {
  let young = 0;
  for (const space of getHeapSpaceStatistics()) if (space.space_name === 'new_space') young += space.space_used_size;
  return young;
}

test('a lookup allocates nothing: 10,000 lookups leave the young generation where it was', (t) => {
  const { writer, reader, n1, n2 } = setup();
  const rand = seededRandom(3);
  for (let i = 0; i < 2000; i++) {
    const a = (Math.floor(rand() * 2 ** 24) << 8) >>> 0;
    const id = writer.intern(attrs([65001, i % 50]));
    writer.announce(i % 3 === 0 ? n2 : n1, Afi.IPv4, 0, a, 0, 0, 0, 16 + (i % 17), id);
    writer.release(id);
  }
  const out = new LookupResult();
  const view = reader.view({ neighbors: ['192.0.2.1'] });
  // Addresses as int32, as a packet parser makes them ((b0 << 24) | ...): uint32 above 2^31 would be boxed by the call.
  const addresses = Int32Array.from({ length: 4096 }, () => Math.floor(rand() * 2 ** 32) | 0);
  let found = 0;
  const plain = (n: number): void => {
    for (let i = 0; i < n; i++) if (reader.lookup4(addresses[i & 4095]!, out)) found++;
  };
  const inView = (n: number): void => {
    for (let i = 0; i < n; i++) if (reader.lookupInView(view, Afi.IPv4, addresses[i & 4095]!, 0, 0, 0, out)) found++;
  };
  for (const [name, run] of [['lookupInView', inView], ['lookup4', plain]] as const) {
    run(50_000); // warm up (and let the JIT settle)
    const deltas: number[] = [];
    for (let k = 0; k < 20; k++) {
      const before = youngBytes();
      run(10_000);
      const after = youngBytes();
      if (after >= before) deltas.push(after - before); // a scavenge in between: no reading
    }
    deltas.sort((x, y) => x - y);
    // The probe allocates too (its statistics objects): a few KB, where one small object per lookup would be 160 KB.
    const median = deltas[deltas.length >> 1]!;
    t.true(deltas.length >= 10 && median < 8192, `${name}: young generation grew by ${median} bytes (median) over 10,000 lookups`);
  }
  t.true(found > 0);
});

test('a view is one neighbor’s Adj-RIB-In: its own longest match, falling back to a shorter prefix it has', (t) => {
  const { writer, reader, n1, n2 } = setup();
  announce(writer, n1, '10.0.0.0/8', attrs([65001]));
  announce(writer, n2, '10.1.0.0/16', attrs([65002, 4]));
  announce(writer, n1, '10.1.2.0/24', attrs([65001, 5, 6]));
  announce(writer, n2, '10.1.2.0/24', attrs([65002, 5]));
  const v1 = reader.view({ neighbors: ['192.0.2.1'] });
  const v2 = reader.view({ neighbors: ['2001:0db8:0:0::2'] }); // any spelling of the address
  t.deepEqual(ask(reader, '10.1.9.9', v1), { prefix: '10.0.0.0/8', scope: 21, neighbor: '192.0.2.1', firstAs: 65001 }, 'n1 has no /16; the scope is the whole table’s');
  t.deepEqual(ask(reader, '10.1.9.9', v2), { prefix: '10.1.0.0/16', scope: 21, neighbor: '2001:db8::2', firstAs: 65002 });
  t.deepEqual(ask(reader, '10.1.2.3', v1).prefix, '10.1.2.0/24');
  t.deepEqual(ask(reader, '10.1.2.3', v2).neighbor, '2001:db8::2', 'each view sees its own path of a shared prefix');
  t.deepEqual(ask(reader, '10.1.2.3').neighbor, '2001:db8::2', 'the Loc-RIB picks the shorter AS path');
  t.is(ask(reader, '10.200.0.1', v2).prefix, null, 'n2 has nothing covering it');
  // The view follows the neighbor by address across a session restart (a new RIB id).
  writer.removeNeighbor(n1);
  t.is(ask(reader, '10.1.2.3', v1).prefix, null);
  const again = writer.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 0x01010101 });
  announce(writer, again, '10.1.0.0/16', attrs([65001, 8]));
  t.deepEqual(ask(reader, '10.1.2.3', v1), { prefix: '10.1.0.0/16', scope: 24, neighbor: '192.0.2.1', firstAs: 65001 });
});

test('a view picks its best path with the Loc-RIB’s own decision (ADD-PATH paths of one neighbor)', (t) => {
  const { writer, reader, n1, n2 } = setup();
  announce(writer, n1, '198.51.100.0/24', attrs([65001, 1, 2]), 1);
  announce(writer, n1, '198.51.100.0/24', attrs([65001, 3], { med: 5 }), 2);
  announce(writer, n1, '198.51.100.0/24', attrs([65001, 4], { med: 1 }), 3);
  announce(writer, n2, '198.51.100.0/24', attrs([65002]));
  const out = new LookupResult();
  const a = parseAddress('198.51.100.7');
  reader.lookupInView(reader.view({ neighbors: ['192.0.2.1'] }), Afi.IPv4, a.a, 0, 0, 0, out);
  const chosen = reader.pathOf(out)!;
  t.is(chosen.pathId, 3, 'of the two two-AS paths from the same neighbouring AS, the lower MED');
  t.is(reader.med(out.attributes), 1);
  reader.lookup4(a.a, out);
  t.is(reader.pathOf(out)!.neighbor, '2001:db8::2', 'the Loc-RIB best is the one-AS path');
});

test('a view can be the routes tagged with a community or a large community (one session, every view)', (t) => {
  const { writer, reader, n1 } = setup();
  const x = (65000 << 16) | 101;
  const y = (65000 << 16) | 102;
  announce(writer, n1, '203.0.113.0/24', attrs([64600, 1], { communities: Uint32Array.of(x) }), 1);
  announce(writer, n1, '203.0.113.0/24', attrs([64700], { communities: Uint32Array.of(y, 7) }), 2);
  announce(writer, n1, '203.0.0.0/16', attrs([64600], { communities: Uint32Array.of(x), largeCommunities: Uint32Array.of(65000, 1, 101) }), 1);
  const vx = reader.view({ community: '65000:101' });
  const vy = reader.view({ community: y });
  const vl = reader.view({ largeCommunity: '65000:1:101' });
  t.deepEqual(ask(reader, '203.0.113.5', vx), { prefix: '203.0.113.0/24', scope: 24, neighbor: '192.0.2.1', firstAs: 64600 });
  t.deepEqual(ask(reader, '203.0.113.5', vy), { prefix: '203.0.113.0/24', scope: 24, neighbor: '192.0.2.1', firstAs: 64700 });
  t.is(ask(reader, '203.0.113.5', vl).prefix, '203.0.0.0/16');
  t.is(ask(reader, '203.0.9.9', vy).prefix, null);
  t.throws(() => reader.view({ community: '65000:70000' }), { instanceOf: TypeError });
  t.throws(() => reader.view({ largeCommunity: '1:2' }), { instanceOf: TypeError });
});

test('the scope of a decision over several views is the scope over the union of their routes: every address of that block gets the same answer in every view', (t) => {
  // Two neighbors with different, overlapping random tables; the views are each neighbor's routes.
  const { writer, reader, n1, n2 } = setup();
  const rand = seededRandom(11);
  const routes: { neighbor: number; value: number; length: number }[] = [];
  for (let i = 0; i < 600; i++) {
    const length = [8, 12, 16, 18, 20, 22, 24, 24, 26, 28][Math.floor(rand() * 10)]!;
    const value = length === 0 ? 0 : (((0x0a000000 | Math.floor(rand() * 2 ** 20) << 4) >>> (32 - length)) << (32 - length)) >>> 0;
    const neighbor = rand() < 0.5 ? n1 : n2;
    const id = writer.intern(attrs([neighbor === n1 ? 65001 : 65002, i % 7]));
    writer.announce(neighbor, Afi.IPv4, 0, value, 0, 0, 0, length, id);
    writer.release(id);
    routes.push({ neighbor, value, length });
  }
  const views = [reader.view({ neighbors: ['192.0.2.1'] }), reader.view({ neighbors: ['2001:db8::2'] })];
  const inside = (r: { value: number; length: number }, addr: number, len: number): boolean =>
    r.length >= len && (len === 0 || r.value >>> (32 - len) === addr >>> (32 - len));
  const out = new LookupResult();
  let checked = 0;
  for (let i = 0; i < 3000; i++) {
    const addr = (0x0a000000 | Math.floor(rand() * 2 ** 24)) >>> 0;
    reader.lookup4(addr, out);
    const scope = out.scope;
    // The brute-force scope over the union of both views' routes (every route of the table).
    const matchLength = out.found ? out.length : 0;
    let want = matchLength;
    while (routes.some((r) => (r.length !== out.length || !inside(r, addr, r.length)) && inside(r, addr, want))) want++;
    t.is(scope, want, `scope of ${addr.toString(16)}`);
    const answers = views.map((v) => (reader.lookupInView(v, Afi.IPv4, addr, 0, 0, 0, out), `${out.found ? reader.prefixText(out) : '-'} ${out.scope}`));
    t.is(answers[0]!.split(' ')[1], String(scope), 'a view lookup gives the whole table’s scope');
    // Any other address of the block gets the same answer in each view.
    const other = scope >= 32 ? addr : (addr ^ (Math.floor(rand() * 2 ** (32 - scope)) >>> 0)) >>> 0;
    const again = views.map((v) => (reader.lookupInView(v, Afi.IPv4, other, 0, 0, 0, out), `${out.found ? reader.prefixText(out) : '-'} ${out.scope}`));
    t.deepEqual(again.map((s) => s.split(' ')[0]), answers.map((s) => s.split(' ')[0]));
    checked++;
  }
  t.is(checked, 3000);
});

test('neighbors are known by configured address: up and down, with events, and the RIB’s ids stay inside', (t) => {
  const { writer, reader } = createRib({ sizing: 'small' });
  const events: string[] = [];
  const stop = reader.onNeighborState((address, up) => events.push(`${address} ${up ? 'up' : 'down'}`));
  t.false(reader.isUp('127.0.0.21'), 'an unknown neighbor is not up');
  const id = writer.addNeighbor({ address: '127.0.0.21', remoteAs: 65751, localAs: 65000, routerId: 1 });
  t.false(reader.isUp('127.0.0.21'), 'added at Established, up once the session says so');
  writer.setSessionUp(id, true);
  t.true(reader.isUp('127.0.0.21'));
  announce(writer, id, '192.0.2.0/24', attrs([65751]));
  t.deepEqual(reader.neighbor('127.0.0.21'), { address: '127.0.0.21', remoteAs: 65751, routerId: 1, up: true, routes: { ipv4: 1, ipv6: 0 } });
  writer.setSessionUp(id, false); // graceful restart: down, routes kept
  t.false(reader.isUp('127.0.0.21'));
  t.is(reader.lookupText('192.0.2.1').neighbor, '127.0.0.21');
  writer.setSessionUp(id, true);
  writer.removeNeighbor(id);
  t.false(reader.isUp('127.0.0.21'));
  t.is(reader.neighbor('127.0.0.21'), null);
  t.deepEqual(events, ['127.0.0.21 up', '127.0.0.21 down', '127.0.0.21 up', '127.0.0.21 down']);
  stop();
  const v6 = writer.addNeighbor({ address: '2001:DB8::21', remoteAs: 65751, localAs: 65000, routerId: 1 });
  writer.setSessionUp(v6, true);
  t.true(reader.isUp('2001:db8:0::21'), 'any spelling of the address');
  t.is(events.length, 4, 'no events after unsubscribing');
  t.false(JSON.stringify(reader.neighbors()).includes('"id"'), 'neighbors carry no RIB id');
});

test('tells listeners when the routes of a prefix change, best path or not', (t) => {
  const { writer, reader, n1, n2 } = setup();
  const seen: string[] = [];
  reader.onRoutesChange((afi, a, b, c, d, length) => seen.push(`${afi === Afi.IPv4 ? 'v4' : 'v6'} ${a.toString(16)}/${length}`));
  announce(writer, n1, '10.0.0.0/8', attrs([65001]));
  announce(writer, n2, '10.0.0.0/8', attrs([65002, 1, 2])); // a worse path: the best does not change
  announce(writer, n2, '10.0.0.0/8', attrs([65002, 1, 2])); // the same again: nothing changes
  withdraw(writer, n2, '10.0.0.0/8');
  announce(writer, n1, '2001:db8::/32', attrs([65001]));
  writer.removeNeighbor(n1);
  t.deepEqual(seen, ['v4 a000000/8', 'v4 a000000/8', 'v4 a000000/8', 'v6 20010db8/32', 'v4 a000000/8', 'v6 20010db8/32']);
});

test('small readers of an attribute set: first AS, path length, LOCAL_PREF, MED, ORIGIN, communities', (t) => {
  const { writer, reader, n1 } = setup();
  announce(writer, n1, '10.0.0.0/8', attrs([65001, 2, 3], { localPref: 250, med: 30, origin: 2, communities: Uint32Array.of((65000 << 16) | 5) }, [7, 8]));
  const bare = attrs([]);
  bare.origin = -1;
  bare.asPath = [new AsPathSegment(AsPathSegmentType.AsSet, [9, 10]), new AsPathSegment(AsPathSegmentType.AsSequence, [11])];
  announce(writer, n1, '10.1.0.0/16', bare);
  const full = reader.lookupText('10.9.9.9').attributes;
  t.is(reader.firstAs(full), 65001);
  t.is(reader.pathLength(full), 4, 'three ASes and an AS_SET counting as one');
  t.is(reader.localPref(full), 250);
  t.is(reader.med(full), 30);
  t.is(reader.origin(full), 2);
  t.true(reader.hasCommunity(full, (65000 << 16) | 5));
  t.false(reader.hasCommunity(full, (65000 << 16) | 6));
  const other = reader.lookupText('10.1.0.1').attributes;
  t.is(reader.firstAs(other), 0, 'an AS_SET first gives no first AS');
  t.is(reader.pathLength(other), 2);
  t.is(reader.localPref(other), -1);
  t.is(reader.med(other), -1);
  t.is(reader.origin(other), -1);
  t.false(reader.hasLargeCommunity(other, 1, 2, 3));
  t.deepEqual(reader.attributesOf(full).asPath![1]!.asns, [7, 8]);
});

test('explain: every path of the matched prefix decoded, best first, with its neighbor’s address', (t) => {
  const { writer, reader, n1, n2 } = setup();
  announce(writer, n1, '192.0.2.0/24', attrs([65001, 1]));
  announce(writer, n2, '192.0.2.0/24', attrs([65002]));
  const out = reader.lookupText('192.0.2.9');
  const paths = reader.paths(out.afi, out.prefix);
  t.deepEqual(
    paths.map((p) => [p.prefix, p.neighbor, p.neighborAs, p.best, p.attributes.asPath![0]!.asns]),
    [
      ['192.0.2.0/24', '2001:db8::2', 65002, true, [65002]],
      ['192.0.2.0/24', '192.0.2.1', 65001, false, [65001, 1]],
    ],
  );
  const memory = reader.memory();
  t.is(memory.ipv4.prefixes, 1);
  t.is(memory.routes.count, 2);
  t.is(memory.total, memory.ipv4.bytes + memory.ipv6.bytes + memory.attributes.bytes + memory.routes.bytes);
});

test('readAddress reads IPv4 and IPv6 text without throwing, and refuses what is not an address', (t) => {
  const out = { afi: Afi.IPv4, a: 0, b: 0, c: 0, d: 0 };
  t.true(readAddress('192.0.2.255', out));
  t.deepEqual(out, { afi: Afi.IPv4, a: 0xc00002ff, b: 0, c: 0, d: 0 });
  t.true(readAddress('0.0.0.0', out));
  t.is(out.a, 0);
  t.true(readAddress('255.255.255.255', out));
  t.is(out.a, 0xffffffff);
  t.true(readAddress('2001:db8::1', out));
  t.deepEqual(out, { afi: Afi.IPv6, a: 0x20010db8, b: 0, c: 0, d: 1 });
  t.true(readAddress('::ffff:192.0.2.1', out));
  t.is(out.d, 0xc0000201);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '1..2.3', '2001:db8::g', ':::', 'garbage']) {
    t.false(readAddress(bad, out), bad);
  }
});
