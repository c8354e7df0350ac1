import type { AsPathSegmentType } from './constants.js';
import type { BgpError } from './errors.js';

/**
 * The decoded path attributes of one UPDATE (or one MRT RIB entry).
 *
 * One object per UPDATE, never per prefix. Scalars use -1 for "absent" so that every instance has the same
 * hidden class and the RIB can copy fields into typed arrays without branches on undefined.
 * IPv4 addresses (NEXT_HOP, ORIGINATOR_ID, AGGREGATOR address, CLUSTER_LIST ids) are unsigned 32-bit integers.
 */
export class PathAttributes {
  /** 0 IGP, 1 EGP, 2 INCOMPLETE; -1 absent. */
  origin = -1;
  /**
   * AS_PATH as the route's effective path: for a 2-octet session already merged with AS4_PATH (RFC 6793 4.2.3).
   * null when the attribute is absent; [] when present but empty (iBGP-originated).
   */
  asPath: AsPathSegment[] | null = null;
  /** NEXT_HOP (IPv4, uint32); -1 absent. */
  nextHop = -1;
  /** MULTI_EXIT_DISC, uint32; -1 absent. */
  med = -1;
  /** LOCAL_PREF, uint32; -1 absent. */
  localPref = -1;
  atomicAggregate = false;
  /** AGGREGATOR (after the AS4_AGGREGATOR merge): AS; -1 absent. */
  aggregatorAs = -1;
  /** AGGREGATOR address (uint32); meaningful when aggregatorAs >= 0. */
  aggregatorAddress = 0;
  /** COMMUNITIES, each as uint32 (high 16 bits = AS); null absent. */
  communities: Uint32Array | null = null;
  /** ORIGINATOR_ID (uint32); -1 absent. */
  originatorId = -1;
  /** CLUSTER_LIST ids (uint32); null absent. */
  clusterList: Uint32Array | null = null;
  /** EXTENDED_COMMUNITIES, 8 bytes each, copied out of the message; null absent. */
  extendedCommunities: Uint8Array | null = null;
  /** LARGE_COMMUNITY, 3 uint32 per community (global admin, local 1, local 2); null absent. */
  largeCommunities: Uint32Array | null = null;
  /** MP_REACH_NLRI next hop (IPv6 global, 16 bytes, or IPv4 4 bytes when carried in MP_REACH); null absent. */
  mpNextHop: Uint8Array | null = null;
  /** The IPv6 link-local next hop when MP_REACH carried 32 bytes of next hop; null otherwise. */
  mpNextHopLinkLocal: Uint8Array | null = null;
  /** Attributes we do not know, kept with their flags so they can be shown and re-encoded. */
  unknown: UnknownAttribute[] | null = null;
  /** Attributes discarded under RFC 7606 "attribute discard", kept for logs and explain output. */
  discarded: BgpError[] | null = null;
}

export class AsPathSegment {
  constructor(
    readonly type: AsPathSegmentType,
    readonly asns: number[],
  ) {}
}

export class UnknownAttribute {
  constructor(
    readonly flags: number,
    readonly type: number,
    readonly value: Uint8Array,
  ) {}
}
