import { Afi, type PathAttributes } from '../bgp/index.js';
import { decodeAttributeSet } from './attribute-store.js';
import { Rib, type NeighborConfig, type NeighborInfo } from './rib.js';
import { MAX_NEIGHBORS, ROUTE_NEIGHBOR_MASK, ROUTE_STALE } from './route-row.js';
import type { RibWriter } from './writer.js';

// Replication of the RIB at its writing face. RibJournal stands in front of the primary's Rib: it forwards every
// RibWriter call and, while someone subscribes, records it as a compact binary record in a reused buffer, shipped
// as chunks (ArrayBuffers a MessagePort can transfer). RibReplica applies those chunks to another RIB's writer, in
// another thread, in the same order, so that its reader answers as the primary's does. A subscriber first gets the
// records that rebuild the present state (the snapshot), then the live stream.
//
// Chunk: a 16-byte header, then whole records.
//   0  'R' 'J', format version, flags (1: the chunk ends at a flush(), where the primary's readers could look;
//      without it the chunk filled up in the middle of a batch of work)
//   4  u32 sequence number of the chunk in this subscriber's stream (0: the first, which opens the snapshot)
//   8  u32 bytes of records that follow
//  12  u32 checksum of those bytes (murmur3-style over 32-bit words)
// Numbers are little-endian. A record is one op byte (its high bit THREW: the primary's call threw, after doing
// whatever it did; the replica's must throw too), then:
//   SnapshotBegin   -
//   SnapshotEnd     u32 neighbors, u32 attribute sets, u32 IPv4 routes, u32 IPv6 routes (the replica checks them)
//   AddNeighbor     u16 id, u32 remoteAs, u32 localAs, u32 routerId, u8 flags (1 ibgp given, 2 ibgp, 4 name given),
//                   u16 + UTF-8 address, [u16 + UTF-8 name]
//   RemoveNeighbor  u16 id            SessionUp  u16 id, u8 up
//   Intern          u32 set id, u32 length, the set's canonical encoding (the AttributeStore's own, exact)
//   Retain, Release u32 set id
//   Announce        u16 neighbor, u32 set id, u32 count, rows     Withdraw  u16 neighbor, u32 count, rows
//   MarkStale, SweepStale  u16 neighbor, u8 family (0 both, 1 IPv4, 2 IPv6)
// A row is a prefix as BGP's NLRI puts it, plus its path id: u8 flags (1 IPv6, 2 path id follows, 4 the address
// words follow in full because bits past the length's last byte are set), u8 length (255: a length the primary
// refused), the prefix's ceil(length / 8) bytes (or its 4 or 16 bytes), [u32 path id]. A /24 takes 5 bytes.
// Consecutive announcements under one set from one neighbor, and consecutive withdrawals from one neighbor, share
// one record, whichever calls they came from (announceRows is announce() per row, in order).
//
// Attribute set ids: the primary's and the replica's differ; the replica maps one to the other. A set is shipped
// with its bytes when intern() stored it anew (its reference count is then 1), and as Retain of its id when it was
// stored already: the replica has it, since every set alive when a subscriber came was in its snapshot and every
// set stored since was shipped when it was stored. An id the primary frees and hands out again therefore arrives
// with the new set's bytes. (Option internBytes 'every-intern' ships the bytes on every intern, for comparison.)
//
// What a replica does not copy: the RIB's own handles (neighbor, route and set ids: readers never rely on them),
// when each route last changed (changedAt, explain's age: the replica's clock, at the time it applied the call),
// and, after a snapshot, the order of a prefix's paths other than the best one and of neighbors() (by id).

/** Bytes of a chunk before it is shipped: a record that does not fit in what is left starts the next chunk. */
export const JOURNAL_CHUNK_BYTES = 64 * 1024;

const HEADER_BYTES = 16;
const MAGIC_0 = 0x52; // 'R'
const MAGIC_1 = 0x4a; // 'J'
const FORMAT_VERSION = 1;
/** Header flag: the chunk ends at a flush() (or at the end of a snapshot), not because it filled up. */
const FLAG_FLUSHED = 1;

const enum Op {
  SnapshotBegin = 1,
  SnapshotEnd = 2,
  AddNeighbor = 3,
  RemoveNeighbor = 4,
  SessionUp = 5,
  Intern = 6,
  Retain = 7,
  Release = 8,
  Announce = 9,
  Withdraw = 10,
  MarkStale = 11,
  SweepStale = 12,
}
const LAST_OP = Op.SweepStale;
/** Op bit: the primary's call threw (after doing what it did); the replica's must throw as well. */
const THREW = 0x80;

const ROW_IPV6 = 1;
const ROW_PATH_ID = 2;
const ROW_FULL_WORDS = 4;
/** The length byte of a length the primary refused (out of range for its family). */
const BAD_LENGTH = 255;
/** A row at its largest: flags, length, 16 address bytes, path id. */
const MAX_ROW_BYTES = 2 + 16 + 4;
/** Op, neighbor, set id, count. */
const ROWS_HEADER_BYTES = 1 + 2 + 4 + 4;

/** Numbers per row of announceRows: afi, pathId, a, b, c, d, length. */
const ROW = 7;

const TEXT = new TextEncoder();
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** What went wrong with a chunk or while applying it (`code`), for the replica's owner to act on. */
export type RibJournalErrorCode =
  /** Not a chunk of this format: too short, wrong magic or version, or a length that disagrees with its size. */
  | 'format'
  /** The records' checksum does not match: the chunk was damaged. Nothing was applied. */
  | 'checksum'
  /** Not the chunk that comes next in this stream (one lost, repeated or reordered). Nothing was applied. */
  | 'sequence'
  /** A record that does not parse, or names a neighbor or attribute set the stream never introduced. */
  | 'corrupt'
  /** The replica's RIB did not do what the primary's did (a call threw on one side only, snapshot totals differ). */
  | 'diverged'
  /** An earlier chunk failed halfway: this replica can no longer follow (start again on a fresh RIB). */
  | 'failed';

export class RibJournalError extends Error {
  constructor(
    readonly code: RibJournalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RibJournalError';
  }
}

export interface RibJournalOptions {
  /** Bytes of records after which a chunk is shipped (default JOURNAL_CHUNK_BYTES). */
  chunkBytes?: number;
  /**
   * 'new-sets' (default): an attribute set's bytes are shipped when it is stored, a retain of its id afterwards.
   * 'every-intern': its bytes on every intern (bigger chunks, more work for the replica; for measurements).
   */
  internBytes?: 'new-sets' | 'every-intern';
  /**
   * A listener that throws is unsubscribed (its stream now has a gap) and its error handed here; the others still
   * get the chunk and the writer call that shipped it completes. Default: the error is rethrown from a microtask.
   */
  onListenerError?: (error: unknown) => void;
  /**
   * Called when a record starts a new chunk: something is pending that flush() would ship. The daemon schedules
   * one flush() from here (setImmediate), so records leave within a turn of the event loop and an idle journal
   * costs no timer.
   */
  onPending?: () => void;
}

interface Subscriber {
  readonly listener: (chunk: ArrayBuffer) => void;
  /** The sequence number of its next chunk. */
  seq: number;
  /** Unsubscribed (or dropped for throwing): gets nothing more. */
  gone: boolean;
}

/**
 * The primary's RibWriter, recorded: forwards every call to the Rib it wraps (createRib()'s writer) and, while at
 * least one subscriber exists, appends the call to the chunk being filled. The daemon calls flush() after each
 * batch of work (a socket read, a setImmediate turn): cheap when nothing is pending.
 *
 *   const journal = new RibJournal(writer);        // give the journal to the session layer as its RibWriter
 *   const stop = journal.subscribe((chunk) => port.postMessage(chunk, [chunk]));
 *   ...
 *   journal.flush();
 *
 * With no subscriber a call costs the forwarding call and one test. Hot path when subscribed (bench/journal.ts):
 * no allocation per call; one ArrayBuffer per chunk and subscriber.
 */
export class RibJournal implements RibWriter {
  private readonly rib: Rib;
  private readonly chunkBytes: number;
  private readonly everyIntern: boolean;
  private readonly onListenerError: ((error: unknown) => void) | undefined;
  private readonly onPending: (() => void) | undefined;

  /** The chunk being filled: header, then records up to pos. */
  private buf: Uint8Array;
  private pos = HEADER_BYTES;
  /** The Announce or Withdraw record still open to more rows (0: none), whose count sits at openCountAt. */
  private openOp = 0;
  private openNeighbor = -1;
  private openAttr = -1;
  private openCountAt = 0;
  private openCount = 0;

  /** Present subscribers (replaced, never changed in place: a listener may unsubscribe while chunks go out). */
  private subs: Subscriber[] = [];
  /** Where the next chunk goes: the subscribers, or the newcomer alone while its snapshot is written. */
  private targets: Subscriber[] = [];

  /** Chunks shipped (once per chunk, however many subscribers got a copy) and their bytes. */
  chunksShipped = 0;
  bytesShipped = 0;

  constructor(writer: RibWriter, options: RibJournalOptions = {}) {
    if (!(writer instanceof Rib)) throw new TypeError('RibJournal wraps a RIB made by createRib() (its writer)');
    this.rib = writer;
    this.chunkBytes = Math.max(1024, options.chunkBytes ?? JOURNAL_CHUNK_BYTES);
    this.everyIntern = options.internBytes === 'every-intern';
    this.onListenerError = options.onListenerError;
    this.onPending = options.onPending;
    this.buf = new Uint8Array(this.chunkBytes);
  }

  /** Subscribers present. */
  get subscriberCount(): number {
    return this.subs.length;
  }

  /**
   * Adds a subscriber. Records still pending go to the present subscribers first; then this one gets, in chunks
   * of its own, the snapshot (the records that rebuild the RIB as it stands: neighbors and their session state,
   * the attribute sets in use, every route of every neighbor with its path id and stale mark, both families),
   * synchronously before subscribe returns; then the live stream with everyone else. Returns the unsubscribe
   * function. The snapshot of a full table takes a few hundred milliseconds (bench/journal.ts).
   */
  subscribe(listener: (chunk: ArrayBuffer) => void): () => void {
    this.flush();
    const sub: Subscriber = { listener, seq: 0, gone: false };
    this.targets = [sub];
    try {
      this.writeSnapshot();
      this.flush();
    } finally {
      this.pos = HEADER_BYTES;
      this.openOp = 0;
      this.targets = this.subs;
    }
    if (sub.gone) return () => {}; // its listener threw during the snapshot
    this.subs = [...this.subs, sub];
    this.targets = this.subs;
    return () => this.unsubscribe(sub);
  }

  /** Ships the records pending, if any, to every subscriber. Cheap when nothing is pending. */
  flush(): void {
    if (this.pos !== HEADER_BYTES) this.ship(FLAG_FLUSHED);
  }

  // ---------------------------------------------------------------- RibWriter: forward, then record

  addNeighbor(info: { address: string; remoteAs: number; localAs: number; routerId: number; ibgp?: boolean }): number {
    const id = this.rib.addNeighbor(info);
    if (this.subs.length !== 0) this.recordAddNeighbor(id, info);
    return id;
  }

  removeNeighbor(id: number): number {
    if (this.subs.length === 0) return this.rib.removeNeighbor(id);
    let removed: number;
    try {
      removed = this.rib.removeNeighbor(id);
    } catch (err) {
      this.recordNeighborOp(Op.RemoveNeighbor | THREW, wireNeighbor(id));
      throw err;
    }
    this.recordNeighborOp(Op.RemoveNeighbor, id);
    return removed;
  }

  setSessionUp(id: number, up: boolean): void {
    if (this.subs.length === 0) return this.rib.setSessionUp(id, up);
    try {
      this.rib.setSessionUp(id, up);
    } catch (err) {
      this.recordSessionUp(wireNeighbor(id), up, THREW);
      throw err;
    }
    this.recordSessionUp(id, up, 0);
  }

  intern(attrs: PathAttributes): number {
    const id = this.rib.intern(attrs);
    if (this.subs.length !== 0) {
      // A count of 1 after intern: the set was stored just now (an existing one had references already).
      if (this.everyIntern || this.rib.attributes.refs[id] === 1) this.recordIntern(id);
      else this.recordSetOp(Op.Retain, id);
    }
    return id;
  }

  retain(attrId: number): void {
    this.setOp(Op.Retain, attrId);
  }

  release(attrId: number): void {
    this.setOp(Op.Release, attrId);
  }

  /** retain or release: forwarded, then recorded (as a call that threw when it did). */
  private setOp(op: Op.Retain | Op.Release, attrId: number): void {
    if (this.subs.length === 0) {
      if (op === Op.Retain) this.rib.retain(attrId);
      else this.rib.release(attrId);
      return;
    }
    try {
      if (op === Op.Retain) this.rib.retain(attrId);
      else this.rib.release(attrId);
    } catch (err) {
      this.recordSetOp(op | THREW, wireSet(attrId));
      throw err;
    }
    this.recordSetOp(op, attrId);
  }

  announce(id: number, afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number, attrId: number): void {
    if (this.subs.length === 0) return this.rib.announce(id, afi, pathId, a, b, c, d, length, attrId);
    try {
      this.rib.announce(id, afi, pathId, a, b, c, d, length, attrId);
    } catch (err) {
      this.beginThrewRows(Op.Announce, wireNeighbor(id), wireSet(attrId), 1);
      this.row(afi, pathId, a, b, c, d, length);
      throw err;
    }
    this.openRows(Op.Announce, id, attrId);
    this.row(afi, pathId, a, b, c, d, length);
    this.openCount++;
  }

  announceRows(id: number, rows: Int32Array, count: number, attrId: number): void {
    if (this.subs.length === 0) return this.rib.announceRows(id, rows, count, attrId);
    try {
      this.rib.announceRows(id, rows, count, attrId);
    } catch (err) {
      this.beginThrewRows(Op.Announce, wireNeighbor(id), wireSet(attrId), count);
      for (let i = 0, o = 0; i < count; i++, o += ROW) {
        this.row(rows[o]!, rows[o + 1]!, rows[o + 2]!, rows[o + 3]!, rows[o + 4]!, rows[o + 5]!, rows[o + 6]!);
      }
      throw err;
    }
    for (let i = 0, o = 0; i < count; i++, o += ROW) {
      this.openRows(Op.Announce, id, attrId);
      this.row(rows[o]!, rows[o + 1]!, rows[o + 2]!, rows[o + 3]!, rows[o + 4]!, rows[o + 5]!, rows[o + 6]!);
      this.openCount++;
    }
  }

  withdraw(id: number, afi: Afi, pathId: number, a: number, b: number, c: number, d: number, length: number): boolean {
    if (this.subs.length === 0) return this.rib.withdraw(id, afi, pathId, a, b, c, d, length);
    let withdrawn: boolean;
    try {
      withdrawn = this.rib.withdraw(id, afi, pathId, a, b, c, d, length);
    } catch (err) {
      this.beginThrewRows(Op.Withdraw, wireNeighbor(id), -1, 1);
      this.row(afi, pathId, a, b, c, d, length);
      throw err;
    }
    // A withdrawal of a route the RIB does not hold changed nothing: nothing to ship.
    if (withdrawn) {
      this.openRows(Op.Withdraw, id, -1);
      this.row(afi, pathId, a, b, c, d, length);
      this.openCount++;
    }
    return withdrawn;
  }

  markStale(id: number, afi?: Afi): number {
    return this.staleOp(Op.MarkStale, id, afi);
  }

  sweepStale(id: number, afi?: Afi): number {
    return this.staleOp(Op.SweepStale, id, afi);
  }

  prefixCount(id: number, afi: Afi): number {
    return this.rib.prefixCount(id, afi);
  }

  // ---------------------------------------------------------------- records

  private staleOp(op: Op.MarkStale | Op.SweepStale, id: number, afi: Afi | undefined): number {
    const rib = this.rib;
    if (this.subs.length === 0) return op === Op.MarkStale ? rib.markStale(id, afi) : rib.sweepStale(id, afi);
    let n: number;
    try {
      n = op === Op.MarkStale ? rib.markStale(id, afi) : rib.sweepStale(id, afi);
    } catch (err) {
      this.recordStaleOp(op | THREW, wireNeighbor(id), afi);
      throw err;
    }
    if (n !== 0) this.recordStaleOp(op, id, afi); // no route marked or swept: nothing changed
    return n;
  }

  private recordStaleOp(op: number, id: number, afi: Afi | undefined): void {
    this.begin(op, 4);
    this.u16(id);
    this.u8(afi === undefined ? 0 : afi === Afi.IPv6 ? 2 : 1);
  }

  private recordAddNeighbor(id: number, info: NeighborConfig | NeighborInfo): void {
    const address = TEXT.encode(info.address);
    const name = 'name' in info && typeof info.name === 'string' ? TEXT.encode(info.name) : null;
    if (address.length > 0xffff || (name !== null && name.length > 0xffff)) throw new RangeError('neighbor address or name too long to journal');
    this.begin(Op.AddNeighbor, 1 + 2 + 12 + 1 + 2 + address.length + 2 + (name?.length ?? 0));
    this.u16(id);
    this.u32(info.remoteAs);
    this.u32(info.localAs);
    this.u32(info.routerId);
    this.u8((info.ibgp === undefined ? 0 : info.ibgp ? 3 : 1) | (name !== null ? 4 : 0));
    this.bytes(address);
    if (name !== null) this.bytes(name);
  }

  private recordNeighborOp(op: number, id: number): void {
    this.begin(op, 3);
    this.u16(id);
  }

  private recordSessionUp(id: number, up: boolean, threw: number): void {
    this.begin(Op.SessionUp | threw, 4);
    this.u16(id);
    this.u8(up ? 1 : 0);
  }

  private recordIntern(id: number): void {
    const store = this.rib.attributes;
    const length = store.encodedLength(id);
    this.begin(Op.Intern, 9 + length);
    this.u32(id);
    this.u32(length);
    store.copyEncoded(id, this.buf, this.pos);
    this.pos += length;
  }

  private recordSetOp(op: number, id: number): void {
    this.begin(op, 5);
    this.u32(id);
  }

  /** Makes the open record one of `op` rows for (neighbor, set) with room for one more row. */
  private openRows(op: Op.Announce | Op.Withdraw, neighbor: number, attrId: number): void {
    if (this.openOp === op && this.openNeighbor === neighbor && this.openAttr === attrId && this.pos + MAX_ROW_BYTES <= this.chunkBytes) return;
    this.begin(op, ROWS_HEADER_BYTES + MAX_ROW_BYTES);
    this.u16(neighbor);
    if (op === Op.Announce) this.u32(attrId);
    this.openOp = op;
    this.openNeighbor = neighbor;
    this.openAttr = attrId;
    this.openCountAt = this.pos;
    this.openCount = 0;
    this.pos += 4;
  }

  /** A record of `count` rows of a call that threw on the primary: one record, however big (the rows follow). */
  private beginThrewRows(op: Op.Announce | Op.Withdraw, neighbor: number, attrId: number, count: number): void {
    this.begin(op | THREW, ROWS_HEADER_BYTES + count * MAX_ROW_BYTES);
    this.u16(neighbor);
    if (op === Op.Announce) this.u32(attrId);
    this.u32(count);
  }

  /** One row (see the format above). Room was made by the caller. Hot path when subscribed: no allocation. */
  private row(afi: number, pathId: number, a: number, b: number, c: number, d: number, length: number): void {
    const buf = this.buf;
    let p = this.pos;
    const v6 = afi === Afi.IPv6;
    let flags = v6 ? ROW_IPV6 : 0;
    if (pathId !== 0) flags |= ROW_PATH_ID;
    if (!(length >= 0 && length <= (v6 ? 128 : 32))) {
      // The primary refused the row: what it refused is all the replica needs to refuse it too.
      buf[p] = flags;
      buf[p + 1] = BAD_LENGTH;
      p += 2;
    } else {
      const n = (length + 7) >>> 3;
      if (v6 ? spills6(a, b, c, d, n) : n < 4 && a << (n << 3) !== 0) {
        // Bits set past the prefix's bytes (the RIB's callers clear them; this one did not): all the words.
        flags |= ROW_FULL_WORDS;
        buf[p] = flags;
        buf[p + 1] = length;
        p = putWord(buf, p + 2, a);
        if (v6) p = putWord(buf, putWord(buf, putWord(buf, p, b), c), d);
      } else {
        buf[p] = flags;
        buf[p + 1] = length;
        p += 2;
        if (!v6) {
          if (n > 0) buf[p] = a >>> 24;
          if (n > 1) buf[p + 1] = a >>> 16;
          if (n > 2) buf[p + 2] = a >>> 8;
          if (n > 3) buf[p + 3] = a;
        } else {
          for (let i = 0; i < n; i++) {
            const w = i < 4 ? a : i < 8 ? b : i < 12 ? c : d;
            buf[p + i] = w >>> (24 - ((i & 3) << 3));
          }
        }
        p += n;
      }
    }
    if (pathId !== 0) {
      buf[p] = pathId;
      buf[p + 1] = pathId >>> 8;
      buf[p + 2] = pathId >>> 16;
      buf[p + 3] = pathId >>> 24;
      p += 4;
    }
    this.pos = p;
  }

  // ---------------------------------------------------------------- the snapshot

  /**
   * The records that rebuild the RIB as it stands on an empty one: neighbors (one that the RIB finds by an address
   * several have is added after the others), their session state, the attribute sets in use, the routes (see
   * snapshotRoutes), then the references to sets held outside routes (normally none: the snapshot's own go back).
   */
  private writeSnapshot(): void {
    const rib = this.rib;
    this.begin(Op.SnapshotBegin, 1);
    const neighbors = rib.neighbors();
    const owner = (n: NeighborInfo): boolean => rib.neighborIdOf(n.address) === n.id;
    for (const n of [...neighbors.filter((n) => !owner(n)), ...neighbors.filter(owner)]) {
      this.recordAddNeighbor(n.id, n);
      if (n.up) this.recordSessionUp(n.id, true, 0);
    }
    const store = rib.attributes;
    const setLimit = store.idLimit;
    let sets = 0;
    for (let id = 0; id < setLimit; id++) {
      if (store.refs[id]! > 0) {
        this.recordIntern(id);
        sets++;
      }
    }
    const routeRefs = new Int32Array(setLimit);
    for (const afi of [Afi.IPv4, Afi.IPv6]) this.snapshotRoutes(afi, neighbors, routeRefs);
    for (let id = 0; id < setLimit; id++) {
      const refs = store.refs[id]!;
      if (refs <= 0) continue;
      const held = refs - routeRefs[id]!;
      if (held < 0) throw new Error(`attribute set ${id}: ${routeRefs[id]} routes but ${refs} references`);
      if (held === 0) this.recordSetOp(Op.Release, id);
      for (let k = 1; k < held; k++) this.recordSetOp(Op.Retain, id);
    }
    let routes4 = 0;
    let routes6 = 0;
    for (const n of neighbors) {
      routes4 += n.routes[0];
      routes6 += n.routes[1];
    }
    this.begin(Op.SnapshotEnd, 17);
    this.u32(neighbors.length);
    this.u32(sets);
    this.u32(routes4);
    this.u32(routes6);
  }

  /**
   * The routes of one family, neighbor by neighbor (so that a neighbor's routes under one set share records): each
   * neighbor's stale routes, then markStale of the family if there were any, then its other routes. One walk over
   * the table sorts (prefix, route) pairs into a bucket per neighbor, the fresh ones from the bucket's start and the
   * stale ones from its end (a neighbor's route count is known, so the buckets are sized exactly). Counts the
   * routes' references to each set in routeRefs.
   */
  private snapshotRoutes(afi: Afi, neighbors: readonly NeighborInfo[], routeRefs: Int32Array): void {
    const rib = this.rib;
    const f = afi === Afi.IPv6 ? 1 : 0;
    let idLimit = 0;
    for (const n of neighbors) idLimit = Math.max(idLimit, n.id + 1);
    const start = new Int32Array(idLimit + 1);
    for (const n of neighbors) start[n.id + 1] = n.routes[f];
    for (let i = 0; i < idLimit; i++) start[i + 1]! += start[i]!;
    const fresh = start.slice(0, idLimit);
    const stale = start.slice(1);
    const pairs = new Int32Array(2 * start[idLimit]!);
    const routeNeighbor = rib.routeNeighbor;
    rib.forEachRouteRow(afi, (p, r) => {
      const mark = routeNeighbor[r]!;
      const k = (mark & ROUTE_STALE) === 0 ? fresh[mark]!++ : --stale[mark & ROUTE_NEIGHBOR_MASK]!;
      pairs[2 * k] = p;
      pairs[2 * k + 1] = r;
    });
    for (const n of neighbors) {
      const id = n.id;
      const end = start[id + 1]!;
      if (fresh[id] !== stale[id]) throw new Error(`neighbor ${id}: ${n.routes[f]} routes counted, ${fresh[id]! - start[id]! + end - stale[id]!} found`);
      if (stale[id]! < end) {
        this.snapshotRows(afi, id, pairs, stale[id]!, end, routeRefs);
        this.recordStaleOp(Op.MarkStale, id, afi);
      }
      this.snapshotRows(afi, id, pairs, start[id]!, fresh[id]!, routeRefs);
    }
  }

  /** Announce records for the routes pairs[2 * from ..] to pairs[2 * to] (prefix id, route id) of one neighbor. */
  private snapshotRows(afi: Afi, neighbor: number, pairs: Int32Array, from: number, to: number, routeRefs: Int32Array): void {
    const rib = this.rib;
    const table = rib.table(afi);
    const words = table.words;
    const lengths = table.lengths;
    const routeAttr = rib.routeAttr;
    if (afi === Afi.IPv4) {
      for (let k = from; k < to; k++) {
        const p = pairs[2 * k]!;
        const r = pairs[2 * k + 1]!;
        const attrId = routeAttr[r]!;
        routeRefs[attrId]!++;
        this.openRows(Op.Announce, neighbor, attrId);
        this.row(Afi.IPv4, rib.pathIdOf(r), words[p]!, 0, 0, 0, lengths[p]!);
        this.openCount++;
      }
    } else {
      for (let k = from; k < to; k++) {
        const p = pairs[2 * k]!;
        const r = pairs[2 * k + 1]!;
        const attrId = routeAttr[r]!;
        routeRefs[attrId]!++;
        this.openRows(Op.Announce, neighbor, attrId);
        const o = 4 * p;
        this.row(Afi.IPv6, rib.pathIdOf(r), words[o]!, words[o + 1]!, words[o + 2]!, words[o + 3]!, lengths[p]!);
        this.openCount++;
      }
    }
  }

  // ---------------------------------------------------------------- the chunk

  /** Closes the open rows record and makes room for a record of up to `bytes` bytes, starting with `op`. */
  private begin(op: number, bytes: number): void {
    if (this.openOp !== 0) this.closeRows();
    if (this.pos + bytes > this.chunkBytes) {
      if (this.pos !== HEADER_BYTES) this.ship(0);
      // A record bigger than a chunk (a huge attribute set, a big call that threw) gets a chunk of its own.
      if (HEADER_BYTES + bytes > this.buf.length) this.buf = new Uint8Array(HEADER_BYTES + bytes);
    }
    if (this.pos === HEADER_BYTES) this.onPending?.();
    this.buf[this.pos++] = op;
  }

  private closeRows(): void {
    putWord32(this.buf, this.openCountAt, this.openCount);
    this.openOp = 0;
  }

  /** Seals the chunk and hands a copy to each target, numbered in its own stream. */
  private ship(flags: number): void {
    if (this.openOp !== 0) this.closeRows();
    const buf = this.buf;
    const end = this.pos;
    buf[0] = MAGIC_0;
    buf[1] = MAGIC_1;
    buf[2] = FORMAT_VERSION;
    buf[3] = flags;
    putWord32(buf, 8, end - HEADER_BYTES);
    putWord32(buf, 12, checksum(buf, HEADER_BYTES, end));
    const targets = this.targets;
    // Copies first, then the listeners: one that writes to the journal again finds an empty chunk.
    const copies: Uint8Array[] = [];
    for (const sub of targets) {
      const copy = buf.slice(0, end);
      if (!sub.gone) putWord32(copy, 4, sub.seq++);
      copies.push(copy);
    }
    this.pos = HEADER_BYTES;
    if (this.buf.length > this.chunkBytes) this.buf = new Uint8Array(this.chunkBytes);
    this.chunksShipped++;
    this.bytesShipped += end;
    for (let i = 0; i < targets.length; i++) {
      const sub = targets[i]!;
      if (sub.gone) continue;
      try {
        sub.listener(copies[i]!.buffer as ArrayBuffer);
      } catch (err) {
        this.unsubscribe(sub);
        const report = this.onListenerError;
        if (report) report(err);
        else
          queueMicrotask(() => {
            throw err;
          });
      }
    }
  }

  private unsubscribe(sub: Subscriber): void {
    if (sub.gone) return;
    sub.gone = true;
    const shippingToAll = this.targets === this.subs;
    this.subs = this.subs.filter((s) => s !== sub);
    if (!shippingToAll) return; // a newcomer's snapshot is being written: it keeps the chunk
    this.targets = this.subs;
    if (this.subs.length === 0) {
      // Nobody left to ship to: what is pending goes.
      this.pos = HEADER_BYTES;
      this.openOp = 0;
    }
  }

  private u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  private u16(v: number): void {
    const p = this.pos;
    this.buf[p] = v;
    this.buf[p + 1] = v >>> 8;
    this.pos = p + 2;
  }

  private u32(v: number): void {
    putWord32(this.buf, this.pos, v);
    this.pos += 4;
  }

  /** A u16 length, then the bytes. */
  private bytes(b: Uint8Array): void {
    this.u16(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/**
 * A neighbor id as a record of a call that threw carries it: one the primary may have refused for not being an id
 * at all becomes 0xffff, which no neighbor has (MAX_NEIGHBORS), rather than some other neighbor's id mod 2^16.
 */
function wireNeighbor(id: number): number {
  return Number.isInteger(id) && id >= 0 && id < MAX_NEIGHBORS ? id : 0xffff;
}

/** An attribute set id likewise: 0xffffffff for what cannot be one. */
function wireSet(id: number): number {
  return Number.isInteger(id) && id >= 0 && id < 0x7fffffff ? id : 0xffffffff;
}

/** Whether an IPv6 prefix has bits set past its first n bytes. */
function spills6(a: number, b: number, c: number, d: number, n: number): boolean {
  const bits = n << 3;
  return spillsWord(a, bits) || spillsWord(b, bits - 32) || spillsWord(c, bits - 64) || spillsWord(d, bits - 96);
}

/** Whether word w has bits set at or past bit `from` of its own (0 = most significant; <= 0: any, >= 32: none). */
function spillsWord(w: number, from: number): boolean {
  if (from >= 32) return false;
  if (from <= 0) return w !== 0;
  return w << from !== 0;
}

/** The word big-endian at buf[p..p+4); returns p + 4. */
function putWord(buf: Uint8Array, p: number, w: number): number {
  buf[p] = w >>> 24;
  buf[p + 1] = w >>> 16;
  buf[p + 2] = w >>> 8;
  buf[p + 3] = w;
  return p + 4;
}

/** The uint32 little-endian at buf[p..p+4). */
function putWord32(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v;
  buf[p + 1] = v >>> 8;
  buf[p + 2] = v >>> 16;
  buf[p + 3] = v >>> 24;
}

function getWord32(buf: Uint8Array, p: number): number {
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

/**
 * A 32-bit checksum of buf[start, end): murmur3's mixing over little-endian 32-bit words. Catches damage, not
 * malice. About 20 µs a 64 KiB chunk.
 */
export function checksum(buf: Uint8Array, start: number, end: number): number {
  let h = 0x5bd1e995 ^ (end - start);
  const whole = (end - start) >>> 2;
  const at = buf.byteOffset + start;
  if (LITTLE_ENDIAN && (at & 3) === 0) {
    const words = new Int32Array(buf.buffer, at, whole);
    for (let i = 0; i < whole; i++) h = mixWord(h, words[i]!);
  } else {
    for (let i = 0, p = start; i < whole; i++, p += 4) h = mixWord(h, buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24));
  }
  let tail = 0;
  for (let p = start + whole * 4, shift = 0; p < end; p++, shift += 8) tail |= buf[p]! << shift;
  h = mixWord(h, tail);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * Applies a RibJournal's chunks, in their order, to another RIB's writer (a fresh createRib() in a worker): its
 * reader then answers every lookup as the primary's does (same matched prefix, scope, best path and attributes,
 * same neighbors, counts and stale marks). The first chunk must be the first of a subscription (it opens the
 * snapshot); `synced` turns true once the snapshot is in. A chunk that is damaged, out of order or not of this
 * format throws a RibJournalError before anything of it is applied (a good copy may still follow); one that fails
 * halfway leaves the replica unusable (RibJournalError 'failed' from then on): start again on a fresh RIB.
 */
export class RibReplica {
  /** The replica's neighbor id by the primary's (-1: none). */
  private readonly neighborIds = new Int32Array(MAX_NEIGHBORS * 2).fill(-1);
  /** The replica's attribute set id by the primary's (-1: none). */
  private attrIds = new Int32Array(1024).fill(-1);
  private rows = new Int32Array(ROW * 512);
  private seq = 0;
  private started = false;
  private failure: RibJournalError | null = null;
  private parseError: RibJournalError | null = null;
  /** The chunk being applied and the read position in it. */
  private b: Uint8Array = new Uint8Array(0);
  private p = 0;
  private end = 0;

  /** True once the snapshot has been applied: from then on the RIB answers as the primary did at that chunk. */
  synced = false;
  /**
   * Whether the last chunk ended at the primary's flush(), i.e. at a state its readers could see. False after a
   * chunk that filled up in the middle of a batch of work (the RIB may then hold half an UPDATE until the next one).
   */
  settled = false;
  /** Chunks, bytes and records applied. */
  chunks = 0;
  bytes = 0;
  records = 0;

  constructor(private readonly target: RibWriter) {}

  apply(chunk: ArrayBuffer | Uint8Array): void {
    if (this.failure !== null) {
      throw new RibJournalError('failed', `replica failed earlier (${this.failure.message}); start again on a fresh RIB`, { cause: this.failure });
    }
    const b = chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk);
    if (b.length < HEADER_BYTES || b[0] !== MAGIC_0 || b[1] !== MAGIC_1) throw new RibJournalError('format', 'not a RIB journal chunk');
    if (b[2] !== FORMAT_VERSION) throw new RibJournalError('format', `journal format ${b[2]}, this replica reads ${FORMAT_VERSION}`);
    if ((b[3]! & ~FLAG_FLUSHED) !== 0) throw new RibJournalError('format', `unknown chunk flags ${b[3]}`);
    const length = getWord32(b, 8);
    if (length !== b.length - HEADER_BYTES) throw new RibJournalError('format', `chunk of ${b.length} bytes says ${length} bytes of records follow its header`);
    if (checksum(b, HEADER_BYTES, b.length) !== getWord32(b, 12)) throw new RibJournalError('checksum', 'chunk checksum does not match: damaged');
    const seq = getWord32(b, 4);
    if (seq !== this.seq) throw new RibJournalError('sequence', `chunk ${seq} where ${this.seq} comes next`);
    this.b = b;
    this.p = HEADER_BYTES;
    this.end = b.length;
    try {
      while (this.p < this.end) {
        this.record();
        this.records++;
      }
    } catch (err) {
      const failure =
        err instanceof RibJournalError ? err : new RibJournalError('diverged', `replica RIB refused a call the primary made: ${String(err)}`, { cause: err });
      this.failure = failure;
      throw failure;
    } finally {
      this.b = new Uint8Array(0);
    }
    this.seq++;
    this.chunks++;
    this.bytes += b.length;
    this.settled = (b[3]! & FLAG_FLUSHED) !== 0;
  }

  private record(): void {
    const op = this.u8();
    const kind = op & ~THREW;
    if (kind < Op.SnapshotBegin || kind > LAST_OP) throw this.corrupt(`unknown record ${op}`);
    if (!this.started && kind !== Op.SnapshotBegin) throw this.corrupt('the stream does not start with a snapshot');
    if ((op & THREW) === 0) {
      this.applyRecord(kind);
      return;
    }
    try {
      this.applyRecord(kind);
    } catch (err) {
      if (err === this.parseError) throw err;
      return; // threw as on the primary, after doing what the primary's did
    }
    throw new RibJournalError('diverged', `record ${kind} threw on the primary but not on the replica`);
  }

  /** Parses one record, then makes its call(s): every field is read before an id is mapped or the target called. */
  private applyRecord(kind: number): void {
    const target = this.target;
    switch (kind) {
      case Op.SnapshotBegin:
        if (this.started) throw this.corrupt('a second snapshot in one stream');
        this.started = true;
        return;
      case Op.SnapshotEnd: {
        const neighbors = this.u32();
        this.u32(); // attribute sets: not visible through a RibWriter
        const routes4 = this.u32();
        const routes6 = this.u32();
        this.checkTotals(neighbors, routes4, routes6);
        this.synced = true;
        return;
      }
      case Op.AddNeighbor: {
        const id = this.u16();
        const remoteAs = this.u32();
        const localAs = this.u32();
        const routerId = this.u32();
        const flags = this.u8();
        const address = this.text();
        const name = (flags & 4) !== 0 ? this.text() : undefined;
        const info: NeighborConfig = { address, remoteAs, localAs, routerId };
        if ((flags & 1) !== 0) info.ibgp = (flags & 2) !== 0;
        if (name !== undefined) info.name = name;
        if (this.neighborIds[id]! >= 0) throw this.corrupt(`neighbor ${id} added again before it was removed`);
        this.neighborIds[id] = target.addNeighbor(info);
        return;
      }
      case Op.RemoveNeighbor: {
        const at = this.u16();
        const id = this.neighbor(at);
        this.neighborIds[at] = -1;
        target.removeNeighbor(id);
        return;
      }
      case Op.SessionUp: {
        const at = this.u16();
        const up = this.u8() !== 0;
        target.setSessionUp(this.neighbor(at), up);
        return;
      }
      case Op.Intern: {
        const id = this.u32();
        const length = this.u32();
        this.need(length);
        let attrs: PathAttributes;
        try {
          attrs = decodeAttributeSet(this.b, this.p, length);
        } catch (err) {
          throw this.corrupt(`attribute set ${id}: ${(err as Error).message}`);
        }
        this.p += length;
        if (id >= this.attrIds.length) this.growAttrIds(id);
        this.attrIds[id] = target.intern(attrs);
        return;
      }
      case Op.Retain:
        target.retain(this.attr(this.u32()));
        return;
      case Op.Release:
        target.release(this.attr(this.u32()));
        return;
      case Op.Announce: {
        const at = this.u16();
        const attrAt = this.u32();
        const count = this.readRows();
        target.announceRows(this.neighbor(at), this.rows, count, this.attr(attrAt));
        return;
      }
      case Op.Withdraw: {
        const at = this.u16();
        const count = this.readRows();
        const id = this.neighbor(at);
        const rows = this.rows;
        for (let i = 0, o = 0; i < count; i++, o += ROW) {
          target.withdraw(id, rows[o]! as Afi, rows[o + 1]!, rows[o + 2]!, rows[o + 3]!, rows[o + 4]!, rows[o + 5]!, rows[o + 6]!);
        }
        return;
      }
      case Op.MarkStale:
      case Op.SweepStale: {
        const at = this.u16();
        const family = this.u8();
        if (family > 2) throw this.corrupt(`address family ${family}`);
        const id = this.neighbor(at);
        const afi = family === 0 ? undefined : family === 2 ? Afi.IPv6 : Afi.IPv4;
        if (kind === Op.MarkStale) target.markStale(id, afi);
        else target.sweepStale(id, afi);
        return;
      }
    }
  }

  /** Reads a count and that many rows into this.rows (afi, pathId, a, b, c, d, length each); returns the count. */
  private readRows(): number {
    const count = this.u32();
    if (count * 2 > this.end - this.p) throw this.corrupt(`${count} rows in ${this.end - this.p} bytes`);
    if (count * ROW > this.rows.length) this.rows = new Int32Array(Math.max(count * ROW, this.rows.length * 2));
    const rows = this.rows;
    const buf = this.b;
    for (let i = 0, o = 0; i < count; i++, o += ROW) {
      this.need(2);
      let p = this.p;
      const flags = buf[p]!;
      const length = buf[p + 1]!;
      p += 2;
      if (flags > 7) throw this.corrupt(`row flags ${flags}`);
      const v6 = (flags & ROW_IPV6) !== 0;
      let a = 0;
      let b = 0;
      let c = 0;
      let d = 0;
      if ((flags & ROW_FULL_WORDS) !== 0) {
        this.p = p;
        this.need(v6 ? 16 : 4);
        a = getWordBe(buf, p);
        if (v6) {
          b = getWordBe(buf, p + 4);
          c = getWordBe(buf, p + 8);
          d = getWordBe(buf, p + 12);
        }
        p += v6 ? 16 : 4;
      } else if (length !== BAD_LENGTH) {
        if (length > (v6 ? 128 : 32)) throw this.corrupt(`prefix length ${length}`);
        const n = (length + 7) >>> 3;
        this.p = p;
        this.need(n);
        for (let k = 0; k < n; k++) {
          const v = buf[p + k]! << (24 - ((k & 3) << 3));
          if (k < 4) a |= v;
          else if (k < 8) b |= v;
          else if (k < 12) c |= v;
          else d |= v;
        }
        p += n;
      }
      let pathId = 0;
      if ((flags & ROW_PATH_ID) !== 0) {
        this.p = p;
        this.need(4);
        pathId = getWord32(buf, p) | 0;
        p += 4;
      }
      this.p = p;
      rows[o] = v6 ? Afi.IPv6 : Afi.IPv4;
      rows[o + 1] = pathId;
      rows[o + 2] = a;
      rows[o + 3] = b;
      rows[o + 4] = c;
      rows[o + 5] = d;
      rows[o + 6] = length;
    }
    return count;
  }

  /** The end of the snapshot: the replica holds as many neighbors and routes as the primary did. */
  private checkTotals(neighbors: number, routes4: number, routes6: number): void {
    let have = 0;
    let have4 = 0;
    let have6 = 0;
    for (let i = 0; i < this.neighborIds.length; i++) {
      const id = this.neighborIds[i]!;
      if (id < 0) continue;
      have++;
      have4 += this.target.prefixCount(id, Afi.IPv4);
      have6 += this.target.prefixCount(id, Afi.IPv6);
    }
    if (have !== neighbors || have4 !== routes4 || have6 !== routes6) {
      throw new RibJournalError(
        'diverged',
        `after the snapshot the replica holds ${have} neighbors, ${have4} + ${have6} routes; the primary ${neighbors}, ${routes4} + ${routes6}`,
      );
    }
  }

  private neighbor(primaryId: number): number {
    const id = this.neighborIds[primaryId]!;
    if (id < 0) throw new RibJournalError('corrupt', `chunk ${this.seq}: neighbor ${primaryId} was never added`);
    return id;
  }

  private attr(primaryId: number): number {
    const id = primaryId < this.attrIds.length ? this.attrIds[primaryId]! : -1;
    if (id < 0) throw new RibJournalError('corrupt', `chunk ${this.seq}: attribute set ${primaryId} was never interned`);
    return id;
  }

  private growAttrIds(id: number): void {
    let size = this.attrIds.length * 2;
    while (size <= id) size *= 2;
    if (size > 1 << 28) throw this.corrupt(`attribute set id ${id}`);
    const next = new Int32Array(size).fill(-1);
    next.set(this.attrIds);
    this.attrIds = next;
  }

  /** A record that does not parse (kept: a record whose call threw on the primary must still parse). */
  private corrupt(what: string): RibJournalError {
    this.parseError = new RibJournalError('corrupt', `chunk ${this.seq}, byte ${this.p}: ${what}`);
    return this.parseError;
  }

  private need(n: number): void {
    if (this.p + n > this.end) throw this.corrupt(`record runs past the chunk's end (${n} bytes wanted, ${this.end - this.p} left)`);
  }

  private u8(): number {
    this.need(1);
    return this.b[this.p++]!;
  }

  private u16(): number {
    this.need(2);
    const p = this.p;
    this.p = p + 2;
    return this.b[p]! | (this.b[p + 1]! << 8);
  }

  private u32(): number {
    this.need(4);
    const v = getWord32(this.b, this.p);
    this.p += 4;
    return v;
  }

  private text(): string {
    const n = this.u16();
    this.need(n);
    try {
      return UTF8.decode(this.b.subarray(this.p, this.p + n));
    } catch {
      throw this.corrupt('text that is not UTF-8');
    } finally {
      this.p += n;
    }
  }
}

/** The big-endian word at buf[p..p+4), as int32. */
function getWordBe(buf: Uint8Array, p: number): number {
  return (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
}
