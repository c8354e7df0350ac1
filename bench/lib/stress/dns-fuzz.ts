// Fuzzing of the DNS responder (issue 13): random datagrams and structure-aware mutations of valid queries, each
// checked by an oracle written apart from the responder: a plain reference reading of the packet (RFC 1035, 6891,
// 7871) says what may come back (nothing, FORMERR, NOTIMP, BADVERS, REFUSED, or a given answer), and for a packet
// that is still a good query the exact answer is worked out from the routes installed and the POP table (a naive
// longest-prefix match and the ECS scope rule), never by asking the responder twice. A known-good query is slipped
// in every `goodEvery` cases and its answer checked exactly: the responder must keep answering correctly.
//
// Two modes: 'inprocess' calls DnsResponder.answer() as the UDP server does (the 1 M run); 'udp' sends the packets
// through a real DnsServer on loopback (UDP, and a share over TCP), where a drop is a short timeout.
import dgram from 'node:dgram';
import net from 'node:net';
import bunyan from 'bunyan';
import dnsPacket from 'dns-packet';
import { Afi } from '../../../src/bgp/index.js';
import { parseConfig, type Config } from '../../../src/config/index.js';
import { DnsResponder, DnsServer } from '../../../src/dns/index.js';
import { Proximity } from '../../../src/proximity/index.js';
import { canonicalAddress, createRib, formatAddress, parseAddress, parsePrefix } from '../../../src/rib/index.js';
import { announce, attrs } from '../../../test/rib/helpers/routes.js';
import { loopbackAddress } from '../../../test/helpers/peers/process.js';

// ------------------------------------------------------------------------------------------------ the world

/** What DnsResponder.answer() takes; a broken subject wraps it. */
export type AnswerFn = (q: Uint8Array, qOff: number, qLen: number, afi: Afi, a: number, b: number, c: number, d: number, tcp: boolean, out: Uint8Array, oOff: number, oMax: number) => number;

const ZONE = 'example.test';
const TTL = 20;
const SELF = 'z';
const POPS: Record<string, { as: number; ipv4?: string; ipv6: string }> = {
  x: { as: 65001, ipv4: '192.0.2.10', ipv6: '2001:db8::10' },
  y: { as: 65002, ipv4: '192.0.2.20', ipv6: '2001:db8::20' },
  z: { as: 65003, ipv4: '192.0.2.30', ipv6: '2001:db8::30' },
};
/** 21 IPv6-only POPs for a name answering 20 AAAA records (560 octets: truncated without EDNS). */
const MANY = Array.from({ length: 21 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
MANY.forEach((name, i) => (POPS[name] = { as: 66001 + i, ipv6: `2001:db8:100::${(i + 1).toString(16)}` }));
const ROUTED_POPS = ['x', 'y', 'z'];

function configText(listen: string): string {
  const pops = Object.entries(POPS).map(([n, p]) => `  ${n}: { as: ${p.as}${p.ipv4 ? `, ipv4: ${p.ipv4}` : ''}, ipv6: "${p.ipv6}" }`).join('\n');
  return `
bgp: { local-as: 65000, router-id: 192.0.2.1 }
neighbors: []
pops:
${pops}
proximity: { self: ${SELF} }
dns:
  listen: [ "${listen}" ]
  zone: ${ZONE}
  ttl: ${TTL}
  names:
    www: {}
    only-y: { pops: [ y ] }
    deep.sub: {}
    many: { pops: [ ${MANY.join(', ')} ], answers: 20 }
  ns: { ns1.${ZONE}: [ 192.0.2.53, "2001:db8::53" ], ns.elsewhere.test: [] }
  startup: { ttl: 5 }
`;
}

/** A route as the oracle sees it: the prefix as words, its length, and the POP its first AS names. */
interface ModelRoute {
  v6: boolean;
  w: Int32Array;
  length: number;
  pop: string;
}

/** The responder under test with the routes it was given, and the model the oracle answers from. */
export class DnsFuzzWorld {
  readonly config: Config;
  readonly responder: DnsResponder;
  readonly routes: ModelRoute[] = [];
  /** The name table as the oracle knows it, keyed by lower-case wire form (latin1). */
  readonly names = new Map<string, ModelName>();
  readonly apexKey: string;
  readonly soaMinimumTtl: number;

  constructor(listen = '127.0.0.1:0', routeSeed = 1) {
    this.config = parseConfig(configText(listen));
    const { writer, reader } = createRib({ sizing: 'small' });
    const neighbor = writer.addNeighbor({ address: '192.0.2.254', remoteAs: 65100, localAs: 65000, routerId: 1 });
    writer.setSessionUp(neighbor, true);
    const add = (prefix: string, pop: string): void => {
      announce(writer, neighbor, prefix, attrs([POPS[pop]!.as, 64999]));
      const p = parsePrefix(prefix);
      this.routes.push({ v6: p.afi === Afi.IPv6, w: Int32Array.of(p.a, p.b, p.c, p.d), length: p.length, pop });
    };
    for (const [prefix, pop] of [
      ['10.0.0.0/8', 'x'], ['10.1.0.0/16', 'y'], ['10.1.1.0/24', 'x'], ['127.0.0.0/8', 'y'], ['127.103.0.0/16', 'x'],
      ['127.104.128.0/17', 'z'], ['2001:db8::/32', 'x'], ['2001:db8:1::/48', 'y'], ['2001:db8:1:ff00::/56', 'z'],
    ] as const) add(prefix, pop);
    // Random routes (fixed by routeSeed); a prefix drawn twice is skipped (announcing it again would replace the
    // route, and the model would hold both).
    const rng = new Rng();
    rng.reseed(routeSeed, 0);
    const seen = new Set(this.routes.map((r) => `${r.v6}/${r.w.join(',')}/${r.length}`));
    for (let i = 0; i < 90; i++) {
      const v6 = i % 3 === 2;
      const length = v6 ? 16 + rng.int(49) : 8 + rng.int(21);
      const w = Int32Array.of(rng.word(), rng.word(), rng.word(), rng.word());
      maskWords(w, length, v6);
      const key = `${v6}/${w.join(',')}/${length}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const pop = ROUTED_POPS[rng.int(3)]!;
      add(v6 ? `${formatAddress(Afi.IPv6, w[0]!, w[1]!, w[2]!, w[3]!)}/${length}` : `${formatAddress(Afi.IPv4, w[0]!, 0, 0, 0)}/${length}`, pop);
    }
    const c = this.config;
    const proximity = new Proximity(reader, { pops: c.pops, proximity: c.proximity, overrides: c.overrides, neighborPops: [] });
    this.responder = new DnsResponder(proximity, c.dns!);
    this.responder.loaded = true;

    const zone = c.dns!.zones[0]!;
    this.soaMinimumTtl = Math.min(zone.nsTtl, zone.soa.minimum);
    this.apexKey = wireKey(ZONE);
    this.names.set(this.apexKey, { kind: 'apex' });
    for (const n of zone.names) this.names.set(wireKey(n.name), { kind: 'decided', pops: n.pops, answers: n.answers, ttl: n.ttl });
    for (const s of zone.ns) {
      if (s.addresses.length === 0) continue;
      this.names.set(wireKey(s.name), { kind: 'fixed', a: s.addresses.filter((x) => net.isIPv4(x)), aaaa: s.addresses.filter((x) => net.isIPv6(x)).map(canonicalAddress) });
    }
    // Empty non-terminals between a name and the apex (RFC 8020).
    for (const key of [...this.names.keys()]) {
      for (let k = nextLabel(key); k.length > this.apexKey.length; k = nextLabel(k)) if (!this.names.has(k)) this.names.set(k, { kind: 'empty' });
    }
  }

  /** The POP and ECS scope the table gives an address, from the routes installed (longest match, classic rule). */
  expected(v6: boolean, w: Int32Array, out: { pop: string; scope: number }): void {
    let mapped = false;
    if (v6 && w[0] === 0 && w[1] === 0 && w[2] === 0xffff) {
      // ::ffff:a.b.c.d is decided as the IPv4 address; its scope as an IPv6 length (96 more).
      mapped = true;
      v6 = false;
      mappedWords[0] = w[3]!;
      w = mappedWords;
    }
    let best: ModelRoute | null = null;
    for (const r of this.routes) {
      if (r.v6 !== v6 || commonBits(w, r.w, v6) < r.length) continue;
      if (best === null || r.length > best.length) best = r;
    }
    let scope = best === null ? 0 : best.length;
    const floor = best === null ? -1 : best.length;
    for (const r of this.routes) {
      if (r.v6 !== v6 || r.length <= floor) continue;
      const s = 1 + commonBits(w, r.w, v6);
      if (s > scope) scope = s;
    }
    out.pop = best === null ? SELF : best.pop;
    out.scope = mapped ? scope + 96 : scope;
  }
}
const mappedWords = new Int32Array(4);

type ModelName =
  | { kind: 'apex' }
  | { kind: 'empty' }
  | { kind: 'decided'; pops: readonly string[] | null; answers: number; ttl: number }
  | { kind: 'fixed'; a: string[]; aaaa: string[] };

function wireKey(text: string): string {
  const labels = text.toLowerCase().replace(/\.$/, '').split('.');
  return labels.map((l) => String.fromCharCode(l.length) + l).join('') + '\0';
}

function nextLabel(key: string): string {
  return key.slice(key.charCodeAt(0) + 1);
}

/** Leading bits a and b share (up to the family's width). */
function commonBits(a: Int32Array, b: Int32Array, v6: boolean): number {
  const words = v6 ? 4 : 1;
  let n = 0;
  for (let i = 0; i < words; i++) {
    const x = (a[i]! ^ b[i]!) >>> 0;
    if (x === 0) n += 32;
    else return n + Math.clz32(x);
  }
  return n;
}

function maskWords(w: Int32Array, length: number, v6: boolean): void {
  for (let i = 0; i < 4; i++) {
    const bits = length - 32 * i;
    if (!v6 && i > 0) w[i] = 0;
    else if (bits <= 0) w[i] = 0;
    else if (bits < 32) w[i] = (w[i]! >>> (32 - bits)) << (32 - bits);
  }
}

// ------------------------------------------------------------------------------------------------ randomness

/** A small seeded PRNG (mulberry32) that can be reseeded per case: case i of seed s is reproducible alone. */
export class Rng {
  private s = 0;
  /** The routes random addresses are drawn near (the world's). */
  near: readonly ModelRoute[] = [];
  reseed(seed: number, index: number): void {
    this.s = (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
    this.next();
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** 0 .. n-1 */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  word(): number {
    return (this.next() * 4294967296) | 0;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

// ------------------------------------------------------------------------------------------------ building packets

/**
 * A query described field by field, every count and length free to lie: what the structured generator (and a
 * fast-check arbitrary in the test) fills and encodeQuery() writes.
 */
export interface QueryShape {
  id: number;
  /** The header's flags word as sent (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode). */
  flags: number;
  /** The question name's wire bytes as sent (may be malformed); written `questions` times. */
  name: Uint8Array;
  questions: number;
  qtype: number;
  qclass: number;
  /** OPT records to write, and in which section the first goes (the others follow in the additional section). */
  opts: OptShape[];
  optSection: 'answer' | 'authority' | 'additional';
  /** Header counts; null writes the true count. */
  qdcount: number | null;
  ancount: number | null;
  nscount: number | null;
  arcount: number | null;
  trailing: Uint8Array;
}

export interface OptShape {
  /** Owner name bytes (the root is [0]). */
  owner: Uint8Array;
  udpSize: number;
  extRcode: number;
  version: number;
  /** The flags word of the TTL field (DO is 0x8000). */
  flags: number;
  /** The options, already encoded (see ecsOption and friends). */
  options: Uint8Array;
  /** Added to the true RDLENGTH (a lie). */
  rdlengthDelta: number;
}

/** Writes a QueryShape into out; returns the length (out must hold 4096 octets). */
export function encodeQuery(s: QueryShape, out: Uint8Array): number {
  let o = 0;
  const u16 = (v: number): void => {
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  };
  const bytes = (b: Uint8Array): void => {
    const n = Math.min(b.length, out.length - o - 600);
    for (let i = 0; i < n; i++) out[o++] = b[i]!;
  };
  const firstInAnswer = s.opts.length > 0 && s.optSection === 'answer' ? 1 : 0;
  const firstInAuthority = s.opts.length > 0 && s.optSection === 'authority' ? 1 : 0;
  u16(s.id);
  u16(s.flags);
  u16(s.qdcount ?? s.questions);
  u16(s.ancount ?? firstInAnswer);
  u16(s.nscount ?? firstInAuthority);
  u16(s.arcount ?? s.opts.length - firstInAnswer - firstInAuthority);
  for (let q = 0; q < s.questions; q++) {
    bytes(s.name);
    u16(s.qtype);
    u16(s.qclass);
  }
  for (const opt of s.opts) {
    bytes(opt.owner);
    u16(41);
    u16(opt.udpSize);
    out[o++] = opt.extRcode & 0xff;
    out[o++] = opt.version & 0xff;
    u16(opt.flags);
    u16((opt.options.length + opt.rdlengthDelta) & 0xffff);
    bytes(opt.options);
  }
  bytes(s.trailing);
  return o;
}

/** An ECS option (RFC 7871 6) with the address octets given (any number, any bits). */
export function ecsOption(family: number, source: number, scope: number, address: Uint8Array, lengthDelta = 0): Uint8Array {
  const b = new Uint8Array(8 + address.length);
  b[1] = 8;
  const length = (4 + address.length + lengthDelta) & 0xffff;
  b[2] = length >> 8;
  b[3] = length & 0xff;
  b[4] = family >> 8;
  b[5] = family & 0xff;
  b[6] = source;
  b[7] = scope;
  b.set(address, 8);
  return b;
}

/** Any option: code, then data (its length field true unless lengthDelta). */
export function rawOption(code: number, data: Uint8Array, lengthDelta = 0): Uint8Array {
  const b = new Uint8Array(4 + data.length);
  b[0] = code >> 8;
  b[1] = code & 0xff;
  const length = (data.length + lengthDelta) & 0xffff;
  b[2] = length >> 8;
  b[3] = length & 0xff;
  b.set(data, 4);
  return b;
}

/** The parts one after another (a Buffer is a Uint8Array). */
const concat = (parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

/** Text name to wire form keeping its case (random case tests 0x20 echo). */
export function wire(text: string): Uint8Array {
  if (text === '' || text === '.') return Uint8Array.of(0);
  const out: number[] = [];
  for (const l of text.replace(/\.$/, '').split('.')) {
    out.push(l.length);
    for (let i = 0; i < l.length; i++) out.push(l.charCodeAt(i));
  }
  out.push(0);
  return Uint8Array.from(out);
}

/** Names the generator asks for: ours (each kind), below and beside the zone, and out of it. */
export const FUZZ_NAMES = [
  'www.example.test', 'only-y.example.test', 'deep.sub.example.test', 'many.example.test', 'ns1.example.test',
  'example.test', 'sub.example.test', 'nope.example.test', 'a.b.nope.example.test', 'www.example.org', 'test', '.',
  'ns.elsewhere.test', 'xn--www.example.test',
];
const DECIDED_NAMES = ['www.example.test', 'only-y.example.test', 'deep.sub.example.test'];
/** QTYPEs: A, NS, SOA, MX, TXT, AAAA, OPT(41), DS, RRSIG, IXFR, AXFR, MAILB, ANY, CAA, 0, 65535. */
export const FUZZ_QTYPES = [1, 2, 6, 15, 16, 28, 41, 43, 46, 251, 252, 253, 255, 257, 0, 65535];
/** QCLASS: IN, CH, HS, NONE, ANY, 0, 65535. */
export const FUZZ_QCLASSES = [1, 1, 1, 3, 4, 254, 255, 0, 65535];

// ------------------------------------------------------------------------------------------------ the oracle

/** What the reference reading of a packet allows as a reply. */
interface Expectation {
  /** No reply may be sent (a runt, a response). */
  drop: boolean;
  /** Rcodes allowed (header + extended); the normal answer's rcode is in `normal` instead. */
  errors: number;
  /** The packet is a good query (or good with tolerated oddities): `normal` describes the answer it gets. */
  normal: boolean;
  /** Oddities the responder may either ignore (answering normally) or reject with FORMERR. */
  lenient: boolean;
  /** Header/question facts for the checks. */
  id: number;
  opcode: number;
  questionEnd: number;
  /** First OPT: present, its UDP size, and whether it is well formed (an answer then carries OPT). */
  opt: boolean;
  optGood: boolean;
  udpSize: number;
  version: number;
  dnssecOk: boolean;
  ecs: boolean;
  ecsFamily: number;
  ecsSource: number;
  ecsAddressAt: number;
  ecsAddressLength: number;
  ecsWords: Int32Array;
  nameKey: string;
  qtype: number;
  qclass: number;
}

const NOERROR = 0;
const FORMERR = 1;
const NXDOMAIN = 3;
const NOTIMP = 4;
const REFUSED = 5;
const BADVERS = 16;
const bit = (rcode: number): number => 1 << (rcode === BADVERS ? 6 : rcode);

/** The plain reference reading (not the responder's parser): what a query says, and what may come back. */
function expect(buf: Uint8Array, len: number, e: Expectation): void {
  e.drop = false;
  e.errors = 0;
  e.normal = false;
  e.lenient = false;
  e.opt = false;
  e.optGood = false;
  e.ecs = false;
  e.questionEnd = 0;
  e.nameKey = '';
  if (len < 12) {
    e.drop = true;
    return;
  }
  e.id = (buf[0]! << 8) | buf[1]!;
  e.opcode = (buf[2]! >> 3) & 15;
  if (buf[2]! & 0x80) {
    e.drop = true; // a response: never answered (loops)
    return;
  }
  if (e.opcode !== 0) {
    // RFC 1035 4.1.1: NOTIMP; a server may instead find it malformed first.
    if (wellFormed(buf, len, e)) e.errors = bit(NOTIMP) | (e.version !== 0 ? bit(BADVERS) : 0);
    else {
      e.errors = bit(NOTIMP) | bit(FORMERR);
      e.optGood = false; // not read whole: whether its OPT is good is anyone's guess
    }
    return;
  }
  if (!wellFormed(buf, len, e)) {
    e.errors |= bit(FORMERR);
    return;
  }
  if (e.opt && e.version !== 0) {
    e.errors = bit(BADVERS); // RFC 6891 6.1.3
    return;
  }
  if (e.lenient) e.errors |= bit(FORMERR);
  e.normal = true;
}

/**
 * Reads the whole packet: one question of plain labels, then every record the counts promise, OPT checked
 * (RFC 6891 6.1.1: one, at the root, in the additional section; options whole) and ECS checked (RFC 7871 6).
 * False when malformed; e.errors may then also allow BADVERS (an OPT of another version seen before the fault).
 */
function wellFormed(buf: Uint8Array, len: number, e: Expectation): boolean {
  e.version = 0;
  const qd = (buf[4]! << 8) | buf[5]!;
  const an = (buf[6]! << 8) | buf[7]!;
  const ns = (buf[8]! << 8) | buf[9]!;
  const ar = (buf[10]! << 8) | buf[11]!;
  if (qd !== 1) return false;
  let p = 12;
  let key = '';
  let nameLength = 0;
  for (;;) {
    if (p >= len) return false;
    const l = buf[p]!;
    if (l === 0) break;
    if (l >= 64) return false; // a pointer has nothing before it to point at; 0x40/0x80 are not labels
    if (p + 1 + l > len) return false;
    nameLength += l + 1;
    if (nameLength + 1 > 255) return false;
    key += String.fromCharCode(l);
    for (let i = 1; i <= l; i++) {
      const c = buf[p + i]!;
      key += String.fromCharCode(c >= 65 && c <= 90 ? c | 0x20 : c);
    }
    p += l + 1;
  }
  key += '\0';
  p++;
  if (p + 4 > len) return false;
  e.nameKey = key;
  e.qtype = (buf[p]! << 8) | buf[p + 1]!;
  e.qclass = (buf[p + 2]! << 8) | buf[p + 3]!;
  p += 4;
  e.questionEnd = p;
  for (let r = 0; r < an + ns + ar; r++) {
    const owner = p;
    // A record's owner may be compressed: a pointer ends it (where it points is not checked: lenient).
    for (let guard = 0; ; guard++) {
      if (p >= len || guard > 127) return false;
      const l = buf[p]!;
      if (l === 0) {
        p++;
        break;
      }
      if ((l & 0xc0) === 0xc0) {
        if (p + 2 > len) return false;
        e.lenient = true;
        p += 2;
        break;
      }
      if (l >= 64) return false;
      p += l + 1;
    }
    if (p + 10 > len) return false;
    const type = (buf[p]! << 8) | buf[p + 1]!;
    const rdlength = (buf[p + 8]! << 8) | buf[p + 9]!;
    const rdata = p + 10;
    if (rdata + rdlength > len) return false;
    if (r < an + ns) e.lenient = true; // records in a query's answer/authority sections: odd, not wrong
    if (type === 41) {
      if (r < an + ns || e.opt || p !== owner + 1) return false;
      e.opt = true;
      e.udpSize = (buf[p + 2]! << 8) | buf[p + 3]!;
      e.version = buf[p + 5]!;
      e.dnssecOk = (buf[p + 6]! & 0x80) !== 0;
      if (e.version !== 0) e.errors |= bit(BADVERS);
      if (!optionsWellFormed(buf, rdata, rdata + rdlength, e)) return false;
      e.optGood = true;
    }
    p = rdata + rdlength;
  }
  if (p !== len) e.lenient = true; // trailing octets
  return true;
}

function optionsWellFormed(buf: Uint8Array, p: number, end: number, e: Expectation): boolean {
  while (p < end) {
    if (p + 4 > end) return false;
    const code = (buf[p]! << 8) | buf[p + 1]!;
    const length = (buf[p + 2]! << 8) | buf[p + 3]!;
    const data = p + 4;
    if (data + length > end) return false;
    if (code === 8) {
      if (e.ecs) return false; // two ECS options: which one?
      if (length < 4) return false;
      const family = (buf[data]! << 8) | buf[data + 1]!;
      const source = buf[data + 2]!;
      const scope = buf[data + 3]!;
      const width = family === 1 ? 32 : family === 2 ? 128 : 0;
      // RFC 7871 6: a known family, SOURCE within it, SCOPE 0 in a query, exactly ceil(SOURCE/8) address octets,
      // the bits past SOURCE zero. Anything else is FORMERR (7.2.1).
      if (width === 0 || source > width || scope !== 0) return false;
      const octets = (source + 7) >> 3;
      if (length - 4 !== octets) return false;
      const w = e.ecsWords;
      w.fill(0);
      for (let i = 0; i < octets; i++) {
        const v = buf[data + 4 + i]!;
        if (i === octets - 1 && (source & 7) !== 0 && (v & (0xff >> (source & 7))) !== 0) return false;
        w[i >> 2] = w[i >> 2]! | (v << (24 - 8 * (i & 3)));
      }
      e.ecs = true;
      e.ecsFamily = family;
      e.ecsSource = source;
      e.ecsAddressAt = data + 4;
      e.ecsAddressLength = octets;
    }
    p = data + length;
  }
  return true;
}

/** judge(), with a fault of the oracle itself reported as a problem of the case rather than ending the run. */
function verdict(world: DnsFuzzWorld, q: Uint8Array, qLen: number, e: Expectation, r: Uint8Array, rLen: number, tcp: boolean, clientV6: boolean, client: Int32Array): string {
  try {
    return judge(world, q, qLen, e, r, rLen, tcp, clientV6, client);
  } catch (err) {
    return `the oracle threw: ${(err as Error).message}`;
  }
}

/** Why a reply broke the oracle; '' when it is right. */
function judge(world: DnsFuzzWorld, q: Uint8Array, qLen: number, e: Expectation, r: Uint8Array, rLen: number, tcp: boolean, clientV6: boolean, client: Int32Array): string {
  if (rLen === 0) return e.drop ? '' : 'no reply';
  if (e.drop) return `a reply (${rLen} octets) to a packet that must be dropped`;
  if (rLen < 12) return 'reply shorter than a header';
  const limit = e.opt ? Math.max(512, e.udpSize) : 512;
  if (!tcp && rLen > limit) return `reply of ${rLen} octets over the client's limit ${limit}`;
  if ((r[0]! << 8 | r[1]!) !== e.id) return 'reply id is not the query\'s';
  if ((r[2]! & 0x80) === 0) return 'QR not set';
  if (((r[2]! >> 3) & 15) !== e.opcode) return 'opcode not copied';
  if (r[3]! & 0x80) return 'RA set (we do not recurse)';
  if (r[3]! & 0x40) return 'Z set';
  if ((r[2]! & 0x01) !== (q[2]! & 0x01)) return 'RD not copied (RFC 1035 4.1.1)';
  if ((r[3]! & 0x10) !== (q[3]! & 0x10)) return 'CD not copied (RFC 6840 5.9)';
  let decoded: dnsPacket.DecodedPacket;
  try {
    decoded = dnsPacket.decode(Buffer.from(r.buffer, r.byteOffset, rLen));
  } catch (err) {
    return `reply does not parse: ${(err as Error).message}`;
  }
  const opts = (decoded.additionals ?? []).filter((a) => a.type === 'OPT') as dnsPacket.OptAnswer[];
  if (opts.length > 1) return 'more than one OPT in the reply';
  const opt = opts[0] ?? null;
  const rcode = (r[3]! & 15) | (opt ? (opt.extendedRcode ?? 0) << 4 : 0);
  const tc = (r[2]! & 0x02) !== 0;
  const qd = (r[4]! << 8) | r[5]!;
  if (qd > 1) return `QDCOUNT ${qd}`;
  if (qd === 1) {
    if (e.questionEnd === 0) return 'a question in the reply to a packet without a readable one';
    for (let i = 12; i < e.questionEnd; i++) if (r[i] !== q[i]) return 'question not echoed as asked';
  }
  // RFC 6891 6.1.1: a request with an OPT gets one back (a FORMERR may not have read it).
  if (opt === null && e.opt && e.optGood && rcode !== FORMERR) return 'no OPT in the reply to an EDNS query (RFC 6891 6.1.1)';
  if (opt !== null && e.opt && ((opt.flags ?? 0) & 0x8000) !== (e.dnssecOk ? 0x8000 : 0) && rcode !== FORMERR) return 'DO not copied (RFC 3225 3)';
  if (opt !== null && !e.opt) return 'OPT in the reply to a query without one (RFC 6891 7)';
  if (opt !== null && (opt as { ednsVersion?: number }).ednsVersion !== 0) return 'reply OPT version not 0';
  const ecs = opt?.options?.find((o) => o.code === 8) as { family: number; sourcePrefixLength: number; scopePrefixLength: number; ip: string } | undefined;
  if (ecs !== undefined) {
    if (!e.ecs) return 'ECS in the reply to a query without a good one';
    if (rcode === FORMERR) return 'ECS echoed with FORMERR';
    if (ecs.family !== e.ecsFamily || ecs.sourcePrefixLength !== e.ecsSource) return 'ECS family/source not echoed';
    const at = findEcs(r, rLen);
    if (at < 0) return 'ECS option not found in the reply bytes';
    if ((r[at + 2]! << 8 | r[at + 3]!) !== 4 + e.ecsAddressLength) return 'ECS address length not echoed';
    for (let i = 0; i < e.ecsAddressLength; i++) if (r[at + 8 + i] !== q[e.ecsAddressAt + i]) return 'ECS address not echoed';
  }
  if (!e.normal || (e.lenient && rcode === FORMERR)) {
    if ((e.errors & bit(rcode)) === 0) return `rcode ${rcode} where the query allows ${allowed(e)}`;
    if (decoded.answers!.length > 0) return `answers with rcode ${rcode}`;
    if (rcode === BADVERS && opt === null) return 'BADVERS without an OPT';
    if (ecs !== undefined && ecs.scopePrefixLength !== 0) return 'ECS scope not 0 on an error';
    return '';
  }
  if (qd !== 1) return 'no question in an answer';
  if (tc) {
    if (tcp) return 'TC over TCP';
    if (decoded.answers!.length > 0) return 'records with TC';
    if (ecs !== undefined && ecs.scopePrefixLength !== 0) return 'ECS scope not 0 on an empty truncated answer';
    return '';
  }
  if (e.ecs && opt !== null && ecs === undefined && (rcode === NOERROR || rcode === NXDOMAIN)) return 'ECS not echoed';
  return judgeAnswer(world, e, decoded, rcode, (r[2]! & 0x04) !== 0, ecs?.scopePrefixLength ?? -1, clientV6, client);
}

function allowed(e: Expectation): string {
  const names: string[] = [];
  for (const [n, v] of [['FORMERR', FORMERR], ['NOTIMP', NOTIMP], ['BADVERS', BADVERS]] as const) if (e.errors & bit(v)) names.push(n);
  if (e.normal) names.push('the normal answer');
  return names.join(' or ');
}

function findEcs(r: Uint8Array, len: number): number {
  // The OPT is the last record we write; its ECS option, if any, follows its fixed part. Scan for code 8 with a
  // plausible length (the reply is ours: the option is the last thing in it).
  for (let at = len - 8; at >= 12; at--) if (r[at] === 0 && r[at + 1] === 8 && at + 4 + ((r[at + 2]! << 8) | r[at + 3]!) === len) return at;
  return -1;
}

const decision = { pop: '', scope: 0 };

/** The normal answer, exactly: rcode, records, TTLs, the POP decided, the ECS scope. */
function judgeAnswer(world: DnsFuzzWorld, e: Expectation, d: dnsPacket.DecodedPacket, rcode: number, aa: boolean, scope: number, clientV6: boolean, client: Int32Array): string {
  const answers = (d.answers ?? []) as unknown as Rec[];
  const authorities = (d.authorities ?? []) as unknown as Rec[];
  if (e.qclass !== 1 && e.qclass !== 255) return rcode === REFUSED ? '' : `rcode ${rcode} for class ${e.qclass} (REFUSED)`;
  const name = world.names.get(e.nameKey);
  const inZone = name !== undefined || (e.nameKey.length > world.apexKey.length && e.nameKey.endsWith(world.apexKey) && labelBoundary(e.nameKey, e.nameKey.length - world.apexKey.length));
  if (!inZone) return rcode === REFUSED ? '' : `rcode ${rcode} out of the zone (REFUSED)`;
  const zoneTransfer = e.qtype === 251 || e.qtype === 252;
  if (name === undefined) {
    if (rcode === REFUSED && zoneTransfer) return '';
    if (rcode !== NXDOMAIN) return `rcode ${rcode} for a name not in the zone (NXDOMAIN)`;
    return negative(world, answers, authorities, aa, scope);
  }
  if (zoneTransfer) return rcode === REFUSED ? '' : `rcode ${rcode} for a zone transfer (REFUSED)`;
  if (rcode !== NOERROR) return `rcode ${rcode} for an existing name`;
  const A = e.qtype === 1;
  const AAAA = e.qtype === 28;
  const ANY = e.qtype === 255;
  if (name.kind === 'decided' && (A || AAAA || ANY)) {
    if (!aa) return 'AA not set';
    const v6 = AAAA || (ANY && name.pops !== null && name.pops.every((p) => POPS[p]!.ipv4 === undefined));
    if (name.answers > 1) {
      // 'many': the structure (its POPs' order among equals is the table's choice).
      const own = new Set(name.pops!.map((p) => canonicalAddress(POPS[p]!.ipv6)));
      if (!v6) return answers.length === 0 ? negative(world, answers, authorities, aa, -1) : 'A records for an IPv6-only name';
      if (answers.length !== name.answers) return `${answers.length} records, not ${name.answers}`;
      const seen = new Set<string>();
      for (const a of answers) {
        const ip = canonicalAddress(String(a.data));
        if (a.type !== 'AAAA' || !own.has(ip) || seen.has(ip) || a.ttl !== name.ttl) return `record ${a.type} ${ip} ttl ${a.ttl} not one of the name's`;
        seen.add(ip);
      }
      return '';
    }
    if (e.ecs && e.ecsSource > 0) world.expected(e.ecsFamily === 2, e.ecsWords, decision);
    else world.expected(clientV6, client, decision);
    let pop = decision.pop;
    if (name.pops !== null && !name.pops.includes(pop)) pop = name.pops[0]!; // the only POP of 'only-y'
    const want = v6 ? canonicalAddress(POPS[pop]!.ipv6) : POPS[pop]!.ipv4!;
    if (answers.length !== 1) return `${answers.length} records, not 1`;
    const got = answers[0]!;
    if (got.type !== (v6 ? 'AAAA' : 'A') || canonicalAddress(String(got.data)) !== want) return `answered ${got.type} ${String(got.data)}, the table gives ${pop} (${want})`;
    if (got.ttl !== name.ttl) return `TTL ${got.ttl}, not ${name.ttl}`;
    const wantScope = e.ecs ? (e.ecsSource === 0 ? 0 : decision.scope) : -1;
    if (scope !== wantScope) return `ECS scope ${scope}, the table gives ${wantScope}`;
    return '';
  }
  if (name.kind === 'fixed' && (A || AAAA || ANY)) {
    const want = AAAA ? name.aaaa : name.a;
    const got = answers.map((a) => canonicalAddress(String(a.data)));
    if (got.join() !== want.join()) return `fixed records ${got.join()} not ${want.join()}`;
    return scope > 0 ? 'ECS scope not 0 on a fixed answer' : '';
  }
  if (name.kind === 'apex' && (e.qtype === 6 || ANY)) {
    return answers.length === 1 && answers[0]!.type === 'SOA' && aa && authorities.length === 0 ? '' : 'not the SOA';
  }
  if (name.kind === 'apex' && e.qtype === 2) {
    const got = answers.map((a) => `${a.type} ${String(a.data)}`).sort().join();
    return got === `NS ns.elsewhere.test,NS ns1.${ZONE}` && aa ? '' : `NS answer ${got}`;
  }
  return negative(world, answers, authorities, aa, scope); // NODATA
}

function labelBoundary(key: string, at: number): boolean {
  for (let p = 0; p < key.length; p += key.charCodeAt(p) + 1) if (p === at) return true;
  return false;
}

/** A record as dns-packet decodes it (the fields read here). */
interface Rec {
  type: string;
  name: string;
  ttl?: number;
  data?: unknown;
}

/** NXDOMAIN and NODATA: no records, the zone's SOA in the authority section with the negative TTL (RFC 2308 3). */
function negative(world: DnsFuzzWorld, answers: Rec[], authorities: Rec[], aa: boolean, scope: number): string {
  if (answers.length !== 0) return `${answers.length} records in a negative answer`;
  if (!aa) return 'AA not set on a negative answer';
  const soa = authorities[0];
  if (authorities.length !== 1 || soa!.type !== 'SOA' || soa!.name.toLowerCase() !== ZONE || soa!.ttl !== world.soaMinimumTtl) return 'negative answer without the zone\'s SOA';
  if (scope > 0) return 'ECS scope not 0 on a negative answer';
  return '';
}

// ------------------------------------------------------------------------------------------------ generators

/** The kinds of case, by how they are made. */
const enum Kind {
  Random,
  Structured,
  Flipped,
  Good,
}

/** A good query (for the interleaved checks and as the base of mutations): a decided name, perhaps ECS. */
function goodShape(rng: Rng, s: QueryShape): void {
  s.id = rng.int(65536);
  s.flags = rng.chance(0.5) ? 0x0100 : 0;
  s.name = wire(randomCase(rng, rng.pick(DECIDED_NAMES)));
  s.questions = 1;
  s.qtype = rng.pick([1, 28, 255]);
  s.qclass = 1;
  s.opts = [];
  s.optSection = 'additional';
  s.qdcount = s.ancount = s.nscount = s.arcount = null;
  s.trailing = EMPTY;
  if (rng.chance(0.7)) s.opts.push(goodOpt(rng));
}

function goodOpt(rng: Rng): OptShape {
  let options: Uint8Array = EMPTY;
  if (rng.chance(0.7)) {
    const v6 = rng.chance(0.4);
    const source = v6 ? rng.pick([0, 32, 48, 56, 64, 96, 128]) : rng.pick([0, 8, 16, 20, 24, 25, 32]);
    options = ecsOption(v6 ? 2 : 1, source, 0, subnetBytes(rng, v6, source));
  }
  return { owner: ROOT, udpSize: rng.pick([512, 1232, 4096]), extRcode: 0, version: 0, flags: rng.chance(0.3) ? 0x8000 : 0, options, rdlengthDelta: 0 };
}

const EMPTY = new Uint8Array(0);
const ROOT = Uint8Array.of(0);
const addressWords = new Int32Array(4);

/** ceil(source/8) octets of an address near a route (or anywhere), the bits past source cleared. */
function subnetBytes(rng: Rng, v6: boolean, source: number): Uint8Array {
  randomAddress(rng, v6, addressWords);
  maskWords(addressWords, source, v6);
  const out = new Uint8Array((source + 7) >> 3);
  for (let i = 0; i < out.length; i++) out[i] = (addressWords[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
  return out;
}

/** An address: near one of the routes (most), IPv4-mapped (some), or anywhere. */
function randomAddress(rng: Rng, v6: boolean, w: Int32Array): void {
  w[0] = rng.word();
  w[1] = v6 ? rng.word() : 0;
  w[2] = v6 ? rng.word() : 0;
  w[3] = v6 ? rng.word() : 0;
  const routes = rng.near;
  if (routes.length === 0 || rng.chance(0.2)) return;
  if (v6 && rng.chance(0.1)) {
    w[0] = 0;
    w[1] = 0;
    w[2] = 0xffff;
    return;
  }
  // Keep a route's first bits, give or take a few: inside it, or just beside it.
  for (let k = 0; k < 8; k++) {
    const r = routes[rng.int(routes.length)]!;
    if (r.v6 !== v6) continue;
    const keep = Math.max(0, r.length - rng.int(3));
    const width = v6 ? 128 : 32;
    for (let i = 0; i < (v6 ? 4 : 1); i++) {
      const bits = keep - 32 * i;
      if (bits >= 32) w[i] = r.w[i]!;
      else if (bits > 0) {
        const mask = (0xffffffff << (32 - bits)) | 0;
        w[i] = (r.w[i]! & mask) | (w[i]! & ~mask);
      }
    }
    if (keep < width && rng.chance(0.3)) {
      // Flip the bit right after the route: the client just outside it.
      const at = r.length - 1;
      if (at >= 0) w[at >> 5] = w[at >> 5]! ^ (1 << (31 - (at & 31)));
    }
    return;
  }
}

function randomCase(rng: Rng, text: string): string {
  if (!rng.chance(0.3)) return text;
  let out = '';
  for (const ch of text) out += rng.chance(0.5) ? ch.toUpperCase() : ch;
  return out;
}

/** A name that breaks one rule (or just reaches a limit). */
function oddName(rng: Rng): Uint8Array {
  switch (rng.int(12)) {
    case 0: return concat([Uint8Array.of(63), filled(63, 0x61), wire(ZONE)]); // a 63-octet label: fine
    case 1: return concat([Uint8Array.of(64), filled(64, 0x61), wire(ZONE)]); // 64: not a label length
    case 2: return Uint8Array.of(0xc0, 0x0c); // a pointer back at itself
    case 3: return Uint8Array.of(0xc0, 0x00); // a pointer into the header
    case 4: return Uint8Array.of(0xc0, 0xff); // a forward pointer
    case 5: return Uint8Array.of(0xff, 0xff); // out of range
    case 6: return concat([Uint8Array.of(3), filled(3, 0x77), Uint8Array.of(0x40 | rng.int(64), 0)]); // extended label type
    case 7: return concat([Uint8Array.of(3), filled(3, 0x77), Uint8Array.of(0x80 | rng.int(64), 0)]); // reserved label type
    case 8: {
      // Exactly 255 octets (fine), or 256 or 257 (too long), ending in the zone: n labels of 1..63 octets.
      const zone = wire(ZONE);
      const prefix = 255 + rng.int(3) - zone.length;
      const n = Math.ceil(prefix / 64);
      const parts: Uint8Array[] = [];
      let octets = prefix - n;
      for (let i = 0; i < n; i++) {
        const l = Math.ceil(octets / (n - i));
        parts.push(concat([Uint8Array.of(l), filled(l, 0x62)]));
        octets -= l;
      }
      return concat([...parts, zone]);
    }
    case 9: {
      if (rng.chance(0.5)) return wire(ZONE).subarray(0, 1 + rng.int(wire(ZONE).length - 1)); // unterminated
      // The most labels a name can have: one-octet labels up to 254 octets (fine) or 256 (too long), with the
      // zone; or 127 of them and the root (255 octets, the most labels of all), or 128.
      const zone = rng.chance(0.5) ? wire(ZONE) : ROOT;
      const labels = zone === ROOT ? 127 + rng.int(2) : 120 + rng.int(2);
      return concat([new Uint8Array(2 * labels).map((_, i) => (i % 2 === 0 ? 1 : 0x61)), zone]);
    }
    case 10: return concat([Uint8Array.of(3, 0x77, 0x2e, 0x77), wire(ZONE)]); // a dot inside a label
    default: {
      const labels = 1 + rng.int(5);
      const parts: Uint8Array[] = [];
      for (let i = 0; i < labels; i++) {
        const l = 1 + rng.int(20);
        const b = new Uint8Array(l + 1);
        b[0] = l;
        for (let k = 1; k <= l; k++) b[k] = rng.int(256);
        parts.push(b);
      }
      if (rng.chance(0.5)) parts.push(wire(ZONE));
      else parts.push(ROOT);
      return concat(parts);
    }
  }
}

function filled(n: number, byte: number): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

/** An OPT record with one or more of its fields wrong or at a limit. */
function oddOpt(rng: Rng): OptShape {
  const opt = goodOpt(rng);
  const mutations = 1 + rng.int(2);
  for (let m = 0; m < mutations; m++) {
    switch (rng.int(9)) {
      case 0: opt.version = rng.pick([1, 2, 255]); break;
      case 1: opt.udpSize = rng.pick([0, 1, 511, 512, 513, 1232, 65535]); break;
      case 2: opt.flags = rng.pick([0x8000, 0x7fff, 0xffff]); opt.extRcode = rng.int(256); break;
      case 3: opt.owner = rng.chance(0.5) ? wire(ZONE) : Uint8Array.of(0xc0, 0x0c); break;
      case 4: opt.rdlengthDelta = rng.pick([-1, 1, -4, 100]); break;
      default: opt.options = concat([opt.options, oddOption(rng)]);
    }
  }
  if (rng.chance(0.3)) opt.options = concat([oddOption(rng), opt.options]);
  return opt;
}

/** EDNS options: broken ECS in each way RFC 7871 names, cookies, unknown and truncated options. */
function oddOption(rng: Rng): Uint8Array {
  const v6 = rng.chance(0.4);
  const width = v6 ? 128 : 32;
  switch (rng.int(12)) {
    case 0: return ecsOption(rng.pick([0, 3, 0xffff]), rng.pick([0, 24]), 0, rng.chance(0.5) ? EMPTY : Uint8Array.of(10, 0, 0));
    case 1: { const s = width + 1 + rng.int(255 - width); return ecsOption(v6 ? 2 : 1, s, 0, new Uint8Array(Math.min(17, (s + 7) >> 3))); }
    case 2: { const s = 8 + rng.int(width - 8); return ecsOption(v6 ? 2 : 1, s, 0, subnetBytes(rng, v6, s).subarray(0, ((s + 7) >> 3) - 1)); } // too few
    case 3: { const s = rng.int(width - 8); return ecsOption(v6 ? 2 : 1, s, 0, concat([subnetBytes(rng, v6, s), Uint8Array.of(rng.int(256))])); } // too many
    case 4: { const s = 1 + rng.int(width - 1); const b = subnetBytes(rng, v6, s); if ((s & 7) !== 0) b[b.length - 1] = b[b.length - 1]! | (0xff >> (s & 7)); return ecsOption(v6 ? 2 : 1, s, 0, b); } // bits past source
    case 5: { const s = 8 + rng.int(width - 8); return ecsOption(v6 ? 2 : 1, s, 1 + rng.int(width), subnetBytes(rng, v6, s)); } // scope in a query
    case 6: { const s = 24; return ecsOption(1, s, 0, subnetBytes(rng, false, s), rng.pick([-1, -4, 1, 30])); } // option length lies
    case 7: return rawOption(10, randomBytes(rng, rng.pick([8, 16, 24, 40]))); // cookie: client (8), client+server (16..40)
    case 8: return rawOption(10, randomBytes(rng, rng.pick([0, 7, 9, 41]))); // cookie of a wrong size
    case 9: return rawOption(rng.pick([3, 5, 12, 15, 65001, 65535]), randomBytes(rng, rng.int(12))); // unknown / padding / NSID
    case 10: return rawOption(8, randomBytes(rng, rng.int(4))); // ECS shorter than its fixed part
    default: return randomBytes(rng, 1 + rng.int(3)); // an option cut short
  }
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

/** A structure-aware mutation of a good query: a few of its header, question, EDNS or trailing parts changed. */
function structuredShape(rng: Rng, s: QueryShape): void {
  goodShape(rng, s);
  if (rng.chance(0.3)) s.name = wire(randomCase(rng, rng.pick(FUZZ_NAMES)));
  const mutations = rng.int(4);
  for (let m = 0; m < mutations; m++) {
    switch (rng.int(14)) {
      case 0: s.flags |= 0x8000; break; // QR: a response
      case 1: s.flags = (s.flags & ~0x7800) | ((1 + rng.int(15)) << 11); break; // opcode 1..15
      case 2: s.flags ^= rng.pick([0x0200, 0x0400, 0x0080, 0x0040, 0x0020, 0x0010, 0x000f & (1 + rng.int(15))]); break; // TC, AA, RA, Z, AD, CD, rcode
      case 3: s.qdcount = rng.pick([0, 2, 65535]); if (rng.chance(0.5)) s.questions = rng.pick([0, 2]); break;
      case 4: s.ancount = rng.pick([1, 2, 65535]); break;
      case 5: s.nscount = rng.pick([1, 65535]); break;
      case 6: s.arcount = rng.pick([0, 2, 3, 65535]); break;
      case 7: s.name = oddName(rng); break;
      case 8: s.qtype = rng.pick(FUZZ_QTYPES); break;
      case 9: s.qclass = rng.pick(FUZZ_QCLASSES); break;
      case 10: s.opts = [oddOpt(rng)]; break;
      case 11: s.opts = [goodOpt(rng), rng.chance(0.5) ? goodOpt(rng) : oddOpt(rng)]; break; // two OPTs
      case 12: if (s.opts.length === 0) s.opts.push(goodOpt(rng)); s.optSection = rng.pick(['answer', 'authority'] as const); break;
      default: s.trailing = randomBytes(rng, 1 + rng.int(rng.chance(0.2) ? 600 : 16)); break;
    }
  }
}

/** Random octets: every length 0..600 (weighted to the header's neighbourhood), some 'EDNS-sized' ones. */
function randomPacket(rng: Rng, out: Uint8Array): number {
  const pick = rng.int(10);
  const len = pick < 5 ? rng.int(64) : pick < 8 ? rng.int(601) : rng.pick([511, 512, 513, 1232, 1233, 4096]);
  for (let i = 0; i < len; i++) out[i] = rng.int(256);
  // Half of them look like queries in the header (QR clear, opcode 0, QDCOUNT 1): they get further in.
  if (len >= 12 && rng.chance(0.5)) {
    out[2] = out[2]! & 0x07;
    out[4] = 0;
    out[5] = 1;
    if (rng.chance(0.5)) out[6] = out[7] = out[8] = out[9] = 0;
  }
  return len;
}

/** A good query with a few bits flipped or octets cut or added. */
function flippedPacket(rng: Rng, s: QueryShape, out: Uint8Array): number {
  goodShape(rng, s);
  let len = encodeQuery(s, out);
  const flips = 1 + rng.int(3);
  for (let i = 0; i < flips; i++) {
    const at = rng.int(len);
    out[at] = out[at]! ^ (1 << rng.int(8));
  }
  if (rng.chance(0.2)) len = rng.int(len + 1);
  else if (rng.chance(0.1)) for (let i = 0; i < 8; i++) out[len++] = rng.int(256);
  return len;
}

/** One case into `out`: its kind, the client address it comes from. */
function makeCase(rng: Rng, index: number, goodEvery: number, s: QueryShape, out: Uint8Array, client: { v6: boolean; w: Int32Array }): { kind: Kind; len: number } {
  client.v6 = rng.chance(0.3);
  randomAddress(rng, client.v6, client.w);
  if (goodEvery > 0 && index % goodEvery === goodEvery - 1) {
    goodShape(rng, s);
    return { kind: Kind.Good, len: encodeQuery(s, out) };
  }
  const pick = rng.int(10);
  if (pick < 2) return { kind: Kind.Random, len: randomPacket(rng, out) };
  if (pick < 4) return { kind: Kind.Flipped, len: flippedPacket(rng, s, out) };
  structuredShape(rng, s);
  return { kind: Kind.Structured, len: encodeQuery(s, out) };
}

// ------------------------------------------------------------------------------------------------ the run

export interface DnsFuzzOptions {
  cases: number;
  seed: number;
  mode?: 'inprocess' | 'udp';
  onProgress?: (done: number) => void;
  /** A known-good query every this many cases (default 100). */
  goodEvery?: number;
  /** udp mode: the share of cases sent over TCP (default 0.15). */
  tcpShare?: number;
  /** udp mode: a server to use (left running), else one is started on loopback and stopped. */
  server?: FuzzServer;
  /** udp mode: cases in flight at once (default 32). */
  concurrency?: number;
  /** udp mode: how long to wait for a reply that must come (default 5000 ms; a drop waits 150 ms). */
  answerWaitMs?: number;
  /** Replaces the responder's answer() for the run (the broken-subject check). */
  subject?: (real: AnswerFn) => AnswerFn;
  /** Routes' seed (default 1): the world is the same for every case seed. */
  routeSeed?: number;
}

export interface DnsFuzzResult {
  mode: 'inprocess' | 'udp';
  cases: number;
  /** Exceptions out of the responder. */
  crashes: number;
  /** Replies with FORMERR. */
  formerr: number;
  /** Packets not answered (drops; over UDP, timeouts). */
  dropped: number;
  answered: number;
  /** Interleaved known-good queries sent. */
  good: number;
  /** Queries that must be answered left unanswered: good ones, and fuzz cases that are still plain queries. */
  failed: number;
  /** Good queries answered wrongly (not exactly the answer the table gives). */
  wrong: number;
  /** Fuzz cases whose reply broke the oracle (a wrong rcode, size, echo, answer; a reply that must not be). */
  violations: number;
  /** Over TCP (udp mode). */
  tcp: number;
  seconds: number;
  /** The first ~20: seed, case index, what, the input in hex. */
  failures: string[];
}

const MAX_FAILURES = 20;

function newResult(mode: 'inprocess' | 'udp'): DnsFuzzResult {
  return { mode, cases: 0, crashes: 0, formerr: 0, dropped: 0, answered: 0, good: 0, failed: 0, wrong: 0, violations: 0, tcp: 0, seconds: 0, failures: [] };
}

function hex(b: Uint8Array, len: number): string {
  return Buffer.from(b.buffer, b.byteOffset, Math.min(len, 700)).toString('hex');
}

/** Counts one outcome; `problem` '' when the reply was right. */
function tally(res: DnsFuzzResult, seed: number, index: number, kind: Kind, q: Uint8Array, qLen: number, r: Uint8Array, rLen: number, problem: string, mustAnswer: boolean, via: string): void {
  res.cases++;
  if (kind === Kind.Good) res.good++;
  if (rLen === 0) res.dropped++;
  else {
    res.answered++;
    if ((r[3]! & 15) === FORMERR) res.formerr++;
  }
  if (problem === '') return;
  if (rLen === 0 && mustAnswer) res.failed++;
  else if (kind === Kind.Good) res.wrong++;
  else res.violations++;
  if (res.failures.length < MAX_FAILURES) {
    res.failures.push(`seed ${seed} case ${index} (${['random', 'structured', 'flipped', 'good'][kind]}, ${via}): ${problem}; query ${hex(q, qLen)}${rLen > 0 ? `; reply ${hex(r, rLen)}` : ''}`);
  }
}

export async function runDnsFuzz(o: DnsFuzzOptions): Promise<DnsFuzzResult> {
  return (o.mode ?? 'inprocess') === 'inprocess' ? runInProcess(o) : runUdp(o);
}

function newExpectation(): Expectation {
  return {
    drop: false, errors: 0, normal: false, lenient: false, id: 0, opcode: 0, questionEnd: 0, opt: false, optGood: false, udpSize: 0, version: 0, dnssecOk: false,
    ecs: false, ecsFamily: 0, ecsSource: 0, ecsAddressAt: 0, ecsAddressLength: 0, ecsWords: new Int32Array(4), nameKey: '', qtype: 0, qclass: 0,
  };
}

function newShape(): QueryShape {
  return { id: 0, flags: 0, name: ROOT, questions: 1, qtype: 1, qclass: 1, opts: [], optSection: 'additional', qdcount: null, ancount: null, nscount: null, arcount: null, trailing: EMPTY };
}

/**
 * Case `index` of seed `seed` as the in-process run makes it (for a failure's reproduction): the packet, the
 * client it comes from, and whether it is sent as over TCP.
 */
export function dnsFuzzCase(seed: number, index: number, goodEvery = 100, routeSeed = 1): { packet: Uint8Array; client: string; tcp: boolean } {
  const world = new DnsFuzzWorld('127.0.0.1:0', routeSeed);
  const rng = new Rng();
  rng.near = world.routes;
  rng.reseed(seed, index);
  const q = new Uint8Array(8192);
  const client = { v6: false, w: new Int32Array(4) };
  const { len } = makeCase(rng, index, goodEvery, newShape(), q, client);
  const tcp = rng.chance(0.05);
  const w = client.w;
  return { packet: q.slice(0, len), client: formatAddress(client.v6 ? Afi.IPv6 : Afi.IPv4, w[0]!, w[1]!, w[2]!, w[3]!), tcp };
}

/**
 * Checks one packet against the responder in process (for the test's fast-check property): '' when the
 * reply (or the silence) is right, else why not. Throws what the responder throws.
 */
export function checkPacket(world: DnsFuzzWorld, packet: Uint8Array, clientAddress: string, tcp = false): string {
  const c = parseAddress(clientAddress);
  const w = Int32Array.of(c.a, c.b, c.c, c.d);
  const out = new Uint8Array(65535);
  const n = world.responder.answer(packet, 0, packet.length, c.afi, c.a, c.b, c.c, c.d, tcp, out, 0, out.length);
  const e = newExpectation();
  expect(packet, packet.length, e);
  return judge(world, packet, packet.length, e, out, n, tcp, c.afi === Afi.IPv6, w);
}

async function runInProcess(o: DnsFuzzOptions): Promise<DnsFuzzResult> {
  const started = performance.now();
  const res = newResult('inprocess');
  const world = new DnsFuzzWorld('127.0.0.1:0', o.routeSeed ?? 1);
  const real: AnswerFn = world.responder.answer.bind(world.responder);
  const answer = o.subject ? o.subject(real) : real;
  const rng = new Rng();
  rng.near = world.routes;
  const shape = newShape();
  const e = newExpectation();
  const q = new Uint8Array(8192);
  const r = new Uint8Array(65535);
  const client = { v6: false, w: new Int32Array(4) };
  const goodEvery = o.goodEvery ?? 100;
  for (let i = 0; i < o.cases; i++) {
    rng.reseed(o.seed, i);
    const { kind, len } = makeCase(rng, i, goodEvery, shape, q, client);
    const tcp = rng.chance(0.05);
    // The UDP server's buffers: 4096-octet slots; TCP: 65535.
    const oMax = tcp ? 65535 : 4096;
    let n: number;
    try {
      n = answer(q, 0, len, client.v6 ? Afi.IPv6 : Afi.IPv4, client.w[0]!, client.w[1]!, client.w[2]!, client.w[3]!, tcp, r, 0, oMax);
    } catch (err) {
      res.crashes++;
      res.cases++;
      if (res.failures.length < MAX_FAILURES) res.failures.push(`seed ${o.seed} case ${i}: ${(err as Error).stack?.split('\n').slice(0, 3).join(' / ')}; query ${hex(q, len)}`);
      continue;
    }
    expect(q, len, e);
    const problem = verdict(world, q, len, e, r, n, tcp, client.v6, client.w);
    tally(res, o.seed, i, kind, q, len, r, n, problem, kind === Kind.Good || (e.normal && !e.lenient), tcp ? 'in process, as TCP' : 'in process');
    if ((i & 1023) === 1023) {
      o.onProgress?.(i + 1);
      await new Promise((resolve) => setImmediate(resolve)); // let a progress printer, timers and sockets run
    }
  }
  o.onProgress?.(o.cases);
  res.seconds = (performance.now() - started) / 1000;
  return res;
}

// ------------------------------------------------------------------------------------------------ over the wire

/** A DnsServer on loopback answering from a fuzz world; clients send from `clientAddress`. */
export interface FuzzServer {
  world: DnsFuzzWorld;
  server: DnsServer;
  address: string;
  port: number;
  /** The address clients bind to (in the same loopback block). */
  clientAddress: string;
  stop(): Promise<void>;
}

/**
 * Starts a fuzz world's DnsServer on loopbackAddress(block), UDP and TCP; UDP through the native batch socket
 * when it is built (or node:dgram with native: false).
 */
export async function startFuzzServer(o: { block?: number; native?: boolean; routeSeed?: number } = {}): Promise<FuzzServer> {
  const address = loopbackAddress(o.block ?? 103);
  const clientAddress = loopbackAddress(o.block ?? 103);
  const world = new DnsFuzzWorld(`${address}:0`, o.routeSeed ?? 1);
  const log = bunyan.createLogger({ name: 'dns-fuzz', level: 'fatal' });
  const server = new DnsServer(world.responder, world.config.dns!, log, { native: o.native ?? true });
  await server.start();
  return { world, server, address, port: server.bound[0]!.port, clientAddress, stop: () => server.stop() };
}

/** How long to wait for a reply the oracle says must come, and for one it says must not. */
const ANSWER_WAIT_MS = 5000;
const DROP_WAIT_MS = 150;

async function runUdp(o: DnsFuzzOptions): Promise<DnsFuzzResult> {
  const started = performance.now();
  const res = newResult('udp');
  const own = o.server === undefined;
  const fs = o.server ?? (await startFuzzServer());
  const world = fs.world;
  const responder = world.responder;
  const original = responder.answer;
  const real: AnswerFn = original.bind(responder);
  const subject = o.subject ? o.subject(real) : real;
  // An exception in the server's path is counted (and the packet dropped) instead of reaching the process.
  responder.answer = (...args: Parameters<AnswerFn>): number => {
    try {
      return subject(...args);
    } catch (err) {
      res.crashes++;
      if (res.failures.length < MAX_FAILURES) res.failures.push(`seed ${o.seed}: the responder threw ${(err as Error).stack?.split('\n').slice(0, 3).join(' / ')}; query ${hex(args[0], args[2])}`);
      return 0;
    }
  };
  const client = parseAddress(fs.clientAddress);
  const clientWords = Int32Array.of(client.a, 0, 0, 0);
  const goodEvery = o.goodEvery ?? 100;
  const tcpShare = o.tcpShare ?? 0.15;
  const concurrency = Math.max(1, Math.min(o.concurrency ?? 32, o.cases));
  const lanes: Lane[] = [];
  const answerWait = o.answerWaitMs ?? ANSWER_WAIT_MS;
  let next = 0;
  let done = 0;
  try {
    for (let l = 0; l < concurrency; l++) lanes.push(await Lane.open(fs, l < Math.ceil(concurrency / 4)));
    const settled = await Promise.allSettled(lanes.map(async (lane) => {
      const rng = new Rng();
      rng.near = world.routes;
      const shape = newShape();
      const e = newExpectation();
      const q = new Uint8Array(8192);
      const clientCase = { v6: false, w: new Int32Array(4) };
      while (next < o.cases) {
        const i = next++;
        rng.reseed(o.seed, i);
        const { kind, len } = makeCase(rng, i, goodEvery, shape, q, clientCase);
        // Over the wire the client is this lane's own address (the case's random one only matters in process).
        const tcp = lane.tcp !== null && rng.chance(tcpShare * 4 > 1 ? 1 : tcpShare * 4);
        // Over TCP, some messages go in two writes (a frame cut anywhere, the length prefix too).
        const split = tcp && rng.chance(0.3) ? rng.int(len + 2) : -1;
        expect(q, len, e);
        const mustAnswer = kind === Kind.Good || (e.normal && !e.lenient);
        let reply: Buffer | null;
        try {
          // Every packet but a drop must get a reply, an error one too: a short wait there would judge a reply
          // late on a busy machine as none (and the next case on this lane would then receive it).
          reply = await lane.ask(q, len, tcp, split, e.drop ? DROP_WAIT_MS : answerWait);
        } catch (err) {
          next = o.cases; // the others stop too
          throw err;
        }
        const rLen = reply === null ? 0 : reply.length;
        const r = reply ?? EMPTY;
        const problem = verdict(world, q, len, e, r, rLen, tcp, false, clientWords);
        tally(res, o.seed, i, kind, q, len, r, rLen, problem, mustAnswer, tcp ? 'TCP' : 'UDP');
        if (tcp) res.tcp++;
        done++;
        if (o.onProgress && done % 256 === 0) o.onProgress(done);
      }
    }));
    const failed = settled.find((x) => x.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } finally {
    for (const lane of lanes) lane.close();
    responder.answer = original;
    if (own) await fs.stop();
  }
  o.onProgress?.(o.cases);
  res.seconds = (performance.now() - started) / 1000;
  return res;
}

/** One client: a UDP socket bound to the client address, and (for some lanes) a TCP connection. */
class Lane {
  private waiting: ((reply: Buffer | null) => void) | null = null;
  private tcpBuffer: Buffer = Buffer.alloc(0);

  private constructor(
    private readonly fs: FuzzServer,
    private readonly udp: dgram.Socket,
    readonly tcp: net.Socket | null,
  ) {
    udp.on('message', (m) => this.settle(m));
    tcp?.on('data', (chunk: Buffer) => {
      this.tcpBuffer = this.tcpBuffer.length === 0 ? chunk : Buffer.concat([this.tcpBuffer, chunk]);
      while (this.tcpBuffer.length >= 2 && this.tcpBuffer.length >= 2 + this.tcpBuffer.readUInt16BE(0)) {
        const n = this.tcpBuffer.readUInt16BE(0);
        this.settle(Buffer.from(this.tcpBuffer.subarray(2, 2 + n)));
        this.tcpBuffer = this.tcpBuffer.subarray(2 + n);
      }
    });
  }

  static async open(fs: FuzzServer, withTcp: boolean): Promise<Lane> {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, fs.clientAddress, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined);
    let tcp: net.Socket | null = null;
    if (withTcp) {
      try {
        tcp = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host: fs.address, port: fs.port, localAddress: fs.clientAddress }, () => resolve(s));
          s.once('error', reject);
        });
        tcp.on('error', () => undefined);
        tcp.setNoDelay(true);
      } catch (err) {
        udp.close();
        throw err;
      }
    }
    return new Lane(fs, udp, tcp);
  }

  private settle(reply: Buffer | null): void {
    const w = this.waiting;
    this.waiting = null;
    w?.(reply);
  }

  /**
   * Sends one packet and waits for one reply (null: none within waitMs). Over TCP, `split` >= 0 sends the frame
   * in two writes, cut there, a moment apart.
   */
  ask(q: Uint8Array, len: number, tcp: boolean, split: number, waitMs: number): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(null), waitMs);
      this.waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      const bytes = Buffer.from(q.subarray(0, len));
      try {
        if (tcp && this.tcp !== null) {
          const socket = this.tcp;
          const frame = Buffer.alloc(2 + len);
          frame.writeUInt16BE(len, 0);
          bytes.copy(frame, 2);
          if (split < 0) socket.write(frame);
          else {
            socket.write(frame.subarray(0, split));
            setImmediate(() => {
              if (!socket.destroyed) socket.write(frame.subarray(split));
            });
          }
        } else this.udp.send(bytes, this.fs.port, this.fs.address);
      } catch (err) {
        this.waiting = null;
        clearTimeout(timer);
        reject(err as Error);
      }
    });
  }

  close(): void {
    this.settle(null);
    this.udp.close();
    this.tcp?.destroy();
  }
}
