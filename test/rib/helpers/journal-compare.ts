// What a replica must answer as its primary does, as text to compare: lookups of addresses (in the Loc-RIB and in
// per-neighbor views), every path of the matched prefix, and the neighbors. Shared by test/rib/journal.test.ts and
// the worker it runs a replica in (journal-worker.ts).
import { Afi } from '../../../src/bgp/index.js';
import { formatAddress, LookupResult, parseAddress, pathJson, type RibReader, type RibView } from '../../../src/rib/index.js';
import { seededRandom } from '../../../src/util/index.js';

const out = new LookupResult();

/** The reader's answer for one address, in the Loc-RIB and in each view: every field a front end can read. */
export function lookupFingerprint(reader: RibReader, address: string, views: readonly RibView[] = []): string {
  const answers: unknown[] = [];
  const p = parseAddress(address);
  reader.lookup(p.afi, p.a, p.b, p.c, p.d, out);
  answers.push(answerOf(reader, true));
  for (const view of views) {
    reader.lookupInView(view, p.afi, p.a, p.b, p.c, p.d, out);
    answers.push(answerOf(reader, false));
  }
  return JSON.stringify(answers);
}

function answerOf(reader: RibReader, allPaths: boolean): unknown {
  if (!out.found) return { found: false, scope: out.scope };
  const a = out.attributes;
  const chosen = reader.paths(out.afi, out.prefix).find((p) => p.route === out.route)!;
  return {
    prefix: reader.prefixText(out),
    scope: out.scope,
    neighbor: out.neighbor,
    stale: out.stale,
    firstAs: reader.firstAs(a),
    pathLength: reader.pathLength(a),
    localPref: reader.localPref(a),
    med: reader.med(a),
    origin: reader.origin(a),
    preference: reader.preferenceOf(out.route),
    ibgp: reader.isIbgp(out.route),
    attributes: pathJson(chosen),
    // Every path of the prefix (order aside: a snapshot rebuilds the lists of non-best paths in its own order).
    paths: allPaths ? reader.paths(out.afi, out.prefix).map((p) => JSON.stringify({ ...pathJson(p), best: p.best })).sort() : undefined,
  };
}

/** The neighbors with what front ends see of them, by address. */
export function neighborsFingerprint(reader: RibReader): string {
  return JSON.stringify(
    reader
      .neighbors()
      .map((n) => JSON.stringify(n))
      .sort(),
  );
}

/** Totals of the reading face. */
export function totalsFingerprint(reader: RibReader): string {
  return JSON.stringify({
    routes: reader.routeCount,
    ipv4: reader.prefixCount(Afi.IPv4),
    ipv6: reader.prefixCount(Afi.IPv6),
    sets: reader.attributeSetCount,
  });
}

/**
 * Addresses to look up: for up to `perFamily` prefixes of each family taken evenly from the table, its first
 * address, one at random inside it and the one just past its end; and as many uniformly random ones (IPv6 inside
 * 2000::/3, where the routes are).
 */
export function addressesToCheck(reader: RibReader, perFamily: number, seed = 1): string[] {
  const rand = seededRandom(seed);
  const word = (): number => Math.floor(rand() * 0x100000000) >>> 0;
  const addresses: string[] = [];
  for (const afi of [Afi.IPv4, Afi.IPv6]) {
    const prefixes: [number, number, number, number, number][] = [];
    reader.forEachRoute(afi, (r) => {
      if (r.best) prefixes.push([r.a, r.b, r.c, r.d, r.length]);
    });
    const step = Math.max(1, prefixes.length / perFamily);
    for (let i = 0; i < prefixes.length; i += step) {
      const [a, b, c, d, length] = prefixes[Math.floor(i)]!;
      const words = [a, b, c, d];
      addresses.push(formatAddress(afi, a, b, c, d));
      addresses.push(formatAddress(afi, ...(withHostBits(words, length, afi, word) as [number, number, number, number])));
      const last = lastAddress(words, length, afi);
      const next = plusOne(last, afi);
      if (next !== null) addresses.push(formatAddress(afi, ...(next as [number, number, number, number])));
    }
    for (let i = 0; i < perFamily; i++) {
      if (afi === Afi.IPv4) addresses.push(formatAddress(afi, word(), 0, 0, 0));
      else addresses.push(formatAddress(afi, ((word() & 0x1fffffff) | 0x20000000) >>> 0, word(), word(), word()));
    }
  }
  return addresses;
}

function hostMask(length: number, i: number): number {
  const from = length - 32 * i;
  if (from <= 0) return 0xffffffff;
  if (from >= 32) return 0;
  return (0xffffffff >>> from) >>> 0;
}

function withHostBits(words: number[], length: number, afi: Afi, word: () => number): number[] {
  const n = afi === Afi.IPv4 ? 1 : 4;
  return words.map((w, i) => (i < n ? ((w & ~hostMask(length, i)) | (word() & hostMask(length, i))) >>> 0 : 0));
}

function lastAddress(words: number[], length: number, afi: Afi): number[] {
  const n = afi === Afi.IPv4 ? 1 : 4;
  return words.map((w, i) => (i < n ? (w | hostMask(length, i)) >>> 0 : 0));
}

/** The address after `words`, or null past the end of the space. */
function plusOne(words: number[], afi: Afi): number[] | null {
  const n = afi === Afi.IPv4 ? 1 : 4;
  const next = [...words];
  for (let i = n - 1; i >= 0; i--) {
    if (next[i] !== 0xffffffff) {
      next[i] = (next[i]! + 1) >>> 0;
      return next;
    }
    next[i] = 0;
  }
  return null;
}
