import test from 'ava';
import { Afi, AsPathSegment, AsPathSegmentType, BgpError, UnknownAttribute } from '../../src/bgp/index.js';
import { RibUpdateSink, parsePrefix } from '../../src/rib/index.js';
import { announce, attrs, withdraw } from './helpers/routes.js';
import { Rib, type PathRef } from '../../src/rib/rib.js';

function setup(): { rib: Rib; n1: number; n2: number } {
  const rib = new Rib({ sizing: 'small' });
  const n1 = rib.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 0x01010101 });
  const n2 = rib.addNeighbor({ address: '2001:db8::2', remoteAs: 65002, localAs: 65000, routerId: 0x02020202 });
  return { rib, n1, n2 };
}

test('longest match answers the most specific prefix, with its best path, for IPv4 and IPv6', (t) => {
  const { rib, n1, n2 } = setup();
  announce(rib, n1, '10.0.0.0/8', attrs([65001]));
  announce(rib, n2, '10.1.0.0/16', attrs([65002, 3]));
  announce(rib, n1, '2001:db8::/32', attrs([65001, 7]));
  announce(rib, n2, '2001:db8:1::/48', attrs([65002, 8]));
  t.is(rib.lookup('10.1.2.3')?.prefix, '10.1.0.0/16');
  t.is(rib.lookup('10.1.2.3')?.neighborId, n2);
  t.deepEqual(rib.lookup('10.2.0.1')?.attributes.asPath?.[0]?.asns, [65001]);
  t.is(rib.lookup('2001:db8:1:2::1')?.prefix, '2001:db8:1::/48');
  t.is(rib.lookup('2001:db8:2::1')?.prefix, '2001:db8::/32');
  t.is(rib.lookup('11.0.0.1'), null);
  t.is(rib.lookup('2001:db9::1'), null);
});

test('keeps several ADD-PATH paths of one prefix from one neighbor apart by path id', (t) => {
  const { rib, n1 } = setup();
  announce(rib, n1, '198.51.100.0/24', attrs([65001, 1, 2]), 1);
  announce(rib, n1, '198.51.100.0/24', attrs([65001, 3]), 2);
  const p = rib.exact(Afi.IPv4, parsePrefix('198.51.100.0/24').a, 0, 0, 0, 24);
  t.is(rib.routesOf(Afi.IPv4, p).length, 2);
  t.is(rib.prefixCount(n1, Afi.IPv4), 2, 'each path counts');
  t.is(rib.routePathIdOf(rib.bestRoute(Afi.IPv4, p)), 2, 'shorter AS path wins');
  // Re-announcing path 1 replaces it rather than adding a third.
  announce(rib, n1, '198.51.100.0/24', attrs([65001]), 1);
  t.is(rib.routesOf(Afi.IPv4, p).length, 2);
  t.is(rib.routePathIdOf(rib.bestRoute(Afi.IPv4, p)), 1);
  t.false(withdraw(rib, n1, '198.51.100.0/24', 3), 'unknown path id');
  t.true(withdraw(rib, n1, '198.51.100.0/24', 1));
  t.is(rib.routePathIdOf(rib.bestRoute(Afi.IPv4, p)), 2);
  t.true(withdraw(rib, n1, '198.51.100.0/24', 2));
  t.is(rib.exact(Afi.IPv4, parsePrefix('198.51.100.0/24').a, 0, 0, 0, 24), -1);
  t.is(rib.prefixCount(n1, Afi.IPv4), 0);
});

test('sweeps only the stale routes of the neighbor and family that were marked (graceful restart)', (t) => {
  const { rib, n1, n2 } = setup();
  for (const p of ['10.0.0.0/8', '10.1.0.0/16', '10.2.0.0/16']) announce(rib, n1, p, attrs([65001]));
  announce(rib, n1, '2001:db8::/32', attrs([65001]));
  announce(rib, n2, '10.2.0.0/16', attrs([65002, 9]));
  t.is(rib.markStale(n1, Afi.IPv4), 3);
  t.true(rib.lookup('10.1.0.1')!.stale, 'stale routes stay usable until the sweep');
  // The restarted neighbor re-sends two of them (one with new attributes).
  announce(rib, n1, '10.0.0.0/8', attrs([65001]));
  announce(rib, n1, '10.2.0.0/16', attrs([65001, 5]));
  t.is(rib.sweepStale(n1, Afi.IPv4), 1);
  t.is(rib.lookup('10.1.0.1')?.prefix, '10.0.0.0/8', 'the unrefreshed /16 is gone');
  t.false(rib.lookup('10.0.0.1')!.stale);
  t.is(rib.lookup('2001:db8::1')?.neighborId, n1, 'IPv6 was not marked');
  t.is(rib.prefixCount(n1, Afi.IPv4), 2);
  t.is(rib.prefixCount(n2, Afi.IPv4), 1);
  t.is(rib.markStale(n1), 3, 'both families');
  t.is(rib.sweepStale(n1), 3);
  t.is(rib.lookup('10.2.0.1')?.neighborId, n2);
});

test('removeNeighbor drops all its routes and the best paths fall back to other neighbors', (t) => {
  const { rib, n1, n2 } = setup();
  announce(rib, n1, '10.0.0.0/8', attrs([65001]));
  announce(rib, n2, '10.0.0.0/8', attrs([65002, 1, 2]));
  announce(rib, n1, '10.9.0.0/16', attrs([65001]));
  announce(rib, n1, '2001:db8::/32', attrs([65001]));
  t.is(rib.lookup('10.9.0.1')?.neighborId, n1);
  t.is(rib.removeNeighbor(n1), 3);
  t.is(rib.lookup('10.9.0.1')?.prefix, '10.0.0.0/8');
  t.is(rib.lookup('10.9.0.1')?.neighborId, n2);
  t.is(rib.lookup('2001:db8::1'), null);
  t.is(rib.prefixTotal(Afi.IPv4), 1);
  t.is(rib.routeTotal, 1);
  t.is(rib.neighbor(n1), undefined);
  t.throws(() => rib.prefixCount(n1, Afi.IPv4));
  t.is(rib.attributeSetCount, 1, 'attribute sets of the removed routes are freed');
});

test('notifies each best-path change synchronously with old and new best', (t) => {
  const { rib, n1, n2 } = setup();
  const events: string[] = [];
  const show = (r: PathRef | null): string => (r ? `n${r.neighborId}:${rib.attributesOf(r.attrId).asPath![0]!.asns.join(' ')}` : '-');
  const off = rib.onChange((afi, a, b, c, d, length, oldBest, newBest) => {
    events.push(`${afi}/${a.toString(16)}/${length} ${show(oldBest)} -> ${show(newBest)}`);
  });
  announce(rib, n1, '10.0.0.0/8', attrs([65001, 1, 2]));
  announce(rib, n2, '10.0.0.0/8', attrs([65002]));
  announce(rib, n1, '10.0.0.0/8', attrs([65001, 1, 3])); // not best before or after: no event
  announce(rib, n2, '10.0.0.0/8', attrs([65002])); // same path, same attributes: no event
  announce(rib, n2, '10.0.0.0/8', attrs([65002, 4])); // best path's attributes change
  withdraw(rib, n2, '10.0.0.0/8');
  withdraw(rib, n1, '10.0.0.0/8');
  off();
  announce(rib, n1, '10.0.0.0/8', attrs([65001]));
  t.deepEqual(events, [
    '1/a000000/8 - -> n0:65001 1 2',
    '1/a000000/8 n0:65001 1 2 -> n1:65002',
    '1/a000000/8 n1:65002 -> n1:65002 4',
    '1/a000000/8 n1:65002 4 -> n0:65001 1 3',
    '1/a000000/8 n0:65001 1 3 -> -',
  ]);
});

test('interns identical attribute sets once and frees them when the last route goes', (t) => {
  const { rib, n1, n2 } = setup();
  const x = rib.intern(attrs([65001, 2], { communities: Uint32Array.of(1, 2) }));
  const y = rib.intern(attrs([65001, 2], { communities: Uint32Array.of(1, 2) }));
  const z = rib.intern(attrs([65001, 2], { communities: Uint32Array.of(1, 3) }));
  t.is(x, y);
  t.not(x, z);
  t.is(rib.attributeSetCount, 2);
  rib.announce(n1, Afi.IPv4, 0, 0x0a000000, 0, 0, 0, 8, x);
  rib.announce(n2, Afi.IPv4, 0, 0x0b000000, 0, 0, 0, 8, x);
  rib.release(x);
  rib.release(y);
  rib.release(z);
  t.is(rib.attributeSetCount, 1, 'the unused set is freed at once');
  withdraw(rib, n1, '10.0.0.0/8');
  t.is(rib.attributeSetCount, 1, 'still used by the other route');
  withdraw(rib, n2, '11.0.0.0/8');
  t.is(rib.attributeSetCount, 0);
  t.throws(() => rib.attributesOf(x));
});

test('gives back every attribute field it interned', (t) => {
  const rib = new Rib({ sizing: 'small' });
  const a = attrs([65001, 4200000000], {
    origin: 2,
    med: 0,
    localPref: 300,
    atomicAggregate: true,
    aggregatorAs: 65009,
    aggregatorAddress: 0x0a0b0c0d,
    communities: Uint32Array.of(0xfde80001),
    originatorId: 0x01020304,
    clusterList: Uint32Array.of(5, 6),
    extendedCommunities: Uint8Array.of(0, 2, 0, 1, 0, 0, 0, 9),
    largeCommunities: Uint32Array.of(1, 2, 3),
    mpNextHop: Uint8Array.from({ length: 16 }, (_, i) => i),
    mpNextHopLinkLocal: Uint8Array.from({ length: 16 }, (_, i) => 0xfe - i),
    unknown: [new UnknownAttribute(0xc0, 99, Uint8Array.of(1, 2, 3))],
    discarded: [new BgpError(3, 9, 'bad optional attribute', Uint8Array.of(7), 'attribute-discard')],
  });
  a.asPath!.push(new AsPathSegment(AsPathSegmentType.AsSet, [7, 8]));
  const back = rib.attributesOf(rib.intern(a));
  t.deepEqual({ ...back, discarded: null }, { ...a, discarded: null });
  t.is(back.discarded?.[0]?.message, 'bad optional attribute');
  t.is(back.discarded?.[0]?.action, 'attribute-discard');
  t.is(rib.intern(back), rib.intern(a), 'the decoded set interns to the same id');
  t.is(rib.firstAs(rib.intern(a)), 65001);
});

test('iterates best routes in prefix order and answers covering/covered queries', (t) => {
  const { rib, n1 } = setup();
  for (const p of ['10.1.0.0/16', '10.0.0.0/8', '10.1.0.0/17', '10.1.128.0/17', '9.0.0.0/8', '10.2.0.0/16']) announce(rib, n1, p, attrs([65001]));
  t.deepEqual(
    [...rib.bestRoutes(Afi.IPv4)].map((r) => r.prefix),
    ['9.0.0.0/8', '10.0.0.0/8', '10.1.0.0/16', '10.1.0.0/17', '10.1.128.0/17', '10.2.0.0/16'],
  );
  const p = parsePrefix('10.1.0.0/16');
  const name = (ids: number[]): string[] => ids.map((id) => rib.routeView(Afi.IPv4, id, rib.bestRoute(Afi.IPv4, id)).prefix);
  t.deepEqual(name(rib.covered(Afi.IPv4, p.a, 0, 0, 0, 16)), ['10.1.0.0/16', '10.1.0.0/17', '10.1.128.0/17'], 'the /16 hidden under both /17s is found');
  t.deepEqual(name(rib.covering(Afi.IPv4, parsePrefix('10.1.128.0/17').a, 0, 0, 0, 17)), ['10.0.0.0/8', '10.1.0.0/16', '10.1.128.0/17']);
});

test('feeds decoded UPDATE callbacks through RibUpdateSink', (t) => {
  const { rib, n1 } = setup();
  const sink = new RibUpdateSink(rib, n1);
  sink.attributes(attrs([65001]));
  sink.announce(Afi.IPv4, 0, 0x0a000000, 0, 0, 0, 8);
  sink.announce(Afi.IPv6, 0, 0x20010db8, 0, 0, 0, 32);
  t.is(rib.prefixTotal(Afi.IPv4), 0, 'announcements are installed together, after the UPDATE');
  sink.done();
  t.is(rib.prefixTotal(Afi.IPv4), 1);
  t.is(rib.lookup('2001:db8::1')?.prefix, '2001:db8::/32');
  sink.withdraw(Afi.IPv4, 0, 0x0a000000, 0, 0, 0, 8);
  t.is(rib.prefixTotal(Afi.IPv4), 0);
  t.is(rib.attributeSetCount, 1);
});
