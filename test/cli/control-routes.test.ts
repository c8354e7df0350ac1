import test from 'ava';
import { AsPathSegment, AsPathSegmentType, PathAttributes, parseIpv6 } from '../../src/bgp/index.js';
import { pathJson as routeJson } from '../../src/rib/index.js';
import { createRib, parsePrefix } from '../../src/rib/index.js';

/** A RIB holding one route, and the decoded path of the longest match of `address` in it. */
function pathFor(prefix: string, a: PathAttributes, address: string) {
  const { writer, reader } = createRib({ sizing: 'small' });
  const n = writer.addNeighbor({ address: '192.0.2.1', remoteAs: 65001, localAs: 65000, routerId: 0x01010101 });
  const p = parsePrefix(prefix);
  const id = writer.intern(a);
  writer.announce(n, p.afi, 0, p.a, p.b, p.c, p.d, p.length, id);
  writer.release(id);
  return reader.pathOf(reader.lookupText(address))!;
}

test('routeJson shows every attribute in its documented JSON form', (t) => {
  const a = new PathAttributes();
  a.origin = 2;
  a.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, [65001, 4200000000]), new AsPathSegment(AsPathSegmentType.AsSet, [7, 8])];
  a.nextHop = 0xc0000201;
  a.med = 0;
  a.localPref = 300;
  a.atomicAggregate = true;
  a.aggregatorAs = 4200000000;
  a.aggregatorAddress = 0xc6336401;
  a.communities = Uint32Array.of((65000 << 16) | 1, 0xffffff01);
  a.largeCommunities = Uint32Array.of(4200000000, 1, 2, 65000, 0, 4294967295);
  a.originatorId = 0x0a000001;
  a.clusterList = Uint32Array.of(0x0a000002, 0x0a000003);
  const json = routeJson(pathFor('198.51.100.0/24', a, '198.51.100.7'));
  t.deepEqual(json, {
    prefix: '198.51.100.0/24',
    asPath: [65001, 4200000000, [7, 8]],
    nextHop: '192.0.2.1',
    neighbor: '192.0.2.1',
    neighborAs: 65001,
    localPref: 300,
    med: 0,
    communities: ['65000:1', '65535:65281'],
    largeCommunities: ['4200000000:1:2', '65000:0:4294967295'],
    origin: 'incomplete',
    atomicAggregate: true,
    aggregator: '4200000000 198.51.100.1',
    originatorId: '10.0.0.1',
    clusterList: ['10.0.0.2', '10.0.0.3'],
    pathId: 0,
    stale: false,
  });
});

test('routeJson shows absent attributes as null or [], and an MP next hop of either family', (t) => {
  const a = new PathAttributes();
  a.mpNextHop = parseIpv6('2001:db8::1');
  t.like(routeJson(pathFor('2001:db8:1::/48', a, '2001:db8:1::5')), {
    asPath: [],
    nextHop: '2001:db8::1',
    localPref: null,
    med: null,
    communities: [],
    largeCommunities: [],
    origin: null,
    atomicAggregate: false,
    aggregator: null,
    originatorId: null,
    clusterList: [],
  });
  const v4 = new PathAttributes();
  v4.origin = 1;
  v4.mpNextHop = Uint8Array.of(203, 0, 113, 9);
  t.like(routeJson(pathFor('2001:db8:2::/48', v4, '2001:db8:2::5')), { nextHop: '203.0.113.9', origin: 'egp' });
});
