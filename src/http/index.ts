// The HTTP front end: the Prometheus metrics (and the API, status page and redirects).
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
