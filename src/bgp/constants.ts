// Wire constants of BGP-4 (RFC 4271) and the extensions we speak. Numbers are IANA's.

export const BGP_HEADER_LENGTH = 19;
export const BGP_MIN_MESSAGE_LENGTH = 19;
export const BGP_MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654: after both sides advertise the Extended Message capability (except for OPEN). */
export const BGP_MAX_EXTENDED_MESSAGE_LENGTH = 65535;
export const BGP_VERSION = 4;
/** RFC 6793: placeholder 2-octet AS for a 4-octet AS number. */
export const AS_TRANS = 23456;

export const enum MessageType {
  Open = 1,
  Update = 2,
  Notification = 3,
  Keepalive = 4,
  RouteRefresh = 5,
}

export const enum Afi {
  IPv4 = 1,
  IPv6 = 2,
}

export const enum Safi {
  Unicast = 1,
  Multicast = 2,
}

export const enum AttrFlag {
  Optional = 0x80,
  Transitive = 0x40,
  Partial = 0x20,
  ExtendedLength = 0x10,
}

export const enum AttrType {
  Origin = 1,
  AsPath = 2,
  NextHop = 3,
  MultiExitDisc = 4,
  LocalPref = 5,
  AtomicAggregate = 6,
  Aggregator = 7,
  Communities = 8,
  OriginatorId = 9,
  ClusterList = 10,
  MpReachNlri = 14,
  MpUnreachNlri = 15,
  ExtendedCommunities = 16,
  As4Path = 17,
  As4Aggregator = 18,
  LargeCommunity = 32,
}

export const enum Origin {
  Igp = 0,
  Egp = 1,
  Incomplete = 2,
}

export const enum AsPathSegmentType {
  AsSet = 1,
  AsSequence = 2,
  ConfedSequence = 3,
  ConfedSet = 4,
}

export const enum CapabilityCode {
  Multiprotocol = 1,
  RouteRefresh = 2,
  ExtendedMessage = 6,
  GracefulRestart = 64,
  FourOctetAs = 65,
  AddPath = 69,
  EnhancedRouteRefresh = 70,
}

/** RFC 4271 4.5 error codes, with RFC 7313 (route refresh) added. */
export const enum ErrorCode {
  MessageHeader = 1,
  OpenMessage = 2,
  UpdateMessage = 3,
  HoldTimerExpired = 4,
  FiniteStateMachine = 5,
  Cease = 6,
  RouteRefreshMessage = 7,
}

export const enum MessageHeaderSubcode {
  ConnectionNotSynchronized = 1,
  BadMessageLength = 2,
  BadMessageType = 3,
}

export const enum OpenSubcode {
  UnsupportedVersionNumber = 1,
  BadPeerAs = 2,
  BadBgpIdentifier = 3,
  UnsupportedOptionalParameter = 4,
  UnacceptableHoldTime = 6,
  UnsupportedCapability = 7,
  RoleMismatch = 11,
}

export const enum UpdateSubcode {
  MalformedAttributeList = 1,
  UnrecognizedWellKnownAttribute = 2,
  MissingWellKnownAttribute = 3,
  AttributeFlagsError = 4,
  AttributeLengthError = 5,
  InvalidOriginAttribute = 6,
  InvalidNextHopAttribute = 8,
  OptionalAttributeError = 9,
  InvalidNetworkField = 10,
  MalformedAsPath = 11,
}

/** RFC 6608 FSM error subcodes. */
export const enum FsmSubcode {
  Unspecified = 0,
  UnexpectedInOpenSent = 1,
  UnexpectedInOpenConfirm = 2,
  UnexpectedInEstablished = 3,
}

/** RFC 4486 Cease subcodes. */
export const enum CeaseSubcode {
  MaximumPrefixesReached = 1,
  AdministrativeShutdown = 2,
  PeerDeconfigured = 3,
  AdministrativeReset = 4,
  ConnectionRejected = 5,
  OtherConfigurationChange = 6,
  ConnectionCollisionResolution = 7,
  OutOfResources = 8,
  HardReset = 9,
  BfdDown = 10,
}

/** RFC 7313 ROUTE-REFRESH message subtypes. */
export const enum RouteRefreshSubtype {
  Normal = 0,
  BeginningOfRouteRefresh = 1,
  EndOfRouteRefresh = 2,
}

/** RFC 7313 ROUTE-REFRESH Message error subcodes (error code 7). */
export const enum RouteRefreshErrorSubcode {
  InvalidMessageLength = 1,
}

/** OPEN optional parameter types (RFC 5492; 255 is the RFC 9072 extended-length marker). */
export const enum OptionalParameterType {
  Capabilities = 2,
  ExtendedLength = 255,
}

/** RFC 4724 graceful restart capability flags (high 4 bits of the restart-time word). */
export const enum GracefulRestartFlag {
  Restart = 0x8,
  Notification = 0x4,
}

/** RFC 7911 ADD-PATH send/receive field. */
export const enum AddPathMode {
  Receive = 1,
  Send = 2,
  Both = 3,
}

/** Longest shutdown communication in a Cease NOTIFICATION (RFC 9003), in UTF-8 bytes. */
export const SHUTDOWN_COMMUNICATION_MAX_LENGTH = 255;
