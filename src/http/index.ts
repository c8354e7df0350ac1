// The HTTP front end: JSON API, health and readiness, Prometheus metrics, the status page, and redirect mode. What
// it needs from the daemon comes in as HttpSources (src/http imports neither control, dns nor daemon).
export { HttpServer, HttpRequestError, hostName, MAX_QUERY_ADDRESSES, type HttpBound } from './server.js';
export { TrustedProxies } from './client-address.js';
export { STATUS_PAGE_HTML, STATUS_PAGE_CSP } from './status-page.js';
export type { HttpControlRequest, HttpSources, MetricsSource, NeighborLoadJson, Readiness, RedirectDecision, StatusJson } from './types.js';
export {
  DaemonMetrics,
  type DaemonMetricsOptions,
  type MetricSources,
  type PopMetrics,
  type RibCounts,
  type BucketCounts,
  type DnsMetrics,
  type FallbackMetrics,
} from './metrics.js';
