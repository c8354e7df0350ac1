// The configured zones compiled for the hot path: a hash table of lower-cased wire names, and for each name the
// record bytes it can answer with, prepared once per configuration (per POP for the decided names), so that an
// answer is the question copied, a few prepared records copied, and the header and ECS patched.
import { isIP } from 'node:net';
import { Afi } from '../bgp/index.js';
import type { DnsConfig, DnsZoneConfig, PopConfig } from '../config/index.js';
import { parseAddress } from '../rib/index.js';
import { HASH_SEED, hashByte, TYPE_A, TYPE_AAAA, TYPE_NS, TYPE_SOA } from './query.js';

/** A record answering the question's own name: owner is a pointer to offset 12 (the question). */
const OWNER_QUESTION = 0xc00c;
/** Bytes of an A record with a compressed owner, and of an AAAA one. */
export const A_RECORD = 16;
export const AAAA_RECORD = 28;

/** A zone as answered: its SOA and NS records without their owner (the apex, given as a pointer when written). */
export class CompiledZone {
  /** Apex in lower-case wire form. */
  readonly apex: Uint8Array;
  /** TYPE .. RDATA of the SOA record, with its TTL for a positive answer and for a negative one (RFC 2308 3). */
  readonly soa: Uint8Array;
  readonly soaNegative: Uint8Array;
  /** TYPE .. RDATA of each NS record, concatenated. */
  readonly ns: Uint8Array;
  readonly nsCount: number;
  /** Address records of the in-zone name servers (full owner names), for the additional section. */
  readonly glue: Uint8Array;
  readonly glueCount: number;

  constructor(readonly config: DnsZoneConfig) {
    this.apex = wireName(config.zone);
    const soa = config.soa;
    const rdata = concat([wireName(soa.mname), wireName(soa.rname), u32s([soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum])]);
    this.soa = concat([u16s([TYPE_SOA, 1]), u32s([config.nsTtl]), u16s([rdata.length]), rdata]);
    this.soaNegative = concat([u16s([TYPE_SOA, 1]), u32s([Math.min(config.nsTtl, soa.minimum)]), u16s([rdata.length]), rdata]);
    this.ns = concat(config.ns.map((s) => {
      const target = wireName(s.name);
      return concat([u16s([TYPE_NS, 1]), u32s([config.nsTtl]), u16s([target.length]), target]);
    }));
    this.nsCount = config.ns.length;
    const glue: Uint8Array[] = [];
    for (const s of config.ns) {
      for (const address of s.addresses) glue.push(concat([wireName(s.name), addressRecord(address, config.nsTtl)]));
    }
    this.glue = concat(glue);
    this.glueCount = glue.length;
  }
}

/** A name answered from the decision, with its records for every POP prepared. */
export class DecidedName {
  /** 1 for each POP index the name may answer. */
  readonly allowed: Uint8Array;
  /** For POP i: its A record at i * A_RECORD (owner = the question), and whether it has one; likewise AAAA. */
  readonly a: Uint8Array;
  readonly hasA: Uint8Array;
  readonly aaaa: Uint8Array;
  readonly hasAaaa: Uint8Array;
  /** The name's POPs in configuration order (the answer when all of them are down). */
  readonly order: Int32Array;
  /** How far the decision must rank: `answers` when every POP serves the name in both families, else all. */
  readonly limit: number;

  constructor(
    readonly answers: number,
    readonly ttl: number,
    pops: readonly PopConfig[],
    names: readonly string[] | null,
  ) {
    const n = pops.length;
    this.allowed = new Uint8Array(n);
    this.a = new Uint8Array(Math.max(1, n) * A_RECORD);
    this.aaaa = new Uint8Array(Math.max(1, n) * AAAA_RECORD);
    this.hasA = new Uint8Array(n);
    this.hasAaaa = new Uint8Array(n);
    const order: number[] = [];
    pops.forEach((pop, i) => {
      if (names !== null && !names.includes(pop.name)) return;
      this.allowed[i] = 1;
      if (pop.ipv4 !== null) {
        this.a.set(concat([u16s([OWNER_QUESTION]), addressRecord(pop.ipv4, ttl)]), i * A_RECORD);
        this.hasA[i] = 1;
      }
      if (pop.ipv6 !== null) {
        this.aaaa.set(concat([u16s([OWNER_QUESTION]), addressRecord(pop.ipv6, ttl)]), i * AAAA_RECORD);
        this.hasAaaa[i] = 1;
      }
    });
    if (names !== null) for (const name of names) order.push(pops.findIndex((p) => p.name === name));
    else pops.forEach((_, i) => order.push(i));
    this.order = Int32Array.from(order.filter((i) => i >= 0));
    const everywhere = order.length === n && pops.every((p) => p.ipv4 !== null && p.ipv6 !== null);
    this.limit = everywhere ? answers : 0x7fffffff;
  }
}

/** A name of a zone: decided, a name server with fixed addresses, the apex, or an empty non-terminal. */
export class NameEntry {
  decided: DecidedName | null = null;
  /** Fixed A and AAAA records (owner = the question), for name servers inside the zone. */
  fixedA: Uint8Array | null = null;
  fixedACount = 0;
  fixedAaaa: Uint8Array | null = null;
  fixedAaaaCount = 0;
  apex = false;

  constructor(
    /** Lower-case wire form. */
    readonly wire: Uint8Array,
    readonly hash: number,
    readonly zone: CompiledZone,
  ) {}
}

/** Every configured name, found by its lower-cased wire form without allocating. */
export class NameTable {
  private slots: (NameEntry | null)[];
  private readonly mask: number;
  readonly zones: CompiledZone[];
  readonly entries: NameEntry[] = [];

  constructor(config: DnsConfig, pops: readonly PopConfig[]) {
    this.zones = config.zones.map((z) => new CompiledZone(z));
    let names = 0;
    for (const z of config.zones) names += 1 + z.names.length + z.ns.length;
    let size = 16;
    while (size < names * 4) size *= 2;
    this.slots = new Array<NameEntry | null>(size).fill(null);
    this.mask = size - 1;
    this.zones.forEach((zone) => {
      const z = zone.config;
      this.entry(z.zone, zone).apex = true;
      for (const name of z.names) this.entry(name.name, zone).decided = new DecidedName(name.answers, name.ttl, pops, name.pops);
      for (const s of z.ns) {
        if (s.addresses.length === 0) continue;
        const e = this.entry(s.name, zone);
        const v4 = s.addresses.filter((a) => isIP(a) === 4);
        const v6 = s.addresses.filter((a) => isIP(a) === 6);
        e.fixedA = concat(v4.map((a) => concat([u16s([OWNER_QUESTION]), addressRecord(a, z.nsTtl)])));
        e.fixedACount = v4.length;
        e.fixedAaaa = concat(v6.map((a) => concat([u16s([OWNER_QUESTION]), addressRecord(a, z.nsTtl)])));
        e.fixedAaaaCount = v6.length;
      }
      // Empty non-terminals (RFC 8020: a name with names below it exists, so it is NODATA, not NXDOMAIN).
      for (const e of [...this.entries]) {
        if (e.zone !== zone) continue;
        const text = nameText(e.wire);
        let rest = text;
        while (rest.length > z.zone.length && rest.includes('.')) {
          rest = rest.slice(rest.indexOf('.') + 1);
          if (rest.length > z.zone.length) this.entry(rest, zone);
        }
      }
    });
  }

  /** The entry of name[0, length) (lower-case wire form) with FNV-1a `hash`; null when none. */
  find(name: Uint8Array, start: number, length: number, hash: number): NameEntry | null {
    const slots = this.slots;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const e = slots[i]!;
      if (e === null) return null;
      if (e.hash === hash && e.wire.length === length && sameBytes(e.wire, name, start, length)) return e;
    }
  }

  /**
   * The zone enclosing a name that has no entry (labels[i] = where label i starts in name): the longest apex
   * among its suffixes; null when it lies in none of our zones. Not the hot path (NXDOMAIN and REFUSED).
   */
  enclosingZone(name: Uint8Array, length: number, labelStarts: Int32Array, labels: number): CompiledZone | null {
    for (let i = 1; i < labels; i++) {
      const start = labelStarts[i]!;
      let h = HASH_SEED;
      for (let k = start; k < length; k++) h = hashByte(h, name[k]!);
      const e = this.find(name, start, length - start, h);
      if (e !== null) return e.zone;
    }
    return null;
  }

  private entry(text: string, zone: CompiledZone): NameEntry {
    const wire = wireName(text);
    let h = HASH_SEED;
    for (const byte of wire) h = hashByte(h, byte);
    const found = this.find(wire, 0, wire.length, h);
    if (found) return found;
    const e = new NameEntry(wire, h, zone);
    let i = h & this.mask;
    while (this.slots[i] !== null) i = (i + 1) & this.mask;
    this.slots[i] = e;
    this.entries.push(e);
    return e;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array, start: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

/** "www.example.com" to its wire form (lower case). */
export function wireName(text: string): Uint8Array {
  const labels = text === '' || text === '.' ? [] : text.replace(/\.$/, '').toLowerCase().split('.');
  const out: number[] = [];
  for (const l of labels) {
    out.push(l.length);
    for (let i = 0; i < l.length; i++) out.push(l.charCodeAt(i));
  }
  out.push(0);
  return Uint8Array.from(out);
}

function nameText(wire: Uint8Array): string {
  const parts: string[] = [];
  for (let p = 0; wire[p]! !== 0; p += wire[p]! + 1) parts.push(String.fromCharCode(...wire.subarray(p + 1, p + 1 + wire[p]!)));
  return parts.join('.');
}

/** TYPE .. RDATA of an A or AAAA record for an address. */
function addressRecord(address: string, ttl: number): Uint8Array {
  const p = parseAddress(address);
  const v6 = p.afi === Afi.IPv6;
  const bytes = v6 ? u32s([p.a, p.b, p.c, p.d]) : u32s([p.a]);
  return concat([u16s([v6 ? TYPE_AAAA : TYPE_A, 1]), u32s([ttl]), u16s([bytes.length]), bytes]);
}

function u16s(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  values.forEach((v, i) => {
    out[2 * i] = (v >> 8) & 255;
    out[2 * i + 1] = v & 255;
  });
  return out;
}

function u32s(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v >>> 0));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
