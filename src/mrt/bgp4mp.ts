import { Bgp4mpSubtype, MrtType } from './constants.js';
import { MrtError } from './errors.js';
import type { MrtRecord } from './reader.js';
import { formatIpv6 } from '../bgp/index.js';

/** One BGP4MP / BGP4MP_ET record (RFC 6396 4.4), decoded down to the BGP message it carries. */
export interface Bgp4mpRecord {
  subtype: number;
  peerAs: number;
  localAs: number;
  interfaceIndex: number;
  /** Address family of the peer and local addresses (1 IPv4, 2 IPv6). */
  afi: number;
  /** Peer address as text (dotted quad, or RFC 5952 IPv6). */
  peerAddress: string;
  localAddress: string;
  /** Peer address bytes (4 or 16), a view into the record. */
  peerAddressBytes: Buffer;
  localAddressBytes: Buffer;
  /** The AS numbers in the record, and so the AS_PATH in the message, are 4 octets (the _AS4 subtypes). */
  fourOctetAs: boolean;
  /** NLRI in the message carry ADD-PATH path identifiers (RFC 8050 _ADDPATH subtypes). */
  addPath: boolean;
  /** The message was sent by the local side (the _LOCAL subtypes), not received from the peer. */
  local: boolean;
  /** The whole BGP message, with its 19-byte header, as a view into the record; absent for state changes. */
  message?: Buffer;
  /** FSM states of a STATE_CHANGE record (RFC 6396 4.4.1 numbering). */
  state?: { old: number; new: number };
}

export function isBgp4mp(record: MrtRecord): boolean {
  return record.type === MrtType.Bgp4mp || record.type === MrtType.Bgp4mpEt;
}

const AS4_SUBTYPES = new Set<number>([
  Bgp4mpSubtype.MessageAs4,
  Bgp4mpSubtype.StateChangeAs4,
  Bgp4mpSubtype.MessageAs4Local,
  Bgp4mpSubtype.MessageAs4AddPath,
  Bgp4mpSubtype.MessageAs4LocalAddPath,
]);
const ADDPATH_SUBTYPES = new Set<number>([
  Bgp4mpSubtype.MessageAddPath,
  Bgp4mpSubtype.MessageAs4AddPath,
  Bgp4mpSubtype.MessageLocalAddPath,
  Bgp4mpSubtype.MessageAs4LocalAddPath,
]);
const LOCAL_SUBTYPES = new Set<number>([
  Bgp4mpSubtype.MessageLocal,
  Bgp4mpSubtype.MessageAs4Local,
  Bgp4mpSubtype.MessageLocalAddPath,
  Bgp4mpSubtype.MessageAs4LocalAddPath,
]);

/** Whether decodeBgp4mp understands this record (BGP4MP_ENTRY and SNAPSHOT are not messages: see table-dump.ts). */
export function isBgp4mpMessageOrState(record: MrtRecord): boolean {
  if (!isBgp4mp(record)) return false;
  const s = record.subtype;
  return s <= Bgp4mpSubtype.MessageAs4LocalAddPath && s !== Bgp4mpSubtype.Entry && s !== Bgp4mpSubtype.Snapshot;
}

/** The BGP4MP header fields of a record (RFC 6396 4.4), as numbers and offsets into its body. */
export class Bgp4mpHeader {
  peerAs = 0;
  localAs = 0;
  interfaceIndex = 0;
  afi = 0;
  /** Offset of the peer address in the body; the local address follows it. */
  peerAddressAt = 0;
  /** 4 or 16. */
  addressLength = 0;
  /** Offset of what follows the addresses: the BGP message, or the two states of a STATE_CHANGE. */
  payloadAt = 0;
  fourOctetAs = false;
  addPath = false;
  local = false;
}

/**
 * Reads the BGP4MP header of a MESSAGE* or STATE_CHANGE* record body into `out` (no allocation: `mrt dump` reads
 * one per record). Throws MrtError (recordsRead -1: the caller knows the count) when the record is too short for
 * what it announces or names an unknown address family.
 */
export function readBgp4mpHeader(b: Buffer, subtype: number, out: Bgp4mpHeader): void {
  const fourOctetAs = AS4_SUBTYPES.has(subtype);
  const asLen = fourOctetAs ? 4 : 2;
  if (asLen * 2 + 4 > b.length) throw tooShort(b, subtype, asLen * 2 + 4);
  out.peerAs = fourOctetAs ? b.readUInt32BE(0) : b.readUInt16BE(0);
  out.localAs = fourOctetAs ? b.readUInt32BE(asLen) : b.readUInt16BE(asLen);
  let p = 2 * asLen;
  out.interfaceIndex = b.readUInt16BE(p);
  const afi = b.readUInt16BE(p + 2);
  p += 4;
  const addrLen = afi === 2 ? 16 : afi === 1 ? 4 : -1;
  if (addrLen < 0) throw new MrtError(`BGP4MP record with unknown address family ${afi}`, -1);
  if (p + addrLen * 2 > b.length) throw tooShort(b, subtype, p + addrLen * 2);
  out.afi = afi;
  out.peerAddressAt = p;
  out.addressLength = addrLen;
  out.payloadAt = p + 2 * addrLen;
  out.fourOctetAs = fourOctetAs;
  out.addPath = ADDPATH_SUBTYPES.has(subtype);
  out.local = LOCAL_SUBTYPES.has(subtype);
}

function tooShort(b: Buffer, subtype: number, needed: number): MrtError {
  return new MrtError(`BGP4MP subtype ${subtype} record of ${b.length} bytes is too short (needs ${needed})`, -1);
}

const header = new Bgp4mpHeader();

/**
 * Decodes the BGP4MP header of a MESSAGE* or STATE_CHANGE* record (RFC 6396 4.4, RFC 8050).
 * Throws MrtError (recordsRead -1: the caller knows the count) when the record is too short for what it announces.
 */
export function decodeBgp4mp(record: MrtRecord): Bgp4mpRecord {
  const b = record.body;
  const subtype = record.subtype;
  if (!isBgp4mpMessageOrState(record)) {
    throw new MrtError(`not a BGP4MP message or state change: type ${record.type} subtype ${subtype}`, -1);
  }
  const h = header;
  readBgp4mpHeader(b, subtype, h);
  const p = h.payloadAt;
  const out: Bgp4mpRecord = new DecodedBgp4mp(
    subtype,
    h.peerAs,
    h.localAs,
    h.interfaceIndex,
    h.afi,
    b.subarray(h.peerAddressAt, h.peerAddressAt + h.addressLength),
    b.subarray(h.peerAddressAt + h.addressLength, p),
    h.fourOctetAs,
    h.addPath,
    h.local,
  );
  if (subtype === Bgp4mpSubtype.StateChange || subtype === Bgp4mpSubtype.StateChangeAs4) {
    if (p + 4 > b.length) throw tooShort(b, subtype, p + 4);
    out.state = { old: b.readUInt16BE(p), new: b.readUInt16BE(p + 2) };
  } else {
    out.message = b.subarray(p);
  }
  return out;
}

/** The addresses' text is made on first use: `mrt dump` and benchmarks never ask for it. */
class DecodedBgp4mp implements Bgp4mpRecord {
  message?: Buffer;
  state?: { old: number; new: number };
  constructor(
    readonly subtype: number,
    readonly peerAs: number,
    readonly localAs: number,
    readonly interfaceIndex: number,
    readonly afi: number,
    readonly peerAddressBytes: Buffer,
    readonly localAddressBytes: Buffer,
    readonly fourOctetAs: boolean,
    readonly addPath: boolean,
    readonly local: boolean,
  ) {}
  get peerAddress(): string {
    return addressText(this.peerAddressBytes);
  }
  get localAddress(): string {
    return addressText(this.localAddressBytes);
  }
}

function addressText(bytes: Buffer): string {
  return bytes.length === 16 ? formatIpv6(bytes) : `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}
