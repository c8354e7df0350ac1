import { Afi } from '../bgp/index.js';

/**
 * A trie slot holding a prefix ("leaf"): (prefix id + 1) << LEAF_ID_SHIFT | LEAF_SOLE? | prefix length.
 * 0 is an empty slot and a negative value ~unit points to a child chunk (see PrefixTable).
 */
const LEAF_ID_SHIFT = 9;
/** Set in every slot of a prefix that has no more-specific prefix in the table: its ECS scope is its own length. */
const LEAF_SOLE = 0x100;
const LEAF_LENGTH = 0xff;
/** Prefixes per family: id + 1 must fit in the 22 bits a leaf gives it. */
export const MAX_PREFIXES_PER_FAMILY = (1 << (31 - LEAF_ID_SHIFT)) - 1;
/** Chunks are allocated in units of 16 slots (one 64-byte cache line); a unit also has 16 bits of summary. */
const UNIT_SHIFT = 4;
/** Length of a free prefix record. */
const FREE_LENGTH = 255;

/** Address bits indexing the first level of the trie, both families. */
const ROOT_BITS = 20;
/** Strides (bits) of the levels below the first. */
const IPV4_STRIDES = [4, 4, 4];
const IPV6_STRIDES = [12, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8];

/**
 * The prefixes of one address family: records, an exact-match index and a longest-prefix-match trie that also
 * knows, for any address, the ECS scope of its answer (how far the answer reaches, see lookupScoped4).
 *
 * Layout, and why:
 * - Prefix records are struct-of-arrays (address words, length, plus an int slot the RIB uses for its path list
 *   head), indexed by a small integer "prefix id" and recycled through a free list. No object per prefix: a full
 *   table is ~730k prefixes and one JS object each would cost more memory than the whole table.
 * - Exact match (insert/remove/exact lookup) is an open-addressing hash over (words, length) in an Int32Array,
 *   with backward-shift deletion so there are no tombstones. A hash entry is (prefix id + 1) in its low bits and
 *   the top bits of the key's hash above them: a probe rejects other keys on those bits alone, without loading
 *   their records (on a full-table load most probes are misses, and each record load was a cache miss).
 * - Longest match is a multibit trie with controlled prefix expansion: a first level of 2^20 slots indexed by the
 *   top 20 bits, then chunks of 2^stride slots. IPv4 is 20-4-4-4 (a /24 is 2 dependent loads, like 16-8-8): a 4 MiB
 *   first level plus 16-slot chunks for the /20s that hold longer prefixes costs ~11 MiB for a full table where
 *   16-8-8 costs ~20 MiB (its 256-slot /16 chunks are mostly sparse), and is as fast; past /24, where few prefixes
 *   are, 16-slot chunks again rather than 256-slot ones (3 MiB less on the RIS 2015 table, bench:ingest).
 *   IPv6 is 20-12-4-4-4-4-8-...: a /32 is 2 loads; only ~650 /20s hold longer prefixes in a full table (10 MiB of 4096-slot chunks), and most of the
 *   4 MiB first level (outside 2000::/3) is never touched, so never resident. Between /32 and /48, where real IPv6
 *   tables are sparse (a /40 chunk often holds one /48), 16-slot chunks (one 64-byte cache line): a /48 is 6 loads.
 *   (Measured on the synthetic table, bench:rib: 6-6-4 there is 4.9 MiB more for 1.0-1.2x the lookups, 8-8 is
 *   24 MiB more, 8-4-4 is 8.6 MiB more.)
 *   Every slot is one int32 in ONE Int32Array (the first level is the start of the pool), so a lookup touches no
 *   object; a slot is 0 (no route), a leaf (> 0, see LEAF_ID_SHIFT) or ~unit (< 0): a child chunk whose slots
 *   start at unit << 4.
 *   The length kept in the leaf is what makes updates in place possible: an insert overwrites only slots filled
 *   by a shorter prefix (so a shorter prefix never hides a longer one), a remove rewrites the slots it filled with
 *   the next covering prefix found through the exact index. A chunk that becomes uniform after a remove is freed
 *   and its parent slot takes the single value back, so memory follows the table.
 *   Levels never straddle a 32-bit word of an IPv6 address.
 * - ECS scope (RFC 7871): for a client address with longest match M, the shortest length S >= len(M) such that no
 *   other prefix lies inside the client's /S block. Because a chunk exists only where a longer prefix lies below
 *   its parent slot, the answer is decided in the chunk where the descent stops: S = start of that level + the
 *   depth of the largest uniform (all slots equal) aligned block around the client's slot. Each chunk keeps one
 *   "varies" bit per aligned block of its slots (a complete binary tree, heap-numbered, 1 bit per slot in all;
 *   kept in `varies`, 16 bits per 16-slot unit, next to nothing else), updated with every slot write. And every
 *   slot of a prefix that has no more-specific at all carries LEAF_SOLE, so that for most addresses the scope is
 *   the leaf's own length, read from the same load as the match (bench:rib "with ECS scope"). The reference
 *   test (test/rib/prefix-table) checks both against the definition over random tables.
 */
export class PrefixTable {
  readonly afi: Afi;
  readonly maxLength: number;
  /** Words per address: 1 (IPv4) or 4 (IPv6). */
  readonly wordsPerPrefix: number;

  // --- records ---
  /**
   * Address words of prefix id i at [i * wordsPerPrefix ...], as int32: the bits of the NlriSink's uint32 words,
   * kept signed so that they travel between functions as small integers, never as boxed doubles (an IPv4 address
   * from 128.0.0.0 up is above 2^31). Methods take either form.
   */
  words: Int32Array;
  /** Prefix length; FREE_LENGTH marks a free record. */
  lengths: Uint8Array;
  /** For the RIB: first path of the prefix, which is its best path (or -1); the free-list link of free records. */
  head: Int32Array;
  private capacity: number;
  private freeHead = -1;
  private highWater = 0;
  private live = 0;
  /** How many live prefixes have each length: covering searches probe only lengths in use. */
  private readonly lengthCount: Int32Array;

  // --- exact index ---
  /** Entries: 0 = empty, else (id + 1) | (key hash & ~idMask). */
  private hash: Int32Array;
  private hashMask: number;
  /** Low bits of a hash entry holding id + 1 (enough for `capacity`); the bits above hold the hash tag. */
  private idMask = 0;
  /** Where the last unsuccessful find() stopped, and the key's full hash (insert reuses them). */
  private missSlot = -1;
  private missHash = 0;

  // --- trie ---
  /** Slots of every chunk; the first 2^20 are the first level. */
  pool: Int32Array;
  /** Bit (h & 15) of varies[unit + (h >> 4)]: block h (heap numbering) of the chunk starting at `unit` varies. */
  private varies: Uint16Array;
  /** 16-slot units handed out so far (the first level comes first). */
  private unitCount: number;
  /** Free-list heads of freed chunks, by stride. */
  private readonly freeChunk = new Array<number>(17).fill(-1);
  private liveChunks = 0;
  /** Per level (0 = the first level): stride in bits, first address bit, and where a prefix of that level ends. */
  private readonly stride: Uint8Array;
  private readonly levelStart: Uint8Array;
  /** Chunk base slot and slot index of each level along the last descent (for collapsing on remove). */
  private readonly pathBase = new Int32Array(32);
  private readonly pathIndex = new Int32Array(32);
  private readonly scratchMask = new Int32Array(4);

  /**
   * Sizes are reserved for a full table up front (IPv4 1M prefixes, IPv6 256k, pool for ~32k/~100k chunks):
   * large typed arrays are zero pages mapped on first touch, so the reserve costs address space, not RSS, and a
   * table that never reallocates does not leave freed blocks behind in the C heap (which glibc keeps in RSS).
   * Beyond the reserve, arrays double (again fresh mappings).
   */
  constructor(afi: Afi, initialPrefixes = afi === Afi.IPv4 ? 1 << 20 : 1 << 18) {
    this.afi = afi;
    this.maxLength = afi === Afi.IPv4 ? 32 : 128;
    this.wordsPerPrefix = afi === Afi.IPv4 ? 1 : 4;
    this.capacity = Math.min(MAX_PREFIXES_PER_FAMILY, Math.max(16, initialPrefixes));
    this.words = new Int32Array(this.capacity * this.wordsPerPrefix);
    this.lengths = new Uint8Array(this.capacity);
    this.head = new Int32Array(this.capacity);
    this.lengthCount = new Int32Array(this.maxLength + 1);
    let hashSize = 1024;
    while (hashSize < this.capacity) hashSize *= 2;
    this.hash = new Int32Array(hashSize);
    this.hashMask = hashSize - 1;
    this.idMask = idMaskFor(this.capacity);
    const strides = [ROOT_BITS, ...(afi === Afi.IPv4 ? IPV4_STRIDES : IPV6_STRIDES)];
    this.stride = Uint8Array.from(strides);
    this.levelStart = new Uint8Array(strides.length);
    for (let i = 1; i < strides.length; i++) this.levelStart[i] = this.levelStart[i - 1]! + strides[i - 1]!;
    const fullSize = this.capacity >= 1 << 18;
    const rootSlots = 1 << ROOT_BITS;
    this.unitCount = rootSlots >>> UNIT_SHIFT;
    this.pool = new Int32Array(rootSlots + (fullSize ? (afi === Afi.IPv4 ? 16 * 262144 : 4096 * 1024 + 16 * 262144) : 65536 * 2));
    this.varies = new Uint16Array(this.pool.length >>> UNIT_SHIFT);
  }

  /** Number of prefixes in the table. */
  get size(): number {
    return this.live;
  }

  /** Chunks in use below the first level (memory indicator). */
  get chunks(): number {
    return this.liveChunks;
  }

  /** Bytes of the typed arrays actually in use (what a full table costs in RSS; the reserve beyond is untouched). */
  get usedBytes(): number {
    return this.highWater * (this.wordsPerPrefix * 4 + 5) + this.hash.byteLength + this.unitCount * (64 + 2);
  }

  /** Bytes reserved by the typed arrays of this table (address space; see the constructor). */
  get bytes(): number {
    return (
      this.words.byteLength +
      this.lengths.byteLength +
      this.head.byteLength +
      this.hash.byteLength +
      this.pool.byteLength +
      this.varies.byteLength
    );
  }

  // ---------------------------------------------------------------- lookups (hot paths: bench:rib)

  /** Longest match of an IPv4 address: prefix id or -1. Hot path (bench:rib): 1-4 loads (2 for a /24), no allocation. */
  lookup4(address: number): number {
    return (this.leaf4(address) >> LEAF_ID_SHIFT) - 1;
  }

  /** The slot value where the descent for an IPv4 address stops (a leaf, or 0). */
  private leaf4(address: number): number {
    const pool = this.pool;
    let v = pool[address >>> 12]!;
    if (v < 0) {
      v = pool[(~v << 4) + ((address >>> 8) & 15)]!;
      if (v < 0) {
        v = pool[(~v << 4) + ((address >>> 4) & 15)]!;
        if (v < 0) v = pool[(~v << 4) + (address & 15)]!;
      }
    }
    return v;
  }

  /**
   * Longest match of an IPv4 address with its ECS scope, packed as ((prefix id + 1) << 9) | scope (the layout of a
   * leaf, whose low byte holds the length, which is the scope of a sole prefix): unpack with scopedId() and scopeOf(). Hot path (bench:rib "with ECS scope"), no allocation: the scope of an address whose
   * match has no more-specific comes with the match (LEAF_SOLE), in the same load; the others take scopedSlow().
   * (A number rather than a field to read afterwards: the plain descent and its early returns stay as small as
   * lookup4's, which measured 0.64-0.73 of lookup4's rate against 0.81-0.87 for this one.)
   */
  lookupScoped4(address: number): number {
    const v = this.leaf4(address);
    if ((v & LEAF_SOLE) !== 0) return v;
    return this.scopedSlow(address, 0, 0, 0);
  }

  /** Longest match of an IPv6 address given as four words: prefix id or -1. Hot path (bench:rib), no allocation. */
  lookup6(a: number, b: number, c: number, d: number): number {
    return (this.leaf6(a, b, c, d) >> LEAF_ID_SHIFT) - 1;
  }

  /** lookupScoped4 for an IPv6 address given as four words. Hot path (bench:rib "with ECS scope"), no allocation. */
  lookupScoped6(a: number, b: number, c: number, d: number): number {
    const v = this.leaf6(a, b, c, d);
    if ((v & LEAF_SOLE) !== 0) return v;
    return this.scopedSlow(a, b, c, d);
  }

  /** The slot value where the descent for an IPv6 address stops (a leaf, or 0). */
  private leaf6(a: number, b: number, c: number, d: number): number {
    const pool = this.pool;
    // Levels: 20 | 12 | 4 4 4 4 | 8 8 | 8 8 8 8 | 8 8 8 8 (see the class comment).
    let v = pool[a >>> 12]!;
    if (v >= 0) return v;
    v = pool[(~v << 4) + (a & 0xfff)]!;
    if (v >= 0) return v;
    v = pool[(~v << 4) + (b >>> 28)]!;
    if (v >= 0) return v;
    v = pool[(~v << 4) + ((b >>> 24) & 15)]!;
    if (v >= 0) return v;
    v = pool[(~v << 4) + ((b >>> 20) & 15)]!;
    if (v >= 0) return v;
    v = pool[(~v << 4) + ((b >>> 16) & 15)]!;
    if (v >= 0) return v;
    v = pool[(~v << 4) + ((b >>> 8) & 255)]!;
    if (v >= 0) return v;
    v = pool[(~v << 4) + (b & 255)]!;
    // Past /64: rare in real tables, so a loop over the remaining bytes.
    for (let k = 8; v < 0 && k < 16; k++) v = pool[(~v << 4) + (((k < 12 ? c : d) >>> (24 - 8 * (k & 3))) & 255)]!;
    return v;
  }

  /** The prefix id of a packed lookupScoped4/6 result (-1: no match). */
  static scopedId(packed: number): number {
    return (packed >> LEAF_ID_SHIFT) - 1;
  }

  /** The ECS scope of a packed lookupScoped4/6 result. */
  static scopeOf(packed: number): number {
    return packed & LEAF_LENGTH;
  }

  /**
   * The scoped lookup of an address whose match has a more-specific (or no match): the same descent, keeping
   * the chunk, level and slot where it stops, then the summary bits there (scopeIn). Packed as lookupScoped4.
   */
  private scopedSlow(a: number, b: number, c: number, d: number): number {
    const pool = this.pool;
    const starts = this.levelStart;
    const strides = this.stride;
    let index = a >>> 12;
    let v = pool[index]!;
    let base = 0;
    let level = 0;
    while (v < 0) {
      base = ~v << 4;
      level++;
      const start = starts[level]!;
      const stride = strides[level]!;
      const word = start < 64 ? (start < 32 ? a : b) : start < 96 ? c : d;
      index = (word >>> (32 - (start & 31) - stride)) & ((1 << stride) - 1);
      v = pool[base + index]!;
    }
    return ((v >> LEAF_ID_SHIFT) << LEAF_ID_SHIFT) | this.scopeIn(base, level, index, v & LEAF_LENGTH);
  }

  /**
   * The scope for a descent that stopped at slot `index` of the chunk at `base` (level `level`), which holds a
   * prefix of length `length` (0 when empty): the start of the level plus the depth of the largest uniform block
   * around the slot, and never less than `length`. (Why the chunk where the descent stopped decides: a chunk
   * exists only where a longer prefix lies below its parent slot, so the scope is deeper than any block above.)
   */
  private scopeIn(base: number, level: number, index: number, length: number): number {
    const start = this.levelStart[level]!;
    const stride = this.stride[level]!;
    const unit = base >>> UNIT_SHIFT;
    const varies = this.varies;
    let depth = length > start ? length - start : 0;
    for (; depth < stride; depth++) {
      const h = (1 << depth) | (index >>> (stride - depth));
      if ((varies[unit + (h >>> 4)]! & (1 << (h & 15))) === 0) break;
    }
    return start + depth;
  }

  /**
   * Reads the two slots an insert of this prefix will read first (its exact-index slot and its first-level trie
   * slot) and returns a number made of them, so the loads are not optimised away. Touching a batch of prefixes
   * this way before inserting them lets the CPU overlap their cache misses instead of taking them one by one.
   */
  touch(a: number, b: number, c: number, d: number, length: number): number {
    return this.hash[this.hashOf(a, b, c, d, length) & this.hashMask]! ^ this.pool[a >>> 12]!;
  }

  /** Longest match for any family (words as in NlriSink). */
  lookup(a: number, b: number, c: number, d: number): number {
    return this.afi === Afi.IPv4 ? this.lookup4(a) : this.lookup6(a, b, c, d);
  }

  /** lookupScoped4 or lookupScoped6 by the table's family (packed result). */
  lookupScoped(a: number, b: number, c: number, d: number): number {
    return this.afi === Afi.IPv4 ? this.lookupScoped4(a) : this.lookupScoped6(a, b, c, d);
  }

  /** Exact match: prefix id or -1. Host bits must be zero. */
  find(a: number, b: number, c: number, d: number, length: number): number {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const words = this.words;
    const n = this.wordsPerPrefix;
    const hash = this.hash;
    const full = this.hashOf(a, b, c, d, length);
    const idMask = this.idMask;
    let h = full & this.hashMask;
    for (;;) {
      const e = hash[h]!;
      if (e === 0) {
        this.missSlot = h;
        this.missHash = full;
        return -1;
      }
      const id = (e & idMask) - 1;
      if (((e ^ full) & ~idMask) === 0 && this.lengths[id] === length) {
        const o = id * n;
        if (n === 1 ? words[o] === a : words[o] === a && words[o + 1] === b && words[o + 2] === c && words[o + 3] === d) {
          return id;
        }
      }
      h = (h + 1) & this.hashMask;
    }
  }

  /**
   * Inserts a prefix (host bits zero) and returns its id; returns the existing id when it is already there
   * (then `lastInsertWasNew` is false). Words beyond the family are ignored (pass 0). Throws a RangeError beyond
   * MAX_PREFIXES_PER_FAMILY prefixes.
   */
  insert(a: number, b: number, c: number, d: number, length: number): number {
    const found = this.find(a, b, c, d, length);
    if (found >= 0) {
      this.lastInsertWasNew = false;
      return found;
    }
    this.lastInsertWasNew = true;
    const id = this.allocRecord();
    const n = this.wordsPerPrefix;
    const o = id * n;
    this.words[o] = a;
    if (n === 4) {
      this.words[o + 1] = b;
      this.words[o + 2] = c;
      this.words[o + 3] = d;
    }
    this.lengths[id] = length;
    this.head[id] = -1;
    this.lengthCount[length]!++;
    this.live++;
    if (this.live * 4 > this.hashMask * 3 || this.missSlot < 0) {
      // The index was rebuilt (grown, or wider id bits after the records grew): probe again.
      if (this.live * 4 > this.hashMask * 3) this.growHash();
      this.hashInsert(id);
    } else {
      // find() stopped at the empty slot where the key belongs.
      this.hash[this.missSlot] = (this.missHash & ~this.idMask) | (id + 1);
    }
    this.missSlot = -1;
    this.trieInsert(id);
    return id;
  }

  /** Whether the last insert() created the prefix. */
  lastInsertWasNew = false;

  /** Removes prefix id (which must be live). The id is recycled. */
  remove(id: number): void {
    const length = this.lengths[id]!;
    const n = this.wordsPerPrefix;
    const o = id * n;
    const a = this.words[o]!;
    const b = n === 4 ? this.words[o + 1]! : 0;
    const c = n === 4 ? this.words[o + 2]! : 0;
    const d = n === 4 ? this.words[o + 3]! : 0;
    this.hashDelete(id, a, b, c, d, length);
    this.lengthCount[length]!--;
    this.live--;
    const cover = this.coveringOf(a, b, c, d, length);
    this.trieRemove(id, cover < 0 ? 0 : leafOf(cover, this.lengths[cover]!));
    // The covering prefix may have lost its last more-specific.
    if (cover >= 0) this.updateSole(cover);
    this.missSlot = -1;
    this.lengths[id] = FREE_LENGTH;
    this.head[id] = this.freeHead;
    this.freeHead = id;
  }

  /** One past the highest prefix id handed out so far (ids below it may be free: see has()). */
  get idLimit(): number {
    return this.highWater;
  }

  /** Whether id names a live prefix. */
  has(id: number): boolean {
    return id >= 0 && id < this.highWater && this.lengths[id] !== FREE_LENGTH;
  }

  /** The longest prefix strictly shorter than `length` that covers the given prefix: id or -1. */
  coveringOf(a: number, b: number, c: number, d: number, length: number): number {
    for (let l = length - 1; l >= 0; l--) {
      if (this.lengthCount[l] === 0) continue;
      const m = maskOf(a, b, c, d, l, this.scratchMask);
      const id = this.find(m[0]!, m[1]!, m[2]!, m[3]!, l);
      if (id >= 0) return id;
    }
    return -1;
  }

  /** Every prefix that covers the given one (length <= `length`, the prefix itself included), shortest first. */
  covering(a: number, b: number, c: number, d: number, length: number): number[] {
    const out: number[] = [];
    for (let l = 0; l <= length; l++) {
      if (this.lengthCount[l] === 0) continue;
      const m = maskOf(a, b, c, d, l, this.scratchMask);
      const id = this.find(m[0]!, m[1]!, m[2]!, m[3]!, l);
      if (id >= 0) out.push(id);
    }
    return out;
  }

  /**
   * Every prefix inside the given one (length >= `length`, the prefix itself included), in prefix order.
   * Walks the trie slots under the prefix (each visible prefix), then the covering chain of each up to the
   * query length (prefixes hidden under more-specifics are in no slot but always cover a visible one).
   */
  covered(a: number, b: number, c: number, d: number, length: number): number[] {
    const m = maskOf(a, b, c, d, length, new Int32Array(4));
    const seen = new Set<number>();
    const visit = (v: number, level: number): void => {
      if (v > 0) {
        if ((v & LEAF_LENGTH) >= length) seen.add((v >> LEAF_ID_SHIFT) - 1);
      } else if (v < 0) {
        const base = ~v << 4;
        const size = 1 << this.stride[level]!;
        for (let i = 0; i < size; i++) visit(this.pool[base + i]!, level + 1);
      }
    };
    // Find the slot range of the prefix at the level where it ends.
    let base = 0;
    for (let level = 0; ; level++) {
      const start = this.levelStart[level]!;
      const stride = this.stride[level]!;
      const index = bitsOf(m, start, stride);
      if (length <= start + stride) {
        const count = 1 << (start + stride - length);
        for (let s = index; s < index + count; s++) visit(this.pool[base + s]!, level + 1);
        break;
      }
      const v = this.pool[base + index]!;
      if (v >= 0) {
        visit(v, level + 1);
        break;
      }
      base = ~v << 4;
    }
    const result = new Set<number>();
    const n = this.wordsPerPrefix;
    for (const id of seen) {
      result.add(id);
      const o = id * n;
      let l = this.lengths[id]!;
      const w0 = this.words[o]!;
      const w1 = n === 4 ? this.words[o + 1]! : 0;
      const w2 = n === 4 ? this.words[o + 2]! : 0;
      const w3 = n === 4 ? this.words[o + 3]! : 0;
      for (;;) {
        const up = this.coveringOf(w0, w1, w2, w3, l);
        if (up < 0 || this.lengths[up]! < length || result.has(up)) break;
        result.add(up);
        l = this.lengths[up]!;
      }
    }
    return this.sortIds([...result]);
  }

  /** Whether a prefix has a more-specific prefix in the table (read from its trie slots; cheap). */
  hasMoreSpecific(id: number): boolean {
    this.locate(id);
    const v = this.pool[this.pathBase[this.locatedLevel]! + this.pathIndex[this.locatedLevel]!]!;
    // A sole prefix has its own leaf, marked, in its first slot; anything else there is a more-specific.
    return !(v > 0 && (v & LEAF_SOLE) !== 0 && (v >> LEAF_ID_SHIFT) - 1 === id);
  }

  /** All live prefix ids in prefix order (address, then length). Allocates; for dumps and queries, not lookups. */
  sorted(): Int32Array {
    const ids = new Int32Array(this.live);
    let k = 0;
    for (let i = 0; i < this.highWater; i++) if (this.lengths[i] !== FREE_LENGTH) ids[k++] = i;
    if (this.wordsPerPrefix === 1) {
      // Numeric keys sort natively (no comparator): address * 64 + length is exact in a double.
      const keys = new Float64Array(ids.length);
      for (let i = 0; i < ids.length; i++) keys[i] = (this.words[ids[i]!]! >>> 0) * 64 + this.lengths[ids[i]!]!;
      keys.sort();
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        ids[i] = this.find(Math.floor(key / 64), 0, 0, 0, key % 64);
      }
      return ids;
    }
    return ids.sort((x, y) => this.compareIds(x, y));
  }

  /**
   * Every live prefix as its key, in prefix order: the address words (1 for IPv4, 4 for IPv6, as int32) then the
   * length, wordsPerPrefix + 1 numbers per prefix. A copy that stays meaningful while the table changes (ids do not:
   * they are reused), for a walk that visits the table a slice at a time. Allocates.
   */
  sortedKeys(): Int32Array {
    const stride = this.wordsPerPrefix + 1;
    if (this.wordsPerPrefix === 1) {
      const keys = new Float64Array(this.live);
      let k = 0;
      for (let i = 0; i < this.highWater; i++) if (this.lengths[i] !== FREE_LENGTH) keys[k++] = (this.words[i]! >>> 0) * 64 + this.lengths[i]!;
      keys.sort();
      const out = new Int32Array(keys.length * stride);
      for (let i = 0, o = 0; i < keys.length; i++, o += 2) {
        const key = keys[i]!;
        out[o] = Math.floor(key / 64) | 0;
        out[o + 1] = key % 64;
      }
      return out;
    }
    const ids = this.sorted();
    const out = new Int32Array(ids.length * stride);
    const n = this.wordsPerPrefix;
    for (let i = 0, o = 0; i < ids.length; i++, o += stride) {
      const id = ids[i]!;
      for (let w = 0; w < n; w++) out[o + w] = this.words[id * n + w]!;
      out[o + n] = this.lengths[id]!;
    }
    return out;
  }

  /** Orders two prefix ids by address then length. */
  compareIds(x: number, y: number): number {
    const n = this.wordsPerPrefix;
    for (let i = 0; i < n; i++) {
      const wx = this.words[x * n + i]! >>> 0;
      const wy = this.words[y * n + i]! >>> 0;
      if (wx !== wy) return wx < wy ? -1 : 1;
    }
    return this.lengths[x]! - this.lengths[y]!;
  }

  private sortIds(ids: number[]): number[] {
    return ids.sort((x, y) => this.compareIds(x, y));
  }

  /** Copies the words of prefix id into out[0..3] (zeros past the family): uint32 in a number[] or Uint32Array, int32 in an Int32Array. */
  wordsOf(id: number, out: Uint32Array | Int32Array | number[]): void {
    const n = this.wordsPerPrefix;
    const o = id * n;
    const unsigned = !(out instanceof Int32Array);
    out[0] = unsigned ? this.words[o]! >>> 0 : this.words[o]!;
    out[1] = n === 4 ? (unsigned ? this.words[o + 1]! >>> 0 : this.words[o + 1]!) : 0;
    out[2] = n === 4 ? (unsigned ? this.words[o + 2]! >>> 0 : this.words[o + 2]!) : 0;
    out[3] = n === 4 ? (unsigned ? this.words[o + 3]! >>> 0 : this.words[o + 3]!) : 0;
  }

  /** Live prefix ids in storage order (cheap; no ordering). */
  *ids(): Generator<number> {
    for (let i = 0; i < this.highWater; i++) if (this.lengths[i] !== FREE_LENGTH) yield i;
  }

  // ---------------------------------------------------------------- trie

  /** Level of the last locate(): pathBase/pathIndex hold the chunk and slot index of each level down to it. */
  private locatedLevel = 0;

  /**
   * Descends to the level where prefix `id` ends (its first slot there is pathBase + pathIndex of that level);
   * with `create`, turns the slots on the way into chunks (an insert), else they must be chunks already.
   */
  private locate(id: number, create = false): number {
    const length = this.lengths[id]!;
    let base = 0;
    let level = 0;
    for (;;) {
      const start = this.levelStart[level]!;
      const stride = this.stride[level]!;
      const index = this.bitsOfPrefix(id, start, stride);
      if (length <= start + stride) {
        this.pathBase[level] = base;
        this.pathIndex[level] = index;
        break;
      }
      const slot = base + index;
      let v = this.pool[slot]!;
      if (v >= 0) {
        if (!create) throw new Error(`trie has no chunk on the way to prefix ${id}`);
        // A leaf (or nothing) above a longer prefix becomes a chunk pre-filled with that leaf, which then has a
        // more-specific: it is no longer sole. (setSole descends too: the path is recorded after it.)
        if ((v & LEAF_SOLE) !== 0) {
          this.setSole((v >> LEAF_ID_SHIFT) - 1, false);
          v = this.pool[slot]!;
        }
        v = ~this.allocChunk(this.stride[level + 1]!, v);
        this.pool[slot] = v;
        this.refreshVaries(base, stride, index, index + 1);
      }
      this.pathBase[level] = base;
      this.pathIndex[level] = index;
      base = ~v << 4;
      level++;
    }
    this.locatedLevel = level;
    return level;
  }

  /** `count` bits of prefix id's address from bit `start` (0 = most significant); never straddles a word. */
  private bitsOfPrefix(id: number, start: number, count: number): number {
    const w = this.words[id * this.wordsPerPrefix + (start >>> 5)]!;
    return (w >>> (32 - (start & 31) - count)) & ((1 << count) - 1);
  }

  /** Puts a new prefix into the trie: its slots, the sole marks (its own, its nearest cover's) and the summaries. */
  private trieInsert(id: number): void {
    const length = this.lengths[id]!;
    const level = this.locate(id, true);
    const base = this.pathBase[level]!;
    const first = this.pathIndex[level]!;
    const stride = this.stride[level]!;
    const depth = length - this.levelStart[level]!;
    const count = 1 << (stride - depth);
    // Sole (no more-specific) when its range holds one value that is not a chunk: its cover's leaf, or nothing.
    const before = this.pool[base + first]!;
    const sole = before >= 0 && (depth === stride || !this.blockVaries(base, stride, depth, first));
    if (before > 0 && (before & LEAF_SOLE) !== 0 && (before & LEAF_LENGTH) < length) {
      // Our nearest cover was sole (so it lies at this level and its range holds only its leaf): now it has us.
      // (Its range stays uniform but for ours: refreshing ours below covers every block that changes.)
      const coverCount = 1 << (this.levelStart[level]! + stride - (before & LEAF_LENGTH));
      const from = first & ~(coverCount - 1);
      this.pool.fill(before & ~LEAF_SOLE, base + from, base + from + coverCount);
    }
    const leaf = leafOf(id, length) | (sole ? LEAF_SOLE : 0);
    if (count === 1 && before >= 0) this.pool[base + first] = leaf; // the usual case: one slot, no chunk below
    else if (sole) this.pool.fill(leaf, base + first, base + first + count);
    else for (let s = first; s < first + count; s++) this.writeSlot(base + s, leaf, -1, level + 1);
    this.refreshVaries(base, stride, first, first + count, sole);
  }

  /** Whether the block at `depth` (0 = the whole chunk) holding slot `index` of a chunk has different slots. */
  private blockVaries(base: number, stride: number, depth: number, index: number): boolean {
    const h = (1 << depth) | (index >>> (stride - depth));
    return (this.varies[(base >>> UNIT_SHIFT) + (h >>> 4)]! & (1 << (h & 15))) !== 0;
  }

  /**
   * Takes prefix `id` out of the trie: its slots get `replacement` (the covering prefix's leaf, or 0), and chunks
   * that became uniform on the way are freed, their parent slot taking the single value back.
   */
  private trieRemove(id: number, replacement: number): void {
    const length = this.lengths[id]!;
    const level = this.locate(id);
    const base = this.pathBase[level]!;
    const first = this.pathIndex[level]!;
    const stride = this.stride[level]!;
    const count = 1 << (this.levelStart[level]! + stride - length);
    // A sole prefix's range held only its leaf: it becomes one value again.
    const wasSole = this.pool[base + first] === (leafOf(id, length) | LEAF_SOLE);
    if (wasSole) this.pool.fill(replacement, base + first, base + first + count);
    else for (let s = first; s < first + count; s++) this.writeSlot(base + s, replacement, id, level + 1);
    this.refreshVaries(base, stride, first, first + count, wasSole);
    for (let k = level; k > 0; k--) {
      const chunkBase = this.pathBase[k]!;
      // Uniform: block 1 (the whole chunk) does not vary.
      if ((this.varies[chunkBase >>> UNIT_SHIFT]! & 2) !== 0) break;
      const value = this.pool[chunkBase]!;
      const parentBase = this.pathBase[k - 1]!;
      const parentIndex = this.pathIndex[k - 1]!;
      this.pool[parentBase + parentIndex] = value;
      this.freeChunkAt(chunkBase >>> UNIT_SHIFT, this.stride[k]!);
      this.refreshVaries(parentBase, this.stride[k - 1]!, parentIndex, parentIndex + 1);
    }
  }

  /**
   * One slot of a trie write, descending into child chunks (`level` is the child's level):
   * insert (removing = -1): slots holding nothing or a shorter prefix take `value`; remove: slots holding prefix
   * `removing` take `value`.
   */
  private writeSlot(slot: number, value: number, removing: number, level: number): void {
    const v = this.pool[slot]!;
    if (v < 0) {
      const base = ~v << 4;
      const stride = this.stride[level]!;
      const size = 1 << stride;
      for (let s = 0; s < size; s++) this.writeSlot(base + s, value, removing, level + 1);
      this.refreshVaries(base, stride, 0, size);
    } else if (removing < 0) {
      if ((v & LEAF_LENGTH) <= (value & LEAF_LENGTH)) this.pool[slot] = value;
    } else if (v !== 0 && (v >> LEAF_ID_SHIFT) - 1 === removing) {
      this.pool[slot] = value;
    }
  }

  /** Re-decides whether prefix `id` is sole (no more-specific): its block at its own level is all its leaf. */
  private updateSole(id: number): void {
    const level = this.locate(id);
    const base = this.pathBase[level]!;
    const index = this.pathIndex[level]!;
    const stride = this.stride[level]!;
    const depth = this.lengths[id]! - this.levelStart[level]!;
    const sole = this.pool[base + index]! > 0 && (depth === stride || !this.blockVaries(base, stride, depth, index));
    // Its first slot shows what it is now (its own leaf, marked or not, when it has no more-specific there).
    const leaf = leafOf(id, this.lengths[id]!);
    if (sole !== (this.pool[base + index] === (leaf | LEAF_SOLE))) this.setSole(id, sole);
  }

  /**
   * Sets or clears LEAF_SOLE in every slot of prefix `id` at its own level. Only for a prefix whose range there
   * holds nothing but its own leaf (a sole one, or one about to become sole): the range stays uniform, so no
   * "varies" bit changes.
   */
  private setSole(id: number, sole: boolean): void {
    const level = this.locate(id);
    const base = this.pathBase[level]!;
    const first = this.pathIndex[level]!;
    const count = 1 << (this.levelStart[level]! + this.stride[level]! - this.lengths[id]!);
    const leaf = leafOf(id, this.lengths[id]!);
    this.pool.fill(sole ? leaf | LEAF_SOLE : leaf, base + first, base + first + count);
  }

  /**
   * Recomputes the "varies" bits of the blocks of a chunk (first slot `base`, 2^stride slots) that contain slots
   * [from, to), bottom up: a block varies when one of its halves varies or their first slots differ. With
   * `uniform` (the caller wrote one value over the whole aligned range), the blocks inside the range are known
   * not to vary: a table load's short prefixes cost a word write per 16 of them instead of a comparison each.
   */
  private refreshVaries(base: number, stride: number, from: number, to: number, uniform = false): void {
    const pool = this.pool;
    const varies = this.varies;
    const unit = base >>> UNIT_SHIFT;
    if (stride === UNIT_SHIFT && to === from + 1) {
      // One slot of a 16-slot chunk (most writes of a table load, bench:ingest): its 15 bits in one word, in a
      // register, up the four blocks that hold it.
      let bits = varies[unit]!;
      let j = from;
      for (let depth = 3; depth >= 0; depth--) {
        j >>>= 1;
        const h = (1 << depth) | j;
        const span = 3 - depth;
        const differs =
          span === 0
            ? pool[base + 2 * j] !== pool[base + 2 * j + 1]
            : ((bits >>> (2 * h)) & 3) !== 0 || pool[base + ((2 * j) << span)] !== pool[base + ((2 * j + 1) << span)];
        bits = differs ? bits | (1 << h) : bits & ~(1 << h);
      }
      varies[unit] = bits;
      return;
    }
    let lo = from;
    let hi = to - 1;
    for (let depth = stride - 1; depth >= 0; depth--) {
      lo >>>= 1;
      hi >>>= 1;
      const span = stride - depth - 1; // log2 of a child block's slots
      if (uniform && lo << (span + 1) >= from && (hi + 1) << (span + 1) <= to) {
        this.clearVaries(unit, (1 << depth) | lo, (1 << depth) | hi);
        continue;
      }
      let changed = false;
      for (let j = lo; j <= hi; j++) {
        const h = (1 << depth) | j;
        const left = 2 * h;
        let differs: boolean;
        if (span === 0) {
          differs = pool[base + 2 * j] !== pool[base + 2 * j + 1];
        } else {
          const childBits = (varies[unit + (left >>> 4)]! >>> (left & 15)) & 3;
          differs = childBits !== 0 || pool[base + ((2 * j) << span)] !== pool[base + ((2 * j + 1) << span)];
        }
        const e = unit + (h >>> 4);
        const bit = 1 << (h & 15);
        const old = varies[e]!;
        const now = differs ? old | bit : old & ~bit;
        if (now !== old) {
          varies[e] = now;
          changed = true;
        }
      }
      // One block left whose bit stayed and whose first slot was not written: nothing above it can change
      // (its parent reads only its bit and its first slot). Most writes stop here within a level or two.
      if (!changed && lo === hi && lo << (span + 1) < from) return;
    }
  }

  /** Clears the "varies" bits of blocks first..last (heap numbers) of the chunk at `unit`. */
  private clearVaries(unit: number, first: number, last: number): void {
    const varies = this.varies;
    for (let h = first; h <= last; ) {
      if ((h & 15) === 0 && h + 15 <= last) {
        varies[unit + (h >>> 4)] = 0;
        h += 16;
      } else {
        varies[unit + (h >>> 4)]! &= ~(1 << (h & 15));
        h++;
      }
    }
  }

  /** Returns the first 16-slot unit of a new chunk of 2^stride slots, every slot set to `fill`. */
  private allocChunk(stride: number, fill: number): number {
    const units = 1 << (stride - UNIT_SHIFT);
    let unit = this.freeChunk[stride]!;
    const fresh = unit < 0;
    if (!fresh) {
      this.freeChunk[stride] = this.pool[unit << 4]!;
    } else {
      unit = this.unitCount;
      this.unitCount += units;
      if (this.unitCount << UNIT_SHIFT > this.pool.length) this.growPool();
    }
    // A uniform chunk: no block varies. Never-used units are still zero (empty): no need to write (and touch)
    // them for an empty fill.
    this.varies.fill(0, unit, unit + units);
    if (fill !== 0 || !fresh) this.pool.fill(fill, unit << 4, (unit + units) << 4);
    this.liveChunks++;
    return unit;
  }

  /**
   * Doubles the pool, copying only the 4 KiB blocks that hold something: the untouched parts of the first level
   * (most of the IPv6 one) stay unmapped zero pages instead of becoming resident through the copy.
   */
  private growPool(): void {
    const old = this.pool;
    const bigger = new Int32Array(old.length * 2);
    const rootSlots = 1 << ROOT_BITS;
    for (let start = 0; start < rootSlots; start += 1024) {
      let used = false;
      for (let i = start; i < start + 1024; i++) {
        if (old[i] !== 0) {
          used = true;
          break;
        }
      }
      if (used) bigger.set(old.subarray(start, start + 1024), start);
    }
    bigger.set(old.subarray(rootSlots), rootSlots);
    this.pool = bigger;
    const varies = new Uint16Array(bigger.length >>> UNIT_SHIFT);
    varies.set(this.varies);
    this.varies = varies;
  }

  private freeChunkAt(unit: number, stride: number): void {
    this.pool[unit << 4] = this.freeChunk[stride]!;
    this.freeChunk[stride] = unit;
    this.liveChunks--;
  }

  // ---------------------------------------------------------------- records and hash

  private allocRecord(): number {
    if (this.freeHead >= 0) {
      const id = this.freeHead;
      this.freeHead = this.head[id]!;
      return id;
    }
    if (this.highWater === this.capacity) this.growRecords();
    return this.highWater++;
  }

  private growRecords(): void {
    if (this.capacity >= MAX_PREFIXES_PER_FAMILY) {
      throw new RangeError(`more than ${MAX_PREFIXES_PER_FAMILY} ${this.afi === Afi.IPv4 ? 'IPv4' : 'IPv6'} prefixes`);
    }
    const cap = Math.min(MAX_PREFIXES_PER_FAMILY, this.capacity * 2);
    const words = new Int32Array(cap * this.wordsPerPrefix);
    words.set(this.words);
    this.words = words;
    const lengths = new Uint8Array(cap);
    lengths.set(this.lengths);
    this.lengths = lengths;
    const head = new Int32Array(cap);
    head.set(this.head);
    this.head = head;
    this.capacity = cap;
    if (idMaskFor(cap) !== this.idMask) {
      // Ids need more bits than the hash entries give them: rebuild the index with a narrower tag.
      this.idMask = idMaskFor(cap);
      this.rebuildHash(this.hashMask + 1);
    }
  }

  private hashOf(a: number, b: number, c: number, d: number, length: number): number {
    let h = Math.imul(a ^ Math.imul(length, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h ^ b, 0xc2b2ae35);
    h ^= h >>> 13;
    h = Math.imul(h ^ c, 0x85ebca6b);
    h ^= h >>> 16;
    h = Math.imul(h ^ d, 0xc2b2ae35);
    h ^= h >>> 15;
    return h;
  }

  private hashOfId(id: number): number {
    const n = this.wordsPerPrefix;
    const o = id * n;
    return n === 1
      ? this.hashOf(this.words[o]!, 0, 0, 0, this.lengths[id]!)
      : this.hashOf(this.words[o]!, this.words[o + 1]!, this.words[o + 2]!, this.words[o + 3]!, this.lengths[id]!);
  }

  private hashInsert(id: number): void {
    const full = this.hashOfId(id);
    let h = full & this.hashMask;
    while (this.hash[h] !== 0) h = (h + 1) & this.hashMask;
    this.hash[h] = (full & ~this.idMask) | (id + 1);
  }

  private hashDelete(id: number, a: number, b: number, c: number, d: number, length: number): void {
    const mask = this.hashMask;
    const idMask = this.idMask;
    let h = this.hashOf(a, b, c, d, length) & mask;
    while ((this.hash[h]! & idMask) !== id + 1) h = (h + 1) & mask;
    // Backward-shift deletion: move later entries of the probe run into the hole when their home allows it.
    let hole = h;
    let j = h;
    for (;;) {
      j = (j + 1) & mask;
      const e = this.hash[j]!;
      if (e === 0) break;
      const home = this.hashOfId((e & idMask) - 1) & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.hash[hole] = e;
        hole = j;
      }
    }
    this.hash[hole] = 0;
  }

  private growHash(): void {
    this.rebuildHash((this.hashMask + 1) * 2);
  }

  private rebuildHash(size: number): void {
    this.hash = new Int32Array(size);
    this.hashMask = size - 1;
    this.missSlot = -1;
    for (let i = 0; i < this.highWater; i++) if (this.lengths[i] !== FREE_LENGTH) this.hashInsert(i);
  }
}

/** The trie value of prefix id with the given length (without the sole mark). */
function leafOf(id: number, length: number): number {
  return ((id + 1) << LEAF_ID_SHIFT) | length;
}

/** The low bits of a hash entry that hold id + 1 for ids below `capacity`. */
function idMaskFor(capacity: number): number {
  const bits = 32 - Math.clz32(capacity);
  return bits >= 31 ? -1 : (1 << bits) - 1;
}

/** `count` bits of a 128-bit address held in four words, from bit `start` (0 = most significant). */
function bitsOf(w: Int32Array, start: number, count: number): number {
  return (w[start >>> 5]! >>> (32 - (start & 31) - count)) & ((1 << count) - 1);
}

/** The words with every bit past `length` cleared, written into out. */
function maskOf(a: number, b: number, c: number, d: number, length: number, out: Int32Array): Int32Array {
  out[0] = length >= 32 ? a : length === 0 ? 0 : a & (~0 << (32 - length));
  out[1] = length >= 64 ? b : length <= 32 ? 0 : b & (~0 << (64 - length));
  out[2] = length >= 96 ? c : length <= 64 ? 0 : c & (~0 << (96 - length));
  out[3] = length >= 128 ? d : length <= 96 ? 0 : d & (~0 << (128 - length));
  return out;
}
