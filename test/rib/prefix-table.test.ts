import test from 'ava';
import { Afi } from '../../src/bgp/index.js';
import { formatPrefix, parsePrefix } from '../../src/rib/index.js';
import { PrefixTable } from '../../src/rib/prefix-table.js';
import { seededRandom } from '../../src/util/index.js';

interface RefPrefix {
  value: bigint;
  length: number;
}

/** The reference: a sorted list with linear longest match, over BigInt addresses. */
class Reference {
  list: RefPrefix[] = [];
  constructor(readonly bits: number) {}
  has(p: RefPrefix): boolean {
    return this.indexOf(p) >= 0;
  }
  insert(p: RefPrefix): void {
    // In order by binary search (a sort per insert made this test slow).
    const at = this.lowerBound(p);
    if (at < this.list.length && compare(this.list[at]!, p) === 0) return;
    this.list.splice(at, 0, p);
  }
  remove(p: RefPrefix): void {
    const i = this.indexOf(p);
    if (i >= 0) this.list.splice(i, 1);
  }
  /** Position of p in the sorted list, or -1. */
  indexOf(p: RefPrefix): number {
    const at = this.lowerBound(p);
    return at < this.list.length && compare(this.list[at]!, p) === 0 ? at : -1;
  }
  /** The first position whose prefix is not before p. */
  private lowerBound(p: RefPrefix): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(this.list[mid]!, p) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  contains(outer: RefPrefix, addr: bigint, length = this.bits): boolean {
    if (length < outer.length) return false;
    const shift = BigInt(this.bits - outer.length);
    return addr >> shift === outer.value >> shift;
  }
  /**
   * The ECS scope, straight from its definition: the shortest length S, at least the matched length, such that
   * no other prefix of the table lies inside the address's /S block.
   */
  scope(addr: bigint, match = this.longest(addr)): number {
    // "Some other prefix lies inside the /s block" holds for every s below the answer and none from it on:
    // binary search over s.
    let lo = match ? match.length : 0;
    let hi = this.bits;
    while (lo < hi) {
      const s = (lo + hi) >> 1;
      if (this.otherInside(addr, s, match)) lo = s + 1;
      else hi = s;
    }
    return lo;
  }
  /** Whether a prefix other than `match`, of length >= s, lies inside the /s block of addr. */
  private otherInside(addr: bigint, s: number, match: RefPrefix | undefined): boolean {
    const shift = BigInt(this.bits - s);
    const blockStart = (addr >> shift) << shift;
    const blockEnd = blockStart | ((1n << shift) - 1n);
    // The list is sorted by address: binary search the block's first prefix, then look for one of length >= s.
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid]!.value < blockStart) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.list.length && this.list[i]!.value <= blockEnd; i++) {
      const p = this.list[i]!;
      if (p !== match && p.length >= s) return true;
    }
    return false;
  }
  /** Whether some other prefix lies inside p. */
  hasMoreSpecific(p: RefPrefix): boolean {
    return this.list.some((q) => q.length > p.length && this.contains(p, q.value, q.length));
  }
  longest(addr: bigint): RefPrefix | undefined {
    let best: RefPrefix | undefined;
    for (const p of this.list) if (this.contains(p, addr) && (!best || p.length > best.length)) best = p;
    return best;
  }
}

function compare(x: RefPrefix, y: RefPrefix): number {
  return x.value < y.value ? -1 : x.value > y.value ? 1 : x.length - y.length;
}

function toWords(v: bigint, bits: number): [number, number, number, number] {
  if (bits === 32) return [Number(v), 0, 0, 0];
  return [0, 1, 2, 3].map((i) => Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn)) as [number, number, number, number];
}

function fromTable(t: PrefixTable, id: number, bits: number): RefPrefix {
  const w = new Uint32Array(4);
  t.wordsOf(id, w);
  const value = bits === 32 ? BigInt(w[0]!) : (BigInt(w[0]!) << 96n) | (BigInt(w[1]!) << 64n) | (BigInt(w[2]!) << 32n) | BigInt(w[3]!);
  return { value, length: t.lengths[id]! };
}

function runRandom(afi: Afi, seed: number, ops: number): { checks: number; scopes: number; size: number } {
  const bits = afi === Afi.IPv4 ? 32 : 128;
  const rand = seededRandom(seed);
  const big = (n: number): bigint => BigInt(Math.floor(rand() * n));
  const randomBits = (count: number): bigint => {
    let v = 0n;
    for (let i = 0; i < count; i += 16) v = (v << 16n) | big(65536);
    return v & ((1n << BigInt(count)) - 1n);
  };
  // Prefixes crowd into a few small regions so that they nest and overlap often; lengths cover 0..bits with
  // more weight on the usual ones, and host bits are random (then masked) so that siblings differ.
  const regions = [0n, 1n, 2n, (1n << BigInt(bits)) - 1n >> 4n, 0xan << BigInt(bits - 4)];
  const lengthsV4 = [0, 1, 7, 8, 12, 15, 16, 17, 19, 20, 22, 23, 24, 24, 24, 25, 28, 30, 31, 32];
  const lengthsV6 = [0, 3, 15, 16, 17, 24, 28, 29, 31, 32, 32, 33, 36, 40, 44, 47, 48, 48, 49, 56, 63, 64, 65, 96, 112, 127, 128];
  const lengths = afi === Afi.IPv4 ? lengthsV4 : lengthsV6;
  const randomPrefix = (): RefPrefix => {
    const region = regions[Math.floor(rand() * regions.length)]!;
    const length = lengths[Math.floor(rand() * lengths.length)]!;
    // Vary the bits from 8 below the top up to 8 bits past the boundary region used (nesting is likely).
    const varyFrom = Math.max(0, Math.min(bits, 8 + Math.floor(rand() * 24)));
    let addr = region ^ (randomBits(bits) >> BigInt(varyFrom));
    addr &= (1n << BigInt(bits)) - 1n;
    const shift = BigInt(bits - length);
    return { value: (addr >> shift) << shift, length };
  };
  const table = new PrefixTable(afi, 16);
  const ref = new Reference(bits);
  let checks = 0;
  let scopes = 0;
  const ids = new Map<string, number>();
  for (let op = 0; op < ops; op++) {
    const r = rand();
    if (r < 0.55 || ref.list.length < 10) {
      const p = randomPrefix();
      const w = toWords(p.value, bits);
      const existed = ref.has(p);
      const id = table.insert(w[0], w[1], w[2], w[3], p.length);
      if (table.lastInsertWasNew === existed) throw new Error(`insert new-ness wrong for ${p.value}/${p.length}`);
      ids.set(`${p.value}/${p.length}`, id);
      ref.insert(p);
    } else {
      const p = ref.list[Math.floor(rand() * ref.list.length)]!;
      const w = toWords(p.value, bits);
      const id = table.find(w[0], w[1], w[2], w[3], p.length);
      if (id < 0) throw new Error(`exact lookup lost ${p.value}/${p.length}`);
      table.remove(id);
      ref.remove(p);
    }
    if (table.size !== ref.list.length) throw new Error(`size ${table.size} != ${ref.list.length} at op ${op}`);
    // Longest match of an address drawn inside a random prefix, and of a fully random one.
    for (const addr of [
      ref.list.length > 0 ? ref.list[Math.floor(rand() * ref.list.length)]!.value | (randomBits(bits) >> BigInt(Math.floor(rand() * bits))) : 0n,
      randomPrefix().value | randomBits(8),
    ]) {
      const a = addr & ((1n << BigInt(bits)) - 1n);
      const w = toWords(a, bits);
      const got = afi === Afi.IPv4 ? table.lookup4(w[0]) : table.lookup6(w[0], w[1], w[2], w[3]);
      const want = ref.longest(a);
      const packed = afi === Afi.IPv4 ? table.lookupScoped4(w[0]) : table.lookupScoped6(w[0], w[1], w[2], w[3]);
      const scoped = PrefixTable.scopedId(packed);
      if (scoped !== got) throw new Error(`op ${op}: the scoped lookup of ${a} matched ${scoped}, the plain one ${got}`);
      const wantScope = ref.scope(a, want);
      if (PrefixTable.scopeOf(packed) !== wantScope) {
        throw new Error(`op ${op}: scope of ${a} (match ${want?.value}/${want?.length}) is ${PrefixTable.scopeOf(packed)}, want ${wantScope}`);
      }
      scopes++;
      const gotPrefix = got < 0 ? undefined : fromTable(table, got, bits);
      if ((want === undefined) !== (gotPrefix === undefined) || (want && gotPrefix && compare(want, gotPrefix) !== 0)) {
        throw new Error(`op ${op}: longest match of ${a} gave ${gotPrefix?.value}/${gotPrefix?.length}, want ${want?.value}/${want?.length}`);
      }
      checks++;
    }
    if (op % 500 === 0 || op === ops - 1) {
      // Full checks: exact lookups of everything, iteration order, covering and covered of a few prefixes.
      const sorted = [...table.sorted()].map((id) => fromTable(table, id, bits));
      if (sorted.length !== ref.list.length || sorted.some((p, i) => compare(p, ref.list[i]!) !== 0)) {
        throw new Error(`op ${op}: iteration order differs from the reference`);
      }
      for (let k = 0; k < 5; k++) {
        const q = rand() < 0.5 && ref.list.length > 0 ? ref.list[Math.floor(rand() * ref.list.length)]! : randomPrefix();
        const w = toWords(q.value, bits);
        const covering = table.covering(w[0], w[1], w[2], w[3], q.length).map((id) => fromTable(table, id, bits));
        const wantCovering = ref.list.filter((p) => ref.contains(p, q.value, q.length)).sort((x, y) => x.length - y.length);
        if (covering.length !== wantCovering.length || covering.some((p, i) => compare(p, wantCovering[i]!) !== 0)) {
          throw new Error(`op ${op}: covering(${q.value}/${q.length}) differs`);
        }
        const covered = table.covered(w[0], w[1], w[2], w[3], q.length).map((id) => fromTable(table, id, bits));
        const wantCovered = ref.list.filter((p) => ref.contains(q, p.value, p.length));
        if (covered.length !== wantCovered.length || covered.some((p, i) => compare(p, wantCovered[i]!) !== 0)) {
          throw new Error(`op ${op}: covered(${q.value}/${q.length}) gave ${covered.length}, want ${wantCovered.length}`);
        }
        checks += 2;
      }
      for (let k = 0; k < 50 && ref.list.length > 0; k++) {
        const p = ref.list[Math.floor(rand() * ref.list.length)]!;
        const w = toWords(p.value, bits);
        if (table.hasMoreSpecific(table.find(w[0], w[1], w[2], w[3], p.length)) !== ref.hasMoreSpecific(p)) {
          throw new Error(`op ${op}: hasMoreSpecific(${p.value}/${p.length}) is wrong: want ${ref.hasMoreSpecific(p)}`);
        }
      }
    }
  }
  // Remove everything: the trie must give back every chunk.
  for (const p of [...ref.list]) {
    const w = toWords(p.value, bits);
    table.remove(table.find(w[0], w[1], w[2], w[3], p.length));
  }
  if (table.chunks !== 0) throw new Error(`${table.chunks} chunks left after removing every prefix`);
  if (table.lookup(0, 0, 0, 0) !== -1) throw new Error('empty table still matches');
  return { checks, scopes, size: ref.list.length };
}

test('IPv4 table matches a sorted-list reference over 30,000 random inserts and removes (longest match and ECS scope)', (t) => {
  const { checks, scopes } = runRandom(Afi.IPv4, 4242, 30000);
  t.true(checks > 60000);
  t.is(scopes, 60000);
});

test('IPv6 table matches a sorted-list reference over 30,000 random inserts and removes (longest match and ECS scope)', (t) => {
  const { checks, scopes } = runRandom(Afi.IPv6, 6666, 30000);
  t.true(checks > 60000);
  t.is(scopes, 60000);
});

test('ECS scope: the covering route answers with a scope just long enough to exclude the more-specific', (t) => {
  const table = new PrefixTable(Afi.IPv4, 16);
  const scopeOf = (text: string): [string | null, number] => {
    const packed = table.lookupScoped4(parsePrefix(text).a);
    const id = PrefixTable.scopedId(packed);
    const w = new Uint32Array(4);
    if (id >= 0) table.wordsOf(id, w);
    return [id < 0 ? null : formatPrefix(Afi.IPv4, w[0]!, 0, 0, 0, table.lengths[id]!), PrefixTable.scopeOf(packed)];
  };
  t.deepEqual(scopeOf('10.0.5.1'), [null, 0], 'empty table');
  const p16 = parsePrefix('10.0.0.0/16');
  table.insert(p16.a, 0, 0, 0, 16);
  t.deepEqual(scopeOf('10.0.5.1'), ['10.0.0.0/16', 16]);
  t.deepEqual(scopeOf('11.0.0.1'), [null, 8], '11.x first differs from 10.x in the last bit of the first octet');
  const p24 = parsePrefix('10.0.128.0/24');
  const id24 = table.insert(p24.a, 0, 0, 0, 24);
  t.deepEqual(scopeOf('10.0.5.1'), ['10.0.0.0/16', 17], 'the issue\'s example: /16 route, scope 17');
  t.deepEqual(scopeOf('10.0.128.9'), ['10.0.128.0/24', 24]);
  t.deepEqual(scopeOf('10.0.129.5'), ['10.0.0.0/16', 24], 'next to the /24: only the last bit of the /24 differs');
  t.deepEqual(scopeOf('10.0.144.1'), ['10.0.0.0/16', 20]);
  table.remove(id24);
  t.deepEqual(scopeOf('10.0.5.1'), ['10.0.0.0/16', 16], 'the /16 is alone again');
  t.deepEqual(scopeOf('10.0.129.5'), ['10.0.0.0/16', 16]);
});

test('a longer prefix is not hidden by a shorter one inserted after it, and reappears on remove', (t) => {
  const table = new PrefixTable(Afi.IPv4);
  const p24 = parsePrefix('10.1.2.0/24');
  const p8 = parsePrefix('10.0.0.0/8');
  const p32 = parsePrefix('10.1.2.3/32');
  const id24 = table.insert(p24.a, 0, 0, 0, 24);
  const id32 = table.insert(p32.a, 0, 0, 0, 32);
  const id8 = table.insert(p8.a, 0, 0, 0, 8);
  t.is(table.lookup4(parsePrefix('10.1.2.3/32').a), id32);
  t.is(table.lookup4(parsePrefix('10.1.2.4/32').a), id24);
  t.is(table.lookup4(parsePrefix('10.9.9.9/32').a), id8);
  table.remove(id24);
  t.is(table.lookup4(parsePrefix('10.1.2.4/32').a), id8, 'slots of the removed /24 fall back to the covering /8');
  t.is(table.lookup4(parsePrefix('10.1.2.3/32').a), id32);
  t.is(table.lookup4(parsePrefix('11.0.0.1/32').a), -1);
});

test('parses and formats prefixes (RFC 5952 text for IPv6)', (t) => {
  const p = parsePrefix('2001:db8:0:0:1::/80');
  t.is(formatPrefix(p.afi, p.a, p.b, p.c, p.d, p.length), '2001:db8:0:0:1::/80', 'the longest zero run is compressed');
  const h = parsePrefix('2001:0db8:0:0:0:0:0:1/128');
  t.is(formatPrefix(h.afi, h.a, h.b, h.c, h.d, h.length), '2001:db8::1/128');
  t.throws(() => parsePrefix('10.0.0.1/8'), { message: /host bits/ });
  const q = parsePrefix('::ffff:192.0.2.0/120');
  t.is(formatPrefix(q.afi, q.a, q.b, q.c, q.d, q.length), '::ffff:192.0.2.0/120', 'IPv4-mapped keeps its dotted tail (RFC 5952 5)');
});

test('refuses malformed address text', (t) => {
  for (const bad of ['1.2.3', '1.2.3.256', '01.2.3.4x', '::1::2', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:2:3:4:5:6:7', '']) {
    t.throws(() => parsePrefix(bad), undefined, bad);
  }
  t.is(parsePrefix('::').length, 128);
  t.is(parsePrefix('1:2:3:4:5:6:1.2.3.4').d, 0x01020304);
});
