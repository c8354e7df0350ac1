// Just enough of the DNS wire format (RFC 1035) for the DNS benchmark: a query for one name and type with EDNS0
// (RFC 6891) and an EDNS Client Subnet option (RFC 7871), and a reader of the answers and the ECS option of a
// response. The benchmark writes 100k queries for dnsperf and probes the responder one query at a time; no DNS
// library is needed for that, and none sits in the timing.
import { Afi } from '../../src/bgp/index.js';
import { formatAddress } from '../../src/rib/index.js';

export const enum QType {
  A = 1,
  NS = 2,
  SOA = 6,
  AAAA = 28,
  OPT = 41,
}

export const EDNS_UDP_SIZE = 1232;
const ECS_OPTION = 8;

/** A client subnet as an ECS option carries it: family, source prefix length, address bytes (network order). */
export interface ClientSubnet {
  afi: Afi;
  /** Source prefix length: 24 for IPv4, 48 for IPv6 in this benchmark. */
  source: number;
  /** The client's whole address (4 or 16 bytes); bits beyond `source` are zeroed on the wire. */
  address: Uint8Array;
}

/** The address of `subnet` truncated to its source length, as the ECS option carries it (ceil(source / 8) bytes). */
export function ecsAddressBytes(subnet: ClientSubnet): Buffer {
  const n = Math.ceil(subnet.source / 8);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = subnet.address[i]!;
  const spare = n * 8 - subnet.source;
  if (spare > 0) out[n - 1] = out[n - 1]! & (0xff << spare) & 0xff;
  return out;
}

/** The truncated address as text (what the responder decides on), e.g. 193.0.14.0 or 2001:db8:1234::. */
export function ecsAddressText(subnet: ClientSubnet): string {
  const full = Buffer.alloc(subnet.afi === Afi.IPv4 ? 4 : 16);
  ecsAddressBytes(subnet).copy(full);
  return subnet.afi === Afi.IPv4
    ? formatAddress(Afi.IPv4, full.readUInt32BE(0), 0, 0, 0)
    : formatAddress(Afi.IPv6, full.readUInt32BE(0), full.readUInt32BE(4), full.readUInt32BE(8), full.readUInt32BE(12));
}

function writeName(labels: string[], out: number[]): void {
  for (const label of labels) {
    out.push(label.length);
    for (let i = 0; i < label.length; i++) out.push(label.charCodeAt(i));
  }
  out.push(0);
}

/**
 * One query: header (id, no flags: an authoritative server is asked), the question, and an OPT record with
 * UDP size 1232 carrying the ECS option when a subnet is given (scope 0, as a resolver sends it).
 */
export function encodeQuery(id: number, name: string, qtype: QType, subnet: ClientSubnet | null): Buffer {
  const b: number[] = [id >> 8, id & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
  writeName(name.replace(/\.$/, '').split('.'), b);
  b.push(qtype >> 8, qtype & 0xff, 0, 1);
  // OPT: root name, type 41, class = UDP payload size, TTL = extended RCODE 0, version 0, flags 0.
  b.push(0, 0, QType.OPT, EDNS_UDP_SIZE >> 8, EDNS_UDP_SIZE & 0xff, 0, 0, 0, 0);
  if (subnet === null) b.push(0, 0);
  else {
    const address = ecsAddressBytes(subnet);
    const optionLength = 4 + address.length;
    b.push(0, optionLength + 4, 0, ECS_OPTION, 0, optionLength);
    b.push(0, subnet.afi === Afi.IPv4 ? 1 : 2, subnet.source, 0, ...address);
  }
  return Buffer.from(b);
}

export interface ResourceRecord {
  name: string;
  type: number;
  ttl: number;
  /** A and AAAA: the address as text; others: the rdata as hex. */
  data: string;
}

export interface Response {
  id: number;
  /** QR, AA, TC, RD, RA bits as in the header's flags word. */
  flags: number;
  /** RCODE with the extended bits of the OPT record. */
  rcode: number;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  /** The ECS option of the response's OPT record, null when none. */
  ecs: { family: number; source: number; scope: number; address: Buffer } | null;
  /** Whether the response has an OPT record at all. */
  edns: boolean;
}

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;

/** A name at `at` (following compression pointers), and the offset just past it in the record. */
function readName(buf: Buffer, at: number): { name: string; next: number } {
  const labels: string[] = [];
  let next = -1;
  let hops = 0;
  for (;;) {
    if (at >= buf.length) throw new Error('DNS response: name runs past the end');
    const len = buf[at]!;
    if (len === 0) {
      if (next < 0) next = at + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (next < 0) next = at + 2;
      if (++hops > 32) throw new Error('DNS response: compression loop');
      at = ((len & 0x3f) << 8) | buf[at + 1]!;
      continue;
    }
    labels.push(buf.toString('latin1', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/** Decodes a response; throws on a truncated or malformed message. */
export function decodeResponse(buf: Buffer): Response {
  if (buf.length < 12) throw new Error(`DNS response: ${buf.length} bytes, shorter than a header`);
  const r: Response = { id: buf.readUInt16BE(0), flags: buf.readUInt16BE(2), rcode: buf[3]! & 0x0f, answers: [], authority: [], ecs: null, edns: false };
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)];
  let at = 12;
  for (let i = 0; i < counts[0]!; i++) at = readName(buf, at).next + 4;
  for (let section = 1; section <= 3; section++) {
    for (let i = 0; i < counts[section]!; i++) {
      const { name, next } = readName(buf, at);
      if (next + 10 > buf.length) throw new Error('DNS response: record header runs past the end');
      const type = buf.readUInt16BE(next);
      const ttl = buf.readUInt32BE(next + 4);
      const rdlength = buf.readUInt16BE(next + 8);
      const rdata = next + 10;
      if (rdata + rdlength > buf.length) throw new Error('DNS response: rdata runs past the end');
      at = rdata + rdlength;
      if (type === QType.OPT) {
        r.edns = true;
        r.rcode |= (ttl >>> 24) << 4;
        for (let o = rdata; o + 4 <= rdata + rdlength; ) {
          const code = buf.readUInt16BE(o);
          const len = buf.readUInt16BE(o + 2);
          if (code === ECS_OPTION && len >= 4) {
            r.ecs = { family: buf.readUInt16BE(o + 4), source: buf[o + 6]!, scope: buf[o + 7]!, address: buf.subarray(o + 8, o + 4 + len) };
          }
          o += 4 + len;
        }
        continue;
      }
      let data: string;
      if (type === QType.A && rdlength === 4) data = formatAddress(Afi.IPv4, buf.readUInt32BE(rdata), 0, 0, 0);
      else if (type === QType.AAAA && rdlength === 16) {
        data = formatAddress(Afi.IPv6, buf.readUInt32BE(rdata), buf.readUInt32BE(rdata + 4), buf.readUInt32BE(rdata + 8), buf.readUInt32BE(rdata + 12));
      } else data = buf.toString('hex', rdata, rdata + rdlength);
      const rr = { name, type, ttl, data };
      if (section === 1) r.answers.push(rr);
      else if (section === 2) r.authority.push(rr);
    }
  }
  return r;
}
