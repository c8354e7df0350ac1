import { Afi } from '../bgp/index.js';

/**
 * The prefixes of one address family: records, an exact-match index and a longest-prefix-match trie.
 *
 * Layout, and why:
 * - Prefix records are struct-of-arrays (address words, length, plus two int slots the RIB uses for its path list
 *   head and best path), indexed by a small integer "prefix id" and recycled through a free list. No object per
 *   prefix: a full table is ~730k prefixes and one JS object each would cost more memory than the whole table.
 * - Exact match (insert/remove/exact lookup) is an open-addressing hash over (words, length) in an Int32Array,
 *   with backward-shift deletion so there are no tombstones. A hash entry is (prefix id + 1) in its low bits and
 *   the top bits of the key's hash above them: a probe rejects other keys on those bits alone, without loading
 *   their records (on a full-table load most probes are misses, and each record load was a cache miss).
 * - Longest match is a multibit trie with controlled prefix expansion: a first level indexed by the top bits, then
 *   chunks of 2^stride slots. IPv4 is 20-4-8 (1-3 dependent loads, like 16-8-8): a 4 MiB first level plus 16-slot
 *   chunks for the /20s that hold longer prefixes costs ~11 MiB for a full table where 16-8-8 costs ~20 MiB
 *   (its 256-slot /16 chunks are mostly sparse), and is as fast. IPv6 is 20-12-4-4-4-4-8-...: a /32 is 2 loads;
 *   only ~650 /20s hold longer prefixes in a full table (10 MiB of 4096-slot chunks), and most of the 4 MiB first
 *   level (outside 2000::/3) is never touched, so never resident. Between /32 and /48, where real IPv6 tables are
 *   sparse (a /40 chunk often holds one /48), 16-slot chunks (one 64-byte cache line) instead of 256-slot ones:
 *   8-bit strides there cost ~30 MiB for a full table, these ~3 MiB, for two more loads on a /48. (Measured on the
 *   synthetic table: 16-8-8-4-4-4-4 is ~10% slower; 16-16-4-4-4-4 about as fast but 7 MiB bigger; 16-8-4-4-4-4-4-4
 *   half the speed.) Every slot is one int32 in ONE Int32Array (the first level is the start of the
 *   pool), so a lookup touches no object:
 *     0            no route
 *     > 0          leaf: (prefixId + 1) << 8 | length of the prefix that filled the slot
 *     < 0          ~unit: a child chunk whose slots start at unit << 4 (chunks are allocated in 16-slot units)
 *   The length kept in the leaf is what makes updates in place possible: an insert overwrites only slots filled
 *   by a shorter prefix (so a shorter prefix never hides a longer one), a remove rewrites the slots it filled with
 *   the next covering prefix found through the exact index. A chunk that becomes uniform after a remove is freed
 *   and its parent slot takes the single value back, so memory follows the table.
 *   Strides never straddle a 32-bit word of an IPv6 address (levels start at multiples of the stride).
 */
export class PrefixTable {
  readonly afi: Afi;
  readonly maxLength: number;
  /** Words per address: 1 (IPv4) or 4 (IPv6). */
  readonly wordsPerPrefix: number;

  // --- records ---
  /** Address words of prefix id i at [i * wordsPerPrefix ...]. */
  words: Uint32Array;
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
  /** Slots of every chunk; the first 65,536 are the first level. */
  pool: Int32Array;
  /** Address bits indexing the first level: 20 for IPv4, 16 for IPv6. */
  private readonly rootBits: number;
  /** 16-slot units handed out so far (the first level comes first). */
  private unitCount: number;
  /** Free-list heads of freed chunks, by stride (4 or 8). */
  private readonly freeChunk = new Array<number>(17).fill(-1);
  private liveChunks = 0;
  /** Stride (bits) of each level below the first; levelStart[i] is the first address bit of level i. */
  private readonly stride: Uint8Array;
  private readonly levelStart: Uint8Array;
  /** Slot indices along the last descent (for collapsing on remove). */
  private readonly pathSlots = new Int32Array(32);

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
    this.capacity = Math.max(16, initialPrefixes);
    this.words = new Uint32Array(this.capacity * this.wordsPerPrefix);
    this.lengths = new Uint8Array(this.capacity);
    this.head = new Int32Array(this.capacity);
    this.lengthCount = new Int32Array(this.maxLength + 1);
    let hashSize = 1024;
    while (hashSize < this.capacity) hashSize *= 2;
    this.hash = new Int32Array(hashSize);
    this.hashMask = hashSize - 1;
    this.idMask = idMaskFor(this.capacity);
    const strides = afi === Afi.IPv4 ? [4, 8] : [12, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8];
    this.stride = Uint8Array.from(strides);
    this.levelStart = new Uint8Array(strides.length);
    this.rootBits = 20;
    for (let i = 0, bit = this.rootBits; i < strides.length; bit += strides[i]!, i++) this.levelStart[i] = bit;
    const fullSize = this.capacity >= 1 << 18;
    const rootSlots = 1 << this.rootBits;
    this.unitCount = rootSlots / 16;
    this.pool = new Int32Array(rootSlots + (fullSize ? (afi === Afi.IPv4 ? 16 * 262144 + 256 * 8192 : 4096 * 1024 + 16 * 262144) : 65536 * 2));
  }

  /** Number of prefixes in the table. */
  get size(): number {
    return this.live;
  }

  /** Chunks of 256 slots in use below the first level (memory indicator). */
  get chunks(): number {
    return this.liveChunks;
  }

  /** Bytes of the typed arrays actually in use (what a full table costs in RSS; the reserve beyond is untouched). */
  get usedBytes(): number {
    return this.highWater * (this.wordsPerPrefix * 4 + 5) + this.hash.byteLength + this.unitCount * 64;
  }

  /** Bytes reserved by the typed arrays of this table (address space; see the constructor). */
  get bytes(): number {
    return (
      this.words.byteLength +
      this.lengths.byteLength +
      this.head.byteLength +
      this.hash.byteLength +
      this.pool.byteLength
    );
  }

  /** Longest match of an IPv4 address: prefix id or -1. Hot path: three loads at most, no allocation. */
  lookup4(address: number): number {
    const pool = this.pool;
    let v = pool[address >>> 12]!;
    if (v < 0) {
      v = pool[(~v << 4) + ((address >>> 8) & 15)]!;
      if (v < 0) v = pool[(~v << 4) + (address & 255)]!;
    }
    return (v >> 8) - 1;
  }

  /** Longest match of an IPv6 address given as four words: prefix id or -1. Hot path, no allocation. */
  lookup6(a: number, b: number, c: number, d: number): number {
    const pool = this.pool;
    // Levels: 20 | 12 | 4 4 | 4 4 | 8 8 | 8 8 8 8 | 8 8 8 8 (see the class comment).
    let v = pool[a >>> 12]!;
    if (v >= 0) return (v >> 8) - 1;
    v = pool[(~v << 4) + (a & 0xfff)]!;
    if (v >= 0) return (v >> 8) - 1;
    v = pool[(~v << 4) + (b >>> 28)]!;
    if (v >= 0) return (v >> 8) - 1;
    v = pool[(~v << 4) + ((b >>> 24) & 15)]!;
    if (v >= 0) return (v >> 8) - 1;
    v = pool[(~v << 4) + ((b >>> 20) & 15)]!;
    if (v >= 0) return (v >> 8) - 1;
    v = pool[(~v << 4) + ((b >>> 16) & 15)]!;
    if (v >= 0) return (v >> 8) - 1;
    v = pool[(~v << 4) + ((b >>> 8) & 255)]!;
    if (v >= 0) return (v >> 8) - 1;
    v = pool[(~v << 4) + (b & 255)]!;
    if (v >= 0) return (v >> 8) - 1;
    // Past /64: rare in real tables, so a loop over the remaining bytes.
    for (let k = 8; k < 16; k++) {
      const w = k < 12 ? c : d;
      v = pool[(~v << 4) + ((w >>> (24 - 8 * (k & 3))) & 255)]!;
      if (v >= 0) return (v >> 8) - 1;
    }
    return (v >> 8) - 1;
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

  /** Exact match: prefix id or -1. Host bits must be zero. */
  find(a: number, b: number, c: number, d: number, length: number): number {
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
   * (then `lastInsertWasNew` is false). Words beyond the family are ignored (pass 0).
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
    this.words[o] = a >>> 0;
    if (n === 4) {
      this.words[o + 1] = b >>> 0;
      this.words[o + 2] = c >>> 0;
      this.words[o + 3] = d >>> 0;
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
    this.trieWrite(id, ((id + 1) << 8) | length, 0);
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
    const replacement = cover < 0 ? 0 : ((cover + 1) << 8) | this.lengths[cover]!;
    this.trieWrite(id, replacement, ((id + 1) << 8) | length);
    this.missSlot = -1;
    this.lengths[id] = FREE_LENGTH;
    this.head[id] = this.freeHead;
    this.freeHead = id;
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

  private readonly scratchMask = new Uint32Array(4);

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
    const m = maskOf(a, b, c, d, length, new Uint32Array(4));
    const seen = new Set<number>();
    const visit = (v: number, level: number): void => {
      if (v > 0) {
        if ((v & 255) >= length) seen.add((v >> 8) - 1);
      } else if (v < 0) {
        const base = ~v << 4;
        const size = 1 << this.stride[level]!;
        for (let i = 0; i < size; i++) visit(this.pool[base + i]!, level + 1);
      }
    };
    // Find the slot range of the prefix at the level where it ends.
    const rootBits = this.rootBits;
    if (length <= rootBits) {
      const start = m[0]! >>> (32 - rootBits);
      const count = 1 << (rootBits - length);
      for (let s = start; s < start + count; s++) visit(this.pool[s]!, 0);
    } else {
      let v = this.pool[m[0]! >>> (32 - rootBits)]!;
      for (let level = 0; ; level++) {
        if (v >= 0) {
          visit(v, level);
          break;
        }
        const base = ~v << 4;
        const stride = this.stride[level]!;
        const end = this.levelStart[level]! + stride;
        const index = bitsOf(m, this.levelStart[level]!, stride);
        if (length <= end) {
          const count = 1 << (end - length);
          for (let s = index; s < index + count; s++) visit(this.pool[base + s]!, level + 1);
          break;
        }
        v = this.pool[base + index]!;
      }
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

  /** All live prefix ids in prefix order (address, then length). Allocates; for dumps and queries, not lookups. */
  sorted(): Int32Array {
    const ids = new Int32Array(this.live);
    let k = 0;
    for (let i = 0; i < this.highWater; i++) if (this.lengths[i] !== FREE_LENGTH) ids[k++] = i;
    if (this.wordsPerPrefix === 1) {
      // Numeric keys sort natively (no comparator): address * 64 + length is exact in a double.
      const keys = new Float64Array(ids.length);
      for (let i = 0; i < ids.length; i++) keys[i] = this.words[ids[i]!]! * 64 + this.lengths[ids[i]!]!;
      keys.sort();
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        ids[i] = this.find(Math.floor(key / 64), 0, 0, 0, key % 64);
      }
      return ids;
    }
    return ids.sort((x, y) => this.compareIds(x, y));
  }

  /** Orders two prefix ids by address then length. */
  compareIds(x: number, y: number): number {
    const n = this.wordsPerPrefix;
    for (let i = 0; i < n; i++) {
      const wx = this.words[x * n + i]!;
      const wy = this.words[y * n + i]!;
      if (wx !== wy) return wx < wy ? -1 : 1;
    }
    return this.lengths[x]! - this.lengths[y]!;
  }

  private sortIds(ids: number[]): number[] {
    return ids.sort((x, y) => this.compareIds(x, y));
  }

  /** Copies the words of prefix id into out[0..3] (zeros past the family). */
  wordsOf(id: number, out: Uint32Array | number[]): void {
    const n = this.wordsPerPrefix;
    const o = id * n;
    out[0] = this.words[o]!;
    out[1] = n === 4 ? this.words[o + 1]! : 0;
    out[2] = n === 4 ? this.words[o + 2]! : 0;
    out[3] = n === 4 ? this.words[o + 3]! : 0;
  }

  /** Live prefix ids in storage order (cheap; no ordering). */
  *ids(): Generator<number> {
    for (let i = 0; i < this.highWater; i++) if (this.lengths[i] !== FREE_LENGTH) yield i;
  }

  // ---------------------------------------------------------------- trie

  /**
   * Writes `value` into every slot of prefix `id`'s range whose current value is eligible:
   * insert (expect = 0): slots holding a prefix of length <= ours; remove (expect = our leaf): slots holding us.
   * Descends into (and for inserts, creates) chunks along the way.
   */
  private trieWrite(id: number, value: number, expect: number): void {
    const n = this.wordsPerPrefix;
    const o = id * n;
    const length = this.lengths[id]!;
    const m = this.scratchWords;
    m[0] = this.words[o]!;
    m[1] = n === 4 ? this.words[o + 1]! : 0;
    m[2] = n === 4 ? this.words[o + 2]! : 0;
    m[3] = n === 4 ? this.words[o + 3]! : 0;
    const rootBits = this.rootBits;
    if (length <= rootBits) {
      const start = m[0]! >>> (32 - rootBits);
      const end = start + (1 << (rootBits - length));
      for (let s = start; s < end; s++) this.writeSlot(s, value, length, expect, 0);
      return;
    }
    let slot = m[0]! >>> (32 - rootBits);
    let depth = 0;
    for (let level = 0; ; level++) {
      this.pathSlots[depth++] = slot;
      let v = this.pool[slot]!;
      const stride = this.stride[level]!;
      if (v >= 0) {
        // Inserts only: a leaf (or nothing) above a longer prefix becomes a chunk pre-filled with that leaf.
        v = ~this.allocChunk(stride, v);
        this.pool[slot] = v;
      }
      const base = ~v << 4;
      const index = bitsOf(m, this.levelStart[level]!, stride);
      const end = this.levelStart[level]! + stride;
      if (length <= end) {
        const last = index + (1 << (end - length));
        for (let s = index; s < last; s++) this.writeSlot(base + s, value, length, expect, level + 1);
        break;
      }
      slot = base + index;
    }
    if (expect !== 0) {
      // After a remove, chunks along the path may have become uniform: give their single value back to the parent.
      for (let i = depth - 1; i >= 0; i--) {
        const parent = this.pathSlots[i]!;
        const unit = ~this.pool[parent]!;
        const base = unit << 4;
        const size = 1 << this.stride[i]!;
        const first = this.pool[base]!;
        if (first < 0) break;
        let uniform = true;
        for (let s = 1; s < size; s++) {
          if (this.pool[base + s] !== first) {
            uniform = false;
            break;
          }
        }
        if (!uniform) break;
        this.pool[parent] = first;
        this.freeChunkAt(unit, this.stride[i]!);
      }
    }
  }

  private readonly scratchWords = new Uint32Array(4);

  private writeSlot(slot: number, value: number, length: number, expect: number, level: number): void {
    const v = this.pool[slot]!;
    if (v < 0) {
      const base = ~v << 4;
      const size = 1 << this.stride[level]!;
      for (let s = 0; s < size; s++) this.writeSlot(base + s, value, length, expect, level + 1);
    } else if (expect === 0 ? (v & 255) <= length : v === expect) {
      this.pool[slot] = value;
    }
  }

  /** Returns the first 16-slot unit of a new chunk of 2^stride slots, every slot set to `fill`. */
  private allocChunk(stride: number, fill: number): number {
    const units = 1 << (stride - 4);
    let unit = this.freeChunk[stride]!;
    if (unit >= 0) {
      this.freeChunk[stride] = this.pool[unit << 4]!;
    } else {
      unit = this.unitCount;
      this.unitCount += units;
      if (this.unitCount * 16 > this.pool.length) {
        this.growPool();
      }
      // Never-used units are still zero (empty): no need to write (and touch) them for an empty fill.
      if (fill === 0) {
        this.liveChunks++;
        return unit;
      }
    }
    this.pool.fill(fill, unit << 4, (unit << 4) + units * 16);
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
    const rootSlots = 1 << this.rootBits;
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
    const cap = this.capacity * 2;
    const words = new Uint32Array(cap * this.wordsPerPrefix);
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

const FREE_LENGTH = 255;

/** The low bits of a hash entry that hold id + 1 for ids below `capacity`. */
function idMaskFor(capacity: number): number {
  const bits = 32 - Math.clz32(capacity);
  return bits >= 31 ? -1 : (1 << bits) - 1;
}

/** `count` bits of a 128-bit address held in four words, from bit `start` (0 = most significant). */
function bitsOf(w: Uint32Array, start: number, count: number): number {
  return (w[start >>> 5]! >>> (32 - (start & 31) - count)) & ((1 << count) - 1);
}

/** The words with every bit past `length` cleared, written into out. */
function maskOf(a: number, b: number, c: number, d: number, length: number, out: Uint32Array): Uint32Array {
  out[0] = length >= 32 ? a : length === 0 ? 0 : a & (~0 << (32 - length));
  out[1] = length >= 64 ? b : length <= 32 ? 0 : b & (~0 << (64 - length));
  out[2] = length >= 96 ? c : length <= 64 ? 0 : c & (~0 << (96 - length));
  out[3] = length >= 128 ? d : length <= 96 ? 0 : d & (~0 << (128 - length));
  return out;
}
