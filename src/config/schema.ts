// The shape of a validated configuration, with every default filled in.
import type { OverrideConfig, PopConfig, ProximityConfig } from '../proximity/index.js';

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
