// What the decision is configured with: the POPs, the rule, the overrides. The config layer (above) reads these
// from the YAML file or the original's --peer list; the proximity layer owns their shape.

/**
 * A POP's health check (`check: { tcp: PORT }` or `{ http: URL }`), probed every `interval` against the POP's
 * answer address (its IPv4 address, else its IPv6 one, unless `address` says otherwise).
 */
export interface PopCheckConfig {
  kind: 'tcp' | 'http';
  /** Address probed. */
  address: string;
  /** TCP port probed (for http: the URL's port, 80 by default). */
  port: number;
  /** http only: the request path (with query) and the Host header sent; null for tcp. */
  path: string | null;
  host: string | null;
  /** Milliseconds between probes, and before a probe counts as failed. */
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive successes that bring a down POP up, and consecutive failures that take an up POP down. */
  rise: number;
  fall: number;
}

/** One point of presence: `pops: { NAME: { as, ipv4, ipv6, host, preference, community, ... } }`. */
export interface PopConfig {
  name: string;
  as: number;
  /** The answers: addresses given to clients of each family, and the host name for redirects. */
  ipv4: string | null;
  ipv6: string | null;
  host: string | null;
  /** Higher is preferred among POPs the routes cannot tell apart. Default 100. */
  preference: number;
  /** Multi-view: the routes tagged with this community ("65000:101") or large community ("65000:1:101") are its view. */
  community: string | null;
  largeCommunity: string | null;
  /** Drained by configuration (`down: true`): never answered while another POP is up. */
  down: boolean;
  check: PopCheckConfig | null;
}

export type ProximityRule = 'classic' | 'multi-view';

export interface ProximityConfig {
  rule: ProximityRule;
  /** The POP answered when the routes name no other (classic) and when every POP is down; null when no POPs. */
  self: string | null;
}

/** A static override: clients in `prefix` (canonical text, host bits zero) get `pop`, whatever the routes say. */
export interface OverrideConfig {
  prefix: string;
  pop: string;
}

/** A POP's preference when none is configured. */
export const DEFAULT_POP_PREFERENCE = 100;
/** Health check defaults: a probe every 5 s, 2 s to answer; 2 successes to rise, 3 failures to fall. */
export const DEFAULT_CHECK_INTERVAL_MS = 5_000;
export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;
export const DEFAULT_CHECK_RISE = 2;
export const DEFAULT_CHECK_FALL = 3;
