// What a test asks of a real BGP daemon, independent of which daemon it is.

export type DaemonName = 'bird' | 'frr' | 'gobgp' | 'exabgp';

/** One route the daemon originates towards its neighbor. */
export interface RouteSpec {
  /** "10.1.0.0/16" or "2001:db8:1::/48". */
  prefix: string;
  /** NEXT_HOP / MP_REACH next hop as sent to the neighbor (set explicitly: daemons otherwise pick their own). */
  nextHop: string;
  /**
   * AS_PATH after the daemon's own AS: on eBGP the neighbor receives [daemon AS, ...asPath], on iBGP exactly
   * asPath. Every driver produces the same wire result.
   */
  asPath?: number[];
  med?: number;
  /** Only sent on iBGP (RFC 4271 5.1.5). */
  localPref?: number;
  /** Standard communities as [asn, value]. */
  communities?: Array<[number, number]>;
  /** Large communities as [global admin, local 1, local 2]. */
  largeCommunities?: Array<[number, number, number]>;
}

export interface PeerOptions {
  /** The daemon's own address (source of its TCP connection, and where it listens). */
  address: string;
  as: number;
  /** Defaults to `address`. */
  routerId?: string;
  /** The speaker under test, as the daemon sees it. `as` may deliberately be wrong. */
  neighbor: { address: string; as: number; port: number };
  /**
   * 'active': the daemon connects to neighbor.address:neighbor.port (and does not accept);
   * 'passive': the daemon only listens on address:listenPort and waits for the neighbor.
   */
  mode: 'active' | 'passive';
  /** Port the daemon listens on (needed in passive mode; drivers that always listen use it too). */
  listenPort: number;
  /** Hold time the daemon proposes, seconds. */
  holdTime?: number;
  /** Seconds between the daemon's connection attempts. */
  connectRetry?: number;
  /** Graceful restart capability (RFC 4724) with this restart time; the daemon preserves forwarding state. */
  gracefulRestart?: { restartTime: number };
  /**
   * Send an OPEN without capabilities advertisement, like a speaker from before RFC 5492 (IPv4 unicast, 2-octet
   * AS). BIRD (`capabilities off`) and FRR (`dont-capability-negotiate`) only.
   */
  noCapabilities?: boolean;
  routes: RouteSpec[];
}

/** The daemon's own view of its session with the neighbor. */
export interface PeerSessionView {
  /** The daemon's state name, normalised to RFC 4271 spelling (Idle, Connect, Active, OpenSent, ...). */
  state: string;
  established: boolean;
  /** The daemon's last error text (notably a NOTIFICATION it received), '' when none. */
  lastError: string;
  /** Parsed NOTIFICATION code/subcode the daemon last received, when it exposes them. */
  lastNotificationReceived?: { code: number; subcode: number } | undefined;
  /** How many NOTIFICATIONs the daemon has received, when it counts them but keeps no code (GoBGP). */
  notificationsReceived?: number | undefined;
  /** The raw output the view was read from, for failure messages. */
  raw: string;
}

export interface PeerDaemon {
  readonly name: DaemonName;
  readonly options: PeerOptions;
  /** Pid of the daemon process (undefined while stopped). */
  readonly pid: number | undefined;
  start(): Promise<void>;
  /** Originates more routes (or changes attributes of existing ones). */
  announce(routes: RouteSpec[]): Promise<void>;
  /** Stops originating these prefixes; the daemon sends withdrawals. */
  withdraw(prefixes: string[]): Promise<void>;
  /**
   * Kills the daemon without a NOTIFICATION (SIGKILL) — a crash from the neighbor's point of view. It stays down
   * until restart().
   */
  crash(): Promise<void>;
  /**
   * Starts the daemon again after crash(), as a graceful restart (Restart State and Forwarding State bits set),
   * originating `routes` (default: the routes it had).
   */
  restart(routes?: RouteSpec[]): Promise<void>;
  /** SIGSTOP / SIGCONT: the daemon stays connected but falls silent. */
  pause(): void;
  resume(): void;
  view(): Promise<PeerSessionView>;
  /** The daemon's log so far (for failure messages). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

export const DAEMON_BINARIES: Record<DaemonName, string[]> = {
  bird: ['/usr/sbin/bird', '/usr/sbin/birdc'],
  frr: ['/usr/lib/frr/bgpd', '/usr/bin/vtysh'],
  gobgp: ['/usr/bin/gobgpd', '/usr/bin/gobgp'],
  exabgp: ['/usr/sbin/exabgp'],
};

export function isIpv6Prefix(prefix: string): boolean {
  return prefix.includes(':');
}

/** The AS_PATH the neighbor should receive for a route. */
export function expectedAsPath(peer: PeerOptions, route: RouteSpec): number[] {
  const tail = route.asPath ?? [];
  return peer.as === peer.neighbor.as ? tail : [peer.as, ...tail];
}
