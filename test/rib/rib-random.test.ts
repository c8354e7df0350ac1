import test from 'ava';
import { Afi, AsPathSegment, AsPathSegmentType, PathAttributes } from '../../src/bgp/index.js';
import { Rib } from '../../src/rib/rib.js';
import { seededRandom } from '../../src/util/index.js';

const NEIGHBORS = 4;

function attrSet(k: number): PathAttributes {
  const a = new PathAttributes();
  a.origin = k % 3;
  a.asPath = [new AsPathSegment(AsPathSegmentType.AsSequence, [65001 + (k % 2), ...Array.from({ length: k % 4 }, (_, i) => 100 + i)])];
  a.med = (k * 7) % 5;
  a.nextHop = 0x0a000001;
  if (k % 5 === 0) a.communities = Uint32Array.of(k);
  return a;
}

function newRib(): Rib {
  const rib = new Rib({ sizing: 'small' });
  for (let i = 0; i < NEIGHBORS; i++) {
    rib.addNeighbor({ address: `10.0.0.${i + 1}`, remoteAs: 65001 + (i % 2), localAs: i === 3 ? 65001 + (i % 2) : 65000, routerId: 0x01000000 + ((i * 3) % 4) });
  }
  return rib;
}

interface Prefix {
  afi: Afi;
  w: [number, number, number, number];
  length: number;
}

test('Adj-RIB-In, Loc-RIB and counts match a simple model over 20,000 random operations', (t) => {
  const rand = seededRandom(99);
  // A small pool of nested prefixes in both families.
  const key = (p: Prefix): string => `${p.afi}/${p.w.join('.')}/${p.length}`;
  const pool: Prefix[] = [];
  for (let i = 0; i < 60; i++) {
    const v6 = i % 3 === 0;
    const length = v6 ? [32, 40, 48, 29, 64][i % 5]! : [8, 16, 20, 24, 25][i % 5]!;
    const base = v6 ? 0x20010db8 : 0x0a000000;
    const bits = Math.floor(rand() * 2 ** 16);
    const w: [number, number, number, number] = v6
      ? [base, length > 32 ? ((bits << 16) & (~0 << (64 - Math.min(length, 64)))) >>> 0 : 0, 0, 0]
      : [(base | ((bits << 8) & (length >= 32 ? ~0 : ~0 << (32 - length)))) >>> 0, 0, 0, 0];
    if (v6 && length < 32) w[0] = (w[0] & (~0 << (32 - length))) >>> 0;
    const prefix: Prefix = { afi: v6 ? Afi.IPv6 : Afi.IPv4, w, length };
    if (!pool.some((q) => key(q) === key(prefix))) pool.push(prefix);
  }
  t.true(pool.length > 30 && pool.some((p) => p.afi === Afi.IPv6), 'a pool of distinct nested prefixes of both families');
  // model: prefix -> "neighbor:pathId" -> { attr, stale }
  const model = new Map<string, Map<string, { attr: number; stale: boolean }>>();
  const rib = newRib();
  const ids = Array.from({ length: 16 }, (_, k) => rib.intern(attrSet(k)));
  for (let op = 0; op < 20000; op++) {
    const r = rand();
    const n = Math.floor(rand() * NEIGHBORS);
    const p = pool[Math.floor(rand() * pool.length)]!;
    const pathId = Math.floor(rand() * 3);
    if (r < 0.55) {
      const k = Math.floor(rand() * ids.length);
      rib.announce(n, p.afi, pathId, p.w[0], p.w[1], p.w[2], p.w[3], p.length, ids[k]!);
      if (!model.has(key(p))) model.set(key(p), new Map());
      model.get(key(p))!.set(`${n}:${pathId}`, { attr: k, stale: false });
    } else if (r < 0.93) {
      const had = model.get(key(p))?.delete(`${n}:${pathId}`) ?? false;
      if (model.get(key(p))?.size === 0) model.delete(key(p));
      t.is(rib.withdraw(n, p.afi, pathId, p.w[0], p.w[1], p.w[2], p.w[3], p.length), had);
    } else if (r < 0.96) {
      const afi = rand() < 0.5 ? Afi.IPv4 : Afi.IPv6;
      rib.markStale(n, afi);
      for (const [k, routes] of model) if (k.startsWith(`${afi}/`)) for (const [rk, v] of routes) if (rk.startsWith(`${n}:`)) v.stale = true;
    } else if (r < 0.99) {
      const afi = rand() < 0.5 ? Afi.IPv4 : undefined;
      rib.sweepStale(n, afi);
      for (const [k, routes] of model) {
        if (afi !== undefined && !k.startsWith(`${afi}/`)) continue;
        for (const [rk, v] of routes) if (rk.startsWith(`${n}:`) && v.stale) routes.delete(rk);
        if (routes.size === 0) model.delete(k);
      }
    } else {
      rib.removeNeighbor(n);
      t.is(rib.addNeighbor({ address: `10.0.0.${n + 1}`, remoteAs: 65001 + (n % 2), localAs: n === 3 ? 65001 + (n % 2) : 65000, routerId: 0x01000000 + ((n * 3) % 4) }), n, 'the freed id is reused');
      for (const [k, routes] of model) {
        for (const rk of routes.keys()) if (rk.startsWith(`${n}:`)) routes.delete(rk);
        if (routes.size === 0) model.delete(k);
      }
    }
    if (op % 100 !== 0) continue;
    // Compare everything with the model.
    let routes = 0;
    for (const p of pool) {
      const want = model.get(key(p));
      const id = rib.exact(p.afi, p.w[0], p.w[1], p.w[2], p.w[3], p.length);
      if (!want) {
        if (id !== -1) t.fail(`op ${op}: ${key(p)} should be gone`);
        continue;
      }
      routes += want.size;
      const got = rib.routesOf(p.afi, id).map((r) => `${rib.routeNeighborOf(r)}:${rib.routePathIdOf(r)}=${ids.indexOf(rib.routeAttrOf(r))}${rib.routeIsStale(r) ? 's' : ''}`);
      const expected = [...want].map(([rk, v]) => `${rk}=${v.attr}${v.stale ? 's' : ''}`);
      if (got.slice().sort().join() !== expected.sort().join()) t.fail(`op ${op}: routes of ${key(p)}: ${got} vs ${expected}`);
    }
    t.is(rib.routeTotal, routes);
    for (let n2 = 0; n2 < NEIGHBORS; n2++) {
      for (const afi of [Afi.IPv4, Afi.IPv6]) {
        let count = 0;
        for (const [k, rs] of model) if (k.startsWith(`${afi}/`)) for (const rk of rs.keys()) if (rk.startsWith(`${n2}:`)) count++;
        t.is(rib.prefixCount(n2, afi), count);
      }
    }
  }
  // The best path does not depend on arrival order: a fresh RIB fed the final routes in reverse picks the same.
  const fresh = newRib();
  const freshIds = Array.from({ length: 16 }, (_, k) => fresh.intern(attrSet(k)));
  for (const p of [...pool].reverse()) {
    const want = model.get(key(p));
    if (!want) continue;
    for (const [rk, v] of [...want].reverse()) {
      const [n, pathId] = rk.split(':').map(Number) as [number, number];
      fresh.announce(n, p.afi, pathId, p.w[0], p.w[1], p.w[2], p.w[3], p.length, freshIds[v.attr]!);
    }
  }
  for (const p of pool) {
    const a = rib.bestRoute(p.afi, rib.exact(p.afi, p.w[0], p.w[1], p.w[2], p.w[3], p.length));
    const b = fresh.bestRoute(p.afi, fresh.exact(p.afi, p.w[0], p.w[1], p.w[2], p.w[3], p.length));
    if (a < 0 || b < 0) {
      t.is(a < 0, b < 0);
      continue;
    }
    t.is(`${rib.routeNeighborOf(a)}:${rib.routePathIdOf(a)}`, `${fresh.routeNeighborOf(b)}:${fresh.routePathIdOf(b)}`, key(p));
  }
  // Interned sets: the 16 held by this test plus none leaked by routes after everything is removed.
  for (let n = 0; n < NEIGHBORS; n++) rib.removeNeighbor(n);
  t.is(rib.routeTotal, 0);
  t.is(rib.prefixTotal(Afi.IPv4) + rib.prefixTotal(Afi.IPv6), 0);
  for (const id of ids) rib.release(id);
  t.is(rib.attributeSetCount, 0);
});
