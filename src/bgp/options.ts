/** What the two OPENs negotiated that changes the wire format of UPDATEs (bio-rd's DecodeOptions). */
export interface DecodeOptions {
  /** RFC 6793: AS numbers are 4 octets in AS_PATH/AGGREGATOR. */
  fourOctetAs: boolean;
  /** RFC 7911: IPv4 unicast NLRI carry a 4-byte path identifier. */
  addPathIpv4: boolean;
  /** RFC 7911: IPv6 unicast NLRI carry a 4-byte path identifier. */
  addPathIpv6: boolean;
  /**
   * RFC 8654: messages up to 65535 bytes. Enforced by the encoders (and by MessageFramer.setExtendedMessage);
   * decodeUpdate trusts the framing it is given, so MRT dumps of long messages still decode.
   */
  extendedMessage: boolean;
  /**
   * Optional: the peer is external. Then LOCAL_PREF is discarded (RFC 7606 7.5) and confederation segments in
   * AS_PATH withdraw the routes (RFC 7606 7.2). Left out, neither check is made (MRT data, tests).
   */
  ebgp?: boolean;
}

export const DEFAULT_DECODE_OPTIONS: Readonly<DecodeOptions> = Object.freeze({
  fourOctetAs: true,
  addPathIpv4: false,
  addPathIpv6: false,
  extendedMessage: false,
});
