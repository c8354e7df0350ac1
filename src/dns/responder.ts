// The answer to one query, written into a caller's buffer: the transport-free core of the DNS responder. The
// UDP path calls answer() for every datagram; it allocates nothing (prepared records, one reused DnsQuery and
// Decision), and decides per query, so an answer follows a route change as soon as the RIB has it.
import { Afi } from '../bgp/index.js';
import type { DnsConfig, PopConfig } from '../config/index.js';
import { DecisionCounts, Rule, type Decision, type Proximity } from '../proximity/index.js';
import { LatencyHistogram } from './latency.js';
import { DnsQuery, Parsed, CLASS_ANY, CLASS_IN, TYPE_A, TYPE_AAAA, TYPE_ANY, TYPE_AXFR, TYPE_IXFR, TYPE_NS, TYPE_SOA } from './query.js';
import { A_RECORD, AAAA_RECORD, NameTable, type CompiledZone, type DecidedName, type NameEntry } from './zone.js';

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;
/** Extended RCODE 16 (RFC 6891 6.1.3): 1 in the OPT record's upper bits, 0 in the header. */
export const RCODE_BADVERS = 16;

/** Without EDNS a UDP answer must fit 512 octets (RFC 1035 4.2.1). */
const CLASSIC_UDP_SIZE = 512;
/** The OPT record we add: root owner, type, class (size), TTL (ext. rcode, version, flags), RDLENGTH. */
const OPT_FIXED = 11;

/** Query types counted apart in the statistics; the rest count as "other". */
export const QTYPE_NAMES = ['A', 'AAAA', 'SOA', 'NS', 'ANY', 'other'] as const;
export const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'BADVERS'] as const;

/** Counters of a responder since it started (numbers, so they never wrap). */
export class DnsStats {
  queries = 0;
  /** Packets dropped unanswered (runts, responses). */
  dropped = 0;
  /** Answers that did not fit the requester's UDP size (TC set). */
  truncated = 0;
  /** With an ECS option. */
  ecs = 0;
  /** By QTYPE_NAMES index, by RCODE_NAMES index. */
  readonly byType = new Float64Array(QTYPE_NAMES.length);
  readonly byRcode = new Float64Array(RCODE_NAMES.length);
  /** Decided answers by POP (the first record's) and rule (what decided it; self when the answer is a fallback). */
  readonly decisions = new DecisionCounts();
  /** Answer times, recorded by the server (DnsServer) around each batch of answers. */
  readonly latency = new LatencyHistogram();
}

/** Where the responder stands between startup and a loaded table (DnsConfig.startup). */
export interface StartupState {
  /** True once every neighbor sent End-of-RIB (or the startup timeout passed): answers come from the decision. */
  loaded: boolean;
}

/**
 * A second source of decisions (the route-server fallback, src/daemon): while `active`, decide() takes the place
 * of the table's; it returns false when it cannot tell yet (the responder then answers self with the startup TTL).
 */
export interface DnsFallback {
  readonly active: boolean;
  decide(afi: Afi, a: number, b: number, c: number, d: number, out: Decision, limit: number): boolean;
}

/**
 * Answers queries for the configured zones from the proximity decision. One per thread; reconfigure() swaps the
 * prepared names atomically (a query is answered wholly from the old or wholly from the new configuration).
 */
export class DnsResponder {
  readonly stats = new DnsStats();
  private readonly query = new DnsQuery();
  private readonly decision: Decision;
  private table!: NameTable;
  private config!: DnsConfig;
  private pops: readonly PopConfig[] = [];
  private self = -1;
  /** Until loaded: answers self with the startup TTL (and ECS scope 0: nothing was tailored). */
  loaded = false;
  /** The route-server fallback, when the daemon has one: it decides while it is active, loaded or not. */
  fallback: DnsFallback | null = null;
  /** The packet being answered (its ECS address is echoed from it). */
  private packet: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly proximity: Proximity,
    config: DnsConfig,
  ) {
    this.decision = proximity.newDecision();
    this.configure(config);
  }

  /** Applies a new DNS configuration and the proximity's current POPs (call after proximity.configure too). */
  configure(config: DnsConfig): void {
    this.pops = this.proximity.pops.map((p) => p.config);
    this.table = new NameTable(config, this.pops);
    this.config = config;
    this.self = this.proximity.self;
    this.stats.decisions.setPops(this.pops.map((p) => p.name));
  }

  get zones(): readonly CompiledZone[] {
    return this.table.zones;
  }

  /**
   * Answers the query in q[qOff, qOff + qLen) from a client at (afi, a..d) into out[oOff, oOff + oMax); returns the
   * answer's length, 0 to send nothing. `tcp`: no UDP size limit (oMax still bounds it). Allocation-free.
   */
  answer(q: Uint8Array, qOff: number, qLen: number, afi: Afi, a: number, b: number, c: number, d: number, tcp: boolean, out: Uint8Array, oOff: number, oMax: number): number {
    const query = this.query;
    const stats = this.stats;
    // int32 (the same bits): a uint32 word above 2^31 is a double, boxed at every call the JIT did not inline.
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const parsed = query.parse(q, qOff, qLen);
    this.packet = q;
    if (parsed === Parsed.Drop) {
      stats.dropped++;
      return 0;
    }
    stats.queries++;
    const qt = query.qtype;
    stats.byType[qt === TYPE_A ? 0 : qt === TYPE_AAAA ? 1 : qt === TYPE_SOA ? 2 : qt === TYPE_NS ? 3 : qt === TYPE_ANY ? 4 : 5]++;
    if (query.ecs) stats.ecs++;
    // The largest answer we may send: the requester's EDNS size (at least 512) capped by ours; TCP: the buffer.
    let max = tcp ? oMax : query.edns ? (query.udpSize > this.config.udpSize ? this.config.udpSize : query.udpSize < CLASSIC_UDP_SIZE ? CLASSIC_UDP_SIZE : query.udpSize) : CLASSIC_UDP_SIZE;
    if (max > oMax) max = oMax;
    if (max < 12) return 0;
    if (parsed !== Parsed.Ok) return this.error(q, qOff, out, oOff, max, parsed);
    if (query.qclass !== CLASS_IN && query.qclass !== CLASS_ANY) return this.refuse(q, qOff, out, oOff, max);

    const entry = this.table.find(query.name, 0, query.nameLength, query.nameHash);
    if (entry === null) {
      const zone = this.table.enclosingZone(query.name, query.nameLength, query.labelStarts, query.labels);
      if (zone === null) return this.refuse(q, qOff, out, oOff, max);
      return this.negative(q, qOff, out, oOff, max, zone, RCODE_NXDOMAIN);
    }
    if (qt === TYPE_AXFR || qt === TYPE_IXFR) return this.refuse(q, qOff, out, oOff, max);
    const decided = entry.decided;
    if (decided !== null && (qt === TYPE_A || qt === TYPE_AAAA || qt === TYPE_ANY)) {
      return this.decided(q, qOff, out, oOff, max, entry, decided, qt === TYPE_AAAA ? Afi.IPv6 : Afi.IPv4, qt === TYPE_ANY, afi, a, b, c, d);
    }
    if (qt === TYPE_A || qt === TYPE_AAAA || (qt === TYPE_ANY && entry.fixedA !== null)) {
      const v6 = qt === TYPE_AAAA;
      const records = v6 ? entry.fixedAaaa : entry.fixedA;
      const count = v6 ? entry.fixedAaaaCount : entry.fixedACount;
      if (records !== null && count > 0) return this.records(q, qOff, out, oOff, max, records, count);
    }
    if (entry.apex && (qt === TYPE_SOA || qt === TYPE_ANY)) return this.soa(q, qOff, out, oOff, max, entry.zone);
    if (entry.apex && qt === TYPE_NS) return this.ns(q, qOff, out, oOff, max, entry.zone);
    return this.negative(q, qOff, out, oOff, max, entry.zone, RCODE_NOERROR);
  }

  // ---------------------------------------------------------------- answers

  /** The decided answer: the closest up POPs the name may answer, `answers` of them, closest first. */
  private decided(
    q: Uint8Array, qOff: number, out: Uint8Array, oOff: number, max: number, entry: NameEntry, name: DecidedName, family: Afi, any: boolean,
    afi: Afi, a: number, b: number, c: number, d: number,
  ): number {
    const query = this.query;
    const decision = this.decision;
    let scope = 0;
    let ranked = 0;
    // The route-server fallback decides while no BGP session is Established; the table, once it has loaded.
    const fallback = this.fallback !== null && this.fallback.active ? this.fallback : null;
    let decidedHere = false;
    if (fallback !== null || this.loaded) {
      // ECS with a source prefix: decide for the client's subnet; without (or /0): for the resolver (RFC 7871 7.2.1).
      if (query.ecs && query.ecsSource > 0) {
        if (query.ecsFamily === 1) decidedHere = this.decide(fallback, Afi.IPv4, query.ecsA, 0, 0, 0, decision, name.limit);
        else decidedHere = this.decide(fallback, Afi.IPv6, query.ecsA, query.ecsB, query.ecsC, query.ecsD, decision, name.limit);
        scope = decision.scope;
        // An IPv4-mapped subnet (::ffff:a.b.c.d/96+) is decided as its IPv4 address, with an IPv4 scope; the echoed
        // scope is an IPv6 length: the 96 bits of ::ffff:0:0/96 before it.
        if (query.ecsFamily === 2 && decision.afi === Afi.IPv4) scope += 96;
      } else decidedHere = this.decide(fallback, afi, a, b, c, d, decision, name.limit);
    }
    // Read after deciding: decide() replaces the ranking array when a reload added POPs.
    const ranking = decision.ranking;
    let rule: number = Rule.Self;
    if (decidedHere) {
      ranked = decision.ranked;
      rule = decision.rule;
    }
    // ANY (RFC 8482): one RRset, the A records (AAAA when no POP of the name has IPv4).
    if (any && !this.hasFamily(name, Afi.IPv4)) family = Afi.IPv6;
    const v6 = family === Afi.IPv6;
    const has = v6 ? name.hasAaaa : name.hasA;
    const records = v6 ? name.aaaa : name.a;
    const size = v6 ? AAAA_RECORD : A_RECORD;
    // The decision's answers carry the name's TTL (prepared); the others (startup, every POP of the name down)
    // the short startup TTL, so that resolvers ask again soon.
    let ttl = decidedHere ? -1 : this.config.startup.ttl;

    let o = this.begin(q, qOff, out, oOff, max, true);
    if (o < 0) return this.truncated(q, qOff, out, oOff);
    const answersAt = o;
    const room = max - this.optSize(true) - (o - oOff);
    const want = Math.min(name.answers, Math.floor(room / size));
    let count = 0;
    let first = -1;
    for (let r = 0; r < ranked && count < name.answers; r++) {
      const pop = ranking[r]!;
      if (name.allowed[pop] !== 1 || has[pop] !== 1) continue;
      if (count === want) return this.truncated(q, qOff, out, oOff);
      copyRecord(records, pop * size, size, out, o);
      o += size;
      if (count++ === 0) first = pop;
    }
    if (count === 0) {
      // Not loaded yet, or none of the name's POPs is up: self when the name has it, then the name's POPs in the
      // order configured. An answer, never an empty one, while the name has an address of the family at all.
      scope = 0;
      ttl = this.config.startup.ttl;
      rule = Rule.Self;
      const self = this.self;
      if (self >= 0 && name.allowed[self] === 1 && has[self] === 1) {
        if (want === 0) return this.truncated(q, qOff, out, oOff);
        copyRecord(records, self * size, size, out, o);
        o += size;
        count = 1;
        first = self;
      }
      const order = name.order;
      for (let k = 0; k < order.length && count < name.answers; k++) {
        const pop = order[k]!;
        if (pop === self || has[pop] !== 1) continue;
        if (count === want) return this.truncated(q, qOff, out, oOff);
        copyRecord(records, pop * size, size, out, o);
        o += size;
        if (count++ === 0) first = pop;
      }
    }
    if (count === 0) return this.negative(q, qOff, out, oOff, max, entry.zone, RCODE_NOERROR);
    if (ttl >= 0) for (let i = 0; i < count; i++) writeU32(out, answersAt + i * size + 6, ttl);
    this.stats.decisions.count(first, rule);
    o = this.end(out, oOff, o, count, 0, 0, RCODE_NOERROR, true, scope);
    return o - oOff;
  }

  /** The decision from the table, or from the fallback (false: it cannot tell yet; self answers). */
  private decide(fallback: DnsFallback | null, afi: Afi, a: number, b: number, c: number, d: number, out: Decision, limit: number): boolean {
    if (fallback === null) {
      this.proximity.decide(afi, a, b, c, d, out, limit);
      return true;
    }
    return fallback.decide(afi, a, b, c, d, out, limit);
  }

  private hasFamily(name: DecidedName, family: Afi): boolean {
    const has = family === Afi.IPv6 ? name.hasAaaa : name.hasA;
    for (let i = 0; i < has.length; i++) if (has[i] === 1 && name.allowed[i] === 1) return true;
    return false;
  }

  /** Fixed records of a name (name servers' addresses). */
  private records(q: Uint8Array, qOff: number, out: Uint8Array, oOff: number, max: number, records: Uint8Array, count: number): number {
    let o = this.begin(q, qOff, out, oOff, max, true);
    if (o < 0 || o + records.length + this.optSize(true) > oOff + max) return this.truncated(q, qOff, out, oOff);
    copyRecord(records, 0, records.length, out, o);
    o += records.length;
    return this.end(out, oOff, o, count, 0, 0, RCODE_NOERROR, true, 0) - oOff;
  }

  /** The apex SOA. */
  private soa(q: Uint8Array, qOff: number, out: Uint8Array, oOff: number, max: number, zone: CompiledZone): number {
    let o = this.begin(q, qOff, out, oOff, max, true);
    if (o < 0 || o + 2 + zone.soa.length + this.optSize(true) > oOff + max) return this.truncated(q, qOff, out, oOff);
    o = this.ownerRecord(out, o, 12, zone.soa, 0, zone.soa.length);
    return this.end(out, oOff, o, 1, 0, 0, RCODE_NOERROR, true, 0) - oOff;
  }

  /** The apex NS records, with the in-zone servers' addresses as additional records when they fit. */
  private ns(q: Uint8Array, qOff: number, out: Uint8Array, oOff: number, max: number, zone: CompiledZone): number {
    let o = this.begin(q, qOff, out, oOff, max, true);
    const opt = this.optSize(true);
    if (o < 0 || o + 2 * zone.nsCount + zone.ns.length + opt > oOff + max) return this.truncated(q, qOff, out, oOff);
    for (let p = 0; p < zone.ns.length; ) {
      const length = 10 + ((zone.ns[p + 8]! << 8) | zone.ns[p + 9]!);
      o = this.ownerRecord(out, o, 12, zone.ns, p, length);
      p += length;
    }
    // Glue is optional: left out (not truncated) when it does not fit (RFC 2181 9).
    let glue = 0;
    if (o + zone.glue.length + opt <= oOff + max) {
      copyRecord(zone.glue, 0, zone.glue.length, out, o);
      o += zone.glue.length;
      glue = zone.glueCount;
    }
    return this.end(out, oOff, o, zone.nsCount, 0, glue, RCODE_NOERROR, true, 0) - oOff;
  }

  /** NXDOMAIN or NODATA: the zone's SOA in the authority section (RFC 2308 3). */
  private negative(q: Uint8Array, qOff: number, out: Uint8Array, oOff: number, max: number, zone: CompiledZone, rcode: number): number {
    let o = this.begin(q, qOff, out, oOff, max, true);
    if (o < 0 || o + 2 + zone.soaNegative.length + this.optSize(true) > oOff + max) return this.truncated(q, qOff, out, oOff);
    // The apex is a suffix of the question name: point at it there.
    const apexAt = 12 + this.query.nameLength - zone.apex.length;
    o = this.ownerRecord(out, o, apexAt, zone.soaNegative, 0, zone.soaNegative.length);
    return this.end(out, oOff, o, 0, 1, 0, rcode, true, 0) - oOff;
  }

  private refuse(q: Uint8Array, qOff: number, out: Uint8Array, oOff: number, max: number): number {
    const o = this.begin(q, qOff, out, oOff, max, false);
    if (o < 0) return this.truncated(q, qOff, out, oOff);
    return this.end(out, oOff, o, 0, 0, 0, RCODE_REFUSED, false, 0) - oOff;
  }

  /** FORMERR, NOTIMP, BADVERS: the header, the question when it was read, OPT when the query had a good one. */
  private error(q: Uint8Array, qOff: number, out: Uint8Array, oOff: number, max: number, parsed: Parsed): number {
    const query = this.query;
    const rcode = parsed === Parsed.NotImp ? RCODE_NOTIMP : parsed === Parsed.BadVers ? RCODE_BADVERS : RCODE_FORMERR;
    const withQuestion = query.questionEnd > 0 && query.questionEnd <= max - (query.edns ? OPT_FIXED : 0);
    const o = withQuestion ? this.begin(q, qOff, out, oOff, max, false) : this.header(q, qOff, out, oOff, 0);
    // The OPT of a BADVERS answer says which version we speak; a FORMERR about the OPT itself gets none.
    if (parsed !== Parsed.BadVers) query.edns = query.edns && query.problem === '';
    query.ecs = false;
    return this.end(out, oOff, o, 0, 0, 0, rcode, false, 0) - oOff;
  }

  /** An empty answer with TC set: the client retries over TCP (RFC 7766 5). */
  private truncated(q: Uint8Array, qOff: number, out: Uint8Array, oOff: number): number {
    this.stats.truncated++;
    const o = this.begin(q, qOff, out, oOff, 0x7fffffff, true);
    out[oOff + 2]! |= 0x02;
    return this.end(out, oOff, o, 0, 0, 0, RCODE_NOERROR, true, 0) - oOff;
  }

  // ---------------------------------------------------------------- writing

  /** The header (counts zero, rcode 0) and the question copied as received; the offset after it, -1 if too big. */
  private begin(q: Uint8Array, qOff: number, out: Uint8Array, oOff: number, max: number, authoritative: boolean): number {
    const qEnd = this.query.questionEnd;
    if (qEnd + this.optSize(false) > max) return -1;
    this.header(q, qOff, out, oOff, 1);
    for (let i = 12; i < qEnd; i++) out[oOff + i] = q[qOff + i]!;
    if (authoritative) out[oOff + 2]! |= 0x04;
    return oOff + qEnd;
  }

  private header(q: Uint8Array, qOff: number, out: Uint8Array, oOff: number, questions: number): number {
    out[oOff] = q[qOff]!;
    out[oOff + 1] = q[qOff + 1]!;
    // QR; OPCODE and RD copied (RFC 1035 4.1.1: a client takes no answer whose opcode is not its query's), CD
    // copied (RFC 6840 5.9); RA clear: we do not recurse.
    out[oOff + 2] = 0x80 | (q[qOff + 2]! & 0x79);
    out[oOff + 3] = q[qOff + 3]! & 0x10;
    out[oOff + 4] = 0;
    out[oOff + 5] = questions;
    for (let i = 6; i < 12; i++) out[oOff + i] = 0;
    return oOff + 12;
  }

  /** A record with a compressed owner (a pointer to `ownerAt`) and TYPE .. RDATA from src. */
  private ownerRecord(out: Uint8Array, o: number, ownerAt: number, src: Uint8Array, from: number, length: number): number {
    out[o] = 0xc0 | (ownerAt >> 8);
    out[o + 1] = ownerAt & 0xff;
    copyRecord(src, from, length, out, o + 2);
    return o + 2 + length;
  }

  /** Bytes the OPT record of this answer takes (0 without EDNS). `withEcs`: counting the echoed ECS option. */
  private optSize(withEcs: boolean): number {
    const query = this.query;
    if (!query.edns) return 0;
    return OPT_FIXED + (withEcs && query.ecs ? 8 + query.ecsAddressLength : 0);
  }

  /** Counts, rcode and the OPT record (with ECS echoed and its scope) at o; returns the end. */
  private end(out: Uint8Array, oOff: number, o: number, answers: number, authority: number, additional: number, rcode: number, echoEcs: boolean, scope: number): number {
    const query = this.query;
    this.stats.byRcode[rcode === RCODE_BADVERS ? 6 : rcode]++;
    out[oOff + 3] = (out[oOff + 3]! & 0xf0) | (rcode & 15);
    out[oOff + 6] = answers >> 8;
    out[oOff + 7] = answers & 0xff;
    out[oOff + 8] = authority >> 8;
    out[oOff + 9] = authority & 0xff;
    if (query.edns) {
      additional++;
      const ecs = echoEcs && query.ecs;
      const optLength = ecs ? 8 + query.ecsAddressLength : 0;
      out[o] = 0; // root
      out[o + 1] = 0;
      out[o + 2] = 41;
      const size = this.config.udpSize;
      out[o + 3] = size >> 8;
      out[o + 4] = size & 0xff;
      out[o + 5] = rcode >> 4; // extended RCODE
      out[o + 6] = 0; // version
      out[o + 7] = query.dnssecOk ? 0x80 : 0; // DO copied (RFC 3225 3)
      out[o + 8] = 0;
      out[o + 9] = optLength >> 8;
      out[o + 10] = optLength & 0xff;
      o += OPT_FIXED;
      if (ecs) {
        const length = 4 + query.ecsAddressLength;
        out[o] = 0;
        out[o + 1] = 8;
        out[o + 2] = length >> 8;
        out[o + 3] = length & 0xff;
        out[o + 4] = 0;
        out[o + 5] = query.ecsFamily;
        out[o + 6] = query.ecsSource;
        // Source /0: the answer is not tailored to a subnet (RFC 7871 7.2.1): scope 0.
        out[o + 7] = query.ecsSource === 0 ? 0 : scope;
        o += 8;
        const q = this.packet;
        for (let i = 0; i < query.ecsAddressLength; i++) out[o + i] = q[query.ecsAddressAt + i]!;
        o += query.ecsAddressLength;
      }
    }
    out[oOff + 10] = additional >> 8;
    out[oOff + 11] = additional & 0xff;
    return o;
  }
}

function copyRecord(src: Uint8Array, from: number, length: number, out: Uint8Array, o: number): void {
  for (let i = 0; i < length; i++) out[o + i] = src[from + i]!;
}

function writeU32(out: Uint8Array, o: number, v: number): void {
  out[o] = (v >>> 24) & 0xff;
  out[o + 1] = (v >>> 16) & 0xff;
  out[o + 2] = (v >>> 8) & 0xff;
  out[o + 3] = v & 0xff;
}
