import {
  AsPathSegment,
  AsPathSegmentType,
  BgpError,
  BufferReader,
  PathAttributes,
  UnknownAttribute,
  readInt32,
} from '../bgp/index.js';
import type { ErrorAction } from '../bgp/index.js';

/** Bits of AttributeStore.flags: which of the optional numbers the decision compares a set carries. */
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
 * indexed by set id, so the best-path selection never decodes anything; hasCommunity/hasLargeCommunity read one
 * field of the stored bytes in place.
 * The canonical encoding is driven by STORE_ROWS (below): one row per PathAttributes field.
 * Identity: the hash of the canonical bytes, then a byte comparison; an open-addressing Int32Array finds the id.
 */
export class AttributeStore {
  // --- per set (indexed by set id; allocated and grown by resizePerSet) ---
  /** References held (routes + callers of intern that have not released). 0 = free id. */
  refs = new Int32Array(0);
  /** AttrSetFlag bits: LOCAL_PREF, MED, ORIGINATOR_ID present. */
  flags = new Uint8Array(0);
  localPref = new Uint32Array(0);
  med = new Uint32Array(0);
  /** AS_PATH length for the decision: AS_SET counts 1, confederation segments 0. */
  pathLength = new Uint16Array(0);
  /** ORIGIN value; 3 when absent (worse than INCOMPLETE). */
  origin = new Uint8Array(0);
  /** The neighbouring AS (leftmost AS of the first AS_SEQUENCE outside confederation segments), 0 if none. */
  neighborAs = new Uint32Array(0);
  originatorId = new Uint32Array(0);
  clusterListLength = new Uint16Array(0);
  private offset = new Int32Array(0);
  private byteLength = new Int32Array(0);
  private setHash = new Int32Array(0);
  /**
   * A number given to a set when it is stored, different for each set stored over the store's life (until 2^32):
   * tells a reader that caches something per set id (a snapshot's encoded attributes) whether the id still names
   * the set it cached, or was freed and handed to another since.
   */
  serial = new Uint32Array(0);
  private nextSerial = 0;
  /** Bytes one set id takes across the per-set arrays: the sum of their element sizes (see resizePerSet). */
  readonly bytesPerSet: number;
  private capacity: number;
  private freeIds: number[] = [];
  private highWater = 0;
  private live = 0;

  // --- arena ---
  /**
   * The arena (out.bytes) and its writer: encode() writes a candidate set at out.pos, straight after the arena's
   * last set (arenaUsed).
   */
  private readonly out: ArenaWriter;
  private arenaUsed = 0;
  private arenaDead = 0;
  /** Reads stored sets (get, hasCommunity, ...). */
  private readonly reader = new BufferReader();

  // --- index ---
  private table: Int32Array;
  private tableMask: number;

  /** Sized for a full table up front (~256k sets, 16 MiB of arena); untouched pages cost no RSS. */
  constructor(initialSets = 1 << 18) {
    this.capacity = initialSets;
    this.bytesPerSet = this.resizePerSet(initialSets);
    this.out = new ArenaWriter(initialSets >= 1 << 16 ? 16 << 20 : 64 << 10);
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
    return this.arenaUsed + this.table.byteLength + this.highWater * this.bytesPerSet;
  }

  /** Bytes reserved by the store's typed arrays (arena, index and per-set numbers). */
  get bytes(): number {
    return this.out.bytes.byteLength + this.table.byteLength + this.capacity * this.bytesPerSet;
  }

  /**
   * Returns the id of the set equal to `attrs`, storing it if new, and takes one reference for the caller
   * (give it back with release()).
   */
  intern(attrs: PathAttributes): number {
    // Encoded in place at the end of the arena: a new set is then stored by moving arenaUsed, without a copy.
    const at = this.arenaUsed;
    this.encode(attrs);
    const len = this.out.pos - at;
    const h = hashBytes(this.out.bytes, at, len);
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
    this.serial[id] = this.nextSerial = (this.nextSerial + 1) >>> 0;
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
    // A free id's decision numbers are 0, as a fresh one's (fillDecisionNumbers writes only what is not).
    this.flags[id] = 0;
    this.localPref[id] = 0;
    this.med[id] = 0;
    this.origin[id] = 0;
    this.originatorId[id] = 0;
    this.clusterListLength[id] = 0;
    this.freeIds.push(id);
    this.live--;
    if (this.arenaDead > 1 << 20 && this.arenaDead * 2 > this.arenaUsed) this.compact();
  }

  /** One past the highest set id handed out so far (ids below it may be free: see has()). */
  get idLimit(): number {
    return this.highWater;
  }

  /** Bytes of set id's canonical encoding (see encode()). */
  encodedLength(id: number): number {
    return this.byteLength[id]!;
  }

  /**
   * Copies set id's canonical encoding to out[at..]: what decodeAttributeSet reads back (a journal ships sets
   * this way, rib/journal.ts). The caller has made room for encodedLength(id) bytes.
   */
  copyEncoded(id: number, out: Uint8Array, at: number): void {
    const o = this.offset[id]!;
    const n = this.byteLength[id]!;
    const a = this.out.bytes;
    if (n > 64) out.set(a.subarray(o, o + n), at);
    else for (let i = 0; i < n; i++) out[at + i] = a[o + i]!; // most sets: no view object
  }

  /** Whether id names a stored set. */
  has(id: number): boolean {
    return id >= 0 && id < this.highWater && this.refs[id]! > 0;
  }

  /** Decodes set id back into a PathAttributes (a new object each call). */
  get(id: number): PathAttributes {
    if (!this.has(id)) throw new RangeError(`no attribute set ${id}`);
    return decodeRows(this.reader, this.out.bytes, this.offset[id]!);
  }

  /**
   * Whether set id carries the community `community` (uint32, high 16 bits the AS) in its COMMUNITIES. Reads the
   * stored bytes in place: no decoding, no allocation (for a decision that selects routes by community).
   */
  hasCommunity(id: number, community: number): boolean {
    const r = this.seek(id, COMMUNITIES_ROW);
    if (r === null) return false;
    const n = readVarint(r);
    const a = r.buffer;
    // Compared as int32 (same bits): no heap number however the reads are compiled.
    const c = community | 0;
    for (let i = 0, p = r.offset; i < n; i++, p += 4) if (readInt32(a, p) === c) return true;
    return false;
  }

  /** Whether set id carries the large community global:local1:local2 (RFC 8092); like hasCommunity, in place. */
  hasLargeCommunity(id: number, global: number, local1: number, local2: number): boolean {
    const r = this.seek(id, LARGE_COMMUNITIES_ROW);
    if (r === null) return false;
    const words = readVarint(r);
    const end = r.offset + 4 * words;
    const a = r.buffer;
    const g = global | 0;
    const l1 = local1 | 0;
    const l2 = local2 | 0;
    for (let p = r.offset; p + 12 <= end; p += 12) {
      if (readInt32(a, p) === g && readInt32(a, p + 4) === l1 && readInt32(a, p + 8) === l2) return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- internals

  /** The store's reader pointed at row `row`'s bytes in set id (skipping the fields before it); null when absent. */
  private seek(id: number, row: number): BufferReader | null {
    if (!this.has(id)) throw new RangeError(`no attribute set ${id}`);
    const a = this.out.bytes;
    const at = this.offset[id]!;
    const mask = readMask(a, at);
    if ((mask & (1 << row)) === 0) return null;
    const r = this.reader.setBuffer(a, at + MASK_BYTES);
    for (let i = 0; i < row; i++) if ((mask & (1 << i)) !== 0) STORE_ROWS[i]!.skip(r);
    return r;
  }

  /** Whether set id's bytes equal the candidate encoded at arena[at, at + len). */
  private sameBytes(id: number, at: number, len: number): boolean {
    const a = this.out.bytes;
    const o = this.offset[id]!;
    for (let i = 0; i < len; i++) if (a[o + i] !== a[at + i]) return false;
    return true;
  }

  private fillDecisionNumbers(id: number, attrs: PathAttributes): void {
    let flags = 0;
    if (attrs.localPref >= 0) flags |= AttrSetFlag.LocalPref;
    if (attrs.med >= 0) flags |= AttrSetFlag.Med;
    if (attrs.originatorId >= 0) flags |= AttrSetFlag.OriginatorId;
    // Only what is not 0 is written: a free id's numbers are 0 (see release), and in an eBGP table these columns
    // are mostly 0, so their pages stay untouched zero pages (no RSS; bench:ingest).
    if (flags !== 0) this.flags[id] = flags;
    if (attrs.localPref > 0) this.localPref[id] = attrs.localPref;
    if (attrs.med > 0) this.med[id] = attrs.med; // RFC 4271 9.1.2.2 (c): a missing MED counts as 0.
    const origin = attrs.origin >= 0 && attrs.origin <= 2 ? attrs.origin : 3;
    if (origin !== 0) this.origin[id] = origin;
    if (attrs.originatorId > 0) this.originatorId[id] = attrs.originatorId;
    if (attrs.clusterList !== null && attrs.clusterList.length > 0) this.clusterListLength[id] = attrs.clusterList.length;
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
    this.capacity *= 2;
    this.resizePerSet(this.capacity);
  }

  /** (Re)allocates every per-set array for `capacity` ids, keeping their contents; returns the bytes one id takes. */
  private resizePerSet(capacity: number): number {
    let bytesPerSet = 0;
    const resize = <T extends Int32Array | Uint32Array | Uint16Array | Uint8Array>(old: T, make: new (n: number) => T): T => {
      const next = new make(capacity);
      next.set(old);
      bytesPerSet += next.BYTES_PER_ELEMENT;
      return next;
    };
    this.refs = resize(this.refs, Int32Array);
    this.flags = resize(this.flags, Uint8Array);
    this.localPref = resize(this.localPref, Uint32Array);
    this.med = resize(this.med, Uint32Array);
    this.pathLength = resize(this.pathLength, Uint16Array);
    this.origin = resize(this.origin, Uint8Array);
    this.neighborAs = resize(this.neighborAs, Uint32Array);
    this.originatorId = resize(this.originatorId, Uint32Array);
    this.clusterListLength = resize(this.clusterListLength, Uint16Array);
    this.offset = resize(this.offset, Int32Array);
    this.byteLength = resize(this.byteLength, Int32Array);
    this.setHash = resize(this.setHash, Int32Array);
    this.serial = resize(this.serial, Uint32Array);
    return bytesPerSet;
  }

  /** Moves live sets together when more than half the arena is dead. */
  private compact(): void {
    const next = new Uint8Array(Math.max(64 * 1024, Math.ceil((this.arenaUsed - this.arenaDead) * 1.5)));
    let used = 0;
    for (let id = 0; id < this.highWater; id++) {
      if (this.refs[id]! <= 0) continue;
      const o = this.offset[id]!;
      const len = this.byteLength[id]!;
      next.set(this.out.bytes.subarray(o, o + len), used);
      this.offset[id] = used;
      used += len;
    }
    this.out.bytes = next;
    this.reader.setBuffer(next);
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

  /**
   * Writes the canonical encoding of attrs into arena[arenaUsed..out.pos): a presence mask of MASK_BYTES (bit i:
   * STORE_ROWS[i] present), then the present fields in row order (a typical set takes ~40 bytes).
   */
  private encode(attrs: PathAttributes): void {
    const w = this.out;
    const start = this.arenaUsed;
    w.pos = start;
    w.ensure(MASK_BYTES);
    w.pos = start + MASK_BYTES;
    let mask = 0;
    // Hot path (intern, bench:rib load_s): one indirect call per row costs 0.2-0.4 us a set more than unrolled code.
    const rows = STORE_ROWS;
    for (let i = 0; i < rows.length; i++) if (rows[i]!.encode(w, attrs)) mask |= 1 << i;
    const a = w.bytes;
    for (let i = MASK_BYTES - 1, m = mask; i >= 0; i--, m >>>= 8) a[start + i] = m & 0xff;
    this.reader.setBuffer(a); // so that the reader does not keep an arena that ensure() replaced alive
  }
}

/** Appends to the arena at pos, growing it (keeping everything before pos) when needed. */
class ArenaWriter {
  bytes: Uint8Array;
  pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /** Room for n more bytes at pos. */
  ensure(n: number): void {
    if (this.pos + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + n));
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.pos++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    const s = this.bytes;
    const p = this.pos;
    s[p] = v >>> 24;
    s[p + 1] = v >>> 16;
    s[p + 2] = v >>> 8;
    s[p + 3] = v;
    this.pos = p + 4;
  }

  varint(v: number): void {
    while (v >= 0x80) {
      this.u8((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.u8(v);
  }

  /** A count, then the bytes. */
  blob(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }

  /** AS numbers as uint32, one room check for the lot (intern() is on the UPDATE path: bench:rib load_s). */
  asns(list: readonly number[]): void {
    this.ensure(4 * list.length);
    const s = this.bytes;
    let p = this.pos;
    for (let i = 0; i < list.length; i++) {
      const v = list[i]!;
      s[p] = v >>> 24;
      s[p + 1] = v >>> 16;
      s[p + 2] = v >>> 8;
      s[p + 3] = v;
      p += 4;
    }
    this.pos = p;
  }

  /** A count, then the values as uint32. */
  words(w: Uint32Array): void {
    this.varint(w.length);
    this.ensure(4 * w.length);
    const s = this.bytes;
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
}

function readVarint(r: BufferReader): number {
  let v = 0;
  for (let shift = 0; ; shift += 7) {
    const b = r.uint8();
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return v;
    // Stored sets never have more than 5 bytes of varint; bytes from elsewhere (decodeAttributeSet) may, or may
    // run off their buffer (undefined, which is never < 0x80): stop there rather than loop.
    if (shift >= 28) throw new RangeError('varint longer than 5 bytes');
  }
}

/**
 * One PathAttributes field in the store's canonical encoding, as BIRD's bgp_attr_table rows are for the wire: its
 * presence bit is its index in STORE_ROWS; `encode` writes the field and says whether it was there (absent fields
 * take no byte), `decode` reads it back, `skip` steps over it (for the readers that look at one field of a stored
 * set). Adding an attribute to PathAttributes is adding its row here.
 */
interface StoreRow {
  readonly field: keyof PathAttributes;
  readonly encode: (w: ArenaWriter, a: PathAttributes) => boolean;
  readonly decode: (r: BufferReader, a: PathAttributes) => void;
  readonly skip: (r: BufferReader) => void;
}

const skipUint32 = (r: BufferReader): void => void r.skip(4);
const skipWords = (r: BufferReader): void => void r.skip(4 * readVarint(r));
const skipBlob = (r: BufferReader): void => void r.skip(readVarint(r));

/** A uint32 field where -1 means absent. */
function uint32Row(field: keyof PathAttributes, get: (a: PathAttributes) => number, set: (a: PathAttributes, v: number) => void): StoreRow {
  return {
    field,
    encode: (w, a) => {
      const v = get(a);
      if (v < 0) return false;
      w.u32(v);
      return true;
    },
    decode: (r, a) => set(a, r.uint32()),
    skip: skipUint32,
  };
}

/** A Uint32Array field (count, then the words) where null means absent. */
function wordsRow(
  field: keyof PathAttributes,
  get: (a: PathAttributes) => Uint32Array | null,
  set: (a: PathAttributes, v: Uint32Array) => void,
): StoreRow {
  return {
    field,
    encode: (w, a) => {
      const v = get(a);
      if (v === null) return false;
      w.words(v);
      return true;
    },
    decode: (r, a) => set(a, r.uint32List(readVarint(r))),
    skip: skipWords,
  };
}

/** A Uint8Array field (count, then the bytes) where null means absent. */
function blobRow(
  field: keyof PathAttributes,
  get: (a: PathAttributes) => Uint8Array | null,
  set: (a: PathAttributes, v: Uint8Array) => void,
): StoreRow {
  return {
    field,
    encode: (w, a) => {
      const v = get(a);
      if (v === null) return false;
      w.blob(v);
      return true;
    },
    decode: (r, a) => set(a, r.bytes(readVarint(r))),
    skip: skipBlob,
  };
}

const ACTIONS: ErrorAction[] = ['session-reset', 'afi-safi-disable', 'treat-as-withdraw', 'attribute-discard'];
const TEXT = new TextEncoder();
const UTF8 = new TextDecoder();

/** The canonical encoding, field by field; a row's index is its presence bit (so rows are only ever appended). */
const STORE_ROWS: readonly StoreRow[] = [
  {
    field: 'origin',
    encode: (w, a) => {
      if (a.origin < 0) return false;
      w.u8(a.origin);
      return true;
    },
    decode: (r, a) => {
      a.origin = r.uint8();
    },
    skip: (r) => void r.skip(1),
  },
  {
    // Segment count, then per segment: type, AS count, the ASes as uint32.
    field: 'asPath',
    encode: (w, a) => {
      const path = a.asPath;
      if (path === null) return false;
      w.varint(path.length);
      // Indexed loops: for-of allocated an iterator result per element on the UPDATE path.
      for (let i = 0; i < path.length; i++) {
        const seg = path[i]!;
        const asns = seg.asns;
        w.u8(seg.type);
        w.varint(asns.length);
        w.asns(asns);
      }
      return true;
    },
    decode: (r, a) => {
      const segs: AsPathSegment[] = [];
      const count = readVarint(r);
      for (let i = 0; i < count; i++) {
        const type = r.uint8() as AsPathSegmentType;
        const n = readVarint(r);
        const asns: number[] = [];
        for (let j = 0; j < n; j++) asns.push(r.uint32());
        segs.push(new AsPathSegment(type, asns));
      }
      a.asPath = segs;
    },
    skip: (r) => {
      const count = readVarint(r);
      for (let i = 0; i < count; i++) {
        r.skip(1);
        skipWords(r);
      }
    },
  },
  uint32Row('nextHop', (a) => a.nextHop, (a, v) => (a.nextHop = v)),
  uint32Row('med', (a) => a.med, (a, v) => (a.med = v)),
  uint32Row('localPref', (a) => a.localPref, (a, v) => (a.localPref = v)),
  {
    // Its presence bit is all of it.
    field: 'atomicAggregate',
    encode: (_w, a) => a.atomicAggregate,
    decode: (_r, a) => {
      a.atomicAggregate = true;
    },
    skip: () => {},
  },
  {
    field: 'aggregatorAs',
    encode: (w, a) => {
      if (a.aggregatorAs < 0) return false;
      w.u32(a.aggregatorAs);
      w.u32(a.aggregatorAddress);
      return true;
    },
    decode: (r, a) => {
      a.aggregatorAs = r.uint32();
      a.aggregatorAddress = r.ipv4();
    },
    skip: (r) => void r.skip(8),
  },
  wordsRow('communities', (a) => a.communities, (a, v) => (a.communities = v)),
  uint32Row('originatorId', (a) => a.originatorId, (a, v) => (a.originatorId = v)),
  wordsRow('clusterList', (a) => a.clusterList, (a, v) => (a.clusterList = v)),
  blobRow('extendedCommunities', (a) => a.extendedCommunities, (a, v) => (a.extendedCommunities = v)),
  wordsRow('largeCommunities', (a) => a.largeCommunities, (a, v) => (a.largeCommunities = v)),
  blobRow('mpNextHop', (a) => a.mpNextHop, (a, v) => (a.mpNextHop = v)),
  blobRow('mpNextHopLinkLocal', (a) => a.mpNextHopLinkLocal, (a, v) => (a.mpNextHopLinkLocal = v)),
  {
    // Count, then per attribute: flags, type, value.
    field: 'unknown',
    encode: (w, a) => {
      const list = a.unknown;
      if (list === null) return false;
      w.varint(list.length);
      for (let i = 0; i < list.length; i++) {
        const u = list[i]!;
        w.u8(u.flags);
        w.u8(u.type);
        w.blob(u.value);
      }
      return true;
    },
    decode: (r, a) => {
      const list: UnknownAttribute[] = [];
      const count = readVarint(r);
      for (let i = 0; i < count; i++) {
        const flags = r.uint8();
        const type = r.uint8();
        list.push(new UnknownAttribute(flags, type, r.bytes(readVarint(r))));
      }
      a.unknown = list;
    },
    skip: (r) => {
      const count = readVarint(r);
      for (let i = 0; i < count; i++) {
        r.skip(2);
        skipBlob(r);
      }
    },
  },
  {
    // Count, then per error: code, subcode, action index, message (UTF-8), data.
    field: 'discarded',
    encode: (w, a) => {
      const list = a.discarded;
      if (list === null) return false;
      w.varint(list.length);
      for (const e of list) {
        w.u8(e.code);
        w.u8(e.subcode);
        w.u8(ACTIONS.indexOf(e.action));
        w.blob(TEXT.encode(e.message));
        w.blob(e.data);
      }
      return true;
    },
    decode: (r, a) => {
      const list: BgpError[] = [];
      const count = readVarint(r);
      for (let i = 0; i < count; i++) {
        const code = r.uint8();
        const subcode = r.uint8();
        const action = ACTIONS[r.uint8()] ?? 'attribute-discard';
        const message = UTF8.decode(r.bytes(readVarint(r)));
        list.push(new BgpError(code, subcode, message, r.bytes(readVarint(r)), action));
      }
      a.discarded = list;
    },
    skip: (r) => {
      const count = readVarint(r);
      for (let i = 0; i < count; i++) {
        r.skip(3);
        skipBlob(r);
        skipBlob(r);
      }
    },
  },
];

if (STORE_ROWS.length > 32) throw new Error('the presence mask holds at most 32 rows');
/** Bytes of the presence mask that starts every stored set. */
const MASK_BYTES = Math.ceil(STORE_ROWS.length / 8);

function rowOf(field: keyof PathAttributes): number {
  const i = STORE_ROWS.findIndex((row) => row.field === field);
  if (i < 0) throw new Error(`no store row for ${field}`);
  return i;
}
const COMMUNITIES_ROW = rowOf('communities');
const LARGE_COMMUNITIES_ROW = rowOf('largeCommunities');

/** The presence mask at a[at..at + MASK_BYTES). */
function readMask(a: Uint8Array, at: number): number {
  let m = 0;
  for (let i = 0; i < MASK_BYTES; i++) m = (m << 8) | a[at + i]!;
  return m;
}

/** Decodes the canonical encoding at a[at..] (its mask, then its rows) into a new PathAttributes. */
function decodeRows(r: BufferReader, a: Uint8Array, at: number): PathAttributes {
  const mask = readMask(a, at);
  r.setBuffer(a, at + MASK_BYTES);
  const attrs = new PathAttributes();
  for (let i = 0; i < STORE_ROWS.length; i++) if ((mask & (1 << i)) !== 0) STORE_ROWS[i]!.decode(r, attrs);
  return attrs;
}

const checkReader = new BufferReader();

/**
 * Decodes a set's canonical encoding (AttributeStore.copyEncoded) out of bytes[at, at + length) that came from
 * elsewhere (another thread, rib/journal.ts): first steps over every field checking that it stays inside the
 * range and that the fields fill it exactly, then decodes. Throws a RangeError when they do not.
 */
export function decodeAttributeSet(bytes: Uint8Array, at: number, length: number): PathAttributes {
  const end = at + length;
  if (length < MASK_BYTES || end > bytes.length) throw new RangeError('attribute set shorter than its presence mask');
  const mask = readMask(bytes, at);
  if (STORE_ROWS.length < 32 && mask >>> STORE_ROWS.length !== 0) throw new RangeError('attribute set names unknown fields');
  const r = checkReader.setBuffer(bytes, at + MASK_BYTES);
  for (let i = 0; i < STORE_ROWS.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    STORE_ROWS[i]!.skip(r);
    if (r.offset > end) throw new RangeError(`attribute set field ${STORE_ROWS[i]!.field} runs past its end`);
  }
  if (r.offset !== end) throw new RangeError(`attribute set has ${end - r.offset} bytes after its fields`);
  const attrs = decodeRows(r, bytes, at);
  checkReader.setBuffer(EMPTY_BYTES); // keeps no chunk alive
  return attrs;
}

const EMPTY_BYTES = new Uint8Array(0);

function hashBytes(b: Uint8Array, start: number, len: number): number {
  let h = 0x811c9dc5 ^ len;
  let i = start;
  const end = start + len;
  for (; i + 4 <= end; i += 4) {
    const k = readInt32(b, i);
    h = Math.imul(h ^ Math.imul(k, 0xcc9e2d51), 0x1b873593);
    h = (h << 13) | (h >>> 19);
  }
  for (; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}
