// Address text exactly as bgpdump 1.6 prints it (its own fmt_ipv6, not inet_ntop): IPv4-mapped and -compatible
// addresses as ::ffff:a.b.c.d / ::a.b.c.d, otherwise lower-case hex words without leading zeros where the first
// longest run of zero words - even a single one - becomes "::". Only for `mrt dump`; elsewhere use RFC 5952 text.

const OCTET: string[] = Array.from({ length: 256 }, (_, i) => String(i));

export function ipv4Text(value: number): string {
  return OCTET[value >>> 24]! + '.' + OCTET[(value >>> 16) & 255]! + '.' + OCTET[(value >>> 8) & 255]! + '.' + OCTET[value & 255]!;
}

/** 4 or 16 bytes as bgpdump prints them. */
export function bgpdumpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return OCTET[bytes[0]!]! + '.' + OCTET[bytes[1]!]! + '.' + OCTET[bytes[2]!]! + '.' + OCTET[bytes[3]!]!;
  const w = (i: number): number => ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  return bgpdumpIpv6(w(0), w(4), w(8), w(12));
}

const g = new Array<number>(8);

/** IPv6 from the four 32-bit words of the NlriSink convention (most significant first), as bgpdump prints it. */
export function bgpdumpIpv6(a: number, b: number, c: number, d: number): string {
  if (a === 0 && b === 0 && (c === 0xffff || (c === 0 && d >>> 0 > 1))) {
    return (c === 0xffff ? '::ffff:' : '::') + ipv4Text(d >>> 0);
  }
  g[0] = a >>> 16;
  g[1] = a & 0xffff;
  g[2] = b >>> 16;
  g[3] = b & 0xffff;
  g[4] = c >>> 16;
  g[5] = c & 0xffff;
  g[6] = d >>> 16;
  g[7] = d & 0xffff;
  // The first longest run of zero words, whatever its length.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += g[i]!.toString(16);
    if (i !== 7) out += ':';
  }
  return out;
}
