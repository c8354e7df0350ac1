// MRT (RFC 6396) type and subtype codes, with the extensions we read (RFC 8050 ADD-PATH).

export const MRT_HEADER_LENGTH = 12;

export const enum MrtType {
  TableDump = 12,
  TableDumpV2 = 13,
  Bgp4mp = 16,
  Bgp4mpEt = 17,
}

/** TABLE_DUMP (v1): the subtype is the AFI of the entry. */
export const enum TableDumpSubtype {
  AfiIpv4 = 1,
  AfiIpv6 = 2,
}

export const enum TableDumpV2Subtype {
  PeerIndexTable = 1,
  RibIpv4Unicast = 2,
  RibIpv4Multicast = 3,
  RibIpv6Unicast = 4,
  RibIpv6Multicast = 5,
  RibGeneric = 6,
  GeoPeerTable = 7,
  RibIpv4UnicastAddPath = 8,
  RibIpv4MulticastAddPath = 9,
  RibIpv6UnicastAddPath = 10,
  RibIpv6MulticastAddPath = 11,
  RibGenericAddPath = 12,
}

export const enum Bgp4mpSubtype {
  StateChange = 0,
  Message = 1,
  /** Deprecated (RFC 6396 4.4 mentions it only as historic): one RIB entry, written by old OpenBGPD dumps. */
  Entry = 2,
  Snapshot = 3,
  MessageAs4 = 4,
  StateChangeAs4 = 5,
  MessageLocal = 6,
  MessageAs4Local = 7,
  MessageAddPath = 8,
  MessageAs4AddPath = 9,
  MessageLocalAddPath = 10,
  MessageAs4LocalAddPath = 11,
}

/** BGP FSM states as numbered in BGP4MP STATE_CHANGE records (RFC 6396 4.4.1). */
export const BGP_STATE_NAMES: readonly string[] = [
  'Unknown',
  'Idle',
  'Connect',
  'Active',
  'Opensent',
  'Openconfirm',
  'Established',
];
