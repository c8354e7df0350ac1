// The hot path's query parser: the header, the one question and the OPT record with its ECS option, read from a
// datagram in place into one reused DnsQuery. Nothing else of DNS is needed to answer an authoritative query; a
// packet that is not a plain query gets FORMERR, NOTIMP or nothing, never an exception.

/** What parse() made of a packet. */
export const enum Parsed {
  /** A query to answer. */
  Ok = 0,
  /** Not worth an answer: shorter than a header, or a response (answering responses invites loops). */
  Drop,
  /** Malformed: answer FORMERR (with the question when it was read, see DnsQuery.questionEnd). */
  FormErr,
  /** An opcode other than QUERY: answer NOTIMP (with OPT when the message had a good one: `edns`). */
  NotImp,
  /** EDNS version other than 0 (RFC 6891 6.1.3): answer BADVERS. */
  BadVers,
}

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_SOA = 6;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const TYPE_IXFR = 251;
export const TYPE_AXFR = 252;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;
export const CLASS_ANY = 255;
/** EDNS option code of Client Subnet (RFC 7871 6). */
export const OPTION_ECS = 8;

/** FNV-1a over bytes: keys the name table (the builder and the parser hash lower-cased wire names alike). */
export function hashByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, 16777619);
}
export const HASH_SEED = 0x811c9dc5 | 0;

/**
 * One parsed query, reused for every packet (parse() overwrites every field it reports). Offsets are into the
 * buffer given to parse().
 */
export class DnsQuery {
  id = 0;
  /** The header's flags word as received. */
  flags = 0;
  /** End of the question section (offset after QCLASS); 0 when the question was not read. */
  questionEnd = 0;
  /** The question name, lower-cased, in wire form (length-prefixed labels and the root byte). */
  readonly name = new Uint8Array(256);
  nameLength = 0;
  /** FNV-1a of `name`. */
  nameHash = 0;
  /** Offsets in `name` where each label starts (the root's zero byte last). */
  readonly labelStarts = new Int32Array(128);
  labels = 0;
  qtype = 0;
  qclass = 0;

  /** EDNS (RFC 6891): an OPT record was present, with the requester's UDP payload size, version and DO bit. */
  edns = false;
  udpSize = 0;
  ednsVersion = 0;
  dnssecOk = false;

  /** ECS (RFC 7871): an option was present; its family (1 IPv4, 2 IPv6), source length and address as words. */
  ecs = false;
  ecsFamily = 0;
  ecsSource = 0;
  ecsA = 0;
  ecsB = 0;
  ecsC = 0;
  ecsD = 0;
  /** Where the option's ADDRESS starts in the packet, and its length (echoed as received). */
  ecsAddressAt = 0;
  ecsAddressLength = 0;

  /** Why parse() said FormErr (for logs and tests). */
  problem = '';

  /** Reads the packet at buf[off, off + len). */
  parse(buf: Uint8Array, off: number, len: number): Parsed {
    const parsed = this.read(buf, off, len);
    if (parsed === Parsed.Drop || (this.flags & 0x7800) === 0) return parsed;
    // Another opcode (NOTIFY, UPDATE, ...): NOTIMP, read as far as its OPT all the same, since a request with an
    // OPT gets one back (RFC 6891 6.1.1); only when the whole message read well (else no telling whether the OPT
    // was one). Without the question: in other opcodes that section may mean something else (UPDATE's zone).
    if (parsed !== Parsed.Ok && parsed !== Parsed.BadVers) this.edns = false;
    this.questionEnd = 0;
    this.ecs = false;
    this.problem = '';
    return Parsed.NotImp;
  }

  /** parse() for every opcode: the opcode is the caller's to judge. */
  private read(buf: Uint8Array, off: number, len: number): Parsed {
    this.questionEnd = 0;
    this.edns = false;
    this.ecs = false;
    this.problem = '';
    if (len < 12) return Parsed.Drop;
    const end = off + len;
    this.id = (buf[off]! << 8) | buf[off + 1]!;
    const flags = (buf[off + 2]! << 8) | buf[off + 3]!;
    this.flags = flags;
    if (flags & 0x8000) return Parsed.Drop;
    const qd = (buf[off + 4]! << 8) | buf[off + 5]!;
    const an = (buf[off + 6]! << 8) | buf[off + 7]!;
    const ns = (buf[off + 8]! << 8) | buf[off + 9]!;
    const ar = (buf[off + 10]! << 8) | buf[off + 11]!;
    if (qd !== 1) return this.formErr(qd === 0 ? 'no question' : 'more than one question');

    // The question name: plain labels only (a compression pointer has nothing to point back to here).
    const name = this.name;
    let p = off + 12;
    let n = 0;
    let hash = HASH_SEED;
    let labels = 0;
    for (;;) {
      if (p >= end) return this.formErr('question name runs past the packet');
      const l = buf[p]!;
      if (l === 0) break;
      if (l > 63) return this.formErr('compressed or extended label in the question');
      if (p + 1 + l >= end) return this.formErr('question name runs past the packet');
      if (n + l + 2 > 255) return this.formErr('question name longer than 255 octets');
      this.labelStarts[labels++] = n;
      name[n++] = l;
      hash = hashByte(hash, l);
      for (let i = 1; i <= l; i++) {
        let c = buf[p + i]!;
        if (c >= 65 && c <= 90) c |= 0x20;
        name[n++] = c;
        hash = hashByte(hash, c);
      }
      p += l + 1;
    }
    this.labelStarts[labels] = n;
    name[n++] = 0;
    hash = hashByte(hash, 0);
    this.labels = labels;
    this.nameLength = n;
    this.nameHash = hash;
    if (p + 5 > end) return this.formErr('question truncated');
    this.qtype = (buf[p + 1]! << 8) | buf[p + 2]!;
    this.qclass = (buf[p + 3]! << 8) | buf[p + 4]!;
    p += 5;
    this.questionEnd = p - off;

    // Answer and authority records (unusual in a query, not wrong): skipped. Additional: the OPT record.
    const records = an + ns + ar;
    for (let r = 0; r < records; r++) {
      const owner = p;
      p = skipName(buf, p, end);
      if (p < 0 || p + 10 > end) return this.formErr('record truncated');
      const type = (buf[p]! << 8) | buf[p + 1]!;
      const rdlength = (buf[p + 8]! << 8) | buf[p + 9]!;
      const rdata = p + 10;
      if (rdata + rdlength > end) return this.formErr('record data runs past the packet');
      if (type === TYPE_OPT) {
        if (r < an + ns) return this.formErr('OPT outside the additional section');
        if (this.edns) return this.formErr('more than one OPT record'); // RFC 6891 6.1.1
        if (p !== owner + 1) return this.formErr('OPT owner is not the root');
        this.edns = true;
        this.udpSize = (buf[p + 2]! << 8) | buf[p + 3]!;
        this.ednsVersion = buf[p + 5]!;
        this.dnssecOk = (buf[p + 6]! & 0x80) !== 0;
        const bad = this.options(buf, rdata, rdata + rdlength);
        if (bad !== '') return this.formErr(bad);
      }
      p = rdata + rdlength;
    }
    if (this.edns && this.ednsVersion !== 0) return Parsed.BadVers;
    return Parsed.Ok;
  }

  private formErr(problem: string): Parsed {
    this.problem = problem;
    return Parsed.FormErr;
  }

  /** The OPT record's options; '' when well formed, else why not. Only ECS is read; others are skipped. */
  private options(buf: Uint8Array, p: number, end: number): string {
    while (p < end) {
      if (p + 4 > end) return 'EDNS option truncated';
      const code = (buf[p]! << 8) | buf[p + 1]!;
      const length = (buf[p + 2]! << 8) | buf[p + 3]!;
      const data = p + 4;
      if (data + length > end) return 'EDNS option runs past the OPT record';
      if (code === OPTION_ECS) {
        const bad = this.clientSubnet(buf, data, length);
        if (bad !== '') return bad;
      }
      p = data + length;
    }
    return '';
  }

  /** RFC 7871 6 and 7.2.1: a wrongly formatted option must be answered with FORMERR. */
  private clientSubnet(buf: Uint8Array, p: number, length: number): string {
    if (this.ecs) return 'more than one ECS option';
    if (length < 4) return 'ECS option shorter than its fixed fields';
    const family = (buf[p]! << 8) | buf[p + 1]!;
    const source = buf[p + 2]!;
    const scope = buf[p + 3]!;
    const bits = family === 1 ? 32 : family === 2 ? 128 : 0;
    if (bits === 0) return `ECS family ${family} is neither IPv4 (1) nor IPv6 (2)`;
    if (source > bits) return `ECS source prefix length ${source} exceeds ${bits}`;
    if (scope !== 0) return 'ECS scope prefix length must be 0 in a query';
    const bytes = (source + 7) >> 3;
    if (length - 4 !== bytes) return `ECS address has ${length - 4} octets; source /${source} needs ${bytes}`;
    // The address, most significant word first, with the bits beyond the source required to be zero.
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    for (let i = 0; i < bytes; i++) {
      let v = buf[p + 4 + i]!;
      if (i === bytes - 1 && (source & 7) !== 0 && (v & (0xff >> (source & 7))) !== 0) return 'ECS address has bits set beyond the source prefix length';
      const w = i >> 2;
      v = v << (24 - 8 * (i & 3));
      if (w === 0) a |= v;
      else if (w === 1) b |= v;
      else if (w === 2) c |= v;
      else d |= v;
    }
    this.ecs = true;
    this.ecsFamily = family;
    this.ecsSource = source;
    this.ecsA = a;
    this.ecsB = b;
    this.ecsC = c;
    this.ecsD = d;
    this.ecsAddressAt = p + 4;
    this.ecsAddressLength = bytes;
    return '';
  }
}

/** The offset after a (possibly compressed) name at p; -1 when it runs out or is malformed. */
function skipName(buf: Uint8Array, p: number, end: number): number {
  for (let guard = 0; guard < 128; guard++) {
    if (p >= end) return -1;
    const l = buf[p]!;
    if (l === 0) return p + 1;
    if ((l & 0xc0) === 0xc0) return p + 2 <= end ? p + 2 : -1;
    if (l > 63) return -1;
    p += l + 1;
  }
  return -1;
}
