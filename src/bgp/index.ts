// The BGP wire codec: pure functions over Buffer (no sockets, no timers). Other folders import only this file.

export * from './constants.js';
export * from './errors.js';
export * from './path-attributes.js';

export { type DecodeOptions, DEFAULT_DECODE_OPTIONS } from './options.js';
export { BufferWriter } from './buffer-writer.js';
export { BufferReader, readInt32, readUint16, readUint32 } from './buffer-reader.js';

export { type FramedMessage, MessageFramer, checkHeader, encodeMessage } from './framing.js';

export {
  type AfiSafi,
  type AddPathFamily,
  type Capabilities,
  type GracefulRestart,
  type GracefulRestartFamily,
  type UnknownCapability,
  CAPABILITY_TABLE,
  emptyCapabilities,
  decodeCapabilities,
  encodeCapabilities,
  formatCapabilities,
  negotiatedFamilies,
  addPathReceive,
  negotiateDecodeOptions,
  negotiateEncodeOptions,
} from './capabilities.js';

export {
  type OpenMessage,
  type OpenInput,
  decodeOpen,
  encodeOpen,
  openPeerAs,
  validateOpen,
  validateOpenVersion,
  validateHoldTime,
  validateBgpIdentifier,
  validatePeerAs,
  negotiatedHoldTime,
} from './open.js';

export {
  type AttributeDecodeMode,
  type AttributeDescriptor,
  type MpNlriInput,
  AttributesResult,
  ATTRIBUTE_TABLE,
  decodeAttributes,
  mergeAs4Path,
  encodeAttributes,
  formatAttributes,
} from './attributes.js';

export { type NlriPrefix, forEachPrefix, readPrefix, countPrefixes } from './nlri.js';

export {
  type NlriSink,
  type UpdateResult,
  type UpdateInput,
  decodeUpdate,
  encodeUpdate,
  encodeEndOfRib,
  UpdatePacker,
} from './update.js';

export {
  type NotificationMessage,
  type NotificationInput,
  decodeNotification,
  encodeNotification,
  encodeNotificationForError,
  describeNotification,
  summarizeNotification,
  ceaseNeedsHardReset,
} from './notification.js';

export { encodeKeepalive } from './keepalive.js';
export { type RouteRefreshMessage, decodeRouteRefresh, encodeRouteRefresh } from './route-refresh.js';

export {
  formatIpv4,
  formatIpv6,
  formatIpv6Words,
  firstLongestZeroRun,
  formatPrefix,
  parseIpv4,
  parseIpv6,
  parsePrefix,
  formatAsPath,
  formatCommunity,
  formatCommunities,
  communityList,
  formatLargeCommunities,
  largeCommunityList,
  formatExtendedCommunities,
  formatOrigin,
  originKeyword,
  type OriginKeyword,
  formatAggregator,
} from './format.js';
