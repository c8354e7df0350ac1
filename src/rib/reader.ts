import { Afi, type PathAttributes } from '../bgp/index.js';
import { canonicalAddress, formatPrefix, parseAddress } from './address.js';
import { AttrSetFlag } from './attribute-store.js';
import { PrefixTable } from './prefix-table.js';
import type { NeighborStateListener, Rib, RoutesChangeListener } from './rib.js';
import { ROUTE_NEIGHBOR_MASK, ROUTE_STALE } from './route-row.js';
import { RouteWalk } from './route-walk.js';

/**
 * Where a lookup leaves its answer: one object per caller, filled in place, so that a lookup allocates nothing.
 * The handles (prefix, route, attributes) are the RIB's numbers for what was found; they are valid for the
 * reader's other methods until the table next changes (a routing change, i.e. the next turn of the event loop).
 */
export class LookupResult {
  afi: Afi = Afi.IPv4;
  /** Whether a route matched: false when no prefix of the table (or of the view) covers the address. */
  found = false;
  /** The matched prefix: its address words (IPv4 in `a`; IPv6 as four words, most significant first)... */
  a = 0;
  b = 0;
  c = 0;
  d = 0;
  /** ...and its length; -1 when nothing matched. */
  length = -1;
  /**
   * The ECS scope (RFC 7871) of the answer: the shortest prefix length from the looked-up address, at least the
   * matched length, such that no other prefix of the table lies inside the address's block of that length. Every
   * address of that block gets the same longest match, in the whole table and in every view. 0 on an empty table.
   */
  scope = 0;
  /** Handle of the matched prefix (-1 when none), for paths(). */
  prefix = -1;
  /** Handle of the route chosen (the Loc-RIB best path, or the view's best path), -1 when none. */
  route = -1;
  /** Handle of the route's attribute set, for the attribute readers (firstAs, pathLength, ...), -1 when none. */
  attributes = -1;
  /** Configured address of the neighbor the route came from ('' when none). */
  neighbor = '';
  /** Whether the route is stale: its neighbor is restarting (graceful restart) and has not sent it again yet. */
  stale = false;

  /** Copies another result into this one (allocation-free); returns this. */
  copyFrom(from: LookupResult): this {
    this.afi = from.afi;
    this.found = from.found;
    this.a = from.a;
    this.b = from.b;
    this.c = from.c;
    this.d = from.d;
    this.length = from.length;
    this.scope = from.scope;
    this.prefix = from.prefix;
    this.route = from.route;
    this.attributes = from.attributes;
    this.neighbor = from.neighbor;
    this.stale = from.stale;
    return this;
  }
}

/** The routes one front end treats as one view of the network (e.g. one POP's). */
export interface ViewSpec {
  /** Configured addresses of the neighbors whose routes make the view (any spelling). Omitted: every neighbor. */
  neighbors?: readonly string[];
  /** Only routes carrying this community: "65000:101", or its uint32 value. */
  community?: string | number;
  /** Only routes carrying this large community: "65000:1:101". */
  largeCommunity?: string;
}

/** A view made by RibReader.view(): give it to lookupInView. */
export class RibView {
  /** Neighbor ids in the view (1 = in), re-resolved from the addresses when neighbors come and go. */
  mask: Uint8Array | null = null;
  generation = -1;
  readonly community: number;
  readonly large: Uint32Array | null;
  constructor(
    readonly neighbors: readonly string[] | null,
    community: number,
    large: Uint32Array | null,
  ) {
    this.community = community;
    this.large = large;
  }
}

/** A neighbor as front ends see it: by its configured address, never by the RIB's id. */
export interface NeighborView {
  address: string;
  remoteAs: number;
  /** Its BGP identifier (uint32), from its OPEN (or from the snapshot its routes were loaded from). */
  routerId: number;
  /** Whether its session is Established (or its routes count as if it were: a warm start's, see Neighbor). */
  up: boolean;
  /** Routes (paths) held from it, per family (stale ones included). */
  routes: { ipv4: number; ipv6: number };
}

/** One path of a prefix, decoded (explain, CLI, HTTP: allocates). */
export interface PathView {
  afi: Afi;
  /** e.g. '192.0.2.0/24'. */
  prefix: string;
  length: number;
  /** Configured address of the neighbor it came from, and that neighbor's AS. */
  neighbor: string;
  neighborAs: number;
  pathId: number;
  attributes: PathAttributes;
  stale: boolean;
  /** Whether it is the Loc-RIB best path of its prefix. */
  best: boolean;
  /** Handles, as in LookupResult. */
  route: number;
  attributeSet: number;
}

/** A route as forEachRoute hands it over: one object, refilled for every route. */
export interface RouteRecord {
  afi: Afi;
  a: number;
  b: number;
  c: number;
  d: number;
  length: number;
  pathId: number;
  /** Attribute set handle (decode with attributesOf). */
  attributes: number;
  neighbor: string;
  best: boolean;
}

/** Where the RIB's memory goes (typed arrays in use), like `birdc show memory`. */
export interface RibMemory {
  ipv4: { prefixes: number; bytes: number };
  ipv6: { prefixes: number; bytes: number };
  attributes: { sets: number; bytes: number };
  routes: { count: number; bytes: number };
  total: number;
}

/**
 * The RIB's reading face: what every front end (the decision, DNS, the route-server fallback, HTTP, the control
 * socket) reads the table through, all in the same way, and none of them able to change it. Lookups fill a
 * caller-owned LookupResult and allocate nothing; readers of an attribute set read the RIB's own numbers;
 * only the explain-style readers (paths, attributesOf, neighbors) allocate.
 *
 * Address words may be given as uint32 or int32 (the same bits). On a hot path give int32, as a packet parser's
 * `(b0 << 24) | ...` makes them: a uint32 above 2^31 is a double in JavaScript, boxed on the heap whenever it is
 * passed to a function the JIT did not inline.
 */
export class RibReader {
  /** Scratch words, int32 (see PrefixTable.words). */
  private readonly words = new Int32Array(4);
  private readonly record: RouteRecord = { afi: Afi.IPv4, a: 0, b: 0, c: 0, d: 0, length: 0, pathId: 0, attributes: -1, neighbor: '', best: false };

  constructor(private readonly rib: Rib) {}

  // ---------------------------------------------------------------- lookups (hot paths: bench:rib)

  /** Longest match of an IPv4 address (uint32) in the Loc-RIB, with its scope. True when a route matched. */
  lookup4(address: number, out: LookupResult): boolean {
    const table = this.rib.ipv4;
    const packed = table.lookupScoped4(address | 0);
    const p = PrefixTable.scopedId(packed);
    out.afi = Afi.IPv4;
    out.scope = PrefixTable.scopeOf(packed);
    return this.fill(table, p, p < 0 ? -1 : table.head[p]!, out);
  }

  /** Longest match of an IPv6 address (four words) in the Loc-RIB, with its scope. True when a route matched. */
  lookup6(a: number, b: number, c: number, d: number, out: LookupResult): boolean {
    const table = this.rib.ipv6;
    const packed = table.lookupScoped6(a | 0, b | 0, c | 0, d | 0);
    const p = PrefixTable.scopedId(packed);
    out.afi = Afi.IPv6;
    out.scope = PrefixTable.scopeOf(packed);
    return this.fill(table, p, p < 0 ? -1 : table.head[p]!, out);
  }

  /** lookup4 or lookup6 by family. */
  lookup(afi: Afi, a: number, b: number, c: number, d: number, out: LookupResult): boolean {
    return afi === Afi.IPv4 ? this.lookup4(a, out) : this.lookup6(a, b, c, d, out);
  }

  /** Longest match of an address given as text (allocates: for the CLI and tests). Throws on bad text. */
  lookupText(address: string, out = new LookupResult()): LookupResult {
    const p = parseAddress(address.trim());
    this.lookup(p.afi, p.a, p.b, p.c, p.d, out);
    return out;
  }

  /** Exact match of a prefix (host bits zero) in the Loc-RIB; its scope is its own length. */
  exact(afi: Afi, a: number, b: number, c: number, d: number, length: number, out: LookupResult): boolean {
    const table = this.rib.table(afi);
    const p = afi === Afi.IPv4 ? table.find(a | 0, 0, 0, 0, length) : table.find(a | 0, b | 0, c | 0, d | 0, length);
    out.afi = afi;
    out.scope = length;
    return this.fill(table, p, p < 0 ? -1 : table.head[p]!, out);
  }

  /**
   * A view of the table: the routes of some neighbors, and/or those carrying a community. Throws a TypeError on
   * a community that does not parse. Neighbors may come and go: the view follows them by address.
   */
  view(spec: ViewSpec = {}): RibView {
    let community = -1;
    if (spec.community !== undefined) community = typeof spec.community === 'number' ? spec.community >>> 0 : parseCommunity(spec.community);
    let large: Uint32Array | null = null;
    if (spec.largeCommunity !== undefined) large = parseLargeCommunity(spec.largeCommunity);
    const neighbors = spec.neighbors === undefined ? null : spec.neighbors.map((n) => canonicalAddress(n));
    return new RibView(neighbors, community, large);
  }

  /**
   * Longest match of an address among the routes of a view only (for one neighbor: its Adj-RIB-In), and the
   * view's best path there, by the same decision process as the Loc-RIB. Allocates nothing.
   * `out.scope` is the whole table's scope. For a decision over several views, that is the scope to give: within
   * the client's block of that length no prefix of any neighbor lies, so every view's longest match, and hence
   * the decision, is the same for every address of the block. (It is the scope over the union of the views'
   * routes when the views cover every neighbor, and never wider than that when they do not.)
   */
  /**
   * lookupInView for several views at once: one descent of the table (its longest match and ECS scope are every
   * view's starting point and scope), then each view's best route there or at a shorter covering prefix. outs[i]
   * gets views[i]'s answer (a null view is skipped). Returns the scope. Allocation-free.
   */
  lookupInViews(views: readonly (RibView | null)[], afi: Afi, a: number, b: number, c: number, d: number, outs: readonly LookupResult[]): number {
    const rib = this.rib;
    const table = rib.table(afi);
    const packed = table.lookupScoped(a | 0, b | 0, c | 0, d | 0);
    const first = PrefixTable.scopedId(packed);
    const scope = PrefixTable.scopeOf(packed);
    for (let i = 0; i < views.length; i++) {
      const view = views[i]!;
      if (view === null) continue;
      this.viewRoute(view, afi, table, first, scope, outs[i]!);
    }
    return scope;
  }

  lookupInView(view: RibView, afi: Afi, a: number, b: number, c: number, d: number, out: LookupResult): boolean {
    const table = this.rib.table(afi);
    const packed = table.lookupScoped(a | 0, b | 0, c | 0, d | 0);
    return this.viewRoute(view, afi, table, PrefixTable.scopedId(packed), PrefixTable.scopeOf(packed), out);
  }

  /** The view's best route at prefix p (the table's longest match) or, when it has none there, at the nearest covering prefix it has one at. */
  private viewRoute(view: RibView, afi: Afi, table: PrefixTable, p: number, scope: number, out: LookupResult): boolean {
    const rib = this.rib;
    out.afi = afi;
    out.scope = scope;
    if (view.generation !== rib.neighborGeneration) this.resolve(view);
    const w = this.words;
    while (p >= 0) {
      const r = rib.bestInView(afi, p, view.mask, view.community, view.large);
      if (r >= 0) return this.fill(table, p, r, out);
      // Not in this view: the next shorter prefix covering it (those are few; each is one exact-index probe).
      table.wordsOf(p, w);
      p = table.coveringOf(w[0]!, w[1]!, w[2]!, w[3]!, table.lengths[p]!);
    }
    return this.fill(table, -1, -1, out);
  }

  private resolve(view: RibView): void {
    const rib = this.rib;
    view.generation = rib.neighborGeneration;
    if (view.neighbors === null) {
      view.mask = null;
      return;
    }
    const ids = view.neighbors.map((address) => rib.neighborIdOf(address)).filter((id) => id >= 0);
    const mask = new Uint8Array(Math.max(0, ...ids) + 1);
    for (const id of ids) mask[id] = 1;
    view.mask = mask;
  }

  private fill(table: PrefixTable, p: number, route: number, out: LookupResult): boolean {
    if (p < 0 || route < 0) {
      out.found = false;
      out.a = out.b = out.c = out.d = 0;
      out.length = -1;
      out.prefix = -1;
      out.route = -1;
      out.attributes = -1;
      out.neighbor = '';
      out.stale = false;
      return false;
    }
    const rib = this.rib;
    const n = table.wordsPerPrefix;
    const o = p * n;
    out.found = true;
    out.a = table.words[o]! >>> 0;
    out.b = n === 4 ? table.words[o + 1]! >>> 0 : 0;
    out.c = n === 4 ? table.words[o + 2]! >>> 0 : 0;
    out.d = n === 4 ? table.words[o + 3]! >>> 0 : 0;
    out.length = table.lengths[p]!;
    out.prefix = p;
    out.route = route;
    out.attributes = rib.routeAttr[route]!;
    const mark = rib.routeNeighbor[route]!;
    out.neighbor = rib.neighborAddress(mark & ROUTE_NEIGHBOR_MASK);
    out.stale = (mark & ROUTE_STALE) !== 0;
    return true;
  }

  // ---------------------------------------------------------------- comparing routes (a decision between views)

  /**
   * Keeps, at the front of routes[0..n) (route handles, e.g. the best route of each of several views), those that
   * tie for best by the decision process's steps that judge the path: degree of preference, AS_PATH length,
   * ORIGIN, MED between routes from the same neighbouring AS, eBGP over iBGP. Returns how many. The arbitrary
   * tie-breaks that follow them in the Loc-RIB (router id, peer address) are left to the caller. Allocation-free.
   */
  preferredRoutes(routes: Int32Array, n: number): number {
    return this.rib.decision.preferred(routes, n);
  }

  /** The route's degree of preference (RFC 4271 9.1.1): LOCAL_PREF of an iBGP route, the default otherwise. */
  preferenceOf(route: number): number {
    return this.rib.decision.preferenceOf(route);
  }

  /** Whether the route came from an iBGP neighbor. */
  isIbgp(route: number): boolean {
    return this.rib.decision.isIbgp(route);
  }

  /** The attribute set handle of a route. */
  attributesOfRoute(route: number): number {
    return this.rib.routeAttr[route]!;
  }

  /** When the route came or last changed its attributes (a Date.now() value, to the second). */
  changedAt(route: number): number {
    return this.rib.changedAt(route);
  }

  // ---------------------------------------------------------------- readers of an attribute set (cheap)

  /** The first (leftmost) AS of the AS_PATH; 0 when the path is empty or starts with an AS_SET. */
  firstAs(attributes: number): number {
    return this.rib.attributes.neighborAs[attributes]!;
  }

  /** AS_PATH length as the decision counts it: an AS_SET counts as one, confederation segments as none. */
  pathLength(attributes: number): number {
    return this.rib.attributes.pathLength[attributes]!;
  }

  /** LOCAL_PREF, or -1 when absent. */
  localPref(attributes: number): number {
    const set = this.rib.attributes;
    return (set.flags[attributes]! & AttrSetFlag.LocalPref) !== 0 ? set.localPref[attributes]! : -1;
  }

  /** MULTI_EXIT_DISC, or -1 when absent (the decision counts a missing MED as 0). */
  med(attributes: number): number {
    const set = this.rib.attributes;
    return (set.flags[attributes]! & AttrSetFlag.Med) !== 0 ? set.med[attributes]! : -1;
  }

  /** ORIGIN: 0 IGP, 1 EGP, 2 INCOMPLETE; -1 when absent. */
  origin(attributes: number): number {
    const o = this.rib.attributes.origin[attributes]!;
    return o <= 2 ? o : -1;
  }

  /** Whether the set carries a community (uint32, high 16 bits = AS). */
  hasCommunity(attributes: number, community: number): boolean {
    return this.rib.attributes.hasCommunity(attributes, community >>> 0);
  }

  /** Whether the set carries a large community. */
  hasLargeCommunity(attributes: number, global: number, local1: number, local2: number): boolean {
    return this.rib.attributes.hasLargeCommunity(attributes, global >>> 0, local1 >>> 0, local2 >>> 0);
  }

  /** The whole attribute set decoded (allocates: explain and displays). */
  attributesOf(attributes: number): PathAttributes {
    return this.rib.attributes.get(attributes);
  }

  // ---------------------------------------------------------------- explain (allocates)

  /** Every path of a prefix (a handle from a LookupResult), decoded, best first. */
  paths(afi: Afi, prefix: number): PathView[] {
    const rib = this.rib;
    return rib.paths(afi, prefix).map((v) => {
      const neighbor = rib.neighbor(v.neighborId);
      return {
        afi,
        prefix: v.prefix,
        length: v.length,
        neighbor: neighbor?.address ?? '',
        neighborAs: neighbor?.remoteAs ?? 0,
        pathId: v.pathId,
        attributes: v.attributes,
        stale: v.stale,
        best: v.best,
        route: v.routeId,
        attributeSet: v.attrId,
      };
    });
  }

  /** The path a lookup chose, decoded (null when nothing matched). */
  pathOf(result: LookupResult): PathView | null {
    if (!result.found) return null;
    return this.paths(result.afi, result.prefix).find((p) => p.route === result.route) ?? null;
  }

  /** Text of a lookup's matched prefix ('192.0.2.0/24'), or null. */
  prefixText(result: LookupResult): string | null {
    return result.found ? formatPrefix(result.afi, result.a, result.b, result.c, result.d, result.length) : null;
  }

  /**
   * Calls `fn` for every route of one family in prefix order, best path of each prefix first; only one
   * neighbor's with `neighbor` (its address). The record is reused: copy what you keep.
   */
  forEachRoute(afi: Afi, fn: (route: RouteRecord) => void, neighbor?: string): void {
    const rib = this.rib;
    const table = rib.table(afi);
    const only = neighbor === undefined ? -1 : rib.neighborIdOf(neighbor);
    if (neighbor !== undefined && only < 0) return;
    const rec = this.record;
    rec.afi = afi;
    const w = this.words;
    for (const p of table.sorted()) {
      table.wordsOf(p, w);
      let first = true;
      for (let r = table.head[p]!; r >= 0; r = rib.nextRoute(r), first = false) {
        const id = rib.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK;
        if (only >= 0 && id !== only) continue;
        rec.a = w[0]! >>> 0;
        rec.b = w[1]! >>> 0;
        rec.c = w[2]! >>> 0;
        rec.d = w[3]! >>> 0;
        rec.length = table.lengths[p]!;
        rec.pathId = rib.pathIdOf(r);
        rec.attributes = rib.routeAttr[r]!;
        rec.neighbor = rib.neighborAddress(id);
        rec.best = first;
        fn(rec);
      }
    }
  }

  /**
   * A walk over one family's routes in prefix order, a slice at a time, that stays sound while the table changes
   * between slices (see RouteWalk): for a snapshot written while the event loop runs.
   */
  walkRoutes(afi: Afi): RouteWalk {
    return new RouteWalk(this.rib, afi);
  }

  // ---------------------------------------------------------------- neighbors and changes

  /** The neighbors the RIB holds routes or a session for, by configured address. */
  neighbors(): NeighborView[] {
    return this.rib.neighbors().map((n) => ({ address: n.address, remoteAs: n.remoteAs, routerId: n.routerId, up: n.up, routes: { ipv4: n.routes[0], ipv6: n.routes[1] } }));
  }

  /** One neighbor by its configured address (any spelling), or null when the RIB has none by that address. */
  neighbor(address: string): NeighborView | null {
    const id = this.rib.neighborIdOf(address);
    const n = id < 0 ? undefined : this.rib.neighbor(id);
    return n === undefined ? null : { address: n.address, remoteAs: n.remoteAs, routerId: n.routerId, up: n.up, routes: { ipv4: n.routes[0], ipv6: n.routes[1] } };
  }

  /** Whether the neighbor with this address has an Established session. */
  isUp(address: string): boolean {
    const id = this.rib.neighborIdOf(address);
    return id >= 0 && this.rib.neighbor(id)!.up;
  }

  /** Tells `listener` when a neighbor's session goes up or down. Returns the unsubscribe function. */
  onNeighborState(listener: NeighborStateListener): () => void {
    return this.rib.onNeighborState(listener);
  }

  /** Tells `listener` after any change to the routes of a prefix. Returns the unsubscribe function. */
  onRoutesChange(listener: RoutesChangeListener): () => void {
    return this.rib.onRoutesChange(listener);
  }

  // ---------------------------------------------------------------- totals

  /** Prefixes in the Loc-RIB of one family. */
  prefixCount(afi: Afi): number {
    return this.rib.prefixTotal(afi);
  }

  /** Routes (paths) held, all neighbors and families. */
  get routeCount(): number {
    return this.rib.routeTotal;
  }

  get attributeSetCount(): number {
    return this.rib.attributeSetCount;
  }

  /** Bytes of the RIB's typed arrays in use, part by part. */
  memory(): RibMemory {
    const rib = this.rib;
    return {
      ipv4: { prefixes: rib.prefixTotal(Afi.IPv4), bytes: rib.ipv4.usedBytes },
      ipv6: { prefixes: rib.prefixTotal(Afi.IPv6), bytes: rib.ipv6.usedBytes },
      attributes: { sets: rib.attributeSetCount, bytes: rib.attributes.usedBytes },
      routes: { count: rib.routeTotal, bytes: rib.routeBytes },
      total: rib.usedBytes,
    };
  }
}

/** "65000:101" as a uint32. */
function parseCommunity(text: string): number {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m || Number(m[1]) > 0xffff || Number(m[2]) > 0xffff) throw new TypeError(`not a community (AS:VALUE, each 0..65535): ${text}`);
  return ((Number(m[1]) << 16) | Number(m[2])) >>> 0;
}

/** "65000:1:101" as three uint32. */
function parseLargeCommunity(text: string): Uint32Array {
  const m = /^(\d+):(\d+):(\d+)$/.exec(text.trim());
  if (!m || [m[1], m[2], m[3]].some((x) => Number(x) > 0xffffffff)) {
    throw new TypeError(`not a large community (GLOBAL:LOCAL1:LOCAL2, each 0..4294967295): ${text}`);
  }
  return Uint32Array.of(Number(m[1]), Number(m[2]), Number(m[3]));
}

