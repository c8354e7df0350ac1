// The daemon's Prometheus metrics (GET /metrics). Nothing here runs on the answering paths: the layers below keep
// plain counters (numbers, typed arrays) and the daemon hands them over as MetricSources; a scrape reads them all
// once and sets prom-client's metrics from them. Our counters are cumulative totals, so a Counter is advanced by
// the difference from the total seen at the last scrape; a total smaller than that one means its source started
// again from zero (a neighbor re-added by a reload, a POP back in the configuration), and all of it is added: the
// exposed counters never go down. One Registry per daemon (never prom-client's global one), so that tests can
// run several daemons in one process.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { RULE_COUNT, RULE_NAMES, type DecisionCountsJson } from '../proximity/index.js';
import type { RouteServerStatus } from '../routeserver/index.js';
import { STATE_NAMES, type NeighborStatus } from '../session/index.js';

/** Every metric name starts with this (prom-client's process and Node.js metrics keep their standard names). */
const PREFIX = 'supersparrow_';

/** One POP's state. */
export interface PopMetrics {
  name: string;
  up: boolean;
  drained: boolean;
  /** Its health check passes; null when it has none. */
  checkUp: boolean | null;
}

/** The Loc-RIB's size. */
export interface RibCounts {
  prefixes: { ipv4: number; ipv6: number };
  routes: number;
  attributeSets: number;
}

/** A histogram in fixed buckets (the DNS answer times). */
export interface BucketCounts {
  /** Upper bounds, seconds. */
  bounds: readonly number[];
  /** Per bucket, not cumulative: bounds.length + 1 counts, the last one above every bound. */
  counts: readonly number[];
  sum: number;
  count: number;
}

/** The DNS responder's counters, the daemon's and its worker threads' summed, since the start. */
export interface DnsMetrics {
  queriesByType: Readonly<Record<string, number>>;
  responsesByRcode: Readonly<Record<string, number>>;
  dropped: number;
  truncated: number;
  ecs: number;
  /** Decided answers by POP and rule. */
  decisions: DecisionCountsJson;
  latency: BucketCounts;
}

/** The route-server fallback: answering now (`active`) and its console's counters. */
export type FallbackMetrics = Pick<RouteServerStatus, 'connected' | 'hits' | 'misses' | 'errors' | 'cachedPrefixes'> & { active: boolean };

/**
 * What the metrics read, implemented by the daemon (src/daemon/metrics.ts). Plain functions called once per scrape;
 * the totals they return are cumulative since the start.
 */
export interface MetricSources {
  neighbors(): readonly NeighborStatus[];
  ribCounts(): RibCounts;
  pops(): readonly PopMetrics[];
  /** Decisions by front end other than DNS: 'api', 'redirect', 'control'. */
  decisions(): readonly { source: string; counts: DecisionCountsJson }[];
  /** null without a DNS responder. */
  dnsStats(): DnsMetrics | null | Promise<DnsMetrics | null>;
  /** null without a route-server fallback. */
  fallback(): FallbackMetrics | null;
  reloads(): { ok: number; failed: number };
}

export interface DaemonMetricsOptions {
  /**
   * prom-client's process and Node.js metrics under their standard names (process_cpu_seconds_total,
   * nodejs_heap_size_used_bytes, ...), from the first scrape on; default true.
   */
  defaultMetrics?: boolean;
}

type Labels<L extends string> = Record<L, string>;

/** A prom-client Counter advanced from our cumulative totals (see the top of the file). */
class TotalsCounter<L extends string> {
  private readonly counter: Counter<L>;
  private readonly last = new Map<string, number>();

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    this.counter = new Counter({ name: PREFIX + name, help, labelNames, registers: [registry] });
  }

  set(labels: Labels<L>, total: number): void {
    const key = Object.values(labels).join('\0');
    const before = this.last.get(key) ?? 0;
    this.last.set(key, total);
    // inc by 0 still makes the series appear (at 0).
    this.counter.inc(labels, total >= before ? total - before : total);
  }
}

/** A gauge whose series are set anew at each scrape: a neighbor or POP gone is gone from it. */
class ScrapeGauge<L extends string> {
  private readonly gauge: Gauge<L>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    this.gauge = new Gauge({ name: PREFIX + name, help, labelNames, registers: [registry] });
  }

  begin(): void {
    this.gauge.reset();
  }

  set(labels: Labels<L>, value: number): void {
    this.gauge.set(labels, value);
  }
}

/**
 * A histogram whose buckets are counted elsewhere (the DNS responder's fixed buckets, per batch, allocation-free):
 * exposed as a prom-client metric object in the registry, its totals advanced like TotalsCounter's (a smaller
 * count than last time means its source started again: all of it is added).
 */
class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  private bounds: readonly number[] = [];
  private counts: number[] = [];
  private sum = 0;
  private count = 0;
  private last: BucketCounts | null = null;

  constructor(
    registry: Registry,
    name: string,
    readonly help: string,
  ) {
    this.name = PREFIX + name;
    registry.registerMetric(this as unknown as Metric);
  }

  update(now: BucketCounts): void {
    const last = this.last !== null && this.last.count <= now.count && this.last.counts.length === now.counts.length ? this.last : null;
    if (this.counts.length !== now.counts.length) {
      this.bounds = now.bounds;
      this.counts = new Array<number>(now.counts.length).fill(0);
    }
    for (let i = 0; i < now.counts.length; i++) this.counts[i]! += now.counts[i]! - (last?.counts[i] ?? 0);
    this.sum += now.sum - (last?.sum ?? 0);
    this.count += now.count - (last?.count ?? 0);
    this.last = { bounds: now.bounds, counts: [...now.counts], sum: now.sum, count: now.count };
  }

  /** prom-client's metric object: cumulative buckets, then sum and count. */
  get(): { name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] } {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += this.counts[i]!;
      values.push({ metricName: `${this.name}_bucket`, labels: { le: bound }, value: cumulative });
    });
    values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, value: this.count });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: this.sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: this.count });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts = this.counts.map(() => 0);
    this.sum = 0;
    this.count = 0;
  }
}

/** HTTP request times (s): from a cached status answer to a slow client. */
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The DNS metrics, made at the first scrape that finds a responder. */
interface DnsGroup {
  queries: TotalsCounter<'qtype'>;
  responses: TotalsCounter<'rcode'>;
  dropped: TotalsCounter<never>;
  truncated: TotalsCounter<never>;
  ecs: TotalsCounter<never>;
  latency: BucketHistogram;
}

/** The route-server metrics, made at the first scrape that finds a fallback. */
interface FallbackGroup {
  active: ScrapeGauge<never>;
  connected: ScrapeGauge<never>;
  queries: TotalsCounter<'result'>;
  cacheSize: ScrapeGauge<never>;
}

export class DaemonMetrics {
  /** This daemon's registry (not prom-client's global one). */
  readonly registry = new Registry();
  private readonly sessionUp: ScrapeGauge<'neighbor'>;
  private readonly sessionState: ScrapeGauge<'neighbor' | 'state'>;
  private readonly establishedSeconds: ScrapeGauge<'neighbor'>;
  private readonly prefixes: ScrapeGauge<'neighbor' | 'family'>;
  private readonly updates: TotalsCounter<'neighbor'>;
  private readonly notifications: TotalsCounter<'neighbor' | 'direction'>;
  private readonly tableLoad: ScrapeGauge<'neighbor'>;
  private readonly ribPrefixes: ScrapeGauge<'family'>;
  private readonly ribRoutes: ScrapeGauge<never>;
  private readonly ribAttributeSets: ScrapeGauge<never>;
  private readonly decisions: TotalsCounter<'pop' | 'rule' | 'source'>;
  private readonly popUp: ScrapeGauge<'pop'>;
  private readonly popDrained: ScrapeGauge<'pop'>;
  private readonly popCheckUp: ScrapeGauge<'pop'>;
  private readonly reloads: TotalsCounter<'result'>;
  private readonly httpRequests: Counter<'route' | 'code'>;
  private readonly httpSeconds: Histogram<'route'>;
  private dns: DnsGroup | null = null;
  private routeServer: FallbackGroup | null = null;
  /** One scrape at a time: a second one waits for the first (the totals' differences must not interleave). */
  private scraping: Promise<unknown> = Promise.resolve();
  /**
   * The process metrics start at the first scrape: they set up an event-loop delay monitor and a GC observer
   * that cannot be stopped, which a daemon never scraped (tests start dozens) need not carry.
   */
  private defaultMetrics: boolean;

  constructor(
    private readonly sources: MetricSources,
    options: DaemonMetricsOptions = {},
  ) {
    const r = this.registry;
    this.defaultMetrics = options.defaultMetrics ?? true;
    this.sessionUp = new ScrapeGauge(r, 'bgp_session_up', 'BGP session Established (1) or not (0).', ['neighbor']);
    this.sessionState = new ScrapeGauge(r, 'bgp_session_state', 'BGP session state: 1 for the current state, 0 for the others.', ['neighbor', 'state']);
    this.establishedSeconds = new ScrapeGauge(r, 'bgp_session_established_seconds', 'Seconds since the BGP session became Established (0 when it is not).', ['neighbor']);
    this.prefixes = new ScrapeGauge(r, 'prefixes', "Prefixes the neighbor announces (its Adj-RIB-In), by address family.", ['neighbor', 'family']);
    this.updates = new TotalsCounter(r, 'bgp_updates_received_total', 'UPDATE messages received from the neighbor.', ['neighbor']);
    this.notifications = new TotalsCounter(r, 'bgp_notifications_total', 'NOTIFICATION messages sent to (direction="sent") and received from the neighbor.', ['neighbor', 'direction']);
    this.tableLoad = new ScrapeGauge(r, 'table_load_seconds', "Seconds from Established to End-of-RIB in every family, of the neighbor's last session that got that far.", ['neighbor']);
    this.ribPrefixes = new ScrapeGauge(r, 'rib_prefixes', 'Prefixes in the Loc-RIB, by address family.', ['family']);
    this.ribRoutes = new ScrapeGauge(r, 'rib_routes', 'Routes (paths) in the RIB, every neighbor counted.', []);
    this.ribAttributeSets = new ScrapeGauge(r, 'rib_attribute_sets', 'Distinct path attribute sets the RIB holds.', []);
    this.decisions = new TotalsCounter(r, 'decisions_total', 'POP decisions by POP answered, rule that decided and front end (dns, api, redirect, control).', ['pop', 'rule', 'source']);
    this.popUp = new ScrapeGauge(r, 'pop_up', 'POP up (1) or down (0: sessions down, drained, down in the configuration or failing its check).', ['pop']);
    this.popDrained = new ScrapeGauge(r, 'pop_drained', 'POP drained by an operator (1) or not (0).', ['pop']);
    this.popCheckUp = new ScrapeGauge(r, 'pop_check_up', "POP health check passing (1) or failing (0); only POPs with a check.", ['pop']);
    this.reloads = new TotalsCounter(r, 'config_reloads_total', 'Configuration reloads, by result (ok, failed).', ['result']);
    this.httpRequests = new Counter({ name: `${PREFIX}http_requests_total`, help: 'HTTP requests answered, by route and status code.', labelNames: ['route', 'code'], registers: [r] });
    this.httpSeconds = new Histogram({ name: `${PREFIX}http_request_seconds`, help: 'HTTP request times, by route.', labelNames: ['route'], buckets: HTTP_BUCKETS, registers: [r] });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric, read from the sources now. */
  render(): Promise<string> {
    const run = this.scraping.catch(() => undefined).then(async () => {
      if (this.defaultMetrics) {
        this.defaultMetrics = false;
        collectDefaultMetrics({ register: this.registry });
      }
      await this.update();
      return this.registry.metrics();
    });
    this.scraping = run;
    return run;
  }

  /** One answered HTTP request (called by the HTTP server; `route` is the route's pattern, not the raw path). */
  observeHttpRequest(route: string, code: number, seconds: number): void {
    this.httpRequests.inc({ route, code: String(code) });
    this.httpSeconds.observe({ route }, seconds);
  }

  private async update(): Promise<void> {
    const s = this.sources;
    const dns = await s.dnsStats();
    this.updateNeighbors(s.neighbors());
    const rib = s.ribCounts();
    this.ribPrefixes.begin();
    this.ribPrefixes.set({ family: 'ipv4' }, rib.prefixes.ipv4);
    this.ribPrefixes.set({ family: 'ipv6' }, rib.prefixes.ipv6);
    this.ribRoutes.set({}, rib.routes);
    this.ribAttributeSets.set({}, rib.attributeSets);
    for (const g of [this.popUp, this.popDrained, this.popCheckUp]) g.begin();
    for (const p of s.pops()) {
      this.popUp.set({ pop: p.name }, p.up ? 1 : 0);
      this.popDrained.set({ pop: p.name }, p.drained ? 1 : 0);
      if (p.checkUp !== null) this.popCheckUp.set({ pop: p.name }, p.checkUp ? 1 : 0);
    }
    for (const { source, counts } of s.decisions()) this.updateDecisions(source, counts);
    if (dns !== null) this.updateDns(dns);
    const fallback = s.fallback();
    if (fallback !== null) this.updateFallback(fallback);
    const reloads = s.reloads();
    this.reloads.set({ result: 'ok' }, reloads.ok);
    this.reloads.set({ result: 'failed' }, reloads.failed);
  }

  private updateNeighbors(neighbors: readonly NeighborStatus[]): void {
    for (const g of [this.sessionUp, this.sessionState, this.establishedSeconds, this.prefixes, this.tableLoad]) g.begin();
    for (const n of neighbors) {
      const neighbor = n.address;
      this.sessionUp.set({ neighbor }, n.state === 'Established' ? 1 : 0);
      for (const state of STATE_NAMES) this.sessionState.set({ neighbor, state }, n.state === state ? 1 : 0);
      this.establishedSeconds.set({ neighbor }, n.uptime);
      this.prefixes.set({ neighbor, family: 'ipv4' }, n.prefixes.ipv4);
      this.prefixes.set({ neighbor, family: 'ipv6' }, n.prefixes.ipv6);
      this.updates.set({ neighbor }, n.updatesReceived);
      this.notifications.set({ neighbor, direction: 'sent' }, n.notifications.sent);
      this.notifications.set({ neighbor, direction: 'received' }, n.notifications.received);
      if (n.tableLoadSeconds !== null) this.tableLoad.set({ neighbor }, n.tableLoadSeconds);
    }
  }

  private updateDecisions(source: string, d: DecisionCountsJson): void {
    d.pops.forEach((pop, i) => {
      RULE_NAMES.forEach((rule, r) => {
        const count = d.counts[i * RULE_COUNT + r] ?? 0;
        // Only pairs that happened: POPs x rules x sources is mostly zeros.
        if (count > 0) this.decisions.set({ pop, rule, source }, count);
      });
    });
  }

  private updateDns(d: DnsMetrics): void {
    const r = this.registry;
    const g = (this.dns ??= {
      queries: new TotalsCounter(r, 'dns_queries_total', 'DNS queries answered or refused, by query type.', ['qtype']),
      responses: new TotalsCounter(r, 'dns_responses_total', 'DNS responses, by response code.', ['rcode']),
      dropped: new TotalsCounter(r, 'dns_dropped_total', 'DNS packets dropped unanswered (runts, responses).', []),
      truncated: new TotalsCounter(r, 'dns_truncated_total', 'DNS answers truncated (TC) to the UDP size.', []),
      ecs: new TotalsCounter(r, 'dns_ecs_total', 'DNS queries with an EDNS Client Subnet option.', []),
      latency: new BucketHistogram(r, 'dns_answer_seconds', 'DNS answer times: from a UDP batch of queries reaching the daemon to its answers being handed to sendmmsg (each answer of a batch counts the batch time); TCP and node:dgram per query.'),
    });
    for (const [qtype, n] of Object.entries(d.queriesByType)) g.queries.set({ qtype }, n);
    for (const [rcode, n] of Object.entries(d.responsesByRcode)) g.responses.set({ rcode }, n);
    g.dropped.set({}, d.dropped);
    g.truncated.set({}, d.truncated);
    g.ecs.set({}, d.ecs);
    g.latency.update(d.latency);
    this.updateDecisions('dns', d.decisions);
  }

  private updateFallback(f: FallbackMetrics): void {
    const r = this.registry;
    const g = (this.routeServer ??= {
      active: new ScrapeGauge(r, 'routeserver_active', 'The route-server fallback answers (1: no BGP session is Established) or stands by (0).', []),
      connected: new ScrapeGauge(r, 'routeserver_connected', "The route server's console is connected (1) or not (0).", []),
      queries: new TotalsCounter(r, 'routeserver_queries_total', 'Route-server lookups by result: hit (from the cache), asked (the console was asked), failed (a console exchange failed).', ['result']),
      cacheSize: new ScrapeGauge(r, 'routeserver_cache_size', 'Prefixes in the route-server cache.', []),
    });
    g.active.set({}, f.active ? 1 : 0);
    g.connected.set({}, f.connected ? 1 : 0);
    g.queries.set({ result: 'hit' }, f.hits);
    g.queries.set({ result: 'asked' }, f.misses);
    g.queries.set({ result: 'failed' }, f.errors);
    g.cacheSize.set({}, f.cachedPrefixes);
  }
}
