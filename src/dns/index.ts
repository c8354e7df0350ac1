// The authoritative DNS responder: answers A/AAAA for the configured names with the closest POP (the proximity
// decision), honours EDNS Client Subnet with an exact scope, and serves its zones' SOA and NS.
export { DnsResponder, DnsStats, QTYPE_NAMES, RCODE_NAMES, type DnsFallback } from './responder.js';
export { LatencyHistogram, LATENCY_BOUNDS, type LatencyJson } from './latency.js';
export { DnsServer, type DnsServerOptions, type BoundAddress } from './server.js';
export { DnsQuery, Parsed } from './query.js';
export { loadUdpBatch, udpBatchUnavailableReason } from './udp-batch.js';
