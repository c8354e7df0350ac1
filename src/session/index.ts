// The BGP session layer: RFC 4271 FSM over node:net, one Neighbor per configured peer, one Speaker listening for
// all of them. The only place with sockets and timers.
export { Speaker, canonicalPeerAddress, type SpeakerOptions } from './speaker.js';
export { Neighbor } from './neighbor.js';
export { describeError } from './connection.js';
export { localOpen, negotiate, formatId, parseId, type Negotiated } from './negotiate.js';
export { connectRetryDelay, jitter } from './timers.js';
export {
  SessionState,
  STATE_NAMES,
  type StateName,
  type MaxPrefixes,
  type NeighborOptions,
  type NeighborStatus,
  type NeighborCounters,
} from './types.js';
