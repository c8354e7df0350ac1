import { AsPathSegment, AsPathSegmentType, BgpError, PathAttributes, UnknownAttribute } from '../bgp/index.js';
import type { ErrorAction } from '../bgp/index.js';

/** Bits of AttributeStore.flags: which optional attributes the decision reads are present in a set. */
export const enum AttrSetFlag {
  LocalPref = 1,
  Med = 2,
  OriginatorId = 4,
}

/**
 * Interned path-attribute sets: identical sets are stored once, refcounted, and freed when unused.
 *
 * Why this layout: a full table has ~100-165k distinct sets. As PathAttributes objects (AS path segment objects,
 * several typed arrays each) they would cost several hundred bytes apiece, so a set is kept as its canonical
 * byte encoding in one arena (Uint8Array) and decoded back to a PathAttributes only when someone asks
 * (explain, CLI, export). The few numbers the decision process compares are copied out into typed arrays
 * indexed by set id, so the best-path selection never decodes anything.
 * Identity: the hash of the canonical bytes, then a byte comparison; an open-addressing Int32Array finds the id.
 */
export class AttributeStore {
  // --- per set (indexed by set id) ---
  /** References held (routes + callers of intern that have not released). 0 = free id. */
  refs: Int32Array;
  /** AttrSetFlag bits. */
  flags: Uint8Array;
  localPref: Uint32Array;
  med: Uint32Array;
  /** AS_PATH length for the decision: AS_SET counts 1, confederation segments 0. */
  pathLength: Uint16Array;
  /** ORIGIN value; 3 when absent (worse than INCOMPLETE). */
  origin: Uint8Array;
  /** The neighbouring AS (leftmost AS of the first AS_SEQUENCE outside confederation segments), 0 if none. */
  neighborAs: Uint32Array;
  originatorId: Uint32Array;
  clusterListLength: Uint16Array;
  private offset: Int32Array;
  private byteLength: Int32Array;
  private setHash: Int32Array;
  private capacity: number;
  private freeIds: number[] = [];
  private highWater = 0;
  private live = 0;

  // --- arena ---
  private arena: Uint8Array;
  private arenaUsed = 0;
  private arenaDead = 0;

  // --- index ---
  private table: Int32Array;
  private tableMask: number;

  // --- encoder ---
  /** Write position of encode(), which writes a candidate set straight after the arena's last set. */
  private pos = 0;

  /** Sized for a full table up front (~256k sets, 16 MiB of arena); untouched pages cost no RSS. */
  constructor(initialSets = 1 << 18) {
    this.capacity = initialSets;
    this.refs = new Int32Array(initialSets);
    this.flags = new Uint8Array(initialSets);
    this.localPref = new Uint32Array(initialSets);
    this.med = new Uint32Array(initialSets);
    this.pathLength = new Uint16Array(initialSets);
    this.origin = new Uint8Array(initialSets);
    this.neighborAs = new Uint32Array(initialSets);
    this.originatorId = new Uint32Array(initialSets);
    this.clusterListLength = new Uint16Array(initialSets);
    this.offset = new Int32Array(initialSets);
    this.byteLength = new Int32Array(initialSets);
    this.setHash = new Int32Array(initialSets);
    this.arena = new Uint8Array(initialSets >= 1 << 16 ? 16 << 20 : 64 << 10);
    let size = 1024;
    while (size < initialSets) size *= 2;
    this.table = new Int32Array(size);
    this.tableMask = size - 1;
  }

  /** Distinct sets currently stored. */
  get size(): number {
    return this.live;
  }

  /** Bytes of the store's typed arrays in use (arena, index, per-set numbers). */
  get usedBytes(): number {
    return this.arenaUsed + this.table.byteLength + this.highWater * 38;
  }

  /** Bytes reserved by the store's typed arrays (arena, index and per-set numbers). */
  get bytes(): number {
    return this.arena.byteLength + this.table.byteLength + this.capacity * 38;
  }

  /**
   * Returns the id of the set equal to `attrs`, storing it if new, and takes one reference for the caller
   * (give it back with release()).
   */
  intern(attrs: PathAttributes): number {
    // Encoded in place at the end of the arena: a new set is then stored by moving arenaUsed, without a copy.
    const at = this.arenaUsed;
    this.encode(attrs);
    const len = this.pos - at;
    const h = hashBytes(this.arena, at, len);
    const mask = this.tableMask;
    let slot = h & mask;
    for (;;) {
      const e = this.table[slot]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.setHash[id] === h && this.byteLength[id] === len && this.sameBytes(id, at, len)) {
        this.refs[id]!++;
        return id;
      }
      slot = (slot + 1) & mask;
    }
    const id = this.allocId();
    this.offset[id] = at;
    this.byteLength[id] = len;
    this.arenaUsed += len;
    this.setHash[id] = h;
    this.refs[id] = 1;
    this.fillDecisionNumbers(id, attrs);
    this.table[slot] = id + 1;
    this.live++;
    if (this.live * 4 > mask * 3) this.growTable();
    return id;
  }

  /** Takes one more reference on set id. */
  addRef(id: number): void {
    this.refs[id]!++;
  }

  /** Gives back one reference; the set is freed when none is left. */
  release(id: number): void {
    const r = --this.refs[id]!;
    if (r > 0) return;
    if (r < 0) throw new Error(`attribute set ${id} released more often than referenced`);
    this.tableDelete(id);
    this.arenaDead += this.byteLength[id]!;
    this.byteLength[id] = 0;
    this.freeIds.push(id);
    this.live--;
    if (this.arenaDead > 1 << 20 && this.arenaDead * 2 > this.arenaUsed) this.compact();
  }

  /** Whether id names a stored set. */
  has(id: number): boolean {
    return id >= 0 && id < this.highWater && this.refs[id]! > 0;
  }

  /** Decodes set id back into a PathAttributes (a new object each call). */
  get(id: number): PathAttributes {
    if (!this.has(id)) throw new RangeError(`no attribute set ${id}`);
    return decode(this.arena, this.offset[id]!);
  }

  /** TEMPORARY (replaced by the arena reader): whether set id carries the community (uint32). */
  hasCommunity(id: number, community: number): boolean {
    const c = this.get(id).communities;
    return c !== null && c.includes(community >>> 0);
  }

  /** TEMPORARY (replaced by the arena reader): whether set id carries the large community. */
  hasLargeCommunity(id: number, global: number, local1: number, local2: number): boolean {
    const l = this.get(id).largeCommunities;
    if (l === null) return false;
    for (let i = 0; i + 2 < l.length; i += 3) if (l[i] === global >>> 0 && l[i + 1] === local1 >>> 0 && l[i + 2] === local2 >>> 0) return true;
    return false;
  }

  // ---------------------------------------------------------------- internals

  /** Whether set id's bytes equal the candidate encoded at arena[at, at + len). */
  private sameBytes(id: number, at: number, len: number): boolean {
    const a = this.arena;
    const o = this.offset[id]!;
    for (let i = 0; i < len; i++) if (a[o + i] !== a[at + i]) return false;
    return true;
  }

  private fillDecisionNumbers(id: number, attrs: PathAttributes): void {
    let flags = 0;
    if (attrs.localPref >= 0) flags |= AttrSetFlag.LocalPref;
    if (attrs.med >= 0) flags |= AttrSetFlag.Med;
    if (attrs.originatorId >= 0) flags |= AttrSetFlag.OriginatorId;
    this.flags[id] = flags;
    this.localPref[id] = attrs.localPref >= 0 ? attrs.localPref : 0;
    this.med[id] = attrs.med >= 0 ? attrs.med : 0; // RFC 4271 9.1.2.2 (c): a missing MED counts as 0.
    this.origin[id] = attrs.origin >= 0 && attrs.origin <= 2 ? attrs.origin : 3;
    this.originatorId[id] = attrs.originatorId >= 0 ? attrs.originatorId : 0;
    this.clusterListLength[id] = attrs.clusterList ? attrs.clusterList.length : 0;
    let length = 0;
    let neighborAs = 0;
    let seenRegular = false;
    const path = attrs.asPath;
    // Indexed loops here and in encode(): for-of allocated an iterator result per element on the UPDATE path.
    for (let i = 0, n = path === null ? 0 : path.length; i < n; i++) {
      const seg = path![i]!;
      switch (seg.type) {
        case AsPathSegmentType.AsSequence:
          length += seg.asns.length;
          if (!seenRegular && seg.asns.length > 0) neighborAs = seg.asns[0]!;
          seenRegular = true;
          break;
        case AsPathSegmentType.AsSet:
          length += 1;
          seenRegular = true;
          break;
        default:
          // RFC 5065 5.3: confederation segments do not count towards the path length.
          break;
      }
    }
    this.pathLength[id] = Math.min(length, 0xffff);
    this.neighborAs[id] = neighborAs;
  }

  private allocId(): number {
    const id = this.freeIds.pop();
    if (id !== undefined) return id;
    if (this.highWater === this.capacity) this.growSets();
    return this.highWater++;
  }

  private growSets(): void {
    const cap = this.capacity * 2;
    const grow = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(cap);
      next.set(old);
      return next;
    };
    this.refs = grow(this.refs, (n) => new Int32Array(n));
    this.flags = grow(this.flags, (n) => new Uint8Array(n));
    this.localPref = grow(this.localPref, (n) => new Uint32Array(n));
    this.med = grow(this.med, (n) => new Uint32Array(n));
    this.pathLength = grow(this.pathLength, (n) => new Uint16Array(n));
    this.origin = grow(this.origin, (n) => new Uint8Array(n));
    this.neighborAs = grow(this.neighborAs, (n) => new Uint32Array(n));
    this.originatorId = grow(this.originatorId, (n) => new Uint32Array(n));
    this.clusterListLength = grow(this.clusterListLength, (n) => new Uint16Array(n));
    this.offset = grow(this.offset, (n) => new Int32Array(n));
    this.byteLength = grow(this.byteLength, (n) => new Int32Array(n));
    this.setHash = grow(this.setHash, (n) => new Int32Array(n));
    this.capacity = cap;
  }

  /** Moves live sets together when more than half the arena is dead. */
  private compact(): void {
    const next = new Uint8Array(Math.max(64 * 1024, Math.ceil((this.arenaUsed - this.arenaDead) * 1.5)));
    let used = 0;
    for (let id = 0; id < this.highWater; id++) {
      if (this.refs[id]! <= 0) continue;
      const o = this.offset[id]!;
      const len = this.byteLength[id]!;
      next.set(this.arena.subarray(o, o + len), used);
      this.offset[id] = used;
      used += len;
    }
    this.arena = next;
    this.arenaUsed = used;
    this.arenaDead = 0;
  }

  private growTable(): void {
    const size = (this.tableMask + 1) * 2;
    this.table = new Int32Array(size);
    this.tableMask = size - 1;
    for (let id = 0; id < this.highWater; id++) {
      if (this.refs[id]! <= 0) continue;
      let slot = this.setHash[id]! & this.tableMask;
      while (this.table[slot] !== 0) slot = (slot + 1) & this.tableMask;
      this.table[slot] = id + 1;
    }
  }

  private tableDelete(id: number): void {
    const mask = this.tableMask;
    let h = this.setHash[id]! & mask;
    while (this.table[h] !== id + 1) h = (h + 1) & mask;
    let hole = h;
    let j = h;
    for (;;) {
      j = (j + 1) & mask;
      const e = this.table[j]!;
      if (e === 0) break;
      const home = this.setHash[e - 1]! & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.table[hole] = e;
        hole = j;
      }
    }
    this.table[hole] = 0;
  }

  // ---------------------------------------------------------------- canonical encoding

  /** Room for n more bytes at pos: grows the arena (keeping the candidate being encoded). */
  private ensure(n: number): void {
    if (this.pos + n <= this.arena.length) return;
    const next = new Uint8Array(Math.max(this.arena.length * 2, this.pos + n));
    next.set(this.arena.subarray(0, this.pos));
    this.arena = next;
  }

  private u8(v: number): void {
    this.ensure(1);
    this.arena[this.pos++] = v;
  }

  private u32(v: number): void {
    this.ensure(4);
    const s = this.arena;
    const p = this.pos;
    s[p] = v >>> 24;
    s[p + 1] = v >>> 16;
    s[p + 2] = v >>> 8;
    s[p + 3] = v;
    this.pos = p + 4;
  }

  private varint(v: number): void {
    while (v >= 0x80) {
      this.u8((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.u8(v);
  }

  private blob(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.arena.set(b, this.pos);
    this.pos += b.length;
  }

  private words(w: Uint32Array): void {
    this.varint(w.length);
    this.ensure(4 * w.length);
    const s = this.arena;
    let p = this.pos;
    for (let i = 0; i < w.length; i++) {
      const v = w[i]!;
      s[p] = v >>> 24;
      s[p + 1] = v >>> 16;
      s[p + 2] = v >>> 8;
      s[p + 3] = v;
      p += 4;
    }
    this.pos = p;
  }

  /**
   * Writes the canonical encoding of attrs into arena[arenaUsed..pos): a 16-bit presence mask, then the present fields
   * in a fixed order, counts as varints (a typical set takes ~40 bytes). See decode().
   */
  private encode(attrs: PathAttributes): void {
    const start = this.arenaUsed;
    this.ensure(2);
    this.pos = start + 2;
    let mask = 0;
    if (attrs.origin >= 0) {
      mask |= 1 << 0;
      this.u8(attrs.origin);
    }
    const path = attrs.asPath;
    if (path !== null) {
      mask |= 1 << 1;
      this.varint(path.length);
      for (let i = 0; i < path.length; i++) {
        const seg = path[i]!;
        const asns = seg.asns;
        this.u8(seg.type);
        this.varint(asns.length);
        this.ensure(4 * asns.length);
        const s = this.arena;
        let p = this.pos;
        for (let j = 0; j < asns.length; j++) {
          const v = asns[j]!;
          s[p] = v >>> 24;
          s[p + 1] = v >>> 16;
          s[p + 2] = v >>> 8;
          s[p + 3] = v;
          p += 4;
        }
        this.pos = p;
      }
    }
    if (attrs.nextHop >= 0) {
      mask |= 1 << 2;
      this.u32(attrs.nextHop);
    }
    if (attrs.med >= 0) {
      mask |= 1 << 3;
      this.u32(attrs.med);
    }
    if (attrs.localPref >= 0) {
      mask |= 1 << 4;
      this.u32(attrs.localPref);
    }
    if (attrs.atomicAggregate) mask |= 1 << 5;
    if (attrs.aggregatorAs >= 0) {
      mask |= 1 << 6;
      this.u32(attrs.aggregatorAs);
      this.u32(attrs.aggregatorAddress);
    }
    if (attrs.communities !== null) {
      mask |= 1 << 7;
      this.words(attrs.communities);
    }
    if (attrs.originatorId >= 0) {
      mask |= 1 << 8;
      this.u32(attrs.originatorId);
    }
    if (attrs.clusterList !== null) {
      mask |= 1 << 9;
      this.words(attrs.clusterList);
    }
    if (attrs.extendedCommunities !== null) {
      mask |= 1 << 10;
      this.blob(attrs.extendedCommunities);
    }
    if (attrs.largeCommunities !== null) {
      mask |= 1 << 11;
      this.words(attrs.largeCommunities);
    }
    if (attrs.mpNextHop !== null) {
      mask |= 1 << 12;
      this.blob(attrs.mpNextHop);
    }
    if (attrs.mpNextHopLinkLocal !== null) {
      mask |= 1 << 13;
      this.blob(attrs.mpNextHopLinkLocal);
    }
    if (attrs.unknown !== null) {
      mask |= 1 << 14;
      this.varint(attrs.unknown.length);
      for (let i = 0; i < attrs.unknown.length; i++) {
        const u = attrs.unknown[i]!;
        this.u8(u.flags);
        this.u8(u.type);
        this.blob(u.value);
      }
    }
    if (attrs.discarded !== null) {
      mask |= 1 << 15;
      this.varint(attrs.discarded.length);
      for (const e of attrs.discarded) {
        this.u8(e.code);
        this.u8(e.subcode);
        this.u8(ACTIONS.indexOf(e.action));
        this.blob(TEXT.encode(e.message));
        this.blob(e.data);
      }
    }
    this.arena[start] = mask >>> 8;
    this.arena[start + 1] = mask & 255;
  }
}

const ACTIONS: ErrorAction[] = ['session-reset', 'afi-safi-disable', 'treat-as-withdraw', 'attribute-discard'];
const TEXT = new TextEncoder();
const UTF8 = new TextDecoder();

function hashBytes(b: Uint8Array, start: number, len: number): number {
  let h = 0x811c9dc5 ^ len;
  let i = start;
  const end = start + len;
  for (; i + 4 <= end; i += 4) {
    const k = (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!;
    h = Math.imul(h ^ Math.imul(k, 0xcc9e2d51), 0x1b873593);
    h = (h << 13) | (h >>> 19);
  }
  for (; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

/** Inverse of AttributeStore.encode. */
function decode(a: Uint8Array, start: number): PathAttributes {
  let p = start;
  const u8 = (): number => a[p++]!;
  const u32 = (): number => {
    const v = ((a[p]! << 24) | (a[p + 1]! << 16) | (a[p + 2]! << 8) | a[p + 3]!) >>> 0;
    p += 4;
    return v;
  };
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = a[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  };
  const blob = (): Uint8Array => {
    const n = varint();
    const out = a.slice(p, p + n);
    p += n;
    return out;
  };
  const words = (): Uint32Array => {
    const n = varint();
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = u32();
    return out;
  };
  const mask = (u8() << 8) | u8();
  const has = (bit: number): boolean => (mask & (1 << bit)) !== 0;
  const attrs = new PathAttributes();
  if (has(0)) attrs.origin = u8();
  if (has(1)) {
    const segs: AsPathSegment[] = [];
    const count = varint();
    for (let i = 0; i < count; i++) {
      const type = u8() as AsPathSegmentType;
      const n = varint();
      const asns: number[] = [];
      for (let j = 0; j < n; j++) asns.push(u32());
      segs.push(new AsPathSegment(type, asns));
    }
    attrs.asPath = segs;
  }
  if (has(2)) attrs.nextHop = u32();
  if (has(3)) attrs.med = u32();
  if (has(4)) attrs.localPref = u32();
  attrs.atomicAggregate = has(5);
  if (has(6)) {
    attrs.aggregatorAs = u32();
    attrs.aggregatorAddress = u32();
  }
  if (has(7)) attrs.communities = words();
  if (has(8)) attrs.originatorId = u32();
  if (has(9)) attrs.clusterList = words();
  if (has(10)) attrs.extendedCommunities = blob();
  if (has(11)) attrs.largeCommunities = words();
  if (has(12)) attrs.mpNextHop = blob();
  if (has(13)) attrs.mpNextHopLinkLocal = blob();
  if (has(14)) {
    const list: UnknownAttribute[] = [];
    const count = varint();
    for (let i = 0; i < count; i++) {
      const flags = u8();
      const type = u8();
      list.push(new UnknownAttribute(flags, type, blob()));
    }
    attrs.unknown = list;
  }
  if (has(15)) {
    const list: BgpError[] = [];
    const count = varint();
    for (let i = 0; i < count; i++) {
      const code = u8();
      const subcode = u8();
      const action = ACTIONS[u8()] ?? 'attribute-discard';
      const message = UTF8.decode(blob());
      list.push(new BgpError(code, subcode, message, blob(), action));
    }
    attrs.discarded = list;
  }
  return attrs;
}
