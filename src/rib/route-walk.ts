import { Afi } from '../bgp/index.js';
import type { Rib } from './rib.js';
import { ROUTE_NEIGHBOR_MASK, ROUTE_STALE } from './route-row.js';

/**
 * One prefix and its paths, as RouteWalk hands them over: one object, refilled for every prefix (copy what you
 * keep). Path i's fields are at index i of the arrays, best path first; only [0, count) are meaningful.
 */
export class WalkedPrefix {
  afi: Afi = Afi.IPv4;
  a = 0;
  b = 0;
  c = 0;
  d = 0;
  length = 0;
  /** Paths of the prefix. */
  count = 0;
  pathId = new Uint32Array(8);
  /**
   * Attribute set handles (attributesOf) and their serials (AttributeStore.serial): a handle names the same set
   * while its serial is unchanged, so a cache keyed by handle can outlive turns of the event loop.
   */
  attributes = new Int32Array(8);
  attributeSerial = new Uint32Array(8);
  /** When the path last came or changed, as a Date.now() value. */
  changedAt = new Float64Array(8);
  stale = new Uint8Array(8);
  /** Configured address of the neighbor each path came from. */
  neighbor: string[] = [];

  /** Room for n paths. */
  grow(n: number): void {
    if (n <= this.pathId.length) return;
    let size = this.pathId.length;
    while (size < n) size *= 2;
    const more = <T extends Uint32Array | Int32Array | Float64Array | Uint8Array>(old: T, make: new (n: number) => T): T => {
      const next = new make(size);
      next.set(old);
      return next;
    };
    this.pathId = more(this.pathId, Uint32Array);
    this.attributes = more(this.attributes, Int32Array);
    this.attributeSerial = more(this.attributeSerial, Uint32Array);
    this.changedAt = more(this.changedAt, Float64Array);
    this.stale = more(this.stale, Uint8Array);
  }
}

/**
 * A walk over one family's routes in prefix order, a slice of prefixes at a time, for a caller that lets the event
 * loop run between slices (a snapshot written while BGP sessions keep changing the table). The prefixes to visit
 * are fixed when the walk starts (their keys are copied, ~8 bytes an IPv4 prefix); each is looked up again when its
 * turn comes, so a prefix gone meanwhile is skipped and one that changed is seen as it is then. The result is
 * each prefix as it stood when visited, not the table at one instant.
 */
export class RouteWalk {
  /** Prefix keys in prefix order: the address words then the length, `stride` numbers per prefix. */
  private readonly keys: Int32Array;
  private readonly stride: number;
  private next = 0;
  /** Prefixes the walk will visit (some may be gone by their turn). */
  readonly total: number;
  private readonly out = new WalkedPrefix();

  constructor(
    private readonly rib: Rib,
    readonly afi: Afi,
  ) {
    this.stride = afi === Afi.IPv4 ? 2 : 5;
    this.keys = rib.table(afi).sortedKeys();
    this.total = this.keys.length / this.stride;
    this.out.afi = afi;
  }

  /** Whether prefixes are left to visit. */
  get done(): boolean {
    return this.next >= this.total;
  }

  /** Visits up to `maxPrefixes` more prefixes (those still in the table), in prefix order. Returns how many it looked at. */
  step(maxPrefixes: number, visit: (prefix: WalkedPrefix) => void): number {
    const rib = this.rib;
    const table = rib.table(this.afi);
    const v6 = this.afi === Afi.IPv6;
    const keys = this.keys;
    const out = this.out;
    const end = Math.min(this.total, this.next + maxPrefixes);
    const from = this.next;
    for (let i = this.next; i < end; i++) {
      const o = i * this.stride;
      const a = keys[o]!;
      const b = v6 ? keys[o + 1]! : 0;
      const c = v6 ? keys[o + 2]! : 0;
      const d = v6 ? keys[o + 3]! : 0;
      const length = keys[o + (v6 ? 4 : 1)]!;
      const p = table.find(a, b, c, d, length);
      if (p < 0) continue;
      let n = 0;
      for (let r = table.head[p]!; r >= 0; r = rib.nextRoute(r)) {
        out.grow(n + 1);
        const mark = rib.routeNeighbor[r]!;
        const attrId = rib.routeAttr[r]!;
        out.pathId[n] = rib.pathIdOf(r);
        out.attributes[n] = attrId;
        out.attributeSerial[n] = rib.attributes.serial[attrId]!;
        out.changedAt[n] = rib.changedAt(r);
        out.stale[n] = (mark & ROUTE_STALE) !== 0 ? 1 : 0;
        out.neighbor[n] = rib.neighborAddress(mark & ROUTE_NEIGHBOR_MASK);
        n++;
      }
      out.count = n;
      out.a = a >>> 0;
      out.b = b >>> 0;
      out.c = c >>> 0;
      out.d = d >>> 0;
      out.length = length;
      visit(out);
    }
    this.next = end;
    return end - from;
  }
}
