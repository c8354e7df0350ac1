import test from 'ava';
import { Afi, AsPathSegment, AsPathSegmentType, PathAttributes } from '../../src/bgp/index.js';
import {
  generateSyntheticTable,
  originAs,
  prependFirstAs,
  syntheticRouteGroups,
  viewPrepends,
  viewRouteGroups,
  type RouteGroup,
} from '../../src/replay/index.js';

const seq = (...asns: number[]): AsPathSegment => new AsPathSegment(AsPathSegmentType.AsSequence, asns);
const flat = (path: readonly AsPathSegment[] | null): number[] => (path ?? []).flatMap((s) => s.asns);

test('each origin AS has exactly one home view (no prepends); the others prepend 1, 2, ... in turn; the split is even', (t) => {
  const count = 3;
  const homes = new Array<number>(count).fill(0);
  const wrong: string[] = [];
  for (let origin = 1; origin <= 30_000; origin++) {
    const prepends = Array.from({ length: count }, (_, index) => viewPrepends(origin, { index, count }));
    if ([...prepends].sort().join() !== '0,1,2') wrong.push(`origin ${origin}: ${prepends.join(' ')}`);
    homes[prepends.indexOf(0)]!++;
  }
  t.deepEqual(wrong, []);
  for (const h of homes) t.true(h > 9_000 && h < 11_000, `home shares ${homes.join(' / ')} of 30,000 origins`);
  t.is(viewPrepends(65001, { index: 0, count: 1 }), 0, 'one view: nothing to prepend');
});

test('prependFirstAs repeats the first AS in its sequence, or in a new one past 255 ASes; originAs is the last AS', (t) => {
  const path = [seq(64500, 174, 15169)];
  t.deepEqual(flat(prependFirstAs(path, 2)), [64500, 64500, 64500, 174, 15169]);
  t.is(prependFirstAs(path, 2).length, 1);
  t.deepEqual(flat(path), [64500, 174, 15169], 'the given path is not modified');
  const long = [seq(...Array.from({ length: 254 }, (_, i) => 100 + i))];
  const prepended = prependFirstAs(long, 2);
  t.is(prepended.length, 2, 'a new segment: 256 ASes do not fit one');
  t.deepEqual(prepended[0]!.asns, [100, 100]);
  t.deepEqual(prependFirstAs([new AsPathSegment(AsPathSegmentType.AsSet, [1, 2])], 1).map((s) => [s.type, ...s.asns]), [
    [AsPathSegmentType.AsSequence, 1],
    [AsPathSegmentType.AsSet, 1, 2],
  ]);
  const attrs = new PathAttributes();
  t.is(originAs(attrs), 0);
  attrs.asPath = [seq(64500, 3356), new AsPathSegment(AsPathSegmentType.AsSet, [7, 9])];
  t.is(originAs(attrs), 9);
});

test('viewRouteGroups shares the prefixes, copies what it changes, and sets the router\'s IPv4 next hop', (t) => {
  const attributes = new PathAttributes();
  attributes.origin = 0;
  attributes.asPath = [seq(64500, 3356, 13335)];
  attributes.nextHop = 0xc0000201;
  attributes.med = 7;
  const prefixes: RouteGroup['prefixes'] = [{ afi: Afi.IPv4, pathId: 0, a: 0x01010100, b: 0, c: 0, d: 0, length: 24 }];
  const groups: RouteGroup[] = [{ attributes, prefixes }];
  const nextHop = 0x7f00000c;
  const views = [0, 1, 2].map((index) => [...viewRouteGroups(groups, { index, count: 3 }, nextHop)][0]!);
  for (const [index, v] of views.entries()) {
    t.is(v.prefixes, prefixes, 'the same prefix array');
    t.is(v.attributes.nextHop, nextHop);
    t.is(v.attributes.med, 7, 'the other attributes carried over');
    t.is(flat(v.attributes.asPath).length, 3 + viewPrepends(13335, { index, count: 3 }));
  }
  t.deepEqual(flat(attributes.asPath), [64500, 3356, 13335], 'the source group is untouched');
  t.is(attributes.nextHop, 0xc0000201);
});

test('generateSyntheticTable({ view }) is viewRouteGroups of the table without one: same prefixes, same sets, the paths prepended', (t) => {
  const base = generateSyntheticTable({ peerAs: 64500 });
  const view = { index: 1, count: 3 };
  const direct = generateSyntheticTable({ peerAs: 64500, view });
  t.is(direct.groups.length, base.groups.length);
  t.is(direct.ipv4Prefixes, base.ipv4Prefixes);
  t.is(direct.ipv6Prefixes, base.ipv6Prefixes);
  const derived = [...viewRouteGroups(syntheticRouteGroups(base), view)];
  const prepends = [0, 0, 0];
  for (let i = 0; i < direct.groups.length; i++) {
    const g = direct.groups[i]!;
    const d = derived[i]!;
    if (i % 997 === 0 || i === direct.groups.length - 1) {
      t.deepEqual(g.prefixes, base.groups[i]!.prefixes, `group ${i}: the same prefixes`);
      t.is(d.prefixes.length, g.count);
    }
    const path = flat(g.attributes.asPath);
    if (path.join(' ') !== flat(d.attributes.asPath).join(' ')) {
      t.fail(`group ${i}: ${path.join(' ')} generated, ${flat(d.attributes.asPath).join(' ')} derived`);
      return;
    }
    const extra = path.length - flat(base.groups[i]!.attributes.asPath).length;
    prepends[extra]!++;
  }
  // Every group is in one of the three positions, and each position holds a sizeable share.
  t.is(prepends.reduce((a, b) => a + b, 0), direct.groups.length);
  for (const n of prepends) t.true(n > direct.groups.length / 5, `groups by prepends: ${prepends.join(' / ')}`);
});
