// The shape of a validated configuration, with every default filled in.

export interface ListenConfig {
  address: string;
  port: number;
}

export interface MaxPrefixesConfig {
  /** Per address family: more prefixes than this in one family's Adj-RIB-In closes the session (RFC 4486). */
  limit: number;
  /** Log a warning once the count reaches this percentage of the limit; null for none. */
  warningPercent: number | null;
  /** Seconds to wait before reconnecting after the limit closed the session; 0 = stay down until enabled. */
  restartAfter: number;
}

/** Graceful restart, receiving side (RFC 4724), as `graceful-restart: true|false` or a mapping. */
export interface GracefulRestartConfig {
  enabled: boolean;
  /** Set the N bit (RFC 8538): a NOTIFICATION or hold timer expiry then keeps the routes as stale too. */
  notification: boolean;
  /** Seconds after the peer is back that stale routes wait for its End-of-RIB before they are swept. */
  stalePathTime: number;
}

export interface NeighborConfig {
  address: string;
  remoteAs: number;
  port: number;
  passive: boolean;
  localAddress: string | null;
  holdTime: number;
  connectRetry: number;
  maxPrefixes: MaxPrefixesConfig | null;
  gracefulRestart: GracefulRestartConfig;
  addPath: boolean;
  description: string | null;
  /** The POP whose view this neighbor carries (`pop: NAME`), for the multi-view rule and POP availability. */
  pop: string | null;
}

export interface BgpConfig {
  localAs: number;
  routerId: string;
  listen: ListenConfig | null;
  holdTime: number;
  connectRetry: number;
}

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

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Config {
  /** The file the configuration was read from, for messages. */
  file: string;
  bgp: BgpConfig;
  neighbors: NeighborConfig[];
  /** In configuration order. */
  pops: PopConfig[];
  proximity: ProximityConfig;
  overrides: OverrideConfig[];
  control: { socket: string | null };
  log: { level: LogLevel; file: string | null };
}

export const DEFAULT_BGP_PORT = 179;
/** RFC 4271 10 suggests 90 s. */
export const DEFAULT_HOLD_TIME = 90;
/** Initial ConnectRetry interval in seconds; it backs off from here. */
export const DEFAULT_CONNECT_RETRY = 30;
export const DEFAULT_MAX_PREFIX_RESTART_AFTER = 60;
/** FRR's and Junos' default stale-path time. */
export const DEFAULT_STALE_PATH_TIME = 360;
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** A POP's preference when none is configured. */
export const DEFAULT_POP_PREFERENCE = 100;
/** Health check defaults: a probe every 5 s, 2 s to answer; 2 successes to rise, 3 failures to fall. */
export const DEFAULT_CHECK_INTERVAL_MS = 5_000;
export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;
export const DEFAULT_CHECK_RISE = 2;
export const DEFAULT_CHECK_FALL = 3;
