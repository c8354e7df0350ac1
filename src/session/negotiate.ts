import {
  AS_TRANS,
  Afi,
  BGP_MAX_EXTENDED_MESSAGE_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  BGP_VERSION,
  BgpError,
  ErrorCode,
  OpenSubcode,
  Safi,
  emptyCapabilities,
  formatIpv4,
  negotiateDecodeOptions,
  negotiatedFamilies,
  parseIpv4,
  type Capabilities,
  type DecodeOptions,
  type OpenInput,
  type OpenMessage,
} from '../bgp/index.js';
import type { NeighborOptions } from './types.js';

/** Our restart time in the graceful restart capability: how long a peer should keep our (non-existent) routes. */
const OUR_RESTART_TIME = 120;

/** What both sides agreed on in their OPENs: everything the Established state needs. */
export interface Negotiated {
  peerAs: number;
  peerBgpId: number;
  ibgp: boolean;
  /** Seconds; 0 means no hold timer and no keepalives. */
  holdTime: number;
  /** The unicast families both sides speak. */
  families: Afi[];
  decode: DecodeOptions;
  maxMessageLength: number;
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  /** The peer's graceful restart capability, when it sent one. */
  gracefulRestart: {
    restartTime: number;
    restarting: boolean;
    /**
     * Both sides set the N bit (RFC 8538): a NOTIFICATION or a hold timer expiry is then a restart too, and only
     * a Cease/Hard Reset ends the routes at once.
     */
    notification: boolean;
    /** Families the peer asks us to keep across its restart (all negotiated ones when it lists none). */
    families: Afi[];
  } | null;
}

export interface LocalIdentity {
  localAs: number;
  routerId: number;
}

/**
 * The OPEN we send to one neighbor. We advertise no forwarding-state families: we never forward.
 * `withoutCapabilities` is for a peer that refused them with 2/4 (RFC 5492 3): no optional parameters at all.
 */
export function localOpen(local: LocalIdentity, neighbor: NeighborOptions, restarting: boolean, withoutCapabilities = false): OpenInput {
  if (withoutCapabilities) {
    return { myAs: local.localAs, holdTime: neighbor.holdTime, bgpIdentifier: local.routerId, capabilities: emptyCapabilities() };
  }
  const families = [
    { afi: Afi.IPv4, safi: Safi.Unicast },
    { afi: Afi.IPv6, safi: Safi.Unicast },
  ];
  const capabilities: Capabilities = {
    ...emptyCapabilities(),
    multiprotocol: families,
    routeRefresh: true,
    enhancedRouteRefresh: true,
    fourOctetAs: local.localAs,
    extendedMessage: true,
    gracefulRestart: neighbor.gracefulRestart
      ? { restarting, notification: neighbor.gracefulRestartNotification, restartTime: OUR_RESTART_TIME, families: [] }
      : null,
    addPath: neighbor.addPath ? families.map((f) => ({ ...f, send: false, receive: true })) : [],
  };
  return { myAs: local.localAs, holdTime: neighbor.holdTime, bgpIdentifier: local.routerId, capabilities };
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

/**
 * Checks a received OPEN against our configuration and works out what was negotiated (RFC 4271 6.2, RFC 6793,
 * RFC 6286, RFC 5492). Throws a BgpError carrying the NOTIFICATION to send.
 */
export function negotiate(peer: OpenMessage, ours: OpenInput, local: LocalIdentity, neighbor: NeighborOptions): Negotiated {
  if (peer.version !== BGP_VERSION) {
    // Data: the largest version we support (RFC 4271 6.2).
    throw new BgpError(ErrorCode.OpenMessage, OpenSubcode.UnsupportedVersionNumber, `unsupported BGP version ${peer.version}`, u16(BGP_VERSION));
  }
  const caps = peer.capabilities;
  const peerAs = caps.fourOctetAs ?? peer.myAs;
  if (caps.fourOctetAs !== null && peer.myAs !== AS_TRANS && peer.myAs !== caps.fourOctetAs) {
    throw new BgpError(ErrorCode.OpenMessage, OpenSubcode.BadPeerAs, `peer AS field ${peer.myAs} disagrees with its 4-octet AS capability ${caps.fourOctetAs}`, u16(peer.myAs));
  }
  if (peerAs !== neighbor.remoteAs) {
    throw new BgpError(ErrorCode.OpenMessage, OpenSubcode.BadPeerAs, `peer AS ${peerAs} is not the configured remote AS ${neighbor.remoteAs}`, u16(peer.myAs));
  }
  if (peer.holdTime === 1 || peer.holdTime === 2) {
    throw new BgpError(ErrorCode.OpenMessage, OpenSubcode.UnacceptableHoldTime, `unacceptable hold time ${peer.holdTime}`);
  }
  const ibgp = peerAs === local.localAs;
  const peerId = peer.bgpIdentifier >>> 0;
  // RFC 6286 2.2: zero is never valid; our own identifier only matters within one AS.
  if (peerId === 0 || (ibgp && peerId === local.routerId)) {
    throw new BgpError(ErrorCode.OpenMessage, OpenSubcode.BadBgpIdentifier, `bad BGP identifier ${formatId(peerId)}`,
      Uint8Array.of(peerId >>> 24, (peerId >>> 16) & 255, (peerId >>> 8) & 255, peerId & 255));
  }

  const families = negotiatedFamilies(ours.capabilities, caps)
    .filter((f) => f.safi === Safi.Unicast && (f.afi === Afi.IPv4 || f.afi === Afi.IPv6))
    .map((f) => f.afi as Afi);
  // RFC 7606 7.2 and 7.5: LOCAL_PREF from an external peer is discarded, confederation segments withdraw its routes.
  const decode = { ...negotiateDecodeOptions(ours.capabilities, caps), ebgp: !ibgp };

  let gracefulRestart: Negotiated['gracefulRestart'] = null;
  if (caps.gracefulRestart && ours.capabilities.gracefulRestart) {
    const listed = caps.gracefulRestart.families
      .filter((f) => f.safi === Safi.Unicast && families.includes(f.afi as Afi))
      .map((f) => f.afi as Afi);
    gracefulRestart = {
      restartTime: caps.gracefulRestart.restartTime,
      restarting: caps.gracefulRestart.restarting,
      notification: caps.gracefulRestart.notification && ours.capabilities.gracefulRestart.notification,
      // A peer that lists no family is only "GR aware"; we keep its routes anyway: an answer from the last known
      // view beats no answer for a service that never forwards traffic on them.
      families: listed.length > 0 ? listed : families.slice(),
    };
  }

  return {
    peerAs,
    peerBgpId: peerId,
    ibgp,
    holdTime: Math.min(ours.holdTime, peer.holdTime),
    families,
    decode,
    maxMessageLength: decode.extendedMessage ? BGP_MAX_EXTENDED_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH,
    routeRefresh: caps.routeRefresh || caps.enhancedRouteRefresh,
    enhancedRouteRefresh: caps.enhancedRouteRefresh && ours.capabilities.enhancedRouteRefresh,
    gracefulRestart,
  };
}

/** A BGP identifier (uint32) as a dotted quad. */
export function formatId(id: number): string {
  return formatIpv4(id);
}

/** A dotted quad (validated by the configuration) as a BGP identifier; throws on anything else. */
export function parseId(text: string): number {
  return parseIpv4(text);
}

export function afiName(afi: Afi): 'ipv4' | 'ipv6' {
  return afi === Afi.IPv4 ? 'ipv4' : 'ipv6';
}
