// The daemon's side of its metrics: the counters only the daemon can keep (reloads, decisions of the control
// socket, the HTTP API and redirects) and the MetricSources that src/http/metrics.ts reads at each scrape.
import { Afi } from '../bgp/index.js';
import type { DecisionListener } from '../control/index.js';
import { LatencyHistogram, QTYPE_NAMES, RCODE_NAMES, type DnsResponder } from '../dns/index.js';
import type { DnsMetrics, MetricSources } from '../http/index.js';
import { DecisionCounts, DownReason, type Proximity } from '../proximity/index.js';
import type { RibReader } from '../rib/index.js';
import type { Speaker } from '../session/index.js';
import type { DnsWorkers } from './dns-workers.js';
import type { WorkerStats } from './dns-worker.js';
import type { Fallback } from './fallback.js';

/** The front ends whose decisions the daemon counts (DNS counts its own, in its responders). */
export type DecisionSource = 'api' | 'redirect' | 'control';

/** Counters the daemon keeps for its metrics. */
export class DaemonCounters {
  readonly reloads = { ok: 0, failed: 0 };
  readonly decisions: Record<DecisionSource, DecisionCounts> = { api: new DecisionCounts(), redirect: new DecisionCounts(), control: new DecisionCounts() };
  private readonly listeners = new Map<DecisionSource, DecisionListener>();

  constructor(private readonly proximity: Proximity) {}

  /**
   * The onDecision of a DecisionRequests (createControlHandler) for one front end. POP indices are the
   * proximity's (the fallback's decision has the same POPs in the same order); the counts follow a reload's
   * new POP table by name.
   */
  listener(source: DecisionSource): DecisionListener {
    let listener = this.listeners.get(source);
    if (listener === undefined) {
      const counts = this.decisions[source];
      let pops: unknown = null;
      listener = (pop, rule) => {
        if (this.proximity.pops !== pops) {
          pops = this.proximity.pops;
          counts.setPops(this.proximity.pops.map((p) => p.config.name));
        }
        counts.count(pop, rule);
      };
      this.listeners.set(source, listener);
    }
    return listener;
  }
}

/** The daemon's parts the metrics read; `dns` is a function since the responder starts after the metrics exist. */
export interface MetricParts {
  speaker: Speaker;
  rib: RibReader;
  proximity: Proximity;
  fallback: Fallback | null;
  counters: DaemonCounters;
  dns(): { responder: DnsResponder; workers: DnsWorkers | null } | null;
}

export function metricSources(parts: MetricParts): MetricSources {
  const { speaker, rib, proximity, fallback, counters } = parts;
  const workerTotals = new WorkerTotals();
  return {
    neighbors: () => speaker.status(),
    ribCounts: () => ({ prefixes: { ipv4: rib.prefixCount(Afi.IPv4), ipv6: rib.prefixCount(Afi.IPv6) }, routes: rib.routeCount, attributeSets: rib.attributeSetCount }),
    pops: () =>
      proximity.pops.map((p) => ({
        name: p.config.name,
        up: p.down === 0,
        drained: (p.down & DownReason.Drained) !== 0,
        checkUp: p.config.check === null ? null : (p.down & DownReason.Check) === 0,
      })),
    decisions: () => (['api', 'redirect', 'control'] as const).map((source) => ({ source, counts: counters.decisions[source].toJSON() })),
    dnsStats: async () => {
      const dns = parts.dns();
      if (dns === null) return null;
      if (dns.workers !== null) workerTotals.update(await dns.workers.stats(), dns.workers.threadIds);
      return workerTotals.sum(dns.responder);
    },
    fallback: () => (fallback === null ? null : fallback.status()),
    reloads: () => ({ ...counters.reloads }),
  };
}

/**
 * The DNS worker threads' counters: the last ones each worker reported, and those of the workers replaced since
 * (a replacement starts from zero; what its predecessor counted after the last scrape is lost), so that the sum
 * never goes down.
 */
class WorkerTotals {
  private readonly last = new Map<number, WorkerStats>();
  private readonly retired = {
    queries: 0,
    dropped: 0,
    truncated: 0,
    ecs: 0,
    byType: new Float64Array(QTYPE_NAMES.length),
    byRcode: new Float64Array(RCODE_NAMES.length),
    decisions: new DecisionCounts(),
    latency: new LatencyHistogram(),
  };

  /** Workers whose counts are in `retired`: a late answer of theirs (two readers in flight) must not count again. */
  private readonly retiredIds = new Set<number>();

  /** `stats`: what the workers answered now (a busy one may not have); `live`: the workers not replaced yet. */
  update(stats: readonly WorkerStats[], live: readonly number[]): void {
    for (const s of stats) if (!this.retiredIds.has(s.threadId)) this.last.set(s.threadId, s);
    for (const [threadId, s] of this.last) {
      if (live.includes(threadId)) continue;
      this.addTo(this.retired, s);
      this.last.delete(threadId);
      this.retiredIds.add(threadId);
    }
  }

  /** The responder's counters plus every worker's. */
  sum(responder: DnsResponder): DnsMetrics {
    const own = responder.stats;
    const total = {
      queries: own.queries + this.retired.queries,
      dropped: own.dropped + this.retired.dropped,
      truncated: own.truncated + this.retired.truncated,
      ecs: own.ecs + this.retired.ecs,
      byType: Float64Array.from(own.byType, (n, i) => n + this.retired.byType[i]!),
      byRcode: Float64Array.from(own.byRcode, (n, i) => n + this.retired.byRcode[i]!),
      decisions: new DecisionCounts(),
      latency: new LatencyHistogram(),
    };
    total.decisions.add(own.decisions.toJSON());
    total.decisions.add(this.retired.decisions.toJSON());
    total.latency.add(own.latency.toJSON());
    total.latency.add(this.retired.latency.toJSON());
    for (const s of this.last.values()) this.addTo(total, s);
    return {
      queriesByType: Object.fromEntries(QTYPE_NAMES.map((name, i) => [name, total.byType[i]!])),
      responsesByRcode: Object.fromEntries(RCODE_NAMES.map((name, i) => [name, total.byRcode[i]!])),
      dropped: total.dropped,
      truncated: total.truncated,
      ecs: total.ecs,
      decisions: total.decisions.toJSON(),
      latency: total.latency.toJSON(),
    };
  }

  private addTo(into: WorkerTotals['retired'], s: WorkerStats): void {
    into.queries += s.queries;
    into.dropped += s.dropped;
    into.truncated += s.truncated;
    into.ecs += s.ecs;
    s.byType.forEach((n, i) => (into.byType[i]! += n));
    s.byRcode.forEach((n, i) => (into.byRcode[i]! += n));
    into.decisions.add(s.decisions);
    into.latency.add(s.latency);
  }
}
