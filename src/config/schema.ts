// The shape of a validated configuration, with every default filled in.
import type { OverrideConfig, PopConfig, ProximityConfig } from '../proximity/index.js';
import type { RouteServerKind } from '../routeserver/index.js';
export type { OverrideConfig, PopCheckConfig, PopConfig, ProximityConfig, ProximityRule } from '../proximity/index.js';
export {
  DEFAULT_CHECK_FALL,
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_CHECK_RISE,
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_POP_PREFERENCE,
} from '../proximity/index.js';

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

/** `control:`: the control socket's path, permissions and limits on clients. */
export interface ControlConfig {
  socket: string | null;
  /** Permission bits of the socket file (e.g. 0o660 to let the group, Apache's user among it, connect). */
  mode: number;
  maxClients: number;
  /** Seconds from a request line's first byte to its newline; idle clients have no limit. */
  lineTimeout: number;
}

/** Owner-only: only the daemon's user may connect unless the operator widens it. */
export const DEFAULT_CONTROL_MODE = 0o600;
export const DEFAULT_CONTROL_MAX_CLIENTS = 64;
export const DEFAULT_CONTROL_LINE_TIMEOUT = 10;

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
  control: ControlConfig;
  log: { level: LogLevel; file: string | null };
  /** The authoritative DNS responder; null when not configured. */
  dns: DnsConfig | null;
  /** The route-server fallback, used while no BGP session is Established; null when not configured. */
  routeServer: RouteServerConfig | null;
  /** The HTTP front end (metrics, JSON API, status page, redirects); null when not configured. */
  http: HttpConfig | null;
}

/** `http.redirect:`: requests for these hosts are sent to the closest POP's `host`. */
export interface HttpRedirectConfig {
  /** Lower-case, without a trailing dot. */
  hosts: string[];
  /** Of the Location URL. */
  scheme: 'http' | 'https';
  status: 301 | 302 | 303 | 307 | 308;
}

/** `http:`: where it listens, whom it trusts for X-Forwarded-For, redirect mode, and the limits on clients. */
export interface HttpConfig {
  listen: ListenConfig[];
  /** Canonical prefixes ("ADDRESS/LENGTH"); X-Forwarded-For is honoured only from a peer inside one of them. */
  trustedProxies: string[];
  redirect: HttpRedirectConfig | null;
  /** Open connections at most; more are refused at accept. */
  maxConnections: number;
  /** Seconds a client has to send a whole request (headers and body). */
  requestTimeoutSeconds: number;
  /** Seconds a client has to send the request headers (at most requestTimeoutSeconds). */
  headersTimeoutSeconds: number;
  /** Seconds an idle keep-alive connection stays open. */
  keepAliveTimeoutSeconds: number;
}

export const DEFAULT_HTTP_PORT = 9179;
export const DEFAULT_HTTP_MAX_CONNECTIONS = 256;
export const DEFAULT_HTTP_REQUEST_TIMEOUT = 10;
export const DEFAULT_HTTP_HEADERS_TIMEOUT = 5;
export const DEFAULT_HTTP_KEEP_ALIVE_TIMEOUT = 5;
export const HTTP_REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;

/** `route-server:`: a route server's console the decision falls back on (src/routeserver). */
export interface RouteServerConfig {
  type: RouteServerKind;
  host: string;
  /** 2605 (bgpd vty) or 23 (cisco) unless given. */
  port: number;
  /** Never logged. */
  password: string | null;
  username: string | null;
  /** Per console command, and for connecting and logging in. */
  timeoutSeconds: number;
  /** How long a console answer is used (the original's cache_timeout). */
  cacheTimeoutSeconds: number;
  /** Most prefixes held (the original's cache_size). */
  cacheSize: number;
  /**
   * Ask once per cached prefix for its more-specifics (`longer-prefixes`), so that the whole prefix answers from the
   * cache even where the route server has routes longer than /24 or /48; off: an answer holds for the asked
   * address's /24 or /48 (src/routeserver/adapter.ts says why).
   */
  listMoreSpecifics: boolean;
}

export const DEFAULT_ROUTE_SERVER_TIMEOUT = 5;
export const DEFAULT_ROUTE_SERVER_CACHE_TIMEOUT = 60;
export const DEFAULT_ROUTE_SERVER_CACHE_SIZE = 10_000;

/** A name the responder answers from the decision: `names: { www.example.test: { pops, answers, ttl } }`. */
export interface DnsNameConfig {
  /** Lower-case, fully qualified, without the trailing dot. */
  name: string;
  /** The POPs it may answer, in configuration order; null = every POP. */
  pops: string[] | null;
  /** How many records an answer carries: the N closest up POPs, closest first (the original's result count). */
  answers: number;
  ttl: number;
}

/** A name server of a zone (`ns:`), with its addresses when it lies inside the zone (served and given as glue). */
export interface DnsNameServerConfig {
  name: string;
  addresses: string[];
}

/** The zone's SOA (RFC 1035 3.3.13); the last field is the negative-caching TTL (RFC 2308). */
export interface DnsSoaConfig {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface DnsZoneConfig {
  /** The apex: lower-case, without the trailing dot. */
  zone: string;
  /** TTL of the decided answers (a name may set its own). */
  ttl: number;
  /** TTL of the SOA, NS and name server address records, which change only with the configuration. */
  nsTtl: number;
  names: DnsNameConfig[];
  ns: DnsNameServerConfig[];
  soa: DnsSoaConfig;
}

export interface DnsConfig {
  listen: ListenConfig[];
  zones: DnsZoneConfig[];
  /**
   * Until the table has loaded (End-of-RIB from every neighbor, or `timeoutSeconds`), every decided name answers
   * self with `ttl`, so that nothing caches a guess made from half a table for long.
   */
  startup: { ttl: number; timeoutSeconds: number };
  /** Extra responder threads (each with its own copy of the RIB) sharing the port; 0 = the daemon answers. */
  workers: number;
  /** The largest UDP response we send to an EDNS client (RFC 6891 6.2.5; 1232 avoids fragmentation). */
  udpSize: number;
  tcp: { idleTimeoutSeconds: number; maxConnections: number };
}

export const DEFAULT_DNS_PORT = 53;
export const DEFAULT_DNS_TTL = 20;
export const DEFAULT_DNS_NS_TTL = 3600;
export const DEFAULT_DNS_STARTUP_TTL = 5;
export const DEFAULT_DNS_STARTUP_TIMEOUT = 30;
export const DEFAULT_DNS_UDP_SIZE = 1232;
/** RFC 7766 6.2.3: a few seconds of idleness, to keep connection slots free. */
export const DEFAULT_DNS_TCP_IDLE_TIMEOUT = 10;
export const DEFAULT_DNS_TCP_MAX_CONNECTIONS = 256;
/** SOA timers when none are configured (RIPE-203's recommendations; minimum: how long NXDOMAIN is cached). */
export const DEFAULT_SOA = { serial: 1, refresh: 86400, retry: 7200, expire: 3600000, minimum: 60 } as const;

export const DEFAULT_BGP_PORT = 179;
/** RFC 4271 10 suggests 90 s. */
export const DEFAULT_HOLD_TIME = 90;
/** Initial ConnectRetry interval in seconds; it backs off from here. */
export const DEFAULT_CONNECT_RETRY = 30;
export const DEFAULT_MAX_PREFIX_RESTART_AFTER = 60;
/** FRR's and Junos' default stale-path time. */
export const DEFAULT_STALE_PATH_TIME = 360;
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
