// Client addresses for the query benchmarks, reproducible from a seed: most inside the prefixes of the generated
// table (a prefix drawn uniformly, random host bits), some drawn over the whole address space (many of those
// have no route), ~10% IPv6. Each address remembers which kind it is, so answers can be checked against it.
import { Afi } from '../../src/bgp/index.js';
import { formatAddress } from '../../src/rib/index.js';
import type { SyntheticTable } from '../../src/replay/index.js';
import { seededRandom } from '../../src/util/index.js';

export const enum AddressKind {
  /** Inside a prefix of the table: there is a route. */
  Ipv4InTable = 0,
  /** Anywhere in 0.0.0.0/0: a route or none. */
  Ipv4Random = 1,
  Ipv6InTable = 2,
  /** Anywhere in 2000::/3. */
  Ipv6Random = 3,
}

export interface AddressList {
  texts: string[];
  kinds: Uint8Array;
}

/** The table's prefixes flat: IPv4 [address, length] pairs, IPv6 [w0, w1, w2, w3, length] quintuples. */
export interface TablePrefixes {
  v4: Uint32Array;
  v6: Uint32Array;
}

export function tablePrefixes(table: SyntheticTable): TablePrefixes {
  const v4 = new Uint32Array(2 * table.ipv4Prefixes);
  const v6 = new Uint32Array(5 * table.ipv6Prefixes);
  let o4 = 0;
  let o6 = 0;
  for (const g of table.groups) {
    if (g.afi === Afi.IPv4) {
      v4.set(g.prefixes, o4);
      o4 += g.prefixes.length;
    } else {
      v6.set(g.prefixes, o6);
      o6 += g.prefixes.length;
    }
  }
  return { v4: v4.subarray(0, o4), v6: v6.subarray(0, o6) };
}

/** `count` addresses: 80% IPv4 in the table, 10% IPv4 anywhere, 9% IPv6 in the table, 1% IPv6 anywhere. */
export function makeAddresses(prefixes: TablePrefixes, count: number, seed: number): AddressList {
  const rand = seededRandom(seed);
  const bits = (n: number): number => (n <= 0 ? 0 : Math.floor(rand() * 2 ** n)); // n random low bits, n <= 32
  const texts = new Array<string>(count);
  const kinds = new Uint8Array(count);
  const n4 = prefixes.v4.length / 2;
  const n6 = prefixes.v6.length / 5;
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.8) {
      const k = Math.floor(rand() * n4);
      const length = prefixes.v4[2 * k + 1]!;
      texts[i] = formatAddress(Afi.IPv4, (prefixes.v4[2 * k]! | bits(32 - length)) >>> 0, 0, 0, 0);
      kinds[i] = AddressKind.Ipv4InTable;
    } else if (r < 0.9) {
      texts[i] = formatAddress(Afi.IPv4, bits(32), 0, 0, 0);
      kinds[i] = AddressKind.Ipv4Random;
    } else if (r < 0.99) {
      const k = Math.floor(rand() * n6);
      const length = prefixes.v6[5 * k + 4]!;
      const w = [0, 0, 0, 0];
      for (let j = 0; j < 4; j++) {
        const fixed = Math.min(32, Math.max(0, length - 32 * j));
        w[j] = (prefixes.v6[5 * k + j]! | bits(32 - fixed)) >>> 0;
      }
      texts[i] = formatAddress(Afi.IPv6, w[0]!, w[1]!, w[2]!, w[3]!);
      kinds[i] = AddressKind.Ipv6InTable;
    } else {
      texts[i] = formatAddress(Afi.IPv6, (0x20000000 | bits(29)) >>> 0, bits(32), bits(32), bits(32));
      kinds[i] = AddressKind.Ipv6Random;
    }
  }
  return { texts, kinds };
}
