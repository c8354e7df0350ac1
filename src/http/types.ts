// What the HTTP front end needs from the rest of the daemon, injected as plain functions (src/http may not import
// control, dns or daemon): the daemon builds these from its parts.

/** A control request, answered by the same handler the control socket uses (so the JSON shapes are the CLI's). */
export interface HttpControlRequest {
  command: string;
  [k: string]: unknown;
}

/** The redirect mode's decision for one client: the POP and the host to send it to (null: none to send it to). */
export interface RedirectDecision {
  pop: string | null;
  host: string | null;
  rule: string;
}

export interface Readiness {
  ready: boolean;
  reason: string;
}

/** Prometheus exposition of the daemon's metrics (src/http/metrics.ts builds it). */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
  /** Counts one answered request: `route` is a known path, `redirect`, or `other` (so labels stay few). */
  observeHttpRequest?(route: string, code: number, seconds: number): void;
}

export interface HttpSources {
  /** The control handler: query, explain, neighbors and pops come from it. May throw (the error becomes 500). */
  request(req: HttpControlRequest): unknown | Promise<unknown>;
  /** Redirect mode: where to send a client at this address (IPv4-mapped addresses come as IPv4). */
  decide(address: string): RedirectDecision | Promise<RedirectDecision>;
  /** Whether the table has loaded (every neighbor sent End-of-RIB, or the startup timeout passed). */
  readiness(): Readiness;
  status(): StatusJson | Promise<StatusJson>;
  /** Null: /metrics answers 404 and says why. */
  metrics: MetricsSource | null;
}

/** One neighbor's part in loading the table. */
export interface NeighborLoadJson {
  address: string;
  description: string | null;
  /** The POP its routes are the view of (`pop:` in the config). */
  pop: string | null;
  state: string;
  /** It has sent End-of-RIB in every negotiated family (once; a later flap does not clear it). */
  tableLoaded: boolean;
  prefixes: { ipv4: number; ipv6: number };
  /** Established to the last End-of-RIB, seconds; null until it is loaded. */
  loadSeconds: number | null;
}

/** GET /api/v1/status: what the status page shows beside the neighbors and POPs. */
export interface StatusJson {
  version: string;
  /** ISO times. */
  startedAt: string;
  now: string;
  ready: Readiness;
  load: {
    neighbors: NeighborLoadJson[];
    /** The Loc-RIB's prefix counts. */
    prefixes: { ipv4: number; ipv6: number };
  };
  /** Decisions given to clients (DNS answers, redirects) over the last windowSeconds, by POP. */
  answers: { windowSeconds: number; total: number; byPop: Record<string, number> };
  /** The route-server fallback's state, when one is configured. */
  fallback: unknown | null;
}
