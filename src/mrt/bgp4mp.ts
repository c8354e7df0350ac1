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
  const fourOctetAs = AS4_SUBTYPES.has(subtype);
  const asLen = fourOctetAs ? 4 : 2;
  let p = 0;
  const need = (n: number): void => {
    if (p + n > b.length) {
      throw new MrtError(`BGP4MP subtype ${subtype} record of ${b.length} bytes is too short (needs ${p + n})`, -1);
    }
  };
  need(asLen * 2 + 4);
  const peerAs = fourOctetAs ? b.readUInt32BE(p) : b.readUInt16BE(p);
  p += asLen;
  const localAs = fourOctetAs ? b.readUInt32BE(p) : b.readUInt16BE(p);
  p += asLen;
  const interfaceIndex = b.readUInt16BE(p);
  const afi = b.readUInt16BE(p + 2);
  p += 4;
  const addrLen = afi === 2 ? 16 : afi === 1 ? 4 : -1;
  if (addrLen < 0) throw new MrtError(`BGP4MP record with unknown address family ${afi}`, -1);
  need(addrLen * 2);
  const peerAddressBytes = b.subarray(p, p + addrLen);
  const localAddressBytes = b.subarray(p + addrLen, p + 2 * addrLen);
  p += 2 * addrLen;
  const out: Bgp4mpRecord = new DecodedBgp4mp(
    subtype,
    peerAs,
    localAs,
    interfaceIndex,
    afi,
    peerAddressBytes,
    localAddressBytes,
    fourOctetAs,
    ADDPATH_SUBTYPES.has(subtype),
    LOCAL_SUBTYPES.has(subtype),
  );
  if (subtype === Bgp4mpSubtype.StateChange || subtype === Bgp4mpSubtype.StateChangeAs4) {
    need(4);
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
