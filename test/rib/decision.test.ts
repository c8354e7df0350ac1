import test from 'ava';
import { Afi, AsPathSegment, AsPathSegmentType, PathAttributes } from '../../src/bgp/index.js';
import { parsePrefix } from '../../src/rib/index.js';
// The decision is checked through the Loc-RIB's own insides (src/rib/rib.ts), not only its reading face.
import { Rib, type NeighborConfig, type RibOptions } from '../../src/rib/rib.js';

// Each test offers the same prefix from several neighbors and checks which path the Loc-RIB picks
// (RFC 4271 9.1.2.2, RFC 4456 9, RFC 5065), with the candidates announced in every order.

interface Offer {
  neighbor: Partial<NeighborConfig> & { address: string };
  attrs: Partial<PathAttributes> & { path?: number[]; set?: number[]; confed?: number[] };
}

function attributes(spec: Offer['attrs']): PathAttributes {
  const a = new PathAttributes();
  a.origin = 0;
  a.nextHop = 0x0a000001;
  const segs: AsPathSegment[] = [];
  if (spec.confed) segs.push(new AsPathSegment(AsPathSegmentType.ConfedSequence, spec.confed));
  segs.push(new AsPathSegment(AsPathSegmentType.AsSequence, spec.path ?? [65001]));
  if (spec.set) segs.push(new AsPathSegment(AsPathSegmentType.AsSet, spec.set));
  a.asPath = segs;
  for (const [k, v] of Object.entries(spec)) if (k !== 'path' && k !== 'set' && k !== 'confed') (a as unknown as Record<string, unknown>)[k] = v;
  return a;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** Index (in offers) of the path chosen, checked to be the same for every announcement order. */
function winner(offers: Offer[], options: RibOptions = {}): number {
  const prefix = parsePrefix('203.0.113.0/24');
  const chosen = new Set<number>();
  for (const order of permutations(offers.map((_, i) => i))) {
    const rib = new Rib({ sizing: 'small', ...options });
    const ids = offers.map((o, i) =>
      rib.addNeighbor({ remoteAs: 65001, localAs: 65000, routerId: 0x01010101 + i, ...o.neighbor }),
    );
    for (const i of order) {
      const attrId = rib.intern(attributes(offers[i]!.attrs));
      rib.announce(ids[i]!, Afi.IPv4, 0, prefix.a, 0, 0, 0, 24, attrId);
      rib.release(attrId);
    }
    const best = rib.bestRoute(Afi.IPv4, rib.exact(Afi.IPv4, prefix.a, 0, 0, 0, 24));
    chosen.add(ids.indexOf(rib.routeNeighborOf(best)));
  }
  if (chosen.size !== 1) throw new Error(`choice depends on announcement order: ${[...chosen]}`);
  return [...chosen][0]!;
}

const ibgp = (address: string, routerId?: number): Offer['neighbor'] => ({ address, remoteAs: 65000, ...(routerId ? { routerId } : {}) });
const ebgp = (address: string, remoteAs = 65001, routerId?: number): Offer['neighbor'] => ({ address, remoteAs, ...(routerId ? { routerId } : {}) });

test('prefers the highest LOCAL_PREF (9.1.2.2 a)', (t) => {
  t.is(winner([{ neighbor: ibgp('10.0.0.1'), attrs: { localPref: 100 } }, { neighbor: ibgp('10.0.0.2'), attrs: { localPref: 200, path: [65001, 65002, 65003] } }]), 1);
});

test('gives eBGP routes without LOCAL_PREF the default of 100', (t) => {
  // iBGP 90 < eBGP default 100 < iBGP 110; path lengths would favour the iBGP route.
  t.is(winner([{ neighbor: ibgp('10.0.0.1'), attrs: { localPref: 90 } }, { neighbor: ebgp('10.0.0.2'), attrs: { path: [65001, 65002] } }]), 1);
  t.is(winner([{ neighbor: ibgp('10.0.0.1'), attrs: { localPref: 110, path: [65001, 65002] } }, { neighbor: ebgp('10.0.0.2'), attrs: {} }]), 0);
  t.is(winner([{ neighbor: ibgp('10.0.0.1'), attrs: { localPref: 100, path: [65001, 65002] } }, { neighbor: ebgp('10.0.0.2'), attrs: {} }], { defaultLocalPref: 50 }), 0);
});

test('prefers the shortest AS_PATH (9.1.2.2 a), an AS_SET counting as one', (t) => {
  t.is(winner([{ neighbor: ebgp('10.0.0.1'), attrs: { path: [65001, 2, 3] } }, { neighbor: ebgp('10.0.0.2'), attrs: { path: [65001, 2] } }]), 1);
  // [65001 2] {3 4 5 6} has length 3, shorter than 65001 2 3 4.
  t.is(winner([{ neighbor: ebgp('10.0.0.1'), attrs: { path: [65001, 2, 3, 4] } }, { neighbor: ebgp('10.0.0.2'), attrs: { path: [65001, 2], set: [3, 4, 5, 6] } }]), 1);
});

test('does not count confederation segments in the AS_PATH length (RFC 5065 5.3)', (t) => {
  t.is(winner([{ neighbor: ebgp('10.0.0.1'), attrs: { path: [65001, 2] } }, { neighbor: ebgp('10.0.0.2'), attrs: { confed: [64512, 64513, 64514], path: [65001] } }]), 1);
});

test('prefers the lowest ORIGIN (9.1.2.2 b)', (t) => {
  t.is(winner([{ neighbor: ebgp('10.0.0.1'), attrs: { origin: 2 } }, { neighbor: ebgp('10.0.0.2'), attrs: { origin: 1 } }]), 1);
  t.is(winner([{ neighbor: ebgp('10.0.0.1'), attrs: { origin: 0 } }, { neighbor: ebgp('10.0.0.2'), attrs: { origin: 1 } }]), 0);
});

test('prefers the lowest MED among routes from the same neighbouring AS (9.1.2.2 c)', (t) => {
  t.is(winner([{ neighbor: ebgp('10.0.0.1'), attrs: { med: 20 } }, { neighbor: ebgp('10.0.0.2'), attrs: { med: 10 } }]), 1);
});

test('does not compare MED across neighbouring ASes unless always-compare-med', (t) => {
  // Different neighbouring AS: MED ignored, so the lower router id (first neighbor) wins.
  const offers: Offer[] = [
    { neighbor: ebgp('10.0.0.1', 65001, 0x01000001), attrs: { path: [65001], med: 50 } },
    { neighbor: ebgp('10.0.0.2', 65002, 0x02000002), attrs: { path: [65002], med: 10 } },
  ];
  t.is(winner(offers), 0);
  t.is(winner(offers, { alwaysCompareMed: true }), 1);
});

test('treats a missing MED as 0 (9.1.2.2 c)', (t) => {
  t.is(winner([{ neighbor: ebgp('10.0.0.1'), attrs: { med: 5 } }, { neighbor: ebgp('10.0.0.2'), attrs: {} }]), 1);
});

test('applies the MED rule to the whole set, independent of arrival order', (t) => {
  // The classic non-transitive case: A (AS 1, MED 10) beats B (AS 1, MED 20) by MED; C (AS 2) is compared with
  // A only by router id. RFC elimination: B is removed by A; then A vs C by router id -> C (lower id).
  const offers: Offer[] = [
    { neighbor: ebgp('10.0.0.1', 65001, 0x03000000), attrs: { path: [65001], med: 10 } },
    { neighbor: ebgp('10.0.0.2', 65001, 0x01000000), attrs: { path: [65001], med: 20 } },
    { neighbor: ebgp('10.0.0.3', 65002, 0x02000000), attrs: { path: [65002], med: 0 } },
  ];
  t.is(winner(offers), 2);
});

test('prefers eBGP over iBGP (9.1.2.2 d)', (t) => {
  t.is(winner([{ neighbor: ibgp('10.0.0.1', 0x01000000), attrs: { localPref: 100 } }, { neighbor: ebgp('10.0.0.2', 65001, 0x09000000), attrs: {} }]), 1);
});

test('prefers the lowest BGP Identifier (9.1.2.2 f)', (t) => {
  t.is(winner([{ neighbor: ebgp('10.0.0.1', 65001, 0x0a000002), attrs: {} }, { neighbor: ebgp('10.0.0.2', 65001, 0x0a000001), attrs: {} }]), 1);
});

test('uses ORIGINATOR_ID in place of the BGP Identifier when present (RFC 4456 9)', (t) => {
  t.is(
    winner([
      { neighbor: ibgp('10.0.0.1', 0x0a000001), attrs: { localPref: 100, originatorId: 0x0b000000 } },
      { neighbor: ibgp('10.0.0.2', 0x0a000002), attrs: { localPref: 100 } },
    ]),
    1,
  );
});

test('prefers the shortest CLUSTER_LIST (RFC 4456 9)', (t) => {
  t.is(
    winner([
      { neighbor: ibgp('10.0.0.1', 0x0a000001), attrs: { localPref: 100, originatorId: 0x0c000000, clusterList: Uint32Array.of(1, 2) } },
      { neighbor: ibgp('10.0.0.2', 0x0a000002), attrs: { localPref: 100, originatorId: 0x0c000000, clusterList: Uint32Array.of(3) } },
    ]),
    1,
  );
});

test('prefers the lowest peer address as the last tie-break (9.1.2.2 g)', (t) => {
  t.is(winner([{ neighbor: ebgp('10.0.0.9', 65001, 0x0a000001), attrs: {} }, { neighbor: ebgp('10.0.0.10', 65001, 0x0a000001), attrs: {} }]), 0);
  t.is(winner([{ neighbor: ebgp('10.0.1.1', 65001, 0x0a000001), attrs: {} }, { neighbor: ebgp('10.0.0.200', 65001, 0x0a000001), attrs: {} }]), 1);
});

test('re-runs the decision when a losing path is withdrawn (the MED rule is not transitive)', (t) => {
  const rib = new Rib({ sizing: 'small' });
  const a = rib.addNeighbor({ address: '10.0.0.1', remoteAs: 65001, localAs: 65000, routerId: 3 });
  const b = rib.addNeighbor({ address: '10.0.0.2', remoteAs: 65001, localAs: 65000, routerId: 1 });
  const c = rib.addNeighbor({ address: '10.0.0.3', remoteAs: 65002, localAs: 65000, routerId: 2 });
  const prefix = parsePrefix('203.0.113.0/24');
  const offer = (n: number, spec: Offer['attrs']): void => {
    const id = rib.intern(attributes(spec));
    rib.announce(n, Afi.IPv4, 0, prefix.a, 0, 0, 0, 24, id);
    rib.release(id);
  };
  offer(a, { path: [65001], med: 10 });
  offer(b, { path: [65001], med: 20 });
  offer(c, { path: [65002] });
  const changes: number[] = [];
  rib.onChange((_afi, _a, _b, _c, _d, _len, _old, now) => changes.push(now!.neighborId));
  const best = (): number => rib.routeNeighborOf(rib.bestRoute(Afi.IPv4, rib.exact(Afi.IPv4, prefix.a, 0, 0, 0, 24)));
  t.is(best(), c, 'B is out on MED against A, and C beats A on router id');
  rib.withdraw(a, Afi.IPv4, 0, prefix.a, 0, 0, 0, 24);
  t.is(best(), b, 'without A, B beats C on router id');
  t.deepEqual(changes, [b], 'the change is notified');
});
