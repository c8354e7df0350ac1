import { Afi } from '../bgp/index.js';
import { parsePrefix } from '../rib/index.js';

/**
 * The operator's static overrides of one family: prefixes whose clients get a given POP whatever the routes say
 * (longest override wins). Kept as flat typed arrays, longest first, and scanned: an override list is an
 * operator's short list (tens), and the one pass that finds the match also gives the ECS scope the overrides
 * allow, which a trie walk would have to work out separately. 1,000 overrides cost about a microsecond.
 */
export class OverrideTable {
  private words: Int32Array;
  private lengths: Uint8Array;
  private pops: Int32Array;
  private readonly wordsPer: number;
  private readonly maxLength: number;
  count = 0;
  /** The prefixes' text, in the table's order (longest first). */
  prefixes: string[] = [];

  /** After match(): the ECS scope the overrides allow (see match). */
  scope = 0;
  /** After match(): the index of the matched override (in the table's order, longest first), -1 when none. */
  matched = -1;

  constructor(readonly afi: Afi) {
    this.wordsPer = afi === Afi.IPv4 ? 1 : 4;
    this.maxLength = afi === Afi.IPv4 ? 32 : 128;
    this.words = new Int32Array(0);
    this.lengths = new Uint8Array(0);
    this.pops = new Int32Array(0);
  }

  /** Replaces the overrides: `prefix` texts (canonical, host bits zero) of this family, each with a POP index. */
  set(entries: readonly { prefix: string; pop: number }[]): void {
    const parsed = entries
      .map((e) => ({ p: parsePrefix(e.prefix, true), prefix: e.prefix, pop: e.pop }))
      .filter((e) => e.p.afi === this.afi)
      .sort((x, y) => y.p.length - x.p.length);
    const n = parsed.length;
    this.words = new Int32Array(n * this.wordsPer);
    this.lengths = new Uint8Array(n);
    this.pops = new Int32Array(n);
    this.prefixes = parsed.map((e) => e.prefix);
    parsed.forEach((e, i) => {
      const o = i * this.wordsPer;
      this.words[o] = e.p.a | 0;
      if (this.wordsPer === 4) {
        this.words[o + 1] = e.p.b | 0;
        this.words[o + 2] = e.p.c | 0;
        this.words[o + 3] = e.p.d | 0;
      }
      this.lengths[i] = e.p.length;
      this.pops[i] = e.pop;
    });
    this.count = n;
  }

  /** The POP of override i (as given to set), and its prefix length. */
  popOf(i: number): number {
    return this.pops[i]!;
  }

  lengthOf(i: number): number {
    return this.lengths[i]!;
  }

  /** Word w (0..3) of override i's prefix. */
  wordOf(i: number, w: number): number {
    return w < this.wordsPer ? this.words[i * this.wordsPer + w]! >>> 0 : 0;
  }

  /**
   * Finds the longest override containing the address (its index in `matched`, -1 when none; returns the POP,
   * -1 when none) and sets `scope` to the shortest block length around the address inside which the overrides
   * decide alike: at least the matched override's length, and long enough that no other override lies inside the
   * block. (An override O not containing the address first differs from it at bit k < |O|: the block must be
   * longer than k.) Allocation-free.
   */
  match(a: number, b: number, c: number, d: number): number {
    let scope = 0;
    let matched = -1;
    const n = this.count;
    const words = this.words;
    const per = this.wordsPer;
    for (let i = 0; i < n; i++) {
      const len = this.lengths[i]!;
      const o = i * per;
      // Bits in common between the address and the override's prefix, up to its length.
      let common = commonBits(a, words[o]!);
      if (per === 4) {
        if (common === 32) common += commonBits(b, words[o + 1]!);
        if (common === 64) common += commonBits(c, words[o + 2]!);
        if (common === 96) common += commonBits(d, words[o + 3]!);
      }
      if (common >= len) {
        // Contains the address; the first one found is the longest (sorted).
        if (matched < 0) matched = i;
        if (len > scope) scope = len;
      } else if (common + 1 > scope) {
        scope = common + 1;
      }
    }
    this.matched = matched;
    this.scope = scope > this.maxLength ? this.maxLength : scope;
    return matched < 0 ? -1 : this.pops[matched]!;
  }
}

/** Leading bits two 32-bit words have in common (32 when equal). */
function commonBits(x: number, y: number): number {
  return Math.clz32((x ^ y) | 0);
}
