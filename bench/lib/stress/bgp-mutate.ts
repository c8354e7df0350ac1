// Structure-aware mutation of real UPDATE bodies (issue 13): an UPDATE is split into its parts (withdrawn routes,
// each path attribute with flags/type/length/value, NLRI), one or more structured mutations are applied, and the
// result is re-encoded into a reused buffer; byte-level edits can follow. A mutation is a plain descriptor whose
// positions are resolved modulo what the message holds, so the same descriptors come from a seeded PRNG (the
// stress run) or from fast-check arbitraries (the tests, which shrink failures to one small descriptor).
import fc from 'fast-check';

/** One path attribute as it sits on the wire; declaredLength -1 means "the value's real length". */
export interface RawAttribute {
  flags: number;
  type: number;
  value: Uint8Array;
  declaredLength: number;
}

/** An UPDATE body split into its parts. Values are shared with the template: mutations replace, never write. */
export interface ParsedUpdate {
  withdrawn: Uint8Array;
  attributes: RawAttribute[];
  nlri: Uint8Array;
  /** AS number size of the session the message was recorded on (AS_PATH, AGGREGATOR). */
  asSize: 2 | 4;
  /** The NLRI fields carry ADD-PATH path identifiers. */
  addPath: boolean;
  /** Added to the real withdrawn routes length / total path attribute length when encoding. */
  withdrawnLengthDelta: number;
  attributeLengthDelta: number;
}

export const FLAG_OPTIONAL = 0x80;
export const FLAG_TRANSITIVE = 0x40;
export const FLAG_PARTIAL = 0x20;
export const FLAG_EXTENDED = 0x10;

export const TYPE_ORIGIN = 1;
export const TYPE_AS_PATH = 2;
export const TYPE_NEXT_HOP = 3;
export const TYPE_MP_REACH = 14;
export const TYPE_MP_UNREACH = 15;

/** The NLRI-bearing fields of an UPDATE. */
export type NlriField = 'withdrawn' | 'nlri' | 'mp-reach' | 'mp-unreach';
export const NLRI_FIELDS: readonly NlriField[] = ['withdrawn', 'nlri', 'mp-reach', 'mp-unreach'];

/**
 * A structured mutation. `pick`, `at` and byte offsets are taken modulo the number of candidates, so any integer is
 * valid for any message; a mutation with no candidate (no AS_PATH, no MP_REACH_NLRI...) does nothing.
 */
export type StructMutation =
  | { kind: 'withdrawn-length'; delta: number }
  | { kind: 'attribute-total-length'; delta: number }
  | { kind: 'attribute-length'; pick: number; delta: number }
  | { kind: 'extended-length-toggle'; pick: number }
  | { kind: 'extended-length-drop'; pick: number }
  | { kind: 'flags'; pick: number; flags: number }
  | { kind: 'type-swap'; pick: number; type: number }
  | { kind: 'insert-unknown'; at: number; type: number; flags: number; length: number; fill: number }
  | { kind: 'duplicate'; pick: number; at: number }
  | { kind: 'remove'; type: number }
  | { kind: 'value-resize'; pick: number; length: number; fill: number }
  | { kind: 'origin'; value: number }
  | { kind: 'next-hop'; value: number }
  | { kind: 'prefix-length'; field: NlriField; pick: number; length: number }
  | { kind: 'nlri-cut'; field: NlriField; bytes: number }
  | { kind: 'as-path-count'; pick: number; count: number }
  | { kind: 'as-path-type'; pick: number; type: number }
  | { kind: 'mp-next-hop-length'; length: number; consistent: boolean }
  | { kind: 'mp-family'; which: 'reach' | 'unreach'; afi: number; safi: number }
  | { kind: 'add-path'; pathId: number }
  /** The message turned into a withdrawal of everything it announced (NLRI to withdrawn, MP_REACH to MP_UNREACH). */
  | { kind: 'to-withdrawal' };

/** A byte-level edit of the encoded body. */
export type ByteMutation =
  | { kind: 'bit-flip'; at: number; bit: number }
  | { kind: 'byte-set'; at: number; value: number }
  | { kind: 'u16-set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert-bytes'; at: number; a: number; b: number }
  | { kind: 'byte-delta'; at: number; delta: number };

export type Mutation = StructMutation | ByteMutation;

const BYTE_KINDS = new Set<string>(['bit-flip', 'byte-set', 'u16-set', 'truncate', 'insert-bytes', 'byte-delta']);
export function isByteMutation(m: Mutation): m is ByteMutation {
  return BYTE_KINDS.has(m.kind);
}

// ---- parsing and encoding ----------------------------------------------------------------------------------------

/** Splits a well-formed UPDATE body; null when it is not well formed (the templates are real, clean messages). */
export function parseUpdate(body: Uint8Array, asSize: 2 | 4, addPath = false): ParsedUpdate | null {
  if (body.length < 4) return null;
  const wl = (body[0]! << 8) | body[1]!;
  if (2 + wl + 2 > body.length) return null;
  const al = (body[2 + wl]! << 8) | body[3 + wl]!;
  const aStart = 4 + wl;
  const aEnd = aStart + al;
  if (aEnd > body.length) return null;
  const attributes: RawAttribute[] = [];
  let p = aStart;
  while (p < aEnd) {
    if (aEnd - p < 3) return null;
    const flags = body[p]!;
    const type = body[p + 1]!;
    const ext = (flags & FLAG_EXTENDED) !== 0;
    if (ext && aEnd - p < 4) return null;
    const len = ext ? (body[p + 2]! << 8) | body[p + 3]! : body[p + 2]!;
    const v = p + (ext ? 4 : 3);
    if (v + len > aEnd) return null;
    attributes.push({ flags, type, value: body.slice(v, v + len), declaredLength: -1 });
    p = v + len;
  }
  return {
    withdrawn: body.slice(2, 2 + wl),
    attributes,
    nlri: body.slice(aEnd),
    asSize,
    addPath,
    withdrawnLengthDelta: 0,
    attributeLengthDelta: 0,
  };
}

/** A copy that mutations may change (attribute records copied, byte arrays shared). */
export function cloneUpdate(u: ParsedUpdate): ParsedUpdate {
  const attributes = new Array<RawAttribute>(u.attributes.length);
  for (let i = 0; i < attributes.length; i++) {
    const a = u.attributes[i]!;
    attributes[i] = { flags: a.flags, type: a.type, value: a.value, declaredLength: a.declaredLength };
  }
  return { ...u, attributes };
}

/** Bytes encodeInto writes for u (so callers can size their buffer). */
export function encodedLength(u: ParsedUpdate): number {
  let n = 4 + u.withdrawn.length + u.nlri.length;
  for (const a of u.attributes) n += ((a.flags & FLAG_EXTENDED) !== 0 ? 4 : 3) + a.value.length;
  return n;
}

/** Writes the body into out (large enough: encodedLength) and returns its length. Lengths are taken mod 2^16/2^8. */
export function encodeInto(u: ParsedUpdate, out: Buffer): number {
  let p = 0;
  const wl = (u.withdrawn.length + u.withdrawnLengthDelta) & 0xffff;
  out[p++] = wl >> 8;
  out[p++] = wl & 0xff;
  out.set(u.withdrawn, p);
  p += u.withdrawn.length;
  const lengthAt = p;
  p += 2;
  for (const a of u.attributes) {
    const len = a.declaredLength >= 0 ? a.declaredLength : a.value.length;
    out[p++] = a.flags;
    out[p++] = a.type;
    if ((a.flags & FLAG_EXTENDED) !== 0) {
      out[p++] = (len >> 8) & 0xff;
      out[p++] = len & 0xff;
    } else {
      out[p++] = len & 0xff;
    }
    out.set(a.value, p);
    p += a.value.length;
  }
  const al = (p - lengthAt - 2 + u.attributeLengthDelta) & 0xffff;
  out[lengthAt] = al >> 8;
  out[lengthAt + 1] = al & 0xff;
  out.set(u.nlri, p);
  return p + u.nlri.length;
}

// ---- NLRI helpers ----------------------------------------------------------------------------------------------

/** Offsets of the prefixes of a well-formed field (each prefix starts at offsets[i]); null when malformed. */
export function prefixOffsets(field: Uint8Array, start: number, addPath: boolean): number[] | null {
  const out: number[] = [];
  const id = addPath ? 4 : 0;
  let p = start;
  while (p < field.length) {
    if (p + id >= field.length) return null;
    out.push(p);
    p += id + 1 + ((field[p + id]! + 7) >> 3);
  }
  return p === field.length ? out : null;
}

/** Where the NLRI start inside an MP attribute value, or -1 (too short). */
export function mpNlriStart(a: RawAttribute): number {
  if (a.type === TYPE_MP_UNREACH) return a.value.length >= 3 ? 3 : -1;
  if (a.value.length < 5) return -1;
  const s = 5 + a.value[3]!;
  return s <= a.value.length ? s : -1;
}

export function mpFamily(a: RawAttribute): { afi: number; safi: number } {
  return { afi: a.value.length >= 2 ? (a.value[0]! << 8) | a.value[1]! : -1, safi: a.value.length >= 3 ? a.value[2]! : -1 };
}

/** The IPv4/IPv6 unicast/multicast families, whose NLRI the codec reads and checks. */
export function isCheckedFamily(afi: number, safi: number): boolean {
  return (afi === 1 || afi === 2) && (safi === 1 || safi === 2);
}

export function findAttribute(u: ParsedUpdate, type: number): RawAttribute | undefined {
  for (const a of u.attributes) if (a.type === type) return a;
  return undefined;
}

/** The byte array holding a field and where its prefixes start in it, or null when absent/unusable. */
export function fieldBytes(u: ParsedUpdate, field: NlriField): { attr: RawAttribute | null; bytes: Uint8Array; start: number; afi: number } | null {
  if (field === 'withdrawn') return { attr: null, bytes: u.withdrawn, start: 0, afi: 1 };
  if (field === 'nlri') return { attr: null, bytes: u.nlri, start: 0, afi: 1 };
  const a = findAttribute(u, field === 'mp-reach' ? TYPE_MP_REACH : TYPE_MP_UNREACH);
  if (a === undefined) return null;
  const start = mpNlriStart(a);
  const { afi, safi } = mpFamily(a);
  if (start < 0 || !isCheckedFamily(afi, safi)) return null;
  return { attr: a, bytes: a.value, start, afi };
}

function setField(u: ParsedUpdate, field: NlriField, attr: RawAttribute | null, bytes: Uint8Array): void {
  if (field === 'withdrawn') u.withdrawn = bytes;
  else if (field === 'nlri') u.nlri = bytes;
  else attr!.value = bytes;
}

/** Segment offsets of an AS_PATH value with asSize-byte ASNs; null when malformed. */
export function asPathSegments(value: Uint8Array, asSize: number): number[] | null {
  const out: number[] = [];
  let p = 0;
  while (p < value.length) {
    if (value.length - p < 2) return null;
    out.push(p);
    p += 2 + value[p + 1]! * asSize;
  }
  return p === value.length ? out : null;
}

/** n modulo m, never negative (how descriptor positions are resolved). */
export function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

function resized(value: Uint8Array, length: number, fill: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(value.subarray(0, Math.min(length, value.length)));
  if (length > value.length) out.fill(fill & 0xff, value.length);
  return out;
}

/** Rewrites a field of prefixes with a path identifier before each prefix (RFC 7911 encoding). */
function withPathIds(bytes: Uint8Array, start: number, pathId: number): Uint8Array | null {
  const offs = prefixOffsets(bytes, start, false);
  if (offs === null) return null;
  const out = new Uint8Array(bytes.length + 4 * offs.length);
  out.set(bytes.subarray(0, start));
  let q = start;
  for (let i = 0; i < offs.length; i++) {
    const from = offs[i]!;
    const to = i + 1 < offs.length ? offs[i + 1]! : bytes.length;
    out[q] = pathId >>> 24;
    out[q + 1] = (pathId >>> 16) & 0xff;
    out[q + 2] = (pathId >>> 8) & 0xff;
    out[q + 3] = pathId & 0xff;
    out.set(bytes.subarray(from, to), q + 4);
    q += 4 + to - from;
  }
  return out;
}

// ---- applying ------------------------------------------------------------------------------------------------------

/** Applies one structured mutation to u (a clone). Returns false when it had nothing to act on. */
export function applyStructMutation(u: ParsedUpdate, m: StructMutation): boolean {
  const attrs = u.attributes;
  const n = attrs.length;
  switch (m.kind) {
    case 'withdrawn-length':
      u.withdrawnLengthDelta += m.delta;
      return m.delta !== 0;
    case 'attribute-total-length':
      u.attributeLengthDelta += m.delta;
      return m.delta !== 0;
    case 'attribute-length': {
      if (n === 0) return false;
      const a = attrs[mod(m.pick, n)]!;
      a.declaredLength = Math.max(0, a.value.length + m.delta);
      return m.delta !== 0;
    }
    case 'extended-length-toggle': {
      if (n === 0) return false;
      const a = attrs[mod(m.pick, n)]!;
      if (a.value.length > 255 && (a.flags & FLAG_EXTENDED) !== 0) return false; // cannot shrink to one byte
      a.flags ^= FLAG_EXTENDED;
      return true;
    }
    case 'extended-length-drop': {
      // The one-byte length form for a value that needs two: the length byte says value.length mod 256.
      const big = attrs.filter((a) => a.value.length > 255);
      if (big.length === 0) return false;
      big[mod(m.pick, big.length)]!.flags &= ~FLAG_EXTENDED;
      return true;
    }
    case 'flags': {
      if (n === 0) return false;
      const a = attrs[mod(m.pick, n)]!;
      a.flags = (a.flags & FLAG_EXTENDED) | (m.flags & 0xe0) | (a.flags & 0x0f);
      return true;
    }
    case 'type-swap': {
      if (n === 0) return false;
      attrs[mod(m.pick, n)]!.type = m.type & 0xff;
      return true;
    }
    case 'insert-unknown': {
      const value = new Uint8Array(m.length).fill(m.fill & 0xff);
      const flags = (m.flags & 0xe0) | (m.length > 255 ? FLAG_EXTENDED : 0);
      attrs.splice(mod(m.at, n + 1), 0, { flags, type: m.type & 0xff, value, declaredLength: -1 });
      return true;
    }
    case 'duplicate': {
      if (n === 0) return false;
      const i = mod(m.pick, n);
      const a = attrs[i]!;
      // After the original, so the copy is the repeat (the first occurrence is the one kept).
      const at = i + 1 + mod(m.at, n - i);
      attrs.splice(at, 0, { ...a });
      return true;
    }
    case 'remove': {
      const i = attrs.findIndex((a) => a.type === m.type);
      if (i < 0) return false;
      attrs.splice(i, 1);
      return true;
    }
    case 'value-resize': {
      if (n === 0) return false;
      const a = attrs[mod(m.pick, n)]!;
      if (m.length === a.value.length) return false;
      a.value = resized(a.value, m.length, m.fill);
      a.flags = m.length > 255 ? a.flags | FLAG_EXTENDED : a.flags;
      return true;
    }
    case 'origin': {
      const a = findAttribute(u, TYPE_ORIGIN);
      if (a === undefined || a.value.length !== 1) return false;
      a.value = Uint8Array.of(m.value & 0xff);
      return true;
    }
    case 'next-hop': {
      const a = findAttribute(u, TYPE_NEXT_HOP);
      if (a === undefined || a.value.length !== 4) return false;
      const v = m.value >>> 0;
      a.value = Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
      return true;
    }
    case 'prefix-length': {
      const f = fieldBytes(u, m.field);
      if (f === null) return false;
      const offs = prefixOffsets(f.bytes, f.start, u.addPath);
      if (offs === null || offs.length === 0) return false;
      const bytes = Uint8Array.from(f.bytes);
      bytes[offs[mod(m.pick, offs.length)]! + (u.addPath ? 4 : 0)] = m.length & 0xff;
      setField(u, m.field, f.attr, bytes);
      return true;
    }
    case 'nlri-cut': {
      const f = fieldBytes(u, m.field);
      if (f === null) return false;
      const offs = prefixOffsets(f.bytes, f.start, u.addPath);
      if (offs === null || offs.length === 0) return false;
      const last = f.bytes.length - offs[offs.length - 1]!;
      setField(u, m.field, f.attr, f.bytes.slice(0, f.bytes.length - (1 + mod(m.bytes, last))));
      return true;
    }
    case 'as-path-count':
    case 'as-path-type': {
      const a = findAttribute(u, TYPE_AS_PATH);
      if (a === undefined) return false;
      const segs = asPathSegments(a.value, u.asSize);
      if (segs === null || segs.length === 0) return false;
      const value = Uint8Array.from(a.value);
      const at = segs[mod(m.pick, segs.length)]!;
      if (m.kind === 'as-path-count') value[at + 1] = m.count & 0xff;
      else value[at] = m.type & 0xff;
      a.value = value;
      return true;
    }
    case 'mp-next-hop-length': {
      const a = findAttribute(u, TYPE_MP_REACH);
      if (a === undefined || mpNlriStart(a) < 0) return false;
      const old = a.value[3]!;
      const len = m.length & 0xff;
      if (!m.consistent) {
        const value = Uint8Array.from(a.value);
        value[3] = len;
        a.value = value;
        return true;
      }
      // Resize the next hop itself: the NLRI stay where the new length says.
      const value = new Uint8Array(a.value.length - old + len);
      value.set(a.value.subarray(0, 4));
      value[3] = len;
      value.set(a.value.subarray(4, 4 + Math.min(old, len)), 4);
      if (len > old) value.fill(0x20, 4 + old, 4 + len);
      value.set(a.value.subarray(4 + old), 4 + len);
      a.value = value;
      return true;
    }
    case 'mp-family': {
      const a = findAttribute(u, m.which === 'reach' ? TYPE_MP_REACH : TYPE_MP_UNREACH);
      if (a === undefined || a.value.length < 3) return false;
      const value = Uint8Array.from(a.value);
      value[0] = (m.afi >> 8) & 0xff;
      value[1] = m.afi & 0xff;
      value[2] = m.safi & 0xff;
      a.value = value;
      return true;
    }
    case 'to-withdrawal': {
      const reach = findAttribute(u, TYPE_MP_REACH);
      const unreach = findAttribute(u, TYPE_MP_UNREACH);
      if (reach !== undefined && unreach !== undefined) return false;
      const joined = new Uint8Array(u.withdrawn.length + u.nlri.length);
      joined.set(u.withdrawn);
      joined.set(u.nlri, u.withdrawn.length);
      u.withdrawn = joined;
      u.nlri = new Uint8Array(0);
      const start = reach === undefined ? -1 : mpNlriStart(reach);
      if (reach !== undefined && start < 0) return false;
      const kept: RawAttribute[] = [];
      if (unreach !== undefined) kept.push(unreach);
      if (reach !== undefined) {
        const value = new Uint8Array(3 + reach.value.length - start);
        value.set(reach.value.subarray(0, 3));
        value.set(reach.value.subarray(start), 3);
        kept.push({ flags: FLAG_OPTIONAL | (value.length > 255 ? FLAG_EXTENDED : 0), type: TYPE_MP_UNREACH, value, declaredLength: -1 });
      }
      u.attributes = kept;
      return true;
    }
    case 'add-path': {
      if (u.addPath) return false;
      for (const field of NLRI_FIELDS) {
        const f = fieldBytes(u, field);
        if (f === null) continue;
        const bytes = withPathIds(f.bytes, f.start, m.pathId);
        if (bytes === null) return false;
        setField(u, field, f.attr, bytes);
      }
      u.addPath = true;
      return true;
    }
  }
}

/** Applies a byte-level edit to buf[0..length) in place (buf has room for 3 more bytes); returns the new length. */
export function applyByteMutation(buf: Buffer, length: number, m: ByteMutation): number {
  if (length === 0 && m.kind !== 'insert-bytes') return 0;
  switch (m.kind) {
    case 'bit-flip':
      buf[mod(m.at, length)] ^= 1 << (m.bit & 7);
      return length;
    case 'byte-set':
      buf[mod(m.at, length)] = m.value & 0xff;
      return length;
    case 'u16-set':
      if (length < 2) return length;
      buf.writeUInt16BE(m.value & 0xffff, mod(m.at, length - 1));
      return length;
    case 'truncate':
      return mod(m.at, length + 1);
    case 'insert-bytes': {
      const at = mod(m.at, length + 1);
      buf.copyWithin(at + 2, at, length);
      buf[at] = m.a & 0xff;
      buf[at + 1] = m.b & 0xff;
      return length + 2;
    }
    case 'byte-delta': {
      const at = mod(m.at, length);
      buf[at] = (buf[at]! + m.delta) & 0xff;
      return length;
    }
  }
}

// ---- generation ----------------------------------------------------------------------------------------------------

/** Type codes this codec knows (RFC 4271, 1997, 4456, 4360, 4760, 6793, 8092). */
export const KNOWN_TYPES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32];
/** Codes it does not (some assigned elsewhere, like 22 PMSI_TUNNEL, 26 AIGP, 35 OTC; some unassigned). */
export const UNKNOWN_TYPES: readonly number[] = [0, 11, 12, 13, 19, 20, 21, 22, 23, 25, 26, 29, 33, 35, 40, 128, 200, 255];
export const NEXT_HOP_LENGTHS: readonly number[] = [0, 1, 3, 4, 5, 8, 12, 15, 16, 17, 24, 31, 32, 33, 48, 255];
export const FAMILIES: readonly (readonly [number, number])[] = [[1, 1], [2, 1], [1, 2], [2, 2], [1, 4], [1, 128], [2, 128], [25, 65], [16388, 71], [1, 133], [3, 1], [0, 0], [0, 1], [1, 0]];

const STRUCT_KINDS: readonly StructMutation['kind'][] = [
  'withdrawn-length', 'attribute-total-length', 'attribute-length', 'extended-length-toggle', 'extended-length-drop',
  'flags', 'type-swap', 'insert-unknown', 'duplicate', 'remove', 'value-resize', 'origin', 'next-hop', 'prefix-length',
  'nlri-cut', 'as-path-count', 'as-path-type', 'mp-next-hop-length', 'mp-family', 'add-path', 'to-withdrawal',
];

/** A random small-or-large length delta: mostly off by a few, sometimes anything. */
function delta(rnd: () => number): number {
  const r = rnd();
  if (r < 0.7) return (Math.floor(rnd() * 9) - 4) || 1;
  return Math.floor(rnd() * 65536) - 32768;
}

/** One random structured mutation (the stress run's generator; fast-check's is structMutationArbitrary). */
export function randomStructMutation(rnd: () => number): StructMutation {
  const int = (n: number): number => Math.floor(rnd() * n);
  const kind = STRUCT_KINDS[int(STRUCT_KINDS.length)]!;
  const pick = int(64);
  switch (kind) {
    case 'withdrawn-length':
    case 'attribute-total-length':
      return { kind, delta: delta(rnd) };
    case 'attribute-length':
      return { kind, pick, delta: delta(rnd) };
    case 'extended-length-toggle':
    case 'extended-length-drop':
      return { kind, pick };
    case 'flags':
      return { kind, pick, flags: int(8) << 5 };
    case 'type-swap':
      return { kind, pick, type: rnd() < 0.8 ? KNOWN_TYPES[int(KNOWN_TYPES.length)]! : UNKNOWN_TYPES[int(UNKNOWN_TYPES.length)]! };
    case 'insert-unknown':
      return { kind, at: pick, type: UNKNOWN_TYPES[int(UNKNOWN_TYPES.length)]!, flags: int(8) << 5, length: rnd() < 0.9 ? int(40) : 256 + int(300), fill: int(256) };
    case 'duplicate':
      return { kind, pick, at: int(64) };
    case 'remove':
      return { kind, type: [TYPE_ORIGIN, TYPE_AS_PATH, TYPE_NEXT_HOP, 4, 5, 7, 8, TYPE_MP_REACH, TYPE_MP_UNREACH][int(9)]! };
    case 'value-resize':
      return { kind, pick, length: rnd() < 0.8 ? int(20) : int(600), fill: int(256) };
    case 'origin':
      return { kind, value: rnd() < 0.5 ? int(4) : int(256) };
    case 'next-hop':
      return { kind, value: rnd() < 0.5 ? [0, 0x00ffffff, 0xe0000001, 0xffffffff, 0x7f000001, 0x0a000001][int(6)]! : int(2 ** 32) };
    case 'prefix-length':
      return { kind, field: NLRI_FIELDS[int(4)]!, pick, length: rnd() < 0.7 ? 25 + int(110) : int(256) };
    case 'nlri-cut':
      return { kind, field: NLRI_FIELDS[int(4)]!, bytes: int(17) };
    case 'as-path-count':
      return { kind, pick: rnd() < 0.5 ? -1 : pick, count: rnd() < 0.3 ? 0 : int(256) };
    case 'as-path-type':
      return { kind, pick, type: int(8) };
    case 'mp-next-hop-length':
      return { kind, length: NEXT_HOP_LENGTHS[int(NEXT_HOP_LENGTHS.length)]!, consistent: rnd() < 0.7 };
    case 'mp-family': {
      const [afi, safi] = FAMILIES[int(FAMILIES.length)]!;
      return { kind, which: rnd() < 0.5 ? 'reach' : 'unreach', afi, safi };
    }
    case 'add-path':
      return { kind, pathId: int(2 ** 32) };
    case 'to-withdrawal':
      return { kind };
  }
}

export function randomByteMutation(rnd: () => number): ByteMutation {
  const int = (n: number): number => Math.floor(rnd() * n);
  const at = int(1 << 16);
  switch (int(6)) {
    case 0:
      return { kind: 'bit-flip', at, bit: int(8) };
    case 1:
      return { kind: 'byte-set', at, value: int(256) };
    case 2:
      return { kind: 'u16-set', at, value: int(65536) };
    case 3:
      return { kind: 'truncate', at };
    case 4:
      return { kind: 'insert-bytes', at, a: int(256), b: int(256) };
    default:
      return { kind: 'byte-delta', at, delta: int(7) - 3 };
  }
}

// ---- fast-check arbitraries (tests: reproducible with a seed, shrinking to a minimal descriptor) -------------------

const pickArb = fc.integer({ min: -8, max: 64 });
const fieldArb = fc.constantFrom<NlriField>(...NLRI_FIELDS);
const deltaArb = fc.oneof(fc.integer({ min: -4, max: 4 }).filter((d) => d !== 0), fc.integer({ min: -65535, max: 65535 }));

/** Arbitraries per structured mutation kind. */
export const structMutationArbitraries = {
  'withdrawn-length': deltaArb.map((d) => ({ kind: 'withdrawn-length', delta: d }) as const),
  'attribute-total-length': deltaArb.map((d) => ({ kind: 'attribute-total-length', delta: d }) as const),
  'attribute-length': fc.record({ kind: fc.constant('attribute-length' as const), pick: pickArb, delta: deltaArb }),
  'extended-length-toggle': fc.record({ kind: fc.constant('extended-length-toggle' as const), pick: pickArb }),
  'extended-length-drop': fc.record({ kind: fc.constant('extended-length-drop' as const), pick: pickArb }),
  flags: fc.record({ kind: fc.constant('flags' as const), pick: pickArb, flags: fc.integer({ min: 0, max: 7 }).map((f) => f << 5) }),
  'type-swap': fc.record({ kind: fc.constant('type-swap' as const), pick: pickArb, type: fc.constantFrom(...KNOWN_TYPES, ...UNKNOWN_TYPES) }),
  'insert-unknown': fc.record({
    kind: fc.constant('insert-unknown' as const),
    at: pickArb,
    type: fc.constantFrom(...UNKNOWN_TYPES),
    flags: fc.integer({ min: 0, max: 7 }).map((f) => f << 5),
    length: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 256, max: 600 })),
    fill: fc.integer({ min: 0, max: 255 }),
  }),
  duplicate: fc.record({ kind: fc.constant('duplicate' as const), pick: pickArb, at: pickArb }),
  remove: fc.record({ kind: fc.constant('remove' as const), type: fc.constantFrom(TYPE_ORIGIN, TYPE_AS_PATH, TYPE_NEXT_HOP, 4, 5, 7, 8, TYPE_MP_REACH, TYPE_MP_UNREACH) }),
  'value-resize': fc.record({ kind: fc.constant('value-resize' as const), pick: pickArb, length: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 600 })), fill: fc.integer({ min: 0, max: 255 }) }),
  origin: fc.record({ kind: fc.constant('origin' as const), value: fc.integer({ min: 0, max: 255 }) }),
  'next-hop': fc.record({ kind: fc.constant('next-hop' as const), value: fc.oneof(fc.constantFrom(0, 0x00ffffff, 0xe0000001, 0xffffffff, 0x7f000001), fc.nat(0xffffffff)) }),
  'prefix-length': fc.record({ kind: fc.constant('prefix-length' as const), field: fieldArb, pick: pickArb, length: fc.integer({ min: 0, max: 255 }) }),
  'nlri-cut': fc.record({ kind: fc.constant('nlri-cut' as const), field: fieldArb, bytes: fc.integer({ min: 0, max: 16 }) }),
  'as-path-count': fc.record({ kind: fc.constant('as-path-count' as const), pick: pickArb, count: fc.integer({ min: 0, max: 255 }) }),
  'as-path-type': fc.record({ kind: fc.constant('as-path-type' as const), pick: pickArb, type: fc.integer({ min: 0, max: 255 }) }),
  'mp-next-hop-length': fc.record({ kind: fc.constant('mp-next-hop-length' as const), length: fc.oneof(fc.constantFrom(...NEXT_HOP_LENGTHS), fc.integer({ min: 0, max: 255 })), consistent: fc.boolean() }),
  'mp-family': fc.record({ kind: fc.constant('mp-family' as const), which: fc.constantFrom('reach' as const, 'unreach' as const), afi: fc.integer({ min: 0, max: 0xffff }), safi: fc.integer({ min: 0, max: 255 }) }),
  'add-path': fc.record({ kind: fc.constant('add-path' as const), pathId: fc.nat(0xffffffff) }),
  'to-withdrawal': fc.constant({ kind: 'to-withdrawal' } as const),
} satisfies { [K in StructMutation['kind']]: fc.Arbitrary<Extract<StructMutation, { kind: K }>> };

export const structMutationArbitrary: fc.Arbitrary<StructMutation> = fc.oneof(...Object.values(structMutationArbitraries) as fc.Arbitrary<StructMutation>[]);

export const byteMutationArbitrary: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('bit-flip' as const), at: fc.nat(4096), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('byte-set' as const), at: fc.nat(4096), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('u16-set' as const), at: fc.nat(4096), value: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(4096) }),
  fc.record({ kind: fc.constant('insert-bytes' as const), at: fc.nat(4096), a: fc.integer({ min: 0, max: 255 }), b: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('byte-delta' as const), at: fc.nat(4096), delta: fc.integer({ min: -3, max: 3 }) }),
);

/** Describes a mutation list compactly for failure reports. */
export function describeMutations(list: readonly Mutation[]): string {
  return list.map((m) => JSON.stringify(m)).join(' ');
}
