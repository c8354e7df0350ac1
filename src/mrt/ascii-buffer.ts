// A growable byte buffer that `mrt dump` writes its lines into: numbers, addresses and text go in as ASCII bytes,
// so the hot path builds no strings (no per-line allocation, no UTF-8 encoding when the chunk is written out).

import { firstLongestZeroRun, readUint32 } from '../bgp/index.js';

/** Per octet value: its decimal text length, then up to three digit bytes. */
const OCTET_TEXT = new Uint8Array(256 * 4);
for (let i = 0; i < 256; i++) {
  const s = String(i);
  OCTET_TEXT[i * 4] = s.length;
  for (let j = 0; j < s.length; j++) OCTET_TEXT[i * 4 + 1 + j] = s.charCodeAt(j);
}

const HEX = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);
const COLON = 58;
const POWERS_OF_TEN = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];
const DOT = 46;

/** The eight 16-bit groups of the IPv6 address being written (no allocation per address). */
const groups = new Uint16Array(8);

export class AsciiBuffer {
  buf: Buffer;
  /** Bytes written so far: buf[0..pos). */
  pos = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for n more bytes (offsets already written stay valid). */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
  }

  /**
   * Hands the bytes written over to the caller and goes on in `next` (a free buffer of the caller's, or a new one
   * of the same size): the caller owns the returned bytes until it gives their buffer back through `next`.
   */
  take(next: Buffer = Buffer.allocUnsafe(this.buf.length)): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.buf = next;
    this.pos = 0;
    return out;
  }

  /** The bytes written, as text; then empties the buffer. */
  takeString(): string {
    const s = this.buf.toString('latin1', 0, this.pos);
    this.pos = 0;
    return s;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = c;
  }

  /** ASCII text. */
  text(s: string): void {
    const n = s.length;
    this.ensure(n);
    if (n > 32) {
      this.pos += this.buf.write(s, this.pos, n, 'latin1');
      return;
    }
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Appends again the n bytes written earlier at `from` (a line's head or shared tail). */
  repeat(from: number, n: number): void {
    this.ensure(n);
    const b = this.buf;
    let p = this.pos;
    // copyWithin costs about the same whatever the length (~16 ns); a byte loop wins only for a few bytes.
    if (n > 16) {
      b.copyWithin(p, from, from + n);
      this.pos = p + n;
      return;
    }
    for (let i = 0; i < n; i++) b[p++] = b[from + i]!;
    this.pos = p;
  }

  /** A non-negative integer in decimal. */
  uint(n: number): void {
    if (n < 10) {
      this.byte(48 + n);
      return;
    }
    if (n > 0xffffffff) {
      this.text(String(n));
      return;
    }
    const len = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
    this.ensure(len);
    const b = this.buf;
    let p = this.pos + len;
    this.pos = p;
    while (n >= 10) {
      const q = Math.floor(n / 10);
      b[--p] = 48 + n - q * 10;
      n = q;
    }
    b[--p] = 48 + n;
  }

  /** An integer in decimal, with a minus sign when negative (C's %d of a value bgpdump keeps signed). */
  int(n: number): void {
    if (n < 0) {
      this.byte(45);
      this.uint(-n);
    } else {
      this.uint(n);
    }
  }

  /** `n` in decimal, left-padded with zeros to `width` (at most 10) digits, like printf's %0Nu. */
  uintPadded(n: number, width: number): void {
    for (let i = width - 1; i > 0 && n < POWERS_OF_TEN[i]!; i--) this.byte(48);
    this.uint(n);
  }

  /** An IPv4 address (uint32) as a dotted quad. */
  ipv4(v: number): void {
    this.ensure(15);
    const b = this.buf;
    let p = this.pos;
    for (let shift = 24; shift >= 0; shift -= 8) {
      const o = ((v >>> shift) & 255) * 4;
      const len = OCTET_TEXT[o]!;
      b[p] = OCTET_TEXT[o + 1]!;
      if (len > 1) b[p + 1] = OCTET_TEXT[o + 2]!;
      if (len > 2) b[p + 2] = OCTET_TEXT[o + 3]!;
      p += len;
      if (shift !== 0) b[p++] = DOT;
    }
    this.pos = p;
  }

  /**
   * IPv6 from four 32-bit words (most significant first) as bgpdump 1.6 prints it (its own fmt_ipv6, not
   * inet_ntop): IPv4-mapped and -compatible addresses as ::ffff:a.b.c.d / ::a.b.c.d, otherwise lower-case hex
   * groups without leading zeros, where the first longest run of zero groups - even a single one - becomes "::".
   */
  ipv6(a: number, b: number, c: number, d: number): void {
    if (a === 0 && b === 0 && (c === 0xffff || (c === 0 && d >>> 0 > 1))) {
      this.text(c === 0xffff ? '::ffff:' : '::');
      this.ipv4(d >>> 0);
      return;
    }
    const g = groups;
    g[0] = a >>> 16;
    g[1] = a;
    g[2] = b >>> 16;
    g[3] = b;
    g[4] = c >>> 16;
    g[5] = c;
    g[6] = d >>> 16;
    g[7] = d;
    // bgpdump compresses the first longest run of zero groups, even a single one.
    const run = firstLongestZeroRun(g);
    const bestLen = run & 15;
    const best = bestLen === 0 ? -1 : run >>> 4;
    this.ensure(40);
    const out = this.buf;
    let p = this.pos;
    for (let i = 0; i < 8; i++) {
      if (i === best) {
        out[p++] = COLON;
        if (i === 0) out[p++] = COLON;
        i += bestLen - 1;
        continue;
      }
      const v = g[i]!;
      if (v >= 0x1000) out[p++] = HEX[v >>> 12]!;
      if (v >= 0x100) out[p++] = HEX[(v >>> 8) & 15]!;
      if (v >= 0x10) out[p++] = HEX[(v >>> 4) & 15]!;
      out[p++] = HEX[v & 15]!;
      if (i !== 7) out[p++] = COLON;
    }
    this.pos = p;
  }

  /** 4 or 16 address bytes at bytes[at..], as bgpdump prints them. */
  address(bytes: Uint8Array, at: number, length: number): void {
    if (length === 4) this.ipv4(readUint32(bytes, at));
    else this.ipv6(readUint32(bytes, at), readUint32(bytes, at + 4), readUint32(bytes, at + 8), readUint32(bytes, at + 12));
  }
}
