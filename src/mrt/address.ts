// Address text exactly as bgpdump 1.6 prints it (its own fmt_ipv6, not inet_ntop), for the few places of
// `mrt dump` that need a string; the rule itself lives once, in AsciiBuffer.ipv6. Elsewhere use RFC 5952 text.
import { AsciiBuffer } from './ascii-buffer.js';

const scratch = new AsciiBuffer(64);

/** 4 or 16 bytes as bgpdump prints them. */
export function bgpdumpAddress(bytes: Uint8Array): string {
  scratch.address(bytes, 0, bytes.length);
  return scratch.takeString();
}

/** IPv6 from the four 32-bit words of the NlriSink convention (most significant first), as bgpdump prints it. */
export function bgpdumpIpv6(a: number, b: number, c: number, d: number): string {
  scratch.ipv6(a, b, c, d);
  return scratch.takeString();
}
