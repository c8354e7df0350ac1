import { Afi } from '../bgp/index.js';
import type { PathAttributes } from '../bgp/index.js';
import { canonicalAddress, formatPrefix, parseAddress } from './address.js';
import { AttributeStore } from './attribute-store.js';
import { DecisionProcess, type DecisionInputs, type DecisionOptions } from './decision.js';
import { PrefixTable } from './prefix-table.js';
import { MAX_NEIGHBORS, ROUTE_NEIGHBOR_MASK, ROUTE_PATH_ID_BYTES, ROUTE_ROW_BYTES, ROUTE_STALE } from './route-row.js';
import type { RibWriter } from './writer.js';

export interface RibOptions extends DecisionOptions {
  /**
   * 'full-table' (default) reserves address space for a full Internet table up front (costs no RSS until used,
   * avoids reallocations); 'small' starts small and grows (tests, tiny RIBs).
   */
  sizing?: 'full-table' | 'small';
}

export interface NeighborConfig {
  /** The neighbor's transport address (IPv4 or IPv6 text); the last tie-break prefers the lowest. */
  address: string;
  remoteAs: number;
  localAs: number;
  /** The neighbor's BGP Identifier (uint32, from its OPEN); 0 until known, see setRouterId(). */
  routerId: number;
  /** Defaults to remoteAs === localAs. */
  ibgp?: boolean;
  /** Free text for displays. */
  name?: string;
}

export interface NeighborInfo {
  readonly id: number;
  readonly address: string;
  readonly remoteAs: number;
  readonly localAs: number;
  readonly routerId: number;
  readonly ibgp: boolean;
  readonly name: string;
  /** Routes (paths) held from this neighbor: [IPv4, IPv6]. */
  readonly routes: readonly [number, number];
  /** Whether its session is Established (its routes may be stale while it is not: graceful restart). */
  readonly up: boolean;
}

/** A path as seen by change listeners: who sent it, under which ADD-PATH id, with which attribute set. */
export interface PathRef {
  readonly routeId: number;
  readonly neighborId: number;
  readonly pathId: number;
  readonly attrId: number;
}

/** A route with everything decoded, for displays and explanations (allocates; not for hot paths). */
export interface RouteView {
  readonly afi: Afi;
  /** e.g. '192.0.2.0/24'. */
  readonly prefix: string;
  readonly length: number;
  readonly routeId: number;
  readonly neighborId: number;
  readonly pathId: number;
  readonly attrId: number;
  readonly attributes: PathAttributes;
  readonly stale: boolean;
  /** Whether this path is the Loc-RIB best path of its prefix. */
  readonly best: boolean;
}

/**
 * Called synchronously after each change of a prefix's best path (including a new attribute set on the same
 * path). Prefix words follow the NlriSink convention. oldBest is null for a new prefix, newBest null when the
 * prefix is gone. Attribute sets named in oldBest stay readable (rib.attributesOf) during the call.
 */
export type RibChangeListener = (
  afi: Afi,
  a: number,
  b: number,
  c: number,
  d: number,
  length: number,
  oldBest: PathRef | null,
  newBest: PathRef | null,
) => void;

/**
 * Called synchronously after any change to the routes of a prefix (a path added, replaced or removed, from any
 * neighbor; the best path may or may not have changed): for caches of per-view answers and metrics.
 */
export type RoutesChangeListener = (afi: Afi, a: number, b: number, c: number, d: number, length: number) => void;

/** Called when a neighbor's session goes up (Established) or down. */
export type NeighborStateListener = (address: string, up: boolean) => void;

interface Neighbor {
  id: number;
  address: string;
  /** 32 hex digits (IPv4 as ::ffff:a.b.c.d) so that string order is address order. */
  addressKey: string;
  remoteAs: number;
  localAs: number;
  routerId: number;
  ibgp: boolean;
  name: string;
  routes: [number, number];
  up: boolean;
}

/**
 * Adj-RIB-In of every neighbor and the Loc-RIB, for IPv4 and IPv6 unicast.
 *
 * A route (path) is (neighbor, ADD-PATH path id, prefix) -> attribute set. Routes are struct-of-arrays rows
 * (prefix id, neighbor, path id, attribute set, next route of the same prefix, flags) recycled through a free
 * list; each prefix keeps a singly linked list of its routes, best first, from the PrefixTable's head slot.
 * Best-path selection runs over that short list on each change (RFC 4271 9.1.2.2, see decision.ts).
 *
 * This class is the RIB's writable inside: the session layer writes through the RibWriter contract, front ends
 * read through RibReader (reader.ts). The row arrays are public for those two and the decision process only.
 */
export class Rib implements RibWriter, DecisionInputs {
  readonly attributes: AttributeStore;
  readonly ipv4: PrefixTable;
  readonly ipv6: PrefixTable;
  readonly decision: DecisionProcess;

  // --- routes (rows: see route-row.ts) ---
  /**
   * The next route of the same prefix, + 1 (0: none). Most prefixes have one path, so in a table from one neighbor
   * this column is never written: its pages stay untouched zero pages, no RSS (2.2 MiB for the RIS 2015 table,
   * bench:ingest). Read and write it through nextRoute/setNextRoute.
   */
  private routeNext: Int32Array;
  routeAttr: Int32Array;
  /** ADD-PATH path ids; allocated at the first non-zero one (most sessions never use ADD-PATH). */
  routePathId: Uint32Array | null = null;
  routeNeighbor: Uint16Array;
  /**
   * When each route last changed (came, or changed its attributes), in seconds since `epochMs`: the age of the
   * data an answer was decided on (explain). 4 bytes a route; read through changedAt.
   */
  routeChanged: Uint32Array;
  /** Date.now() when the RIB was made: the origin of routeChanged. */
  readonly epochMs = Date.now();
  /** The time stamped on routes installed now; read once per announce() or announceRows() (one clock read per UPDATE). */
  private clock = 0;
  private routeCapacity: number;
  private routeHighWater = 0;
  private routeFree = -1;
  private liveRoutes = 0;

  // --- neighbors ---
  private readonly neighborList: (Neighbor | undefined)[] = [];
  /** Neighbor id by canonical address (the latest one added for an address). */
  private readonly neighborByAddress = new Map<string, number>();
  neighborIbgp = new Uint8Array(64);
  neighborRouterId = new Uint32Array(64);
  /** Bumped whenever a neighbor is added or removed: readers re-resolve addresses to ids when it moves. */
  neighborGeneration = 0;

  // --- decision scratch ---
  private candidates = new Int32Array(64);

  private readonly listeners: RibChangeListener[] = [];
  private readonly routesListeners: RoutesChangeListener[] = [];
  private readonly stateListeners: NeighborStateListener[] = [];
  private readonly scratchWords = new Int32Array(4);

  constructor(options: RibOptions = {}) {
    this.decision = new DecisionProcess(this, options);
    // Reserved for a full table (see PrefixTable's constructor: untouched pages cost no RSS).
    const small = options.sizing === 'small';
    this.attributes = new AttributeStore(small ? 1024 : undefined);
    this.ipv4 = new PrefixTable(Afi.IPv4, small ? 1024 : undefined);
    this.ipv6 = new PrefixTable(Afi.IPv6, small ? 1024 : undefined);
    this.routeCapacity = small ? 4096 : 1 << 20;
    this.routeNext = new Int32Array(this.routeCapacity);
    this.routeAttr = new Int32Array(this.routeCapacity);
    this.routeNeighbor = new Uint16Array(this.routeCapacity);
    this.routeChanged = new Uint32Array(this.routeCapacity);
  }

  // ------------------------------------------------------------------ neighbors

  /** Registers a neighbor and returns its id (small integer, reused after removeNeighbor). Its session is down. */
  addNeighbor(config: NeighborConfig): number {
    let id = this.neighborList.findIndex((n) => n === undefined);
    if (id < 0) id = this.neighborList.length;
    if (id >= MAX_NEIGHBORS) throw new RangeError('too many neighbors');
    const addr = parseAddress(config.address);
    const words =
      addr.afi === Afi.IPv4 ? [0, 0, 0xffff, addr.a] : [addr.a, addr.b, addr.c, addr.d];
    const neighbor: Neighbor = {
      id,
      address: config.address,
      addressKey: words.map((w) => (w >>> 0).toString(16).padStart(8, '0')).join(''),
      remoteAs: config.remoteAs,
      localAs: config.localAs,
      routerId: config.routerId >>> 0,
      ibgp: config.ibgp ?? config.remoteAs === config.localAs,
      name: config.name ?? config.address,
      routes: [0, 0],
      up: false,
    };
    this.neighborList[id] = neighbor;
    this.neighborByAddress.set(canonicalAddress(config.address), id);
    this.neighborGeneration++;
    if (id >= this.neighborIbgp.length) {
      const ibgp = new Uint8Array(this.neighborIbgp.length * 2);
      ibgp.set(this.neighborIbgp);
      this.neighborIbgp = ibgp;
      const rid = new Uint32Array(this.neighborRouterId.length * 2);
      rid.set(this.neighborRouterId);
      this.neighborRouterId = rid;
    }
    this.neighborIbgp[id] = neighbor.ibgp ? 1 : 0;
    this.neighborRouterId[id] = neighbor.routerId;
    return id;
  }

  /** Sets the BGP Identifier learnt from the neighbor's OPEN. Existing best paths are not re-run. */
  setRouterId(neighborId: number, routerId: number): void {
    this.neighborOf(neighborId).routerId = routerId >>> 0;
    this.neighborRouterId[neighborId] = routerId >>> 0;
  }

  /** Removes every route of the neighbor (notifying changes) and forgets it (its session is down). Returns the routes removed. */
  removeNeighbor(neighborId: number): number {
    const neighbor = this.neighborOf(neighborId);
    let removed = this.removeRoutesWhere(neighborId, this.tablesOf(undefined));
    removed += this.removeRoutesWhere(neighborId | ROUTE_STALE, this.tablesOf(undefined));
    this.setSessionUp(neighborId, false);
    this.neighborList[neighborId] = undefined;
    const key = canonicalAddress(neighbor.address);
    if (this.neighborByAddress.get(key) === neighborId) this.neighborByAddress.delete(key);
    this.neighborGeneration++;
    return removed;
  }

  /** The session of the neighbor went up (Established) or down; listeners hear of a change. */
  setSessionUp(neighborId: number, up: boolean): void {
    const neighbor = this.neighborOf(neighborId);
    if (neighbor.up === up) return;
    neighbor.up = up;
    for (const listener of [...this.stateListeners]) listener(neighbor.address, up);
  }

  /** The id of the neighbor with this address (any spelling of it), or -1. */
  neighborIdOf(address: string): number {
    let key: string;
    try {
      key = canonicalAddress(address);
    } catch {
      return -1;
    }
    return this.neighborByAddress.get(key) ?? -1;
  }

  neighbor(neighborId: number): NeighborInfo | undefined {
    const n = this.neighborList[neighborId];
    return n === undefined ? undefined : { ...n, routes: [n.routes[0], n.routes[1]] };
  }

  /** The configured address of neighbor id (no allocation: the string is the neighbor's own). */
  neighborAddress(neighborId: number): string {
    return this.neighborList[neighborId]!.address;
  }

  /** The neighbor's address as a key whose string order is address order (the decision's last tie-break). */
  neighborAddressKey(neighborId: number): string {
    return this.neighborList[neighborId]!.addressKey;
  }

  neighbors(): NeighborInfo[] {
    return this.neighborList.filter((n): n is Neighbor => n !== undefined).map((n) => this.neighbor(n.id)!);
  }

  /** Routes (paths) held from the neighbor in one family; with ADD-PATH each path counts. */
  prefixCount(neighborId: number, afi: Afi): number {
    return this.neighborOf(neighborId).routes[afi === Afi.IPv4 ? 0 : 1];
  }

  // ------------------------------------------------------------------ attributes

  /** Interns an attribute set; the caller holds one reference until release(). Routes take their own. */
  intern(attrs: PathAttributes): number {
    return this.attributes.intern(attrs);
  }

  /** One more reference on set attrId for the caller (as intern of the same attributes); RangeError if it is not stored. */
  retain(attrId: number): void {
    if (!this.attributes.has(attrId)) throw new RangeError(`no attribute set ${attrId} (intern it first)`);
    this.attributes.addRef(attrId);
  }

  release(attrId: number): void {
    this.attributes.release(attrId);
  }

  /** The attribute set decoded (a new object each call). */
  attributesOf(attrId: number): PathAttributes {
    return this.attributes.get(attrId);
  }

  /** Distinct attribute sets stored. */
  get attributeSetCount(): number {
    return this.attributes.size;
  }

  /** The neighbouring (leftmost) AS of a set's AS_PATH, 0 when the path is empty. Cheap. */
  firstAs(attrId: number): number {
    return this.attributes.neighborAs[attrId]!;
  }

  // ------------------------------------------------------------------ updates

  /** Adds or replaces the route (neighbor, pathId, prefix). Hot path (bench:rib load_s, bench:ingest): no allocation unless someone listens. */
  announce(
    neighborId: number,
    afi: Afi,
    pathId: number,
    a: number,
    b: number,
    c: number,
    d: number,
    length: number,
    attrId: number,
  ): void {
    this.clock = this.secondsNow();
    this.install(neighborId, afi, pathId, a, b, c, d, length, attrId);
  }

  private secondsNow(): number {
    return ((Date.now() - this.epochMs) / 1000) >>> 0;
  }

  /** When the route last came or changed, as a Date.now() value. */
  changedAt(routeId: number): number {
    return this.epochMs + this.routeChanged[routeId]! * 1000;
  }

  private install(
    neighborId: number,
    afi: Afi,
    pathId: number,
    a: number,
    b: number,
    c: number,
    d: number,
    length: number,
    attrId: number,
  ): void {
    const neighbor = this.neighborOf(neighborId);
    const v6 = afi === Afi.IPv6;
    const table = v6 ? this.ipv6 : this.ipv4;
    if (!v6) b = c = d = 0;
    if (!(this.attributes.refs[attrId]! > 0)) throw new RangeError(`no attribute set ${attrId} (intern it first)`);
    if (!(length >= 0 && length <= table.maxLength)) throw new RangeError(`prefix length ${length} out of range`);
    // Words as int32 (| 0): uint32 above 2^31 would cross calls as boxed doubles (see PrefixTable.words).
    const p = table.insert(a | 0, b | 0, c | 0, d | 0, length);
    this.attributes.addRef(attrId);
    if (table.lastInsertWasNew) {
      const r = this.allocRoute(neighborId, pathId, attrId);
      table.head[p] = r;
      neighbor.routes[v6 ? 1 : 0]++;
      if (this.listeners.length > 0) this.notify(afi, a, b, c, d, length, null, this.refOf(r));
      if (this.routesListeners.length > 0) this.notifyRoutes(afi, a, b, c, d, length);
      return;
    }
    let r = table.head[p]!;
    while (r >= 0 && ((this.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK) !== neighborId || this.pathIdOf(r) !== pathId >>> 0)) {
      r = this.nextRoute(r);
    }
    const oldBest = table.head[p]!;
    const oldBestAttr = this.routeAttr[oldBest]!;
    let releaseAttr = -1;
    if (r >= 0) {
      releaseAttr = this.routeAttr[r]!;
      this.routeAttr[r] = attrId;
      if (this.routeNeighbor[r] !== neighborId) this.routeNeighbor[r] = neighborId; // clears the stale mark
      if (releaseAttr === attrId) {
        // Same path, same attributes (a refresh, or the end of a graceful restart): nothing changes.
        this.attributes.release(attrId);
        return;
      }
      this.routeChanged[r] = this.clock;
    } else {
      r = this.allocRoute(neighborId, pathId, attrId);
      this.setNextRoute(r, table.head[p]!);
      table.head[p] = r;
      neighbor.routes[v6 ? 1 : 0]++;
    }
    const best = this.selectBest(table, p);
    this.moveToFront(table, p, best);
    if (this.listeners.length > 0 && (best !== oldBest || this.routeAttr[best] !== oldBestAttr)) {
      const oldRef: PathRef = {
        routeId: oldBest,
        neighborId: this.routeNeighbor[oldBest]! & ROUTE_NEIGHBOR_MASK,
        pathId: this.pathIdOf(oldBest),
        attrId: oldBestAttr,
      };
      this.notify(afi, a, b, c, d, length, oldRef, this.refOf(best));
    }
    if (this.routesListeners.length > 0) this.notifyRoutes(afi, a, b, c, d, length);
    if (releaseAttr >= 0) this.attributes.release(releaseAttr);
  }

  /**
   * announce() for `count` prefixes under one attribute set, given as rows of 7 numbers in `rows`:
   * afi, pathId, a, b, c, d, length (an UPDATE's NLRI, buffered by the session's sink). Same result as one
   * announce() per row in order; faster on a table load because every row's first index and trie slots are
   * touched before the inserts (see PrefixTable.touch). Hot path (bench:ingest): no allocation unless someone listens.
   */
  announceRows(neighborId: number, rows: Int32Array, count: number, attrId: number): void {
    if (count > 1) {
      let touched = 0;
      for (let i = 0, o = 0; i < count; i++, o += 7) {
        touched ^=
          rows[o] === Afi.IPv6
            ? this.ipv6.touch(rows[o + 2]!, rows[o + 3]!, rows[o + 4]!, rows[o + 5]!, rows[o + 6]!)
            : this.ipv4.touch(rows[o + 2]!, 0, 0, 0, rows[o + 6]!);
      }
      this.touchSink = touched;
    }
    this.clock = this.secondsNow();
    for (let i = 0, o = 0; i < count; i++, o += 7) {
      this.install(neighborId, rows[o]! as Afi, rows[o + 1]!, rows[o + 2]!, rows[o + 3]!, rows[o + 4]!, rows[o + 5]!, rows[o + 6]!, attrId);
    }
  }

  /** Where announceRows leaves the result of its touch loop, so that the loads are kept (meaningless value). */
  touchSink = 0;

  /** Removes the route (neighbor, pathId, prefix); false when there was none. */
  withdraw(neighborId: number, afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): boolean {
    this.neighborOf(neighborId);
    const v6 = afi === Afi.IPv6;
    const table = v6 ? this.ipv6 : this.ipv4;
    if (!v6) b = c = d = 0;
    const p = table.find(a | 0, b | 0, c | 0, d | 0, length);
    if (p < 0) return false;
    let prev = -1;
    let r = table.head[p]!;
    while (r >= 0 && ((this.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK) !== neighborId || this.pathIdOf(r) !== pathId >>> 0)) {
      prev = r;
      r = this.nextRoute(r);
    }
    if (r < 0) return false;
    this.removeRoute(table, p, r, prev);
    return true;
  }

  /** Marks the neighbor's routes (of one family, or both) stale, for graceful restart. Returns how many. */
  markStale(neighborId: number, afi?: Afi): number {
    this.neighborOf(neighborId);
    let marked = 0;
    for (const table of this.tablesOf(afi)) {
      for (const p of table.ids()) {
        for (let r = table.head[p]!; r >= 0; r = this.nextRoute(r)) {
          if ((this.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK) !== neighborId) continue;
          this.routeNeighbor[r] = neighborId | ROUTE_STALE;
          marked++;
        }
      }
    }
    return marked;
  }

  /** Removes the neighbor's routes still stale (not re-announced since markStale). Returns how many. */
  sweepStale(neighborId: number, afi?: Afi): number {
    this.neighborOf(neighborId);
    return this.removeRoutesWhere(neighborId | ROUTE_STALE, this.tablesOf(afi));
  }

  /** Subscribes to best-path changes; returns the unsubscribe function. */
  onChange(listener: RibChangeListener): () => void {
    return subscribe(this.listeners, listener);
  }

  /** Subscribes to any change of a prefix's routes; returns the unsubscribe function. */
  onRoutesChange(listener: RoutesChangeListener): () => void {
    return subscribe(this.routesListeners, listener);
  }

  /** Subscribes to neighbor sessions going up and down; returns the unsubscribe function. */
  onNeighborState(listener: NeighborStateListener): () => void {
    return subscribe(this.stateListeners, listener);
  }

  // ------------------------------------------------------------------ queries (numbers; cheap)

  /** The table of one family, for direct numeric access (lookup4/lookup6/find/covering/covered/sorted). */
  table(afi: Afi): PrefixTable {
    return afi === Afi.IPv4 ? this.ipv4 : this.ipv6;
  }

  /** Longest match of an IPv4 address (uint32 or int32): prefix id or -1. Hot path (bench:rib). */
  lookup4(address: number): number {
    return this.ipv4.lookup4(address);
  }

  /** Longest match of an IPv6 address (four words): prefix id or -1. Hot path (bench:rib). */
  lookup6(a: number, b: number, c: number, d: number): number {
    return this.ipv6.lookup6(a, b, c, d);
  }

  /** Exact match: prefix id or -1. */
  exact(afi: Afi, a: number, b: number, c: number, d: number, length: number): number {
    return afi === Afi.IPv4 ? this.ipv4.find(a | 0, 0, 0, 0, length) : this.ipv6.find(a | 0, b | 0, c | 0, d | 0, length);
  }

  /** Best route id of a prefix id (-1 if none). */
  bestRoute(afi: Afi, prefixId: number): number {
    return prefixId < 0 ? -1 : this.table(afi).head[prefixId]!;
  }

  /** Route ids of a prefix, best first. */
  routesOf(afi: Afi, prefixId: number): number[] {
    const table = this.table(afi);
    if (!table.has(prefixId)) return [];
    const out: number[] = [];
    for (let r = table.head[prefixId]!; r >= 0; r = this.nextRoute(r)) out.push(r);
    return out;
  }

  routeNeighborOf(routeId: number): number {
    return this.routeNeighbor[routeId]! & ROUTE_NEIGHBOR_MASK;
  }

  routeAttrOf(routeId: number): number {
    return this.routeAttr[routeId]!;
  }

  routePathIdOf(routeId: number): number {
    return this.pathIdOf(routeId);
  }

  routeIsStale(routeId: number): boolean {
    return (this.routeNeighbor[routeId]! & ROUTE_STALE) !== 0;
  }

  prefixLength(afi: Afi, prefixId: number): number {
    return this.table(afi).lengths[prefixId]!;
  }

  /** Prefixes in the Loc-RIB of one family. */
  prefixTotal(afi: Afi): number {
    return this.table(afi).size;
  }

  /** Bytes of typed arrays in use by the whole RIB (tables, routes, attributes). */
  get usedBytes(): number {
    return this.ipv4.usedBytes + this.ipv6.usedBytes + this.attributes.usedBytes + this.routeBytes;
  }

  /** Bytes of the route rows in use. */
  get routeBytes(): number {
    return this.routeHighWater * (ROUTE_ROW_BYTES + (this.routePathId ? ROUTE_PATH_ID_BYTES : 0));
  }

  /** Routes (paths) held, all neighbors and families. */
  get routeTotal(): number {
    return this.liveRoutes;
  }

  /** Covering prefixes (the prefix itself included), shortest first, as prefix ids. */
  covering(afi: Afi, a: number, b: number, c: number, d: number, length: number): number[] {
    return afi === Afi.IPv4 ? this.ipv4.covering(a | 0, 0, 0, 0, length) : this.ipv6.covering(a | 0, b | 0, c | 0, d | 0, length);
  }

  /** Prefixes inside the given one (itself included), in prefix order, as prefix ids. */
  covered(afi: Afi, a: number, b: number, c: number, d: number, length: number): number[] {
    return afi === Afi.IPv4 ? this.ipv4.covered(a | 0, 0, 0, 0, length) : this.ipv6.covered(a | 0, b | 0, c | 0, d | 0, length);
  }

  /**
   * Calls visit(prefixId, routeId) for every route (path) of one family, prefix by prefix in storage order (not
   * prefix order), each prefix's paths best first: for a journal's snapshot (journal.ts), which reads the rows
   * itself. Not a hot path; allocates nothing.
   */
  forEachRouteRow(afi: Afi, visit: (prefixId: number, routeId: number) => void): void {
    const table = this.table(afi);
    const head = table.head;
    for (let p = 0, n = table.idLimit; p < n; p++) {
      if (!table.has(p)) continue;
      for (let r = head[p]!; r >= 0; r = this.nextRoute(r)) visit(p, r);
    }
  }

  /** Prefix ids of one family in prefix order (address, then length). */
  *prefixes(afi: Afi): Generator<number> {
    yield* this.table(afi).sorted();
  }

  // ------------------------------------------------------------------ queries (objects; convenient)

  /** Best route of the longest match of an address given as text, or null. */
  lookup(address: string): RouteView | null {
    const addr = parseAddress(address);
    const p = addr.afi === Afi.IPv4 ? this.lookup4(addr.a) : this.lookup6(addr.a, addr.b, addr.c, addr.d);
    if (p < 0) return null;
    return this.routeView(addr.afi, p, this.table(addr.afi).head[p]!);
  }

  /** A route of prefix id p, decoded. */
  routeView(afi: Afi, p: number, routeId: number): RouteView {
    const table = this.table(afi);
    table.wordsOf(p, this.scratchWords);
    const w = this.scratchWords;
    const attrId = this.routeAttr[routeId]!;
    return {
      afi,
      prefix: formatPrefix(afi, w[0]!, w[1]!, w[2]!, w[3]!, table.lengths[p]!),
      length: table.lengths[p]!,
      routeId,
      neighborId: this.routeNeighbor[routeId]! & ROUTE_NEIGHBOR_MASK,
      pathId: this.pathIdOf(routeId),
      attrId,
      attributes: this.attributes.get(attrId),
      stale: (this.routeNeighbor[routeId]! & ROUTE_STALE) !== 0,
      best: table.head[p] === routeId,
    };
  }

  /** The best route of prefix id p decoded, or null when p is -1. */
  bestRouteView(afi: Afi, p: number): RouteView | null {
    return p < 0 ? null : this.routeView(afi, p, this.table(afi).head[p]!);
  }

  /** All paths of a prefix, best first. */
  paths(afi: Afi, prefixId: number): RouteView[] {
    return this.routesOf(afi, prefixId).map((r) => this.routeView(afi, prefixId, r));
  }

  /** Best routes of one family in prefix order. */
  *bestRoutes(afi: Afi): Generator<RouteView> {
    const table = this.table(afi);
    for (const p of table.sorted()) yield this.routeView(afi, p, table.head[p]!);
  }

  // ------------------------------------------------------------------ decision process

  /** The Loc-RIB best of prefix p's paths (RFC 4271 9.1.2.2: decision.ts). Allocation-free. */
  private selectBest(table: PrefixTable, p: number): number {
    const first = table.head[p]!;
    if (this.nextRoute(first) < 0) return first;
    let n = 0;
    for (let r = first; r >= 0; r = this.nextRoute(r)) {
      if (n === this.candidates.length) this.growCandidates();
      this.candidates[n++] = r;
    }
    return this.decision.best(this.candidates, n);
  }

  /**
   * The best of prefix p's paths that are in a view: from a neighbor marked in `neighbors` (by id; null for any),
   * carrying `community` (uint32; -1 for any) and the large community `large` (null for any). -1 when no path is.
   * Runs the same decision as the Loc-RIB over those paths only. Allocation-free.
   */
  bestInView(afi: Afi, p: number, neighbors: Uint8Array | null, community: number, large: Uint32Array | null): number {
    const table = this.table(afi);
    let n = 0;
    const set = this.attributes;
    for (let r = table.head[p]!; r >= 0; r = this.nextRoute(r)) {
      if (neighbors !== null && neighbors[this.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK] !== 1) continue;
      const attrId = this.routeAttr[r]!;
      if (community >= 0 && !set.hasCommunity(attrId, community)) continue;
      if (large !== null && !set.hasLargeCommunity(attrId, large[0]!, large[1]!, large[2]!)) continue;
      if (n === this.candidates.length) this.growCandidates();
      this.candidates[n++] = r;
    }
    return n === 0 ? -1 : this.decision.best(this.candidates, n);
  }

  private growCandidates(): void {
    const bigger = new Int32Array(this.candidates.length * 2);
    bigger.set(this.candidates);
    this.candidates = bigger;
  }

  // ------------------------------------------------------------------ internals

  /** The next route of the same prefix after r, or -1. */
  nextRoute(r: number): number {
    return this.routeNext[r]! - 1;
  }

  private setNextRoute(r: number, next: number): void {
    this.routeNext[r] = next + 1;
  }

  pathIdOf(r: number): number {
    return this.routePathId === null ? 0 : this.routePathId[r]!;
  }

  private neighborOf(neighborId: number): Neighbor {
    const n = this.neighborList[neighborId];
    if (n === undefined) throw new RangeError(`no neighbor ${neighborId}`);
    return n;
  }

  private refOf(r: number): PathRef {
    return { routeId: r, neighborId: this.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK, pathId: this.pathIdOf(r), attrId: this.routeAttr[r]! };
  }

  private notify(afi: Afi, a: number, b: number, c: number, d: number, length: number, oldBest: PathRef | null, newBest: PathRef | null): void {
    for (const listener of this.listeners) listener(afi, a >>> 0, b >>> 0, c >>> 0, d >>> 0, length, oldBest, newBest);
  }

  private notifyRoutes(afi: Afi, a: number, b: number, c: number, d: number, length: number): void {
    for (const listener of this.routesListeners) listener(afi, a >>> 0, b >>> 0, c >>> 0, d >>> 0, length);
  }

  private removeRoute(table: PrefixTable, p: number, r: number, prev: number): void {
    const next = this.nextRoute(r);
    if (prev < 0) table.head[p] = next;
    else this.setNextRoute(prev, next);
    this.neighborList[this.routeNeighbor[r]! & ROUTE_NEIGHBOR_MASK]!.routes[table.afi === Afi.IPv6 ? 1 : 0]--;
    const attrId = this.routeAttr[r]!;
    const wasBest = prev < 0;
    const listening = this.listeners.length > 0;
    const w = this.scratchWords;
    const length = table.lengths[p]!;
    if (listening || this.routesListeners.length > 0) table.wordsOf(p, w);
    let oldRef: PathRef | null = null;
    if (listening && wasBest) oldRef = this.refOf(r);
    this.freeRoute(r);
    if (table.head[p]! < 0) {
      table.remove(p);
      if (listening) this.notify(table.afi, w[0]!, w[1]!, w[2]!, w[3]!, length, oldRef, null);
    } else {
      // Re-run even when a non-best path left: the MED rule is not transitive, so removing a loser can change
      // the winner (A beats B on MED, C beats A on router id; without A, B beats C).
      const oldBest = wasBest ? r : table.head[p]!;
      if (listening && !wasBest) oldRef = this.refOf(oldBest);
      const best = this.selectBest(table, p);
      this.moveToFront(table, p, best);
      if (listening && best !== oldBest) this.notify(table.afi, w[0]!, w[1]!, w[2]!, w[3]!, length, oldRef, this.refOf(best));
    }
    if (this.routesListeners.length > 0) this.notifyRoutes(table.afi, w[0]!, w[1]!, w[2]!, w[3]!, length);
    this.attributes.release(attrId);
  }

  /** Removes the routes whose routeNeighbor value (id + stale mark) equals `key`. Walks every prefix's list. */
  private removeRoutesWhere(key: number, tables: PrefixTable[]): number {
    let removed = 0;
    for (const table of tables) {
      for (const p of table.ids()) {
        let prev = -1;
        let r = table.head[p]!;
        while (r >= 0) {
          if (this.routeNeighbor[r] === key) {
            this.removeRoute(table, p, r, prev);
            removed++;
            if (!table.has(p)) break;
            // The best path may have moved to the front: walk the list again.
            prev = -1;
            r = table.head[p]!;
          } else {
            prev = r;
            r = this.nextRoute(r);
          }
        }
      }
    }
    return removed;
  }

  private tablesOf(afi: Afi | undefined): PrefixTable[] {
    return afi === undefined ? [this.ipv4, this.ipv6] : [this.table(afi)];
  }

  /** Puts route r first in prefix p's list (the head is the best path). */
  private moveToFront(table: PrefixTable, p: number, r: number): void {
    const head = table.head[p]!;
    if (head === r) return;
    let prev = head;
    while (this.nextRoute(prev) !== r) prev = this.nextRoute(prev);
    this.setNextRoute(prev, this.nextRoute(r));
    this.setNextRoute(r, head);
    table.head[p] = r;
  }

  private allocRoute(neighborId: number, pathId: number, attrId: number): number {
    let r = this.routeFree;
    const recycled = r >= 0;
    if (recycled) {
      this.routeFree = this.nextRoute(r);
      this.setNextRoute(r, -1);
    } else {
      if (this.routeHighWater === this.routeCapacity) this.growRoutes();
      r = this.routeHighWater++;
    }
    // A fresh row is all 0: its next is none, and neighbor 0 (the first, often the only one) need not be written
    // either. Columns that stay 0 stay untouched zero pages: no RSS (bench:ingest).
    this.routeAttr[r] = attrId;
    this.routeChanged[r] = this.clock;
    if (pathId !== 0 && this.routePathId === null) this.routePathId = new Uint32Array(this.routeCapacity);
    if (this.routePathId && (recycled || pathId !== 0)) this.routePathId[r] = pathId;
    if (recycled || neighborId !== 0) this.routeNeighbor[r] = neighborId;
    this.liveRoutes++;
    return r;
  }

  private freeRoute(r: number): void {
    this.setNextRoute(r, this.routeFree);
    this.routeFree = r;
    this.liveRoutes--;
  }

  private growRoutes(): void {
    const cap = this.routeCapacity * 2;
    const grow = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(cap);
      next.set(old);
      return next;
    };
    this.routeNext = grow(this.routeNext, (n) => new Int32Array(n));
    this.routeAttr = grow(this.routeAttr, (n) => new Int32Array(n));
    if (this.routePathId) this.routePathId = grow(this.routePathId, (n) => new Uint32Array(n));
    this.routeNeighbor = grow(this.routeNeighbor, (n) => new Uint16Array(n));
    this.routeChanged = grow(this.routeChanged, (n) => new Uint32Array(n));
    this.routeCapacity = cap;
  }
}

/** Adds a listener to a list; returns the function that removes it. */
function subscribe<T>(list: T[], listener: T): () => void {
  list.push(listener);
  return () => {
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
  };
}
