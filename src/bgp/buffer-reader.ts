/**
 * Big-endian reads out of a Buffer (or any Uint8Array), pg-protocol style: one reader is pointed at
 * (buffer, offset) and reads fields while advancing, so a decoder walks a message without slicing it.
 * The reader checks no bounds: its callers have validated the lengths first (as the codec does), and a read past
 * the end gives undefined bytes (read as 0), never an exception.
 * For a single field at a known offset the plain functions below (readUint16, readUint32) do without a reader.
 */
export class BufferReader {
  buffer: Uint8Array;
  offset: number;

  constructor(buffer: Uint8Array = EMPTY, offset = 0) {
    this.buffer = buffer;
    this.offset = offset;
  }

  /** Points the reader at buffer[offset..]; returns it for chaining. */
  setBuffer(buffer: Uint8Array, offset = 0): this {
    this.buffer = buffer;
    this.offset = offset;
    return this;
  }

  uint8(): number {
    return this.buffer[this.offset++]!;
  }

  uint16(): number {
    const v = readUint16(this.buffer, this.offset);
    this.offset += 2;
    return v;
  }

  uint32(): number {
    const v = readUint32(this.buffer, this.offset);
    this.offset += 4;
    return v;
  }

  /** An IPv4 address as the codec keeps it: an unsigned 32-bit integer. */
  ipv4(): number {
    return this.uint32();
  }

  /** `count` uint32 into a new Uint32Array (COMMUNITIES, CLUSTER_LIST, LARGE_COMMUNITY values). */
  uint32List(count: number): Uint32Array {
    const out = new Uint32Array(count);
    const b = this.buffer;
    let p = this.offset;
    for (let i = 0; i < count; i++, p += 4) out[i] = readUint32(b, p);
    this.offset = p;
    return out;
  }

  /**
   * A copy of the next `length` bytes, as a plain Uint8Array (values that are kept must not pin the buffer they came
   * from; Buffer's own slice() would return a view).
   */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    const b = this.buffer;
    const p = this.offset;
    if (length <= 32) for (let i = 0; i < length; i++) out[i] = b[p + i]!;
    else out.set(b.subarray(p, p + length));
    this.offset = p + length;
    return out;
  }

  skip(length: number): this {
    this.offset += length;
    return this;
  }
}

const EMPTY = new Uint8Array(0);

/** The big-endian uint16 at buf[at..at+2). */
export function readUint16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

/** The big-endian uint32 at buf[at..at+4), unsigned. */
export function readUint32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/**
 * The same four bytes as a signed int32. For comparing words in loops that must not allocate: an int32 is always a
 * small integer to V8, while a uint32 above 2^31 returned by a call that is not inlined becomes a heap number.
 */
export function readInt32(buf: Uint8Array, at: number): number {
  return (buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
}
